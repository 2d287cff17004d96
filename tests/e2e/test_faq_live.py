"""End to end over HTTP: a question answered, a question handed to an admin and answered back."""

from __future__ import annotations

from bot.app import Runtime
from bot.sandbox import SandboxServer


async def test_questions_and_the_hand_off_to_an_admin(live: tuple[SandboxServer, Runtime]) -> None:
    server, runtime = live
    anna = server.user(1001, "Anna", language_code="en")
    olga = server.user(3001, "Olga", language_code="ru")  # ADMIN_IDS in the test settings
    for person in (anna, olga):
        await person.send("/start")
        await server.wait_idle()
    await olga.press("Русский")
    await server.wait_idle()

    await anna.send("what time does the oasis open")
    await server.wait_idle()
    expected = runtime.library.shelf.knowledge.entries["oasis.hours"].text("en").answer
    assert anna.last.html == expected
    await anna.press("👍")
    await server.wait_idle()
    assert anna.toasts[-1].text == "Thank you for your feedback!"

    await anna.send("can you recommend a good dentist in Lappeenranta?")
    await server.wait_idle()
    assert anna.last.text.startswith("Sorry, I don't know the answer to that")
    await anna.press("Yes, ask the staff")
    await server.wait_idle()
    assert olga.last.text == (
        "❓ Вопрос для сотрудников\nОт кого: Anna (id 1001)\nЯзык: английский\n\n"
        "can you recommend a good dentist in Lappeenranta?"
    )
    await olga.press("Ответить")
    await server.wait_idle()
    await olga.send("Загляните в городской портал здоровья, а мы ждём вас в оазисе!")
    await server.wait_idle()
    assert olga.last.text == "Ваш ответ сохранён и уже отправляется."
    assert anna.last.text.startswith("💬 The programme staff answered your question")
    assert "ждём вас в оазисе" in anna.last.text
    assert server.errors == []
