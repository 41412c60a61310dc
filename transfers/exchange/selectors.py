"""The exchange page's reads, scoped to the supervisor's agency: its cases' messages, and
refused messages addressed to it."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from cases.models import Case
from transfers.exchange.models import InboundMessage, OutboundMessage

OPEN_OUT = (OutboundMessage.Status.PENDING, OutboundMessage.Status.FAILED)
OPEN_IN = (InboundMessage.Status.WAITING, InboundMessage.Status.REFUSED)


def _cases(user: User) -> QuerySet[Case]:
    return Case.objects.filter(Q(agency_id=user.agency_id) | Q(other_agency_id=user.agency_id))


def outbound_open(user: User) -> QuerySet[OutboundMessage]:
    return (
        OutboundMessage.objects.filter(case__in=_cases(user), status__in=OPEN_OUT)
        .select_related("peer", "case")
        .order_by("-created_at")
    )


def inbound_open(user: User) -> QuerySet[InboundMessage]:
    code = user.agency.code if user.agency is not None else ""
    references = _cases(user).values("reference")
    return InboundMessage.objects.filter(
        Q(reference__in=references) | Q(envelope__recipient=code), status__in=OPEN_IN
    ).order_by("-received_at")
