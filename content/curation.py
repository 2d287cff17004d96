"""What the curator still has to do before going live: placeholders left in the texts and
question titles too long for a button. `concierge content check` lists these as warnings
(`--strict` fails on them); the bot itself runs with them."""

from __future__ import annotations

import re
from collections.abc import Iterator

# The placeholders, written exactly so in every language (never translated).
PLACEHOLDERS = ("[address]", "[phone]", "[e-mail]", "[hours]")
# What a full-width inline button shows of a question title on a phone; longer ones are cut.
TITLE_SHOWN = 56

_BRACKETED = re.compile(r"\[[^\[\]\n]{1,40}\]")


def bracketed(text: str) -> Iterator[tuple[int, str]]:
    """(line offset within `text`, token) of every `[...]` in `text`."""
    for offset, line in enumerate(text.splitlines()):
        for match in _BRACKETED.finditer(line):
            yield offset, match.group()


def placeholder_note(token: str) -> tuple[bool, str]:
    """(is it a known placeholder, what `content check` says about it)."""
    if token in PLACEHOLDERS:
        return True, f"placeholder {token} still to be filled in before going live"
    return False, (
        f"{token}: write a placeholder as one of {', '.join(PLACEHOLDERS)}, the same in every "
        "language"
    )


def title_note(title: str) -> str | None:
    if len(title) <= TITLE_SHOWN:
        return None
    return (
        f"the question has {len(title)} characters; a button shows {TITLE_SHOWN}, so it will "
        "be cut off: shorten it"
    )
