"""`concierge`: run the bot, try it in the sandbox demo, migrate the database."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.logs import configure_logging
from bot.settings import ConfigError, Settings, load_settings, prepare_database_folder
from content.loader import ContentError

NO_TOKEN = """\
BOT_TOKEN is not set.
To run the real bot, create one with @BotFather in Telegram (/newbot) and start with
    BOT_TOKEN=123456789:AAE... concierge run
To try the bot right now without a token or internet, run
    concierge demo"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="concierge",
        description="OpenINNO Concierge, the Telegram front desk of a pre-incubation programme. "
        "Without a command: the bot when BOT_TOKEN is set, otherwise the sandbox demo.",
    )
    parser.add_argument("--version", action="version", version=f"concierge {__version__}")
    # --version works after every command too (`concierge run --version`)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--version", action="version", version=f"concierge {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run",
        parents=[common],
        help="run the bot (long polling; webhook mode when WEBHOOK_URL is set)",
        description="Run the bot: long polling, or a webhook server when WEBHOOK_URL is set.",
    )
    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="chat with the bot in the terminal through a local sandbox Telegram",
        description="Start a local sandbox Telegram, run the bot against it and chat in the "
        "terminal: press a button with [N], switch person with /as entrepreneur|coach|admin.",
    )
    demo.add_argument(
        "--script",
        type=Path,
        metavar="FILE",
        help="run the conversation in FILE and print the transcript",
    )
    content = commands.add_parser(
        "content",
        parents=[common],
        help="the knowledge base",
        description="Work with the knowledge base.",
    )
    content_commands = content.add_subparsers(
        dest="content_command", metavar="ACTION", required=True
    )
    check = content_commands.add_parser(
        "check",
        parents=[common],
        help="validate the knowledge base",
        description="Validate the knowledge base and the places seed: schema, ids, languages, "
        "HTML, links between entries. Prints every problem with file and line; exit code 1 if "
        "there are any. Placeholders still to fill in ([address] …) and question titles a "
        "button cuts off are listed as warnings, which fail only with --strict.",
    )
    check.add_argument(
        "--strict",
        action="store_true",
        help="fail on warnings too (before going live: no placeholders left)",
    )
    check.add_argument(
        "directory",
        nargs="?",
        type=Path,
        metavar="DIR",
        help="the folder of *.yaml files (default: the shipped knowledge base)",
    )
    export = content_commands.add_parser(
        "export-learned",
        parents=[common],
        help="write the phrasings taught in the chat into the knowledge-base files",
        description="Append the phrasings the staff taught in /unanswered (read from "
        "DATABASE_URL) to their entries' phrasings in the knowledge-base files, skipping those "
        "already there; formatting and comments are kept. Prints what it adds per file; the "
        "database keeps its rows.",
    )
    export.add_argument(
        "--dry-run", action="store_true", help="print what would be added, write nothing"
    )
    export.add_argument(
        "directory",
        nargs="?",
        type=Path,
        metavar="DIR",
        help="the folder of *.yaml files (default: KNOWLEDGE_DIR, or the shipped knowledge base)",
    )
    faq = commands.add_parser(
        "faq", parents=[common], help="the FAQ search", description="Try the FAQ search."
    )
    faq_commands = faq.add_subparsers(dest="faq_command", metavar="ACTION", required=True)
    ask = faq_commands.add_parser(
        "ask",
        parents=[common],
        help="what the bot would answer",
        description="Show what the bot would answer to QUESTION (the words given, quoted or "
        "not, are one question), or to each line of standard input when none is given.",
    )
    ask.add_argument(
        "--lang",
        choices=["en", "ru", "fi"],
        default="en",
        help="the asker's language (default: en)",
    )
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--show", action="store_true", help="print the answer's text too")
    ask.add_argument("question", nargs="*", metavar="QUESTION")
    db = commands.add_parser(
        "db", parents=[common], help="database maintenance", description="Database maintenance."
    )
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser(
        "upgrade",
        parents=[common],
        help="apply the migrations up to the newest",
        description="Apply the database migrations up to the newest.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"concierge: configuration error: {exc}", file=sys.stderr)
        return 2
    command = args.command or ("run" if settings.bot_token else "demo")
    configure_logging(
        settings.log_level if command != "demo" else logging.WARNING, settings.log_format
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if command == "run":
            return _run(settings)
        if command == "content" and args.content_command == "export-learned":
            from bot.content_cli import export_learned

            directory = args.directory or settings.knowledge_dir
            return asyncio.run(export_learned(settings, directory, dry_run=args.dry_run))
        if command == "content":
            from bot.content_cli import check

            return check(args.directory or settings.knowledge_dir, strict=args.strict)
        if command == "faq":
            from bot.content_cli import ask

            questions = [" ".join(args.question)] if args.question else sys.stdin
            return ask(questions, args.lang, args.json, settings.knowledge_dir, show=args.show)
        if command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(settings, _read_script(getattr(args, "script", None))))
        return asyncio.run(_upgrade(settings))
    except ConfigError as exc:
        print(f"concierge: configuration error: {exc}", file=sys.stderr)
        return 2
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(
            "concierge: the knowledge base is broken; fix the problems above "
            "(`concierge content check` lists them)",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130


def _read_script(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--script: cannot read {path} ({exc})") from None


def _run(settings: Settings) -> int:
    if settings.bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from bot.service import serve

    asyncio.run(serve(settings))
    return 0


async def _upgrade(settings: Settings) -> int:
    from sqlalchemy.exc import DBAPIError

    from storage.engine import create_engine
    from storage.migrate import upgrade

    prepare_database_folder(settings)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    except (OSError, DBAPIError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        raise ConfigError(f"DATABASE_URL: cannot open the database ({reason})") from None
    finally:
        await engine.dispose()
    print("database is up to date")
    return 0
