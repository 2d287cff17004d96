"""Runtime configuration from the environment and `.env`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/concierge.db"  # ./data/ is made if missing
LOCALES = ("en", "ru", "fi")
# What Telegram accepts as a webhook secret, at a length nobody guesses.
WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


class ConfigError(Exception):
    """A setting has a value the bot cannot run with; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_locale: Literal["en", "ru", "fi"] = "en"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text", description="json: one JSON object a line, for a log collector"
    )
    knowledge_dir: Path | None = None
    places_file: Path | None = None
    coaches_file: Path | None = None
    events_file: Path | None = None
    throttle_rate: float = Field(default=3.0, gt=0, description="messages per second per user")
    send_rate: float = Field(
        default=25.0, gt=0, le=1000, description="messages per second the bot sends on its own"
    )
    delivery_lease_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="how long a claimed message is its sender's before another may take it",
    )
    throttle_burst: int = Field(default=5, ge=1)
    max_concurrent_updates: int = Field(
        default=32, ge=1, le=1000, description="updates handled at once by one instance"
    )
    retention_days: int = Field(
        default=365,
        ge=30,
        description="question texts and audit entries older than this are anonymised",
    )

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = value.replace(",", " ").split()
            if not all(part.isdigit() for part in parts):
                raise ValueError("expected numeric Telegram user ids separated by commas")
            return frozenset(int(part) for part in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        bot_id, _, secret = value.get_secret_value().partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("expected the form 123456789:AAE... that @BotFather gives")
        return value

    @field_validator("telegram_api_url", "webhook_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else None

    @field_validator("database_url")
    @classmethod
    def _check_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not WEBHOOK_SECRET_RE.match(value.get_secret_value()):
            raise ValueError("use 16 to 256 characters of A-Z a-z 0-9 _ - (openssl rand -hex 32)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_SECRET: required when WEBHOOK_URL is set, or anyone could post updates "
                "as any user (16 to 256 characters of A-Z a-z 0-9 _ -; openssl rand -hex 32)"
            )
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def sqlite_path(self) -> Path | None:
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url.removeprefix(prefix))
        return None


def prepare_database_folder(settings: Settings) -> None:
    """The default SQLite folder (./data/) is created when missing; any other SQLite path must
    be in a folder that exists (a typo should not scatter databases over the disk)."""
    path = settings.sqlite_path
    if path is None or path.parent.is_dir():
        return
    if settings.database_url == DEFAULT_DATABASE_URL:
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    raise ConfigError(f"DATABASE_URL: the folder {path.parent} does not exist; create it first")


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value raises ConfigError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        reason = str(error["msg"]).removeprefix("Value error, ")
        if not error["loc"]:  # a rule across settings names its variables itself
            raise ConfigError(reason) from None
        raise ConfigError(f"{str(error['loc'][0]).upper()}: {reason}") from None
