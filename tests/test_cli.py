"""The command line: help, version, configuration errors and the missing token."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from bot import __version__
from bot.settings import ConfigError, load_settings


def concierge(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**clean, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version() -> None:
    result = concierge("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"concierge {__version__}")


@pytest.mark.parametrize("command", [[], ["run"], ["demo"], ["db"], ["db", "upgrade"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = concierge(*command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: concierge")


def test_run_without_a_token_explains_how_to_get_one(tmp_path: Path) -> None:
    result = concierge("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "@BotFather" in result.stderr
    assert "concierge demo" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [("BOT_TOKEN", "not-a-token"), ("WEB_PORT", "eighty"), ("ADMIN_IDS", "alice"),
     ("DEFAULT_LOCALE", "de"), ("DATABASE_URL", "mysql://x"), ("LOG_LEVEL", "LOUD"),
     ("DATABASE_URL", "sqlite+aiosqlite:////proc/no/such/dir/bot.db"),
     ("WEBHOOK_SECRET", "guessable"), ("WEBHOOK_SECRET", "no spaces or symbols: ;-)")],
)  # fmt: skip
def test_a_bad_setting_is_one_clear_line_and_exit_code_2(
    tmp_path: Path, variable: str, value: str
) -> None:
    result = concierge("run", env={"BOT_TOKEN": "1:TOKEN", variable: value}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"concierge: configuration error: {variable}:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("secret", [None, ""])
def test_webhook_mode_refuses_to_start_without_a_secret(tmp_path: Path, secret: str | None) -> None:
    """Without the secret anyone could post updates claiming to come from an admin."""
    env = {"BOT_TOKEN": "1:TOKEN", "WEBHOOK_URL": "https://bot.example.org"}
    if secret is not None:
        env["WEBHOOK_SECRET"] = secret
    result = concierge("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("concierge: configuration error: WEBHOOK_SECRET: required")
    assert len(result.stderr.strip().splitlines()) == 1


def test_settings_come_from_a_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("ADMIN_IDS=5, 6\nDEFAULT_LOCALE=fi\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("ADMIN_IDS", "DEFAULT_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.admin_ids, settings.default_locale) == (frozenset({5, 6}), "fi")
    with pytest.raises(ConfigError, match=r"^WEBHOOK_URL: must start with http"):
        load_settings(webhook_url="example.org")


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
    result = concierge("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert (tmp_path / "fresh.db").stat().st_size > 0


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.+?)\n```", readme, flags=re.S)
    run_command, test_command = blocks[0], blocks[1]
    assert run_command.endswith("concierge")
    assert test_command.endswith("pytest")
    assert test_command in (root / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_faq_ask_takes_its_words_as_one_question_quoted_or_not() -> None:
    quoted = concierge("faq", "ask", "--lang", "ru", "--json", "до скольки работает оазис")
    assert quoted.returncode == 0, quoted.stderr
    [answered] = map(json.loads, quoted.stdout.splitlines())
    assert answered["id"] == "oasis.hours" and answered["lang"] == "ru"
    assert answered["decision"] == "answer"
    assert 0 < answered["score"] <= 100 and answered["suggestions"] == []
    loose = concierge("faq", "ask", "--lang", "ru", "--json", "до", "скольки", "работает", "оазис")
    assert loose.stdout == quoted.stdout
    [refused] = map(json.loads, concierge("faq", "ask", "--json", "how", "to", "bake",
                                          "a", "cake").stdout.splitlines())  # fmt: skip
    assert refused["q"] == "how to bake a cake" and refused["id"] is None


def test_faq_ask_show_prints_the_answer_as_people_read_it() -> None:
    result = concierge("faq", "ask", "--show", "is", "there", "wifi", "in", "the", "oasis")
    assert result.returncode == 0, result.stderr
    first, *answer = result.stdout.splitlines()
    assert first.startswith("answer") and first.endswith("<- is there wifi in the oasis")
    assert answer and all(line.startswith("    ") or not line for line in answer)
    assert "<b>" not in result.stdout and "Wi-Fi" in result.stdout


def test_faq_ask_reads_questions_from_stdin() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "faq", "ask", "--json"],
        input="wifi in the oasis?\n\nmilloin oasis on auki\n",
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [
        "oasis.amenities", "oasis.hours"
    ]  # fmt: skip


def test_a_broken_knowledge_base_stops_run_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "oasis.yaml").write_text("category: oasis\nentries: [\n", encoding="utf-8")
    result = concierge("run", env={"BOT_TOKEN": "1:TOKEN", "KNOWLEDGE_DIR": str(tmp_path)},
                       cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"{tmp_path / 'oasis.yaml'}:3: not valid YAML")
    assert "Traceback" not in result.stderr


def test_run_with_telegram_unreachable_is_one_clear_line(tmp_path: Path) -> None:
    env = {"BOT_TOKEN": "1:TOKEN", "TELEGRAM_API_URL": "http://127.0.0.1:9"}
    result = concierge("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "concierge: configuration error: TELEGRAM_API_URL: cannot reach http://127.0.0.1:9"
    )
    assert len(result.stderr.strip().splitlines()) == 1


async def test_run_with_a_refused_token_is_one_clear_line(tmp_path: Path) -> None:
    """A Telegram stand-in that refuses every token, as Telegram does a revoked one."""

    async def refuse(_request: web.Request) -> web.Response:
        body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
        return web.json_response(body, status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        env = {"BOT_TOKEN": "1:REVOKED", "TELEGRAM_API_URL": f"http://127.0.0.1:{port}"}
        result = await asyncio.to_thread(concierge, "run", env=env, cwd=tmp_path)
    finally:
        await runner.cleanup()
    assert result.returncode == 2
    assert result.stderr.startswith(
        "concierge: configuration error: BOT_TOKEN: Telegram refused the token"
    )
    assert len(result.stderr.strip().splitlines()) == 1


def test_db_upgrade_against_an_unreachable_postgresql_is_one_clear_line(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://concierge@127.0.0.1:9/concierge"
    result = concierge("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("concierge: configuration error: DATABASE_URL: cannot open")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "command", [["run"], ["demo"], ["content", "check"], ["faq", "ask"], ["db", "upgrade"]]
)
def test_version_after_every_command(command: list[str]) -> None:
    result = concierge(*command, "--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"concierge {__version__}")


def test_only_the_default_sqlite_folder_is_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "bot.db"
    result = concierge(
        "db", "upgrade", env={"DATABASE_URL": f"sqlite+aiosqlite:///{missing}"}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"concierge: configuration error: DATABASE_URL: the folder {missing.parent} does not "
        "exist; create it first"
    )
    assert not missing.parent.exists()
    default = concierge("db", "upgrade", cwd=tmp_path)  # the default: ./data/concierge.db
    assert default.returncode == 0, default.stderr
    assert (tmp_path / "data" / "concierge.db").is_file()
