"""Every kind of message the delivery engine sends, with the feature that renders it."""

from __future__ import annotations

from collections.abc import Mapping

from content.library import Library
from scheduler.delivery import Bounce, Renderer
from storage.desks.places import Places


def renderers(places: Places, library: Library) -> Mapping[str, Renderer]:
    """Kind → renderer, from every feature that sends messages on its own."""
    from handlers.admin import notices as broadcast_notices
    from handlers.coaching import afterwards
    from handlers.coaching import notices as coaching_notices
    from handlers.coaching import staff as coaching_staff
    from handlers.desks import notices
    from handlers.events import notices as event_notices
    from handlers.faq import staff

    del library
    return {
        **notices.renderers(places),
        **staff.renderers(),
        **coaching_notices.renderers(places),
        **coaching_staff.renderers(),
        **afterwards.renderers(),
        **event_notices.renderers(places),
        **broadcast_notices.renderers(),
    }


def bounces() -> Mapping[str, Bounce]:
    """Kind → what happens when such a message cannot be delivered for good."""
    from handlers.faq import staff

    return staff.bounces()
