"""Message text formatting: Telegram's HTML subset, entity offsets, trimming."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.validation import ApiError

TAG_TYPES = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


@dataclass
class Formatted:
    """Plain text with entities whose offsets are in UTF-16 code units."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length of a string in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse_error(detail: str) -> ApiError:
    """The error Telegram gives for malformed markup."""
    return ApiError.bad_request(f"can't parse entities: {detail}")


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode())


def decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decode an HTML character reference at `pos` (which holds '&')."""
    end = pos + 1
    if source[end : end + 1] == "#":
        end += 1
        base = 10
        if source[end : end + 1] in ("x", "X"):
            base = 16
            end += 1
        digits_start = end
        allowed = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        while end < len(source) and source[end] in allowed and end - digits_start < 8:
            end += 1
        if end == digits_start:
            return None
        code = int(source[digits_start:end], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < len(source) and source[end].isascii() and source[end].isalpha():
            end += 1
        name = source[pos + 1 : end]
        if name not in NAMED_ENTITIES:
            return None
        char = NAMED_ENTITIES[name]
    if source[end : end + 1] == ";":
        end += 1
    return char, end


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int
    text_start: int
    expandable: bool = False


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.out: list[str] = []
        self.u16 = 0
        self.chars = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.u16 += utf16_len(chunk)
        self.chars += len(chunk)

    def run(self) -> Formatted:
        src, i = self.src, 0
        while i < len(src):
            char = src[i]
            if char == "&":
                decoded = decode_entity(src, i)
                if decoded is not None:
                    self.emit(decoded[0])
                    i = decoded[1]
                    continue
            if char != "<":
                self.emit(char)
                i += 1
            elif src[i + 1 : i + 2] == "/":
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            tag = self.stack[-1].name
            raise parse_error(f'Can\'t find end tag corresponding to start tag "{tag}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return Formatted("".join(self.out), self.entities)

    def start_tag(self, begin: int) -> int:
        src, i = self.src, begin + 1
        offset = _byte_offset(src, begin)
        while i < len(src) and not src[i].isspace() and src[i] != ">":
            i += 1
        if i >= len(src):
            raise parse_error(f"Unclosed start tag at byte offset {offset}")
        tag = src[begin + 1 : i].lower()
        if tag not in TAG_TYPES:
            raise parse_error(f'Unsupported start tag "{tag}" at byte offset {offset}')
        opened = _OpenTag(tag, "", self.u16, self.chars)
        while i < len(src) and src[i] != ">":
            i = self.attribute(i, opened, offset)
        if i >= len(src):
            raise parse_error(f"Unclosed start tag at byte offset {offset}")
        if tag == "span" and opened.argument != "spoiler":
            raise parse_error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        self.stack.append(opened)
        return i + 1

    def attribute(self, i: int, opened: _OpenTag, offset: int) -> int:
        src = self.src
        while i < len(src) and src[i].isspace():
            i += 1
        if i >= len(src) or src[i] == ">":
            return i
        name_start = i
        while i < len(src) and not src[i].isspace() and src[i] not in "=>":
            i += 1
        name = src[name_start:i].lower()
        if not name:
            raise parse_error(
                f'Empty attribute name in the tag "{opened.name}" at byte offset {offset}'
            )
        while i < len(src) and src[i].isspace():
            i += 1
        if src[i : i + 1] != "=":
            if opened.name == "blockquote" and name == "expandable":
                opened.expandable = True
            return i
        i += 1
        while i < len(src) and src[i].isspace():
            i += 1
        if i >= len(src):
            raise parse_error(f"Unclosed start tag at byte offset {offset}")
        value, i = self.attribute_value(i)
        if i >= len(src):
            raise parse_error(f"Unclosed start tag at byte offset {offset}")
        self.apply_attribute(opened, name, value)
        return i

    def attribute_value(self, i: int) -> tuple[str, int]:
        src = self.src
        if src[i] not in "'\"":
            start = i
            while i < len(src) and (src[i].isalnum() or src[i] in ".-"):
                i += 1
            if i < len(src) and not src[i].isspace() and src[i] != ">":
                offset = _byte_offset(src, start)
                raise parse_error(f"Unexpected end of name token at byte offset {offset}")
            return src[start:i].lower(), i
        quote, i = src[i], i + 1
        chars: list[str] = []
        while i < len(src) and src[i] != quote:
            decoded = decode_entity(src, i) if src[i] == "&" else None
            if decoded is not None:
                chars.append(decoded[0])
                i = decoded[1]
            else:
                chars.append(src[i])
                i += 1
        return "".join(chars), i + 1 if i < len(src) else i

    @staticmethod
    def apply_attribute(opened: _OpenTag, name: str, value: str) -> None:
        if opened.name == "a" and name == "href":
            opened.argument = value
        elif opened.name == "code" and name == "class" and value.startswith("language-"):
            opened.argument = value.removeprefix("language-")
        elif opened.name == "span" and name == "class" and value.startswith("tg-"):
            opened.argument = value.removeprefix("tg-")
        elif opened.name == "tg-emoji" and name == "emoji-id":
            opened.argument = value

    def end_tag(self, begin: int) -> int:
        src, i = self.src, begin + 2
        offset = _byte_offset(src, begin)
        if not self.stack:
            raise parse_error(f"Unexpected end tag at byte offset {offset}")
        while i < len(src) and not src[i].isspace() and src[i] != ">":
            i += 1
        name = src[begin + 2 : i].lower()
        while i < len(src) and src[i].isspace():
            i += 1
        if i >= len(src) or src[i] != ">":
            raise parse_error(f"Unclosed end tag at byte offset {offset}")
        opened = self.stack.pop()
        if name and name != opened.name:
            raise parse_error(
                f'Unmatched end tag at byte offset {offset}, expected "</{opened.name}>", '
                f'found "</{name}>"'
            )
        self.close(opened)
        return i + 1

    def close(self, opened: _OpenTag) -> None:
        length = self.u16 - opened.offset
        if length <= 0:
            return
        entity: dict[str, Any] = {
            "type": TAG_TYPES[opened.name],
            "offset": opened.offset,
            "length": length,
        }
        if opened.name == "a":
            entity["url"] = opened.argument or "".join(self.out)[opened.text_start :]
        elif opened.name == "tg-emoji":
            entity["custom_emoji_id"] = opened.argument
        elif opened.name == "blockquote" and opened.expandable:
            entity["type"] = "expandable_blockquote"
        elif opened.name == "code" and opened.argument:
            entity["language"] = opened.argument
        elif opened.name == "pre":
            self._merge_code_into_pre(entity)
        self.entities.append(entity)

    def _merge_code_into_pre(self, pre: dict[str, Any]) -> None:
        if not self.entities:
            return
        last = self.entities[-1]
        same_span = last["offset"] == pre["offset"] and last["length"] == pre["length"]
        if last["type"] == "code" and same_span and "language" in last:
            pre["language"] = last["language"]
            self.entities.pop()


def parse_html(source: str) -> Formatted:
    """Parse Telegram's HTML subset into plain text and entities."""
    return _HtmlParser(source).run()


def trim(formatted: Formatted) -> Formatted:
    """Strip surrounding whitespace as Telegram does and shift entities accordingly."""
    text = formatted.text
    stripped_left = text.lstrip()
    shift = utf16_len(text[: len(text) - len(stripped_left)])
    result = stripped_left.rstrip()
    total = utf16_len(result)
    entities: list[dict[str, Any]] = []
    for entity in formatted.entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return Formatted(result, entities)
