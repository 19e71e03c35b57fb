"""Settings: defaults, and every bad value reported by name with what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_API_BASE_URL, SettingsError, load_settings

ENV = (
    "TELEGRAM_BOT_TOKEN",
    "DATABASE_URL",
    "TZ",
    "WEBHOOK_URL",
    "TELEGRAM_API_BASE_URL",
    "LOG_LEVEL",
    "EMWP_DATA_DIR",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_use_a_sqlite_file_in_the_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EMWP_DATA_DIR", str(tmp_path / "data"))
    settings = load_settings()
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'data' / 'emwp.sqlite3'}"
    assert settings.telegram_api_base_url == DEFAULT_API_BASE_URL
    assert settings.tz == "Europe/Brussels"
    assert settings.telegram_bot_token is None


def test_values_come_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=123:abc\nTZ=Europe/Paris\n", encoding="utf-8")
    settings = load_settings()
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)
    assert settings.tz == "Europe/Paris"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TZ", "Mars/Olympus", "TZ: expected an IANA time zone name"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: expected a sqlite:///PATH or postgresql://"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL: expected an http:// or https:// URL"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: expected one of DEBUG"),
        ("WEBHOOK_URL", "not a url", "WEBHOOK_URL:"),
        ("EXPENSIVE_BURST", "0", "EXPENSIVE_BURST: Input should be greater than or equal to 1"),
        ("SEARCH_TIME_LIMIT_MS", "soon", "SEARCH_TIME_LIMIT_MS: Input should be a valid integer"),
    ],
)
def test_a_bad_value_is_named_with_what_was_expected(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match="Invalid configuration") as raised:
        load_settings()
    assert expected in str(raised.value)
    assert value not in str(raised.value) or name == "WEBHOOK_URL"


def test_postgres_urls_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    assert load_settings().resolved_database_url() == "postgresql://postgres@127.0.0.1:5432/test"


@pytest.mark.parametrize("value", [":Europe/Paris", "/usr/share/zoneinfo/Europe/Paris"])
def test_posix_forms_of_tz_are_understood(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TZ", value)
    assert load_settings().tz == "Europe/Paris"
