"""Catalogs: complete, not fuzzy, same placeholders, in step with the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, create_i18n, pick_locale

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*\}")


def catalog(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=locale)


def messages(entries: Catalog) -> dict[str, object]:
    return {m.id if isinstance(m.id, str) else m.id[0]: m for m in entries if m.id}


@pytest.mark.parametrize("locale", ["ru", "fi"])
def test_every_message_is_translated_and_keeps_its_placeholders(locale: str) -> None:
    problems = []
    for message in catalog(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        for string in strings:
            if not string or not string.strip():
                problems.append(f"untranslated: {ids[0]!r}")
            elif set(PLACEHOLDER.findall(string)) != set(PLACEHOLDER.findall(ids[0])):
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert not problems, "\n".join(problems)


def test_catalogs_hold_exactly_the_messages_of_the_code(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_", "-k", "__", "-k", "gettext", "-k", "lazy_gettext", "-k", "ngettext:1,2",
         "-o", str(template), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with template.open("rb") as source:
        in_code = set(messages(read_po(source)))
    for locale in ("en", "ru", "fi"):
        in_catalog = set(messages(catalog(locale)))
        assert in_code - in_catalog == set(), f"{locale}: run pybabel update (see README)"
        assert in_catalog - in_code == set(), f"{locale}: obsolete messages"


def test_catalogs_compile_in_memory_and_translate() -> None:
    i18n = create_i18n()
    assert set(i18n.available_locales) == {"en", "ru", "fi"}
    assert i18n.gettext("Settings", locale="ru") == "Настройки"
    assert i18n.gettext("Settings", locale="fi") == "Asetukset"
    assert i18n.gettext("Settings", locale="en") == "Settings"


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ru", "ru"), ("ru-RU", "ru"), ("fi", "fi"), ("FI_fi", "fi"), ("en-GB", "en"),
     ("sv", "en"), ("", "en"), (None, "en")],
)  # fmt: skip
def test_telegram_language_codes_map_to_our_locales(code: str | None, expected: str) -> None:
    assert pick_locale(code, ("en", "ru", "fi"), "en") == expected
