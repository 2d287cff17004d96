"""The HTML subset Telegram accepts in messages, checked before it reaches Telegram."""

from __future__ import annotations

import re
from html.parser import HTMLParser

MAX_MESSAGE = 4096
_ALLOWED: dict[str, frozenset[str]] = {
    "b": frozenset(), "strong": frozenset(), "i": frozenset(), "em": frozenset(),
    "u": frozenset(), "ins": frozenset(), "s": frozenset(), "strike": frozenset(),
    "del": frozenset(), "tg-spoiler": frozenset(), "span": frozenset({"class"}),
    "a": frozenset({"href"}), "code": frozenset({"class"}), "pre": frozenset(),
    "blockquote": frozenset({"expandable"}), "tg-emoji": frozenset({"emoji-id"}),
}  # fmt: skip
_BAD_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.errors: list[str] = []
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED:
            self.errors.append(f"tag <{tag}> is not supported by Telegram")
            return
        for name, value in attrs:
            if name not in _ALLOWED[tag]:
                self.errors.append(f'attribute "{name}" is not allowed in <{tag}>')
            elif tag == "a" and not (value or "").startswith(("http://", "https://", "tg://")):
                self.errors.append(f"link {value!r} must start with https://, http:// or tg://")
        if tag == "a" and "href" not in dict(attrs):
            self.errors.append("<a> needs an href")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/> is not supported by Telegram")

    def handle_endtag(self, tag: str) -> None:
        if tag not in _ALLOWED:
            return
        if not self.open or self.open[-1] != tag:
            expected = f"</{self.open[-1]}>" if self.open else "no closing tag"
            self.errors.append(f"</{tag}> does not match: expected {expected}")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_html(source: str) -> list[str]:
    """What Telegram would refuse in `source` (parse_mode HTML); empty when it is fine."""
    checker = _Checker()
    errors = [
        f"'&' at character {m.start()} must be written &amp;"
        for m in _BAD_AMPERSAND.finditer(source)
    ]
    checker.feed(source)
    checker.close()
    errors += checker.errors
    if checker.open:
        errors.append(f"<{checker.open[-1]}> is never closed")
    if re.search(r"<(?![a-zA-Z/!])", source):
        errors.append("a bare '<' must be written &lt;")
    length = len("".join(checker.text))
    if length > MAX_MESSAGE:
        errors.append(f"the text is {length} characters long; Telegram allows {MAX_MESSAGE}")
    return errors


def plain_text(source: str) -> str:
    """What a reader sees of an HTML message: the text without its tags, entities decoded."""
    checker = _Checker()
    checker.feed(source)
    checker.close()
    return "".join(checker.text)


def visible_length(source: str) -> int:
    """How long Telegram counts a message in HTML against its limit: the text once the tags
    are parsed and the entities (&amp; …) decoded, in UTF-16 code units (an emoji counts
    two; counting so never lets a message through that Telegram would refuse)."""
    return len(plain_text(source).encode("utf-16-le")) // 2
