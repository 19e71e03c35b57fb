"""The one check every typed text passes before a service keeps it, looks it up or searches for it.

Control characters (C0 and C1, DEL) show as nothing, cannot be stored by PostgreSQL (NUL) or break
what reads them later (a CSV cell, a log line); lone surrogates cannot be encoded at all. A text that
may have lines keeps its line breaks and tabs; a one-line value (a name, a reference, a time zone) may not.
"""

from __future__ import annotations

import re

from bot.domain.errors import InvalidInput

_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def check_typed(text: str, *, lines: bool = True) -> str:
    """`text` unchanged when it holds no control character (line breaks and tabs allowed when `lines`).

    Otherwise InvalidInput naming the first one found and where: the sender can find and remove it.
    """
    found = (_CONTROL_BUT_LINES if lines else _ANY_CONTROL).search(text)
    if found is None:
        return text
    char = found.group()
    if char in "\n\t":
        raise InvalidInput("input.one_line")
    raise InvalidInput("input.control", code=f"U+{ord(char):04X}", position=found.start() + 1)
