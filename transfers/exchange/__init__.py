"""Transfers between two deployments (docs/EXCHANGE.md): a case whose other end is an agency
of a peer deployment (seals.peers) travels as signed messages. Each step at one end writes an
outbox row in its own transaction (`outbox`); Celery delivers it with retries; the other end's
endpoint (`views.inbox`) verifies the sender agency's seal and applies each message exactly
once, in order (`inbox`), through one handler per kind (`handlers`), which takes the same
transition the local step takes, as the peer (`mirror`)."""
