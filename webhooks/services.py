"""Webhook services. `event_emit` is the outbox entry point every state-changing service calls.

(The full outbox, delivery and subscription services land with the webhooks issue.)
"""

from __future__ import annotations


def event_emit(*, tenant, environment: str, event_type: str, data: dict) -> None:
    """Record an event in the caller's transaction so it exists iff the change commits.

    `data` is exactly what the matching GET endpoint returns for the object now.
    """
