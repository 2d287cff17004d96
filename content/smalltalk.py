"""Greetings, thanks and pleasantries: answered kindly instead of searched for."""

from __future__ import annotations

from enum import StrEnum

from content.text import words

MAX_WORDS = 4


class SmallTalk(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    HOW_ARE_YOU = "how_are_you"
    GOODBYE = "goodbye"


_PHRASES: dict[SmallTalk, tuple[str, ...]] = {
    SmallTalk.GREETING: (
        "hi", "hello", "hey", "hi there", "hello there", "good morning", "good afternoon",
        "good evening", "привет", "приветик", "здравствуйте", "здравствуй", "добрый день",
        "доброе утро", "добрый вечер", "хай", "moi", "hei", "terve", "moikka", "moro",
        "huomenta", "hyvää huomenta", "päivää", "hyvää päivää", "iltaa", "hyvää iltaa",
    ),
    SmallTalk.THANKS: (
        "thanks", "thank you", "thanks a lot", "thank you very much", "thx", "ty", "great thanks",
        "спасибо", "спасибо большое", "большое спасибо", "благодарю", "спс", "kiitos",
        "kiitti", "kiitos paljon", "paljon kiitoksia", "kiitoksia",
    ),
    SmallTalk.HOW_ARE_YOU: (
        "how are you", "how are you doing", "how is it going", "hows it going", "whats up",
        "как дела", "как ты", "как поживаешь", "как жизнь", "mitä kuuluu", "miten menee",
        "mites menee", "kuinka voit",
    ),
    SmallTalk.GOODBYE: (
        "bye", "goodbye", "see you", "bye bye", "пока", "до свидания", "всего доброго",
        "до встречи", "hei hei", "heippa", "moikka moikka", "näkemiin", "nähdään",
    ),
}  # fmt: skip
_INDEX = {" ".join(words(p)): kind for kind, phrases in _PHRASES.items() for p in phrases}


def small_talk(text: str) -> SmallTalk | None:
    """What kind of pleasantry `text` is, if it is nothing but one."""
    tokens = words(text)
    if not tokens or len(tokens) > MAX_WORDS:
        return None
    return _INDEX.get(" ".join(tokens))
