"""`concierge content check`: the shipped knowledge base passes, each kind of mistake is
reported with its file and line."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from bot.content_cli import check
from content.knowledge import KB_DIR
from content.loader import ContentError, load
from content.places import PLACES_FILE

GOOD = textwrap.dedent(
    """\
    category: oasis
    title: {en: Business Oasis, ru: Бизнес-оазис, fi: Business Oasis}
    entries:
      - id: oasis.hours
        actions: [book_desk]
        related: [oasis.wifi]
        en:
          question: When is the Oasis open?
          phrasings: [opening hours, what time does it close, open on saturday, hours please]
          keywords: [hours, open]
          answer: <b>Hours</b> Mon–Fri 9–18 &amp; by agreement.
        ru:
          question: Когда открыт оазис?
          phrasings: [часы работы, до скольки работает, открыто в субботу, режим работы]
          answer: <b>Часы работы</b> пн–пт 9–18.
        fi:
          question: Milloin Oasis on auki?
          phrasings: [aukioloajat, mihin asti auki, auki lauantaina, milloin auki]
          answer: <b>Aukioloajat</b> ma–pe 9–18.
      - id: oasis.wifi
        en:
          question: Is there Wi-Fi?
          phrasings: [wifi password, internet, wireless, network name]
          answer: Yes, ask the staff for the password.
        ru:
          question: Есть ли Wi-Fi?
          phrasings: [пароль от вайфая, интернет, беспроводная сеть, вайфай]
          answer: Да, пароль у администратора.
        fi:
          question: Onko Wi-Fi?
          phrasings: [wifin salasana, netti, langaton verkko, verkon nimi]
          answer: Kyllä, kysy salasana henkilökunnalta.
    """
)


def filled_places(tmp_path: Path) -> Path:
    """The shipped places with their addresses filled in: a check that warns about nothing."""
    path = tmp_path / "places.yaml"
    path.write_text(PLACES_FILE.read_text("utf-8").replace("[address]", "Kauppakatu 1"), "utf-8")
    return path


def write(tmp_path: Path, text: str, name: str = "oasis.yaml") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def problems(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load(directory)
    return [str(p) for p in caught.value.problems]


def test_the_shipped_knowledge_base_passes() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert check(KB_DIR, out=out, err=err) == 0, err.getvalue()
    assert out.getvalue().rstrip().endswith("OK")
    notes = err.getvalue().splitlines()
    assert all(line.endswith("(warning)") for line in notes[:-1]), notes
    assert not any("a button shows" in line for line in notes), notes  # every title fits


def test_placeholders_are_warnings_that_fail_only_when_strict(tmp_path: Path) -> None:
    folder = write(tmp_path / "kb", GOOD.replace("Mon–Fri 9–18", "Mon–Fri [hours], [address]"))
    places = filled_places(tmp_path)
    err = io.StringIO()
    assert check(folder, out=io.StringIO(), err=err, places=places) == 0
    lines = err.getvalue().splitlines()
    assert lines[:2] == [
        f"{folder / 'oasis.yaml'}:11: oasis.hours (en): placeholder [hours] still to be "
        "filled in before going live (warning)",
        f"{folder / 'oasis.yaml'}:11: oasis.hours (en): placeholder [address] still to be "
        "filled in before going live (warning)",
    ]
    assert lines[-1].startswith("2 warning(s): what the curator fills in before going live")
    assert check(folder, out=io.StringIO(), err=io.StringIO(), places=places, strict=True) == 1
    fine = write(tmp_path / "kb", GOOD)
    assert check(fine, out=io.StringIO(), err=io.StringIO(), places=places, strict=True) == 0


def test_a_placeholder_is_written_the_same_in_every_language(tmp_path: Path) -> None:
    found = problems(write(tmp_path, GOOD.replace("пн–пт 9–18", "[адрес], пн–пт 9–18")))
    assert any(
        ":15: oasis.hours (ru): [адрес]: write a placeholder as one of [address]" in p
        for p in found
    ), found


def test_a_question_title_a_button_cuts_off_is_a_warning(tmp_path: Path) -> None:
    long_title = "When is the Business Oasis in Lappeenranta open on weekdays?"
    assert len(long_title) > 56
    folder = write(tmp_path / "kb", GOOD.replace("When is the Oasis open?", long_title))
    err = io.StringIO()
    assert check(folder, out=io.StringIO(), err=err, places=filled_places(tmp_path)) == 0
    assert (
        f"{folder / 'oasis.yaml'}:8: oasis.hours (en): the question has {len(long_title)} "
        "characters; a button shows 56, so it will be cut off: shorten it (warning)"
    ) in err.getvalue().splitlines()


@pytest.mark.parametrize("action", ["book_trip", "admin"])
def test_a_button_to_a_flow_that_does_not_exist_is_refused(tmp_path: Path, action: str) -> None:
    found = problems(write(tmp_path, GOOD.replace("actions: [book_desk]", f"actions: [{action}]")))
    assert any(f"unknown action '{action}'" in p for p in found), found


def test_a_good_file_loads(tmp_path: Path) -> None:
    knowledge = load(write(tmp_path, GOOD))
    assert list(knowledge.entries) == ["oasis.hours", "oasis.wifi"]
    assert knowledge.entries["oasis.hours"].text("fi").question == "Milloin Oasis on auki?"


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("  - id: oasis.wifi", "  - id: oasis.hours", 20, "already used at"),
        ("      answer: Да, пароль у администратора.\n", "", 26, "answer is empty"),
        ("answer: <b>Hours</b>", "answer: <b>Hours</i>", 11, "does not match"),
        ("&amp; by agreement", "& by agreement", 11, "must be written &amp;"),
        ("Yes, ask the staff", '<a href="javascript:x">Yes</a>, ask', 24, "must start with https"),
        ("Yes, ask the staff", "<p>Yes</p>, ask", 24, "not supported by Telegram"),
        ("related: [oasis.wifi]", "related: [oasis.nowhere]", 6, "does not exist"),
        ("actions: [book_desk]", "actions: [fly_away]", 5, "unknown action 'fly_away'"),
        ("      keywords: [hours, open]", "      keyword: [hours]", 10, "unknown field"),
        ("[aukioloajat, mihin asti auki, auki lauantaina, milloin auki]", "[aukioloajat]",
         18, "at least 4 phrasings"),
        ("category: oasis", "category: desks", 1, "must be 'oasis'"),
        ("  - id: oasis.wifi", "  - id: Oasis WiFi", 20, "must look like"),
        ("  question: Is there Wi-Fi?", "  question: ''", 22, "question is empty"),
    ],
    ids=["duplicate-id", "empty-answer", "bad-nesting", "bare-ampersand", "bad-link", "bad-tag",
         "unknown-related", "unknown-action", "unknown-field", "few-phrasings", "wrong-category",
         "bad-id", "empty-question"],
)  # fmt: skip
def test_each_mistake_is_reported_with_file_and_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in GOOD
    found = problems(write(tmp_path, GOOD.replace(old, new, 1)))
    assert any(
        p.startswith(f"{tmp_path / 'oasis.yaml'}:{line}:") and message in p for p in found
    ), found


def test_a_missing_language_is_reported(tmp_path: Path) -> None:
    broken = GOOD.replace(
        "    fi:\n      question: Onko Wi-Fi?",
        "    sv:\n      question: Finns det Wi-Fi?",
    )
    found = problems(write(tmp_path, broken))
    assert any(":20: oasis.wifi: the fi text is missing" in p for p in found), found


def test_a_too_long_answer_is_reported(tmp_path: Path) -> None:
    broken = GOOD.replace("Yes, ask the staff for the password.", "x" * 4100)
    found = problems(write(tmp_path, broken))
    assert any(":24:" in p and "Telegram allows 4096" in p for p in found), found


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    found = problems(write(tmp_path, GOOD.replace("related: [oasis.wifi]", "related: [oasis.wifi")))
    assert any(p.startswith(f"{tmp_path / 'oasis.yaml'}:") and "not valid YAML" in p for p in found)


def test_check_prints_every_problem_and_exits_1(tmp_path: Path) -> None:
    broken = GOOD.replace("actions: [book_desk]", "actions: [fly]").replace("&amp;", "&")
    err = io.StringIO()
    folder, places = write(tmp_path / "kb", broken), filled_places(tmp_path)
    assert check(folder, out=io.StringIO(), err=err, places=places) == 1
    lines = err.getvalue().splitlines()
    assert lines[-1] == "2 problem(s) found"
    assert all(line.startswith(str(folder)) for line in lines[:-1])


def test_an_empty_folder_is_not_a_knowledge_base(tmp_path: Path) -> None:
    assert "no *.yaml files" in problems(tmp_path)[0]
