"""Telegram's MarkdownV2 and legacy Markdown parse modes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.sandbox.formatting import Formatted, parse_error, utf16_len

RESERVED = "_*[]()~`>#+-=|{}.!"
TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
SIMPLE_OPENERS = {"*": "bold", "~": "strikethrough", "[": "text_link"}


@dataclass
class _Open:
    type: str
    offset: int
    byte_offset: int
    chars: int
    argument: str = ""


class _Builder:
    def __init__(self, source: str) -> None:
        self.src = source
        self.out: list[str] = []
        self.u16 = 0
        self.entities: list[dict[str, Any]] = []

    def at(self, index: int) -> str:
        return self.src[index] if 0 <= index < len(self.src) else ""

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.u16 += utf16_len(chunk)

    def byte(self, index: int) -> int:
        return len(self.src[:index].encode())

    def text_since(self, chars: int) -> str:
        return "".join(self.out)[chars:]

    def chars(self) -> int:
        return sum(len(chunk) for chunk in self.out)

    def add(self, kind: str, offset: int, **extra: str) -> None:
        if self.u16 > offset:
            self.entities.append(
                {"type": kind, "offset": offset, "length": self.u16 - offset, **extra}
            )

    def skip_pre_header(self, i: int) -> tuple[int, str]:
        """Read an optional language and one leading newline of a pre block."""
        end = i
        while end < len(self.src) and not self.src[end].isspace() and self.src[end] != "`":
            end += 1
        language = ""
        if end != i and end < len(self.src) and self.src[end] != "`":
            language, i = self.src[i:end], end
        if self.at(i) in ("\n", "\r") and self.at(i):
            pair = (
                self.at(i + 1) in ("\n", "\r") and self.at(i + 1) and self.at(i) != self.at(i + 1)
            )
            i += 2 if pair else 1
        return i, language

    def result(self) -> Formatted:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return Formatted("".join(self.out), self.entities)


class _MarkdownV2(_Builder):
    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.stack: list[_Open] = []
        self.quote: int | None = None

    def in_code(self) -> bool:
        return bool(self.stack) and self.stack[-1].type in ("code", "pre")

    def run(self) -> Formatted:
        i = 0
        while i < len(self.src):
            char = self.src[i]
            if char == ">" and self.at(i - 1) in ("", "\n") and not self.in_code():
                if self.quote is None:
                    self.quote = self.u16
                i += 1
                continue
            if char == "\n" and self.quote is not None and self.at(i + 1) != ">":
                self.add("blockquote", self.quote)
                self.quote = None
            following = self.at(i + 1)
            if char == "\\" and following and 0 < ord(following) <= 126:
                self.emit(following)
                i += 2
                continue
            if char not in ("`" if self.in_code() else RESERVED):
                self.emit(char)
                i += 1
            elif self.stack and self.is_end(self.stack[-1].type, i):
                i = self.close(i)
            else:
                i = self.open(i)
        if self.stack:
            top = self.stack[-1]
            raise parse_error(
                f"Can't find end of {TYPE_NAMES[top.type]} entity at byte offset {top.byte_offset}"
            )
        if self.quote is not None:
            self.add("blockquote", self.quote)
        return self.result()

    def is_end(self, kind: str, i: int) -> bool:
        char, nxt = self.src[i], self.at(i + 1)
        checks = {
            "bold": char == "*",
            "italic": char == "_" and nxt != "_",
            "underline": char == "_" and nxt == "_",
            "code": char == "`",
            "pre": self.src[i : i + 3] == "```",
            "text_link": char == "]",
            "custom_emoji": char == "]",
            "strikethrough": char == "~",
            "spoiler": char == "|" and nxt == "|",
        }
        return checks[kind]

    def reserved(self, char: str) -> Exception:
        return parse_error(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )

    def open(self, i: int) -> int:
        char, nxt = self.src[i], self.at(i + 1)
        start = i
        argument = ""
        if char == "_":
            kind, i = ("underline", i + 2) if nxt == "_" else ("italic", i + 1)
        elif char in SIMPLE_OPENERS:
            kind, i = SIMPLE_OPENERS[char], i + 1
        elif char == "|" and nxt == "|":
            kind, i = "spoiler", i + 2
        elif char == "!" and nxt == "[":
            kind, i = "custom_emoji", i + 2
        elif char == "`" and self.src[i : i + 3] == "```":
            kind = "pre"
            i, argument = self.skip_pre_header(i + 3)
        elif char == "`":
            kind, i = "code", i + 1
        else:
            raise self.reserved(char)
        self.stack.append(_Open(kind, self.u16, self.byte(start), self.chars(), argument))
        return i

    def close(self, i: int) -> int:
        opened = self.stack.pop()
        extra: dict[str, str] = {}
        if opened.type in ("underline", "spoiler"):
            i += 1
        elif opened.type == "pre":
            i += 2
            if opened.argument:
                extra["language"] = opened.argument
        elif opened.type in ("text_link", "custom_emoji"):
            url, i = self.link_target(i, opened)
            if opened.type == "text_link":
                extra["url"] = url
            else:
                extra["custom_emoji_id"] = url.removeprefix("tg://emoji?id=")
        self.add(opened.type, opened.offset, **extra)
        return i + 1

    def link_target(self, i: int, opened: _Open) -> tuple[str, int]:
        if self.at(i + 1) != "(":
            if opened.type == "custom_emoji":
                raise parse_error("Custom emoji entity must contain a tg://emoji URL")
            return self.text_since(opened.chars), i
        i += 2
        begin = i
        url: list[str] = []
        while i < len(self.src) and self.src[i] != ")":
            if self.src[i] == "\\" and self.at(i + 1) and 0 < ord(self.at(i + 1)) <= 126:
                url.append(self.src[i + 1])
                i += 2
                continue
            url.append(self.src[i])
            i += 1
        if i >= len(self.src):
            raise parse_error(f"Can't find end of a URL at byte offset {self.byte(begin)}")
        target = "".join(url)
        if opened.type == "custom_emoji" and not target.startswith("tg://emoji?id="):
            raise parse_error("Custom emoji entity must contain a tg://emoji URL")
        return target, i


def parse_markdown_v2(source: str) -> Formatted:
    """Parse MarkdownV2 text the way Telegram does."""
    return _MarkdownV2(source).run()


def parse_markdown(source: str) -> Formatted:
    """Parse legacy Markdown text the way Telegram does."""
    builder = _Builder(source)
    src, i = source, 0
    kinds = {"_": "italic", "*": "bold", "`": "code", "[": "text_link"}
    while i < len(src):
        char = src[i]
        if char == "\\" and builder.at(i + 1) in ("_", "*", "`", "[") and builder.at(i + 1):
            builder.emit(src[i + 1])
            i += 2
            continue
        if char not in kinds:
            builder.emit(char)
            i += 1
            continue
        begin, end_char, is_pre, language = i, "]" if char == "[" else char, False, ""
        i += 1
        if char == "`" and src[i : i + 2] == "``":
            is_pre = True
            i, language = builder.skip_pre_header(i + 2)
        offset = builder.u16
        while i < len(src) and (src[i] != end_char or (is_pre and src[i + 1 : i + 3] != "``")):
            builder.emit(src[i])
            i += 1
        unclosed = f"Can't find end of the entity starting at byte offset {builder.byte(begin)}"
        if i >= len(src):
            raise parse_error(unclosed)
        if char == "[":
            if builder.at(i + 1) == "(":
                close = src.find(")", i + 2)
                if close < 0:
                    raise parse_error(unclosed)
                builder.add("text_link", offset, url=src[i + 2 : close])
                i = close
        elif is_pre:
            builder.add("pre", offset, **({"language": language} if language else {}))
            i += 2
        else:
            builder.add(kinds[char], offset)
        i += 1
    return builder.result()
