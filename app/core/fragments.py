"""Public parts of pages, rendered at most once every few seconds by each worker.

When a release opens at 08:00, residents load the home page, the schedule and a session
page many times for each booking they make. What those lists show is public and the
same for everyone, so each worker keeps the rendered HTML of such a part for
``PUBLIC_PAGE_SECONDS`` (places-left counts may lag that long; the booking form and the
booking itself always read afresh). The key holds everything the part depends on —
the page, its arguments, the day, the language. cachelib's SimpleCache: a dictionary
with expiry and a size bound, kept per process.
"""

from collections.abc import Callable
from typing import TypeVar

from cachelib import SimpleCache
from flask import Flask, current_app
from flask_babel import get_locale
from markupsafe import Markup

EXTENSION = "xq_public_fragments"
T = TypeVar("T")


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = SimpleCache(threshold=2000)


def clear() -> None:
    """Forget every kept part (after a change that must show at once)."""
    current_app.extensions[EXTENSION].clear()


def public_fragment(*key, build: Callable[[], str]) -> Markup:
    """The HTML ``build()`` renders for ``key`` in the page's language, kept a few
    seconds; ``build`` runs only when no copy is kept."""
    return Markup(public(*key, build=build))


def public(*key, build: Callable[[], T]) -> T:
    """What ``build()`` returns for ``key`` in the page's language (plain values: a
    rendered part, its title), kept a few seconds."""
    return kept(*key, build=build, seconds=current_app.config["PUBLIC_PAGE_SECONDS"])


def kept(*key, build: Callable[[], T], seconds: int) -> T:
    """What ``build()`` returns for ``key`` in the page's language, kept ``seconds``
    by this worker (0: not kept). The key must hold everything the value depends on —
    for a staff member's figures, who they are."""
    if seconds <= 0:
        return build()
    cache = current_app.extensions[EXTENSION]
    name = repr((*key, str(get_locale())))
    value = cache.get(name)
    if value is None:
        value = build()
        cache.set(name, value, timeout=seconds)
    return value
