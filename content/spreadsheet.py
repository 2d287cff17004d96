"""Cells of an exported table that a spreadsheet reads as text, never as a formula."""

from __future__ import annotations

import re

# A formula starts a cell with = + - or @. A cell starts at the beginning of the text, and also
# after any character a spreadsheet may split on: Russian and Finnish Excel split a CSV on ";",
# others on "," or a tab, and a line break starts a row. Spaces and quotes may come between.
_FORMULA_START = re.compile(r"(^|[,;\t\r\n])([\s\"]*)(?=[=+\-@])")


def safe_cell(value: object) -> object:
    """`value` for a CSV cell: text with an apostrophe before every = + - @ that could start a
    formula, and before a leading tab or carriage return; anything else unchanged."""
    if not isinstance(value, str):
        return value
    value = _FORMULA_START.sub(r"\1\2'", value)
    return "'" + value if value.startswith(("\t", "\r")) else value
