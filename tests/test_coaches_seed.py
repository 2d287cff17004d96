"""The coaches seed: the shipped file loads, and every mistake in it is reported with its line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.content_cli import check
from content.coaches import COACHES_FILE, load_coaches
from content.loader import ContentError
from content.places import load_places

PLACES = load_places()
GOOD = """\
coaches:
  - key: anna
    user_id: 42
    name: Anna Coach
    bio: Helps with plans.
    expertise: [funding]
    languages: [en]
    location: lpr
    hours:
      tue: ["14:00-17:00"]
"""


def test_the_shipped_coaches_differ_and_one_meets_online_only() -> None:
    coaches = load_coaches(COACHES_FILE, PLACES)
    assert len(coaches) == 3
    assert [c.key for c in coaches if c.location is None and c.online] == ["laura"]
    assert len({c.expertise for c in coaches}) == 3 and len({c.languages for c in coaches}) == 3
    assert len({c.location for c in coaches}) == 3


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "coaches.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_coaches(path, PLACES)
    return [f"{p.line}: {p.message}" for p in error.value.problems]


def test_a_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "coaches.yaml"
    path.write_text(GOOD, encoding="utf-8")
    [coach] = load_coaches(path, PLACES)
    assert (coach.timezone, coach.country, coach.session_minutes) == ("Europe/Helsinki", "FI", 60)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    bio: Helps with plans.\n",
            "    bio: Helps.\n    colour: red\n",
            "6: unknown field 'colour'",
        ),
        ("key: anna", "key: Anna!", "2: coach: key 'Anna!' must be lowercase"),
        ("[funding]", "[funding, cooking]", "6: anna: unknown expertise cooking"),
        ("[en]", "[en, de]", "7: anna: unknown languages de"),
        ("location: lpr", "location: tallinn", "8: anna: location 'tallinn' is not a place"),
        ("    location: lpr\n", "", "2: anna: a coach meets somewhere"),
        (
            "location: lpr",
            "location: lpr\n    online: true\n    meeting_link: http://x.org",
            "10: anna: online needs a meeting_link",
        ),
        (
            "location: lpr",
            "online: true\n    meeting_link: https://x.org/a",
            "timezone None must be an IANA time zone",
        ),
        (
            "location: lpr",
            "location: lpr\n    timezone: Mars/Olympus",
            "9: anna: timezone 'Mars/Olympus'",
        ),
        (
            '"14:00-17:00"',
            '"14:02-17:00"',
            "10: anna: tue: 14:02-17:00: windows start and end on five-minute steps",
        ),
        (
            '"14:00-17:00"',
            '"14:00-14:30"',
            "10: anna: tue: 14:00-14:30: shorter than one session of 60 min",
        ),
        (
            '"14:00-17:00"',
            '"14:00-17:00", "16:00-18:00"',
            "10: anna: tue: 16:00-18:00: overlaps another window",
        ),
        ('"14:00-17:00"', '"17:00-14:00"', "10: anna: tue: 17:00-14:00: shorter than one session"),
        ('"14:00-17:00"', '"2pm-5pm"', '10: anna: tue: write each window as "14:00-17:00"'),
        (
            "location: lpr",
            "location: lpr\n    session_minutes: 50",
            "9: anna: session_minutes must be one of 30, 45, 60",
        ),
        (
            "location: lpr",
            "location: lpr\n    notice_hours: 0",
            "9: anna: notice_hours must be 1..168",
        ),
        ("Helps with plans.", "x" * 501, "5: anna: bio must be 1..500 characters"),
        ("coaches:", "coaches: [", "not valid YAML"),
    ],
)
def test_every_mistake_is_reported_with_its_line(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    found = problems(tmp_path, GOOD.replace(old, new))
    assert any(expected in problem for problem in found), found


def test_a_repeated_key_or_id_is_reported(tmp_path: Path) -> None:
    twice = GOOD + GOOD.split("coaches:\n")[1]
    found = problems(tmp_path, twice)
    assert any("key anna is already used at line 2" in p for p in found), found
    assert any("user_id 42 is already used at line 3" in p for p in found), found


def test_content_check_reports_a_broken_coaches_file(tmp_path: Path) -> None:
    path = tmp_path / "coaches.yaml"
    path.write_text(GOOD.replace("[funding]", "[cooking]"), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert check(None, out, err, coaches=path) == 1
    assert "unknown expertise cooking" in err.getvalue()
    assert check(None, io.StringIO(), io.StringIO()) == 0


async def test_the_seed_is_written_once_and_the_coachs_own_changes_stay(tmp_path: Path) -> None:
    from bot.app import open_runtime
    from bot.settings import load_settings
    from storage.coaching.tables import Coach, CoachWindow
    from storage.engine import unit_of_work

    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/seed.db", coaches_file=COACHES_FILE
    )
    runtime = await open_runtime(settings)
    async with unit_of_work(runtime.factory) as session:
        mikko = await session.get(Coach, 2001)
        assert mikko is not None and mikko.name == "Mikko Virtanen" and mikko.online
        mikko.name = "Mikko V."
    await runtime.close()
    runtime = await open_runtime(settings)  # a restart
    async with unit_of_work(runtime.factory) as session:
        mikko = await session.get(Coach, 2001)
        assert mikko is not None and mikko.name == "Mikko V."
        windows = (await session.scalars(CoachWindow.__table__.select())).all()
        assert len(windows) == 14
    await runtime.close()
