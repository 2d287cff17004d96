"""Translations: gettext catalogs compiled from the .po files in memory at start."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

from aiogram.types import User
from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import content
from storage.users import Person

LOCALES_DIR = Path(content.__file__).with_name("locales")
DOMAIN = "messages"


def compile_catalog(po_path: Path) -> gettext.GNUTranslations:
    """Compile one .po file to a gettext translation without writing a .mo file."""
    with po_path.open("rb") as source:
        catalog = read_po(source, locale=po_path.parent.parent.name)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class CatalogI18n(I18n):
    """aiogram's I18n reading .po sources, so no compiled files live in git or need a build."""

    @contextmanager
    def context(self) -> Iterator[I18n]:
        # The context variable belongs to each class; aiogram's `gettext` reads I18n's.
        token = I18n.set_current(self)
        try:
            yield self
        finally:
            I18n.reset_current(token)

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        return {
            po.parent.parent.name: compile_catalog(po)
            for po in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po"))
        }


def create_i18n(default_locale: str = "en", path: Path = LOCALES_DIR) -> CatalogI18n:
    return CatalogI18n(path=path, default_locale=default_locale, domain=DOMAIN)


def pick_locale(language_code: str | None, available: tuple[str, ...], default: str) -> str:
    """Map Telegram's language_code (`ru`, `fi-FI`, `en-GB`...) to a locale we speak."""
    if language_code:
        base = language_code.replace("_", "-").split("-", 1)[0].lower()
        if base in available:
            return base
    return default


def locale_hint(i18n: I18n, user: User | None, person: Person | None) -> str:
    """The locale to answer in: the user's choice, else Telegram's hint, else the default."""
    if person is not None and person.locale in i18n.available_locales:
        return person.locale
    return pick_locale(
        user.language_code if user else None, i18n.available_locales, i18n.default_locale
    )
