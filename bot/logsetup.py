"""Logging for the `emwp-bot` command: secrets never reach a log line; text or JSON lines."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from pythonjsonlogger.json import JsonFormatter

REDACTED = "[redacted]"
# An invitation token travels as a /start payload or in a deep link: whatever follows is never logged.
INVITATION = re.compile(r"(/start(?:@\w+)?\s+|[?&]start=)[A-Za-z0-9_-]+")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


class RedactSecrets(logging.Filter):
    """Replaces every occurrence of the given secrets, and any invitation token, in a record's message and
    traceback (rendered once here, so every formatter prints the redacted text)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the record once, redacted; keep it."""
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None  # formatters print exc_text, the redacted one
        record.msg, record.args = self.redact(record.getMessage()), None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True

    def redact(self, text: str) -> str:
        """The text without the secrets and invitation tokens."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return INVITATION.sub(lambda m: m.group(1) + REDACTED, text)


def configure_logging(level: int, secrets: Iterable[str] = (), log_format: str = "text") -> None:
    """Log to stderr at `level` with secrets redacted, as text or one JSON object a line; no httpx request
    lines (their URLs hold the token)."""
    logging.basicConfig(level=level, format=TEXT_FORMAT)
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
        if log_format == "json":
            handler.setFormatter(json_formatter())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def json_formatter() -> logging.Formatter:
    """One JSON object a line: time, level, logger, message, and a record's extra fields (an update's id,
    chat, action, outcome and duration)."""
    return JsonFormatter(
        JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}
    )
