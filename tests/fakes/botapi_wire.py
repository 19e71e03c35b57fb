"""A Bot API request as the test servers read it: the token and method from the path, and the parameters
from the query string and a urlencoded, multipart or JSON body, decoded as PTB's `HTTPXRequest` encodes
them (JSON inside form fields, integers and booleans as text). One reading for every fake server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Final
from urllib.parse import parse_qsl

__all__ = ["Upload", "parse_params", "route"]

# Form fields whose values PTB sends JSON-encoded, fields that are integers, and fields that are booleans.
JSON_FIELDS: Final = frozenset(
    {
        "allowed_updates",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "reply_markup",
        "reply_parameters",
        "scope",
    }
)
INT_FIELDS: Final = frozenset(
    {"chat_id", "from_chat_id", "message_id", "message_thread_id", "limit", "offset", "timeout"}
)
BOOL_FIELDS: Final = frozenset(
    {
        "disable_notification",
        "disable_web_page_preview",
        "drop_pending_updates",
        "protect_content",
        "show_alert",
        "show_caption_above_media",
        "allow_paid_broadcast",
    }
)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart request: recorded by name, type and size, not content."""

    filename: str
    content_type: str
    size: int


def route(path: str) -> tuple[str, str] | None:
    """(token, method) of a path `/bot<token>/<method>`; None for any other path."""
    parts = path.split("/")
    if len(parts) != 3 or parts[0] or not parts[1].startswith("bot"):
        return None
    return parts[1][3:], parts[2]


def parse_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """The request's parameters, decoded; ValueError (or UnicodeDecodeError) if the body is malformed."""
    raw: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
    if body:
        kind = content_type.split(";", 1)[0].strip().lower()
        if kind == "application/json":
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise ValueError("a JSON body must be an object")
            raw.update(decoded)
        elif kind == "multipart/form-data":
            raw.update(_parse_multipart(content_type, body))
        else:
            raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return {name: _decode_value(name, value) for name, value in raw.items()}


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    if "boundary=" not in content_type.lower():
        raise ValueError("multipart body without boundary")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("malformed multipart body")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        fields[name] = (
            Upload(filename, _content_type(part), len(content))
            if filename is not None
            else content.decode("utf-8")
        )
    return fields


def _content_type(part: Message) -> str:
    return part.get_content_type() if part.get("content-type") else "application/octet-stream"


def _decode_value(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. a chat_id given as @channelusername
    if name in JSON_FIELDS:
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"can't parse {name} JSON object") from exc
    if name in BOOL_FIELDS and value in ("true", "false"):
        return value == "true"
    return value
