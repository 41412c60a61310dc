"""The peer registry: which agencies another deployment runs and where it answers. Read by the
transfer exchange (transfers.exchange) to decide whether a case's other end is here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from accounts.models import Agency
from audit.services import audit_record
from seals.models import Peer, PeerAgency


def peer_of(agency_id: int | None) -> Peer | None:
    """The peer deployment that runs this agency, or None when the agency is this one's."""
    if agency_id is None:
        return None
    link = PeerAgency.objects.select_related("peer").filter(agency_id=agency_id).first()
    return link.peer if link is not None else None


def is_remote(agency_id: int | None) -> bool:
    return agency_id is not None and PeerAgency.objects.filter(agency_id=agency_id).exists()


def remote_agency_ids() -> list[int]:
    return list(PeerAgency.objects.values_list("agency_id", flat=True))


@transaction.atomic
def peer_register(*, code: str, name: str, url: str, agencies: Iterable[Agency], by: Any) -> Peer:
    """Create or update a peer and assign it these agencies (each moves from wherever it was)."""
    peer, _created = Peer.objects.update_or_create(code=code, defaults={"name": name, "url": url})
    for agency in agencies:
        PeerAgency.objects.update_or_create(agency=agency, defaults={"peer": peer})
    audit_record(action="exchange_peer_registered", user=by, object_repr=str(peer), detail=url)
    return peer
