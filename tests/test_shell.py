"""The conversation shell through the real dispatcher: start, language, menu, help, cancel."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.sandbox.recording import ChatClient

MENU = ["Ask a question", "Book a desk", "Book a coach", "Events", "My bookings", "Settings"]

Person = Callable[..., ChatClient]


def labels(client: ChatClient) -> list[str]:
    markup = client.last.reply_markup
    assert markup is not None, f"no buttons under {client.last.text!r}"
    return [button.text for row in markup.inline_keyboard for button in row]


async def test_first_start_asks_for_language_then_shows_menu(person: Person) -> None:
    anna = person(language_code="en")
    await anna.send("/start")
    assert "Please choose your language" in anna.last.text
    assert labels(anna) == ["🇬🇧 English", "🇷🇺 Русский", "🇫🇮 Suomi"]
    await anna.click("English")
    assert "I will speak English" in anna.last.text
    assert labels(anna) == MENU


async def test_russian_choice_is_kept_for_later_messages(person: Person) -> None:
    ivan = person(2, language_code="en")
    await ivan.send("/start")
    await ivan.click("Русский")
    await ivan.send("/help")
    assert ivan.last.text.startswith("<b>Чем я могу помочь</b>")
    assert labels(ivan)[0] == "Задать вопрос"
    await ivan.send("/start")
    assert ivan.last.text.startswith("С возвращением, Anna!")


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [
        ("fi-FI", "Hei, Anna!"),
        ("ru", "Здравствуйте, Anna!"),
        ("de", "Hello, Anna!"),
        (None, "Hello"),
    ],
)
async def test_first_greeting_follows_telegram_language(
    person: Person, language_code: str | None, expected: str
) -> None:
    someone = person(3, language_code=language_code)
    await someone.send("/start")
    assert someone.last.text.startswith(expected)


async def test_language_can_be_changed_in_settings(person: Person) -> None:
    mikko = person(4, language_code="fi")
    await mikko.send("/start")
    await mikko.click("Suomi")
    await mikko.click("Asetukset")
    assert labels(mikko) == ["Kieli: 🇫🇮 Suomi", "🔔 Muistutukset", "🔒 Tietosuoja", "« Päävalikko"]
    await mikko.click("Kieli")
    await mikko.click("English")
    assert mikko.last.text.startswith("Language changed to English.")
    await mikko.send("/language")
    assert mikko.last.text == "Please choose your language:"


async def test_every_menu_entry_opens_its_part(person: Person) -> None:
    anna = person(5)
    await anna.send("/start")
    await anna.click("English")
    await anna.click("Events")
    assert "No upcoming events." in (anna.last.text or "")
    assert anna.toasts[-1] is None  # no "coming soon"


async def test_cancel_outside_a_flow_says_nothing_to_cancel(person: Person) -> None:
    anna = person(6)
    await anna.send("/cancel")
    assert anna.last.text.startswith("There is nothing to cancel.")


async def test_name_is_escaped_in_html(person: Person) -> None:
    tricky = person(7, first_name="<b>Bob</b> & co")
    await tricky.send("/start")
    assert tricky.last.text.startswith("Hello, &lt;b&gt;Bob&lt;/b&gt; &amp; co!")
