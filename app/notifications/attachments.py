"""What an e-mail carries besides its text, built when it is sent.

An outbox row names its attachment as ``"<kind>:<id>"`` ("booking:42"); the package that
knows the kind registers a renderer for it at start-up (the calendar registers
"booking", whose renderer returns that booking's .ics). Building at send time keeps the
outbox small and lets notifications stay below the packages whose data it carries.
"""

from collections.abc import Callable
from datetime import datetime

from app.core.coerce import id_or_none
from app.notifications.mail import Attachment

Renderer = Callable[[int, datetime], Attachment | None]  # (id, now)

_renderers: dict[str, Renderer] = {}


class AttachmentMissing(LookupError):
    """No renderer for the kind, or the renderer found nothing to attach."""


def register(kind: str, renderer: Renderer) -> None:
    _renderers[kind] = renderer


def render(reference: str, *, now: datetime) -> Attachment:
    kind, _, raw_id = reference.partition(":")
    renderer = _renderers.get(kind)
    if renderer is None or id_or_none(raw_id) is None:
        raise AttachmentMissing(f"no renderer for attachment {reference!r}")
    attachment = renderer(int(raw_id), now)
    if attachment is None:
        raise AttachmentMissing(f"nothing to attach for {reference!r}")
    return attachment
