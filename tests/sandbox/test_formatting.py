"""Telegram's HTML and Markdown parse modes."""

from __future__ import annotations

import pytest

from bot.sandbox.formatting import Formatted, parse_html, trim
from bot.sandbox.markdown import parse_markdown, parse_markdown_v2
from bot.sandbox.validation import ApiError


def test_html_entities_use_utf16_offsets() -> None:
    parsed = parse_html("😀 <b>bold</b> <i>it</i>")
    assert parsed.text == "😀 bold it"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "italic", "offset": 8, "length": 2},
    ]


def test_html_supported_subset() -> None:
    source = (
        "<strong>a</strong><em>b</em><ins>c</ins><del>d</del><tg-spoiler>e</tg-spoiler>"
        '<span class="tg-spoiler">f</span><a href="https://x.org/?a=1&amp;b=2">g</a>'
        '<code>h</code><pre><code class="language-python">i</code></pre>'
        "<blockquote expandable>j</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    parsed = parse_html(source)
    assert parsed.text == "abcdefghij👍"
    kinds = [(e["type"], e["offset"]) for e in parsed.entities]
    assert kinds == [
        ("bold", 0),
        ("italic", 1),
        ("underline", 2),
        ("strikethrough", 3),
        ("spoiler", 4),
        ("spoiler", 5),
        ("text_link", 6),
        ("code", 7),
        ("pre", 8),
        ("expandable_blockquote", 9),
        ("custom_emoji", 10),
    ]
    assert parsed.entities[6]["url"] == "https://x.org/?a=1&b=2"
    assert parsed.entities[8]["language"] == "python"


def test_html_character_references() -> None:
    parsed = parse_html("&lt;tag&gt; &amp; &quot;q&quot; &#65;&#x42; &copy; AT&T")
    assert parsed.text == '<tag> & "q" AB &copy; AT&T'


def test_html_tags_are_case_insensitive_and_nest() -> None:
    parsed = parse_html("<B>bold <I>both</I></B>")
    assert parsed.text == "bold both"
    assert parsed.entities == [
        {"type": "bold", "offset": 0, "length": 9},
        {"type": "italic", "offset": 5, "length": 4},
    ]


@pytest.mark.parametrize(
    "source",
    ["<b", '<a href="x', "<b>x</b", "<p>x</p>", "<b =x>y</b>", "<a href=a/b>x</a>"],
)
def test_html_malformed(source: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_html(source)
    assert caught.value.code == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")


def test_byte_offsets_count_utf8_bytes() -> None:
    with pytest.raises(ApiError, match='Unsupported start tag "x" at byte offset 4'):
        parse_html("Пй<x>")


def test_trim_shifts_entities() -> None:
    trimmed = trim(Formatted("  hi there \n", [{"type": "bold", "offset": 0, "length": 6}]))
    assert trimmed.text == "hi there"
    assert trimmed.entities == [{"type": "bold", "offset": 0, "length": 4}]


def test_markdown_v2_entities() -> None:
    parsed = parse_markdown_v2(
        "*b* _i_ __u__ ~s~ ||sp|| `c` [link](https://x.org/a\\)b) \\#1\n```py\nprint()\n```"
    )
    assert parsed.text == "b i u s sp c link #1\nprint()\n"
    kinds = {e["type"]: e for e in parsed.entities}
    assert set(kinds) == {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
        "pre",
    }
    assert kinds["text_link"]["url"] == "https://x.org/a)b"
    assert kinds["pre"]["language"] == "py"


def test_markdown_v2_quote_and_errors() -> None:
    parsed = parse_markdown_v2(">quoted\n>lines\nafter")
    assert parsed.text == "quoted\nlines\nafter"
    assert parsed.entities == [{"type": "blockquote", "offset": 0, "length": 12}]
    with pytest.raises(ApiError, match="Can't find end of Bold entity at byte offset 0"):
        parse_markdown_v2("*open")
    with pytest.raises(ApiError, match="Character '-' is reserved"):
        parse_markdown_v2("a-b")


def test_legacy_markdown() -> None:
    parsed = parse_markdown("*b* _i_ `c` [t](https://x.org) a\\_b")
    assert parsed.text == "b i c t a_b"
    assert [e["type"] for e in parsed.entities] == ["bold", "italic", "code", "text_link"]
    with pytest.raises(ApiError, match="Can't find end of the entity starting at byte offset 2"):
        parse_markdown("a *b")
