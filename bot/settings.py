"""Configuration from the environment or `.env`, validated with pydantic-settings."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.languages import BOT_LANGUAGES, DEFAULT_LANGUAGE
from bot.domain.privacy import LANGUAGE_SLOT, statement_path, statement_problem
from bot.domain.retention import RetentionPolicy
from bot.services.budgets import GROUP_BUDGET, USER_BUDGET
from bot.services.search import TIME_LIMIT as SEARCH_TIME_LIMIT

TOKEN_SHAPE = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_API_FILE_URL = "https://api.telegram.org/file/bot"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and says what was expected."""


def default_data_dir() -> Path:
    """Where the embedded SQLite file lives: $EMWP_DATA_DIR, else the XDG data home."""
    explicit = os.environ.get("EMWP_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "emwp-bot"


class Settings(BaseSettings):
    """Every setting the bot reads; names as SPEC.md gives them."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: Annotated[str, Field(min_length=1)] = DEFAULT_API_BASE_URL
    telegram_api_file_url: Annotated[str, Field(min_length=1)] = DEFAULT_API_FILE_URL
    database_url: str | None = None
    webhook_url: AnyHttpUrl | None = None
    webhook_secret: SecretStr | None = None
    # Webhook mode: where the server listens (behind the reverse proxy), and which proxies' forwarded
    # headers it believes; OPS_PORT serves /healthz, /readyz and /metrics in polling mode too.
    webhook_listen: Annotated[str, Field(min_length=1)] = "127.0.0.1"
    webhook_port: Annotated[int, Field(ge=1, le=65535)] = 8080
    forwarded_allow_ips: str = "127.0.0.1"
    ops_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    # /readyz is unready while the oldest due outbox row waited longer than this.
    ready_outbox_lag_seconds: Annotated[int, Field(ge=1, le=86_400)] = 300
    log_format: Literal["text", "json"] = "text"
    # Several processes: the lease of the background work lasts this long, renewed every third of it, so
    # a dead holder's sender and sweeps are taken over within 4/3 of it.
    background_lease_seconds: Annotated[int, Field(ge=3, le=600)] = 40
    # Several processes on PostgreSQL behind a load balancer: each update first reads its chat and user's
    # guided flows from the store (three short reads), so a flow's next step may reach another process.
    flows_across_processes: bool = False
    tz: str = "Europe/Brussels"
    log_level: str = "INFO"
    # The privacy statement /privacy shows (Telegram HTML); `{language}` in the path: one file a language.
    privacy_file: str | None = None
    # Retention periods (bot.domain.retention) and when the daily run starts, local time (TZ).
    retention_revoked_months: Annotated[int, Field(ge=1, le=1200)] = 24
    retention_payload_days: Annotated[int, Field(ge=1, le=36500)] = 30
    retention_request_days: Annotated[int, Field(ge=1, le=36500)] = 90
    retention_invite_days: Annotated[int, Field(ge=1, le=36500)] = 90
    retention_batch: Annotated[int, Field(ge=1, le=100_000)] = 1000
    retention_at: dt.time = dt.time(3, 30)
    # Abuse limits: expensive requests (searches, digests, country profiles, paging, previews) a user and a
    # group may make: `burst` at once, refilled at `per_minute`; and the time a search may take.
    expensive_per_minute: Annotated[int, Field(ge=1, le=10_000)] = USER_BUDGET.per_minute
    expensive_burst: Annotated[int, Field(ge=1, le=100_000)] = USER_BUDGET.burst
    group_expensive_per_minute: Annotated[int, Field(ge=1, le=10_000)] = GROUP_BUDGET.per_minute
    group_expensive_burst: Annotated[int, Field(ge=1, le=100_000)] = GROUP_BUDGET.burst
    search_time_limit_ms: Annotated[int, Field(ge=1, le=60_000)] = int(
        SEARCH_TIME_LIMIT.total_seconds() * 1000
    )

    @field_validator("tz")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        # POSIX allows ':Europe/Paris' and zoneinfo paths; keep the IANA name inside.
        value = value.removeprefix(":")
        if "/zoneinfo/" in value:
            value = value.split("/zoneinfo/", 1)[1]
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("an IANA time zone name such as Europe/Brussels") from exc
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        # The shape @BotFather gives: the bot's number, a colon, letters, digits, - and _. Never echoed.
        if value is None or not value.get_secret_value().strip():
            return None
        if not TOKEN_SHAPE.fullmatch(value.get_secret_value().strip()):
            raise ValueError(
                "the token @BotFather gave you, like 123456:ABC-DEF… (digits, a colon, then letters)"
            )
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_api_base_url", "telegram_api_file_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("an http:// or https:// URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("a sqlite:///PATH or postgresql://USER@HOST/DB URL")
        return value

    @field_validator("privacy_file")
    @classmethod
    def _privacy_file(cls, value: str | None) -> str | None:
        if not value:
            return None
        for language in BOT_LANGUAGES:
            path = Path(statement_path(value, language)).expanduser()
            if not path.is_file():
                if language == DEFAULT_LANGUAGE or LANGUAGE_SLOT not in value:
                    raise ValueError(f"a readable file (no file at {path})")
                continue  # another language falls back to the default one
            try:
                problem = statement_problem(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"a readable UTF-8 file ({path}: {exc})") from None
            if problem:
                raise ValueError(f"a statement Telegram can show ({path}, {problem})")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()):
            raise ValueError("16 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's secret_token)")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return upper

    def retention_policy(self) -> RetentionPolicy:
        """The retention periods these settings give."""
        return RetentionPolicy(
            revoked_member_months=self.retention_revoked_months,
            payload_days=self.retention_payload_days,
            refused_request_days=self.retention_request_days,
            expired_invite_days=self.retention_invite_days,
            batch_size=self.retention_batch,
        )

    def resolved_database_url(self) -> str:
        """The database to use: DATABASE_URL, else a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{default_data_dir() / 'emwp.sqlite3'}"


def load_settings(**overrides: object) -> Settings:
    """Read settings; turn pydantic's errors into one message naming each bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            reason = str(error["msg"]).removeprefix("Value error, ")
            lines.append(
                f"{name}: expected {reason}" if error["type"] == "value_error" else f"{name}: {reason}"
            )
        raise SettingsError("Invalid configuration:\n  " + "\n  ".join(lines)) from None
