"""Delivering the outbox to a peer's endpoint (a real HTTP server on this machine): delivered
on an answer, retried with a growing pause when the peer is down or failing, not retried when
the peer refused, and retried or closed by hand from the exchange page (audit-logged)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from tests.accounts.factories import staff_user
from tests.transfers.exchange_helpers import make_peer
from tests.transfers.factories import mover
from transfers import services
from transfers.exchange.models import OutboundMessage
from transfers.exchange.outbox import outbox_deliver, outbox_requeue

pytestmark = pytest.mark.django_db


class Peer:
    def __init__(self) -> None:
        self.answers: list[int] = []
        self.received: list[bytes] = []


@pytest.fixture
def peer() -> Iterator[tuple[Peer, str]]:
    state = Peer()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the library's name
            state.received.append(self.rfile.read(int(self.headers["Content-Length"])))
            code = state.answers.pop(0) if state.answers else 200
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "x", "reason": "because"}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/exchange/inbox/"
    server.shutdown()


@pytest.fixture
def message(places, peer) -> OutboundMessage:
    make_peer(places.dongguan, url=peer[1])
    services.transfer_apply(
        person=mover(places.dongguan, places.changde),
        origin_agency=places.dongguan,
        destination_agency=places.changde,
        transfer_type="employee",
        contact_phone="13900000000",
        by=staff_user("clerk", places.changde),
    )
    return OutboundMessage.objects.get()


def test_a_delivered_message_is_not_sent_again(peer, message):
    first = outbox_deliver(message_id=str(message.pk))
    second = outbox_deliver(message_id=str(message.pk))

    message.refresh_from_db()
    assert (first, second) == ("delivered", "not_due")
    assert message.status == "delivered"
    assert len(peer[0].received) == 1


def test_a_peer_that_fails_is_retried_later_with_a_longer_pause(peer, message, settings):
    settings.EXCHANGE_RETRY_SECONDS = 10
    peer[0].answers = [503, 503]

    outbox_deliver(message_id=str(message.pk))
    message.refresh_from_db()
    first_pause = message.next_attempt_at - timezone.now()
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    outbox_deliver(message_id=str(message.pk))
    message.refresh_from_db()
    second_pause = message.next_attempt_at - timezone.now()

    assert message.status == "pending"
    assert message.attempts == 2
    assert 5 < first_pause.total_seconds() <= 10
    assert 15 < second_pause.total_seconds() <= 20
    assert outbox_requeue() == 0


def test_a_peer_that_is_down_delays_the_message_and_never_loses_it(places, message):
    OutboundMessage.objects.filter(pk=message.pk).update()
    message.peer.url = "http://127.0.0.1:9/exchange/inbox/"
    message.peer.save()

    outcome = outbox_deliver(message_id=str(message.pk))

    message.refresh_from_db()
    assert outcome == "retry"
    assert message.status == "pending"
    assert message.last_status_code is None


def test_a_refusal_is_not_retried_and_a_supervisor_sends_it_again_or_closes_it(
    client, places, peer, message
):
    peer[0].answers = [422]
    supervisor = staff_user("supervisor", places.changde)
    client.force_login(supervisor)

    outbox_deliver(message_id=str(message.pk))
    message.refresh_from_db()
    page = client.get("/transfers/exchange/").content.decode()
    client.post(f"/transfers/exchange/out/{message.pk}/retry/")
    message.refresh_from_db()
    status_after_retry = message.status
    client.post(f"/transfers/exchange/out/{message.pk}/close/", {"reason": "sent by post"})

    message.refresh_from_db()
    assert "because" in page
    assert status_after_retry == "pending"
    assert message.status == "closed"
    assert message.closed_reason == "sent by post"
    assert AuditEvent.objects.filter(action="exchange_close", detail="sent by post").exists()


def test_a_clerk_may_not_manage_the_exchange(client, places, message):
    client.force_login(staff_user("clerk", places.changde))

    assert client.get("/transfers/exchange/").status_code == 403
