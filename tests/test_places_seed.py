"""The places seed: the shipped file loads, each kind of mistake is reported with its line."""

from __future__ import annotations

import io
import textwrap
from dataclasses import replace
from datetime import date, time
from pathlib import Path

import pytest

from bot.content_cli import check
from content.knowledge import KB_DIR
from content.loader import ContentError, Problem
from content.places import FEATURES, PLACES_FILE, RulesSeed, load_places

GOOD = textwrap.dedent(
    """\
    places:
      - key: lpr
        timezone: Europe/Helsinki
        country: FI
        name: {en: Business Oasis Lappeenranta, ru: Бизнес-оазис, fi: Business Oasis}
        address: {en: "[address]", ru: "[address]", fi: "[address]"}
        hours:
          mon: "09:00-18:00"
          tue: 9:00-17:00
          wed: [08:30, 16:00]
        closed:
          - date: 2027-02-19
            reason: {en: Staff training day, ru: Обучение сотрудников, fi: Koulutuspäivä}
        zones:
          - key: open
            name: {en: Open space, ru: Открытое пространство, fi: Avotila}
        desks:
          - {key: a1, label: A1, zone: open, features: [monitor, window]}
          - {key: a2, label: A2, zone: open}
    """
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "places.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_places_load() -> None:
    places = load_places()
    assert {p.key: p.timezone for p in places} == {"spb": "Europe/Moscow", "lpr": "Europe/Helsinki"}
    check_in = {place.key: place.rules.check_in for place in places}
    assert check_in == {"spb": None, "lpr": (time(10, 30), time(13, 30))}  # Lappeenranta asks
    for place in places:
        assert place.desks and replace(place.rules, check_in=None) == RulesSeed()
        assert {d.zone for d in place.desks} <= {z.key for z in place.zones}
        assert all(set(d.features) <= set(FEATURES) for d in place.desks)
        assert sorted(place.hours) == [0, 1, 2, 3, 4]


def test_a_good_file_loads_with_every_way_of_writing_hours(tmp_path: Path) -> None:
    (place,) = load_places(write(tmp_path, GOOD))
    assert place.hours == {
        0: (time(9), time(18)),
        1: (time(9), time(17)),
        2: (time(8, 30), time(16)),
    }
    assert place.closed[0].day == date(2027, 2, 19)
    assert place.closed[0].reasons["fi"] == "Koulutuspäivä"
    assert [(d.key, d.features) for d in place.desks] == [
        ("a1", ("monitor", "window")),
        ("a2", ()),
    ]
    assert (place.rules.reminder_time, place.rules.check_in) == (time(18), None)  # defaults


def test_check_in_and_the_reminder_hour_are_read_per_location(tmp_path: Path) -> None:
    rules = '    rules: {reminder_time: "19:30", check_in: {afternoon: "14:00"}}\n'
    (place,) = load_places(write(tmp_path, GOOD.replace("    hours:", rules + "    hours:", 1)))
    assert place.rules.reminder_time == time(19, 30)
    assert place.rules.check_in == (time(10, 30), time(14))  # the morning one by default


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("    country: FI", "    contry: FI", 4, "unknown field 'contry'"),
        ("Europe/Helsinki", "Europe/Lappeenranta", 3, "unknown time zone"),
        ("country: FI", "country: XX", 4, "country 'XX'"),
        ("ru: Бизнес-оазис, fi: Business Oasis}", "ru: Бизнес-оазис}", 5, "name is missing fi"),
        ('mon: "09:00-18:00"', 'mon: "09:00-12:30"', 8, "close after it"),
        ('mon: "09:00-18:00"', "mon: nine to six", 8, '"09:00-18:00" in quotes'),
        ("zone: open, features: [monitor", "zone: opne, features: [monitor", 18,
         "there is no zone 'opne'"),
        ("{key: a2, label: A2", "{key: a1, label: A2", 19, "key a1 is already used at line 18"),
        ("features: [monitor, window]", "features: [monitor, sofa]", 18, "features must be"),
        ("date: 2027-02-19", "date: 2027-02-30", 12, "not a date"),
        ("{key: a2, label: A2", "{key: A2, label: A2", 19, "key 'A2' must be lowercase"),
        ("label: A2", "label: A1", 19, "label A1 is used at line 18"),
        ("places:\n  - key: lpr", "places:\n  - key: lpr\n    rules: {max_active: 0}", 3,
         "max_active must be 1..50"),
        ("places:\n  - key: lpr", "places:\n  - key: lpr\n    rules: {reminder_time: 6pm}", 3,
         'reminder_time must be "HH:MM"'),
        ("places:\n  - key: lpr",
         "places:\n  - key: lpr\n    rules:\n      check_in: {morning: \"13:15\"}", 4,
         "check_in morning must be \"HH:MM\" before 13:00"),
        ("timezone: Europe/Helsinki", "timezone: Europe: Helsinki", 3, "not valid YAML"),
    ],
    ids=["unknown-key", "bad-timezone", "bad-country", "missing-finnish", "closes-before-13",
         "unreadable-hours", "unknown-zone", "duplicate-desk", "unknown-feature", "bad-date",
         "bad-key", "duplicate-label", "bad-rule", "bad-reminder-time", "late-check-in",
         "bad-yaml"],
)  # fmt: skip
def test_each_mistake_is_reported_with_its_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ContentError) as caught:
        load_places(path)
    found = [str(p) for p in caught.value.problems]
    assert any(p.startswith(f"{path}:{line}:") and message in p for p in found), found


def test_check_reports_the_places_seed_too(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert check(KB_DIR, out=out, err=err) == 0, err.getvalue()
    assert f"{PLACES_FILE}: 2 locations, 18 desks: OK" in out.getvalue().splitlines()
    broken = write(tmp_path, GOOD.replace("Europe/Helsinki", "Mars/Olympus"))
    err = io.StringIO()
    assert check(KB_DIR, out=out, err=err, places=broken) == 1
    notes = ("(warning)", "before going live (README, “Before going live”)")
    assert [line for line in err.getvalue().splitlines() if not line.endswith(notes)] == [
        f"{broken}:3: lpr: unknown time zone 'Mars/Olympus'",
        "1 problem(s) found",
    ]


def test_an_address_placeholder_is_a_warning_and_a_translated_one_an_error(
    tmp_path: Path,
) -> None:
    warnings: list[Problem] = []
    load_places(write(tmp_path, GOOD), warnings)
    assert [str(w) for w in warnings][:1] == [
        f"{tmp_path / 'places.yaml'}:6: lpr: address (en): placeholder [address] still to be "
        "filled in before going live"
    ]
    with pytest.raises(ContentError) as caught:
        load_places(write(tmp_path, GOOD.replace('ru: "[address]"', 'ru: "[адрес]"')))
    assert any("[адрес]: write a placeholder as one of [address]" in str(p)
               for p in caught.value.problems)  # fmt: skip
