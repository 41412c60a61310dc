"""One end of a transfer with another deployment, in one test database: the other end's
agency is registered as a peer's, and the test writes that peer's messages itself, sealed with
the peer agency's own key (generated here, as the peer would have it)."""

from __future__ import annotations

import uuid
from typing import Any

from django.test import Client
from django.utils import timezone

from accounts.models import Agency
from seals.peers import peer_register
from seals.services import seal_key_rotate
from transfers.exchange.envelope import sealed


def make_peer(*agencies: Agency, url: str = "http://127.0.0.1:9/exchange/inbox/") -> None:
    for agency in agencies:
        seal_key_rotate(agency=agency, by=None)
    peer_register(code="peer", name="Peer system", url=url, agencies=agencies, by=None)


def envelope(
    *,
    kind: str,
    reference: str,
    sender: Agency,
    recipient: Agency,
    body: dict[str, Any],
    depends_on: str | None = None,
) -> dict[str, Any]:
    return sealed(
        {
            "id": str(uuid.uuid4()),
            "kind": kind,
            "reference": reference,
            "sender": sender.code,
            "recipient": recipient.code,
            "depends_on": depends_on,
            "sent_at": timezone.now().isoformat(),
            "body": body,
        },
        agency=sender,
    )


def post(client: Client, message: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.post("/exchange/inbox/", message, content_type="application/json")
    return response.status_code, response.json()
