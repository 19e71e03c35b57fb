"""Callback data as typed values: one frozen dataclass per kind of button, encoded and decoded here only.

A kind of button names its prefix and its fields:

    @dataclass(frozen=True)
    class FollowButton(CallbackData, prefix="fol"):
        action: Literal["on", "off"]
        kind: FollowKind
        target: str

`FollowButton("on", FollowKind.COUNTRY, "MA").data` is 'fol:on:country:MA' (Telegram allows 64 bytes);
`FollowButton.pattern` is the handler's pattern; `FollowButton.read(update)` decodes the data of the
button that was pressed, and refuses anything that does not decode into this kind exactly (forged,
outdated, malformed) with one `InvalidInput("error.stale")`. Fields are checked by their type: `int` is
an id (ASCII digits within the store's range), `bool` is 1 or 0, an `Enum` must name a member (by value,
or by name where a value holds the separator), a `Literal` one of its values, `str` anything without the
separator, `ChatId` a Telegram chat id (negative for groups); `X | None` allows '-' for None.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from enum import Enum
from typing import Any, ClassVar, Literal, NewType, Self, get_args, get_origin

from telegram import Update

from bot.domain.errors import InvalidInput
from bot.domain.ids import parse_id

SEP = ":"
NONE = "-"
MAX_BYTES = 64
ChatId = NewType("ChatId", int)  # a chat's id as Telegram gives it: groups' are negative, up to 52 bits
_CHAT_ID = re.compile(r"-?[0-9]{1,16}")
_PREFIXES: dict[str, type[CallbackData]] = {}
_FIELDS: dict[type[CallbackData], tuple[tuple[str, Any], ...]] = {}


class CallbackData:
    """The base of every kind of button data; subclasses are frozen dataclasses with a unique prefix."""

    prefix: ClassVar[str]
    pattern: ClassVar[str]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix in _PREFIXES:
            raise ValueError(f"callback prefix {prefix!r} is used twice")
        overlapping = [p for p in _PREFIXES if p.startswith(prefix + SEP) or prefix.startswith(p + SEP)]
        if overlapping:  # one kind's data would match the other's pattern
            raise ValueError(f"callback prefix {prefix!r} overlaps {overlapping[0]!r}")
        _PREFIXES[prefix] = cls
        cls.prefix = prefix
        cls.pattern = f"^{re.escape(prefix)}({SEP}|$)"

    @property
    def data(self) -> str:
        """The encoded data, within Telegram's 64 bytes."""
        values = [_encode(getattr(self, name)) for name, _ in _fields(type(self))]
        data = SEP.join([self.prefix, *values])
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def decode(cls, data: str | None) -> Self:
        """The value `data` encodes; InvalidInput('error.stale') if it is not exactly one of this kind."""
        if not data or not (data == cls.prefix or data.startswith(cls.prefix + SEP)):
            raise InvalidInput("error.stale")
        rest = data[len(cls.prefix) + 1 :]
        fields = _fields(cls)
        pieces = rest.split(SEP) if fields else ([] if not rest else [rest])
        if len(pieces) != len(fields):
            raise InvalidInput("error.stale")
        return cls(*(_decode(kind, piece) for (_, kind), piece in zip(fields, pieces, strict=True)))

    @classmethod
    def read(cls, update: Update) -> Self:
        """The data of the button pressed in this update, as this kind."""
        query = update.callback_query
        return cls.decode(query.data if query is not None else None)


def _fields(cls: type[CallbackData]) -> tuple[tuple[str, Any], ...]:
    """A kind's fields and their types, in order (resolved once)."""
    found = _FIELDS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _FIELDS[cls] = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    return found


def _encode(value: object) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Enum):
        return value.name if _by_name(type(value)) else str(value.value)
    text = str(value)
    if SEP in text or text == NONE:
        raise ValueError(f"a callback value cannot contain {SEP!r} or be {NONE!r}: {text!r}")
    return text


def _decode(kind: Any, piece: str) -> object:
    origin = get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        options = [k for k in get_args(kind) if k is not type(None)]
        if piece == NONE and type(None) in get_args(kind):
            return None
        if len(options) != 1:
            raise TypeError(f"unsupported callback field type {kind!r}")
        return _decode(options[0], piece)
    if origin is Literal:
        if piece in get_args(kind):
            return piece
        raise InvalidInput("error.stale")
    if kind is ChatId:
        if _CHAT_ID.fullmatch(piece):
            return ChatId(int(piece))
        raise InvalidInput("error.stale")
    if kind is bool:
        if piece in ("0", "1"):
            return piece == "1"
        raise InvalidInput("error.stale")
    if kind is int:
        number = parse_id(piece)
        if number is None:
            raise InvalidInput("error.stale")
        return number
    if kind is str:
        if not piece or piece == NONE:
            raise InvalidInput("error.stale")
        return piece
    if isinstance(kind, type) and issubclass(kind, Enum):
        by_name = _by_name(kind)
        for member in kind:
            if (member.name if by_name else str(member.value)) == piece:
                return member
        raise InvalidInput("error.stale")
    raise TypeError(f"unsupported callback field type {kind!r}")


def _by_name(kind: type[Enum]) -> bool:
    """Enums are written by value, unless a value holds the separator (TLP:AMBER): then by name."""
    return any(SEP in str(member.value) for member in kind)


def kinds() -> dict[str, type[CallbackData]]:
    """Every kind of button data by prefix (tests forge each kind with it)."""
    return dict(_PREFIXES)
