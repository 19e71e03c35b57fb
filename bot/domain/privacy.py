"""The privacy statement: checked as Telegram will show it, with the retention periods filled in.

The deployer's file (setting PRIVACY_FILE) is Telegram HTML: the tags Telegram shows, nothing else, so
that a typo is reported when the bot starts instead of making every /privacy fail. `{language}` in the
path picks a file per language; `{revoked_months}`, `{payload_days}`, `{request_days}` and
`{invite_days}` in the text are replaced by the configured retention periods.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser

from bot.domain.retention import RetentionPolicy

# https://core.telegram.org/bots/api#html-style
TELEGRAM_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote", "span"}
    | {"tg-spoiler", "tg-emoji"}
)
STATEMENT_LIMIT = 20_000  # characters: five messages at most
LANGUAGE_SLOT = "{language}"
BARE_AMPERSAND = re.compile(r"&(?![A-Za-z]+;|#[0-9]+;|#x[0-9A-Fa-f]+;)")


def statement_path(template: str, language: str) -> str:
    """The file of one language: `{language}` in the path replaced by the language code."""
    return template.replace(LANGUAGE_SLOT, language)


def fill(statement: str, policy: RetentionPolicy) -> str:
    """The statement with the retention periods it names."""
    values = {
        "revoked_months": policy.revoked_member_months,
        "payload_days": policy.payload_days,
        "request_days": policy.refused_request_days,
        "invite_days": policy.expired_invite_days,
    }
    return _replace(statement, values)


def _replace(text: str, values: Mapping[str, int]) -> str:
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def statement_problem(text: str) -> str | None:
    """Why Telegram could not show this statement, or None if it can."""
    if not text.strip():
        return "the statement is empty"
    if len(text) > STATEMENT_LIMIT:
        return f"the statement has {len(text)} characters; at most {STATEMENT_LIMIT} are shown"
    bare = BARE_AMPERSAND.search(text)
    if bare:
        line = text.count("\n", 0, bare.start()) + 1
        return f"line {line}: a bare & must be written &amp;"
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    if checker.problem is None and checker.open:
        return f"<{checker.open[-1][0]}> opened on line {checker.open[-1][1]} is never closed"
    return checker.problem


class _TagChecker(HTMLParser):
    """Finds the first tag Telegram would refuse: unknown, or closed out of order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, int]] = []
        self.problem: str | None = None

    def _fail(self, problem: str) -> None:
        if self.problem is None:
            self.problem = f"line {self.getpos()[0]}: {problem}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self._fail(f"<{tag}> is not a tag Telegram shows (use b, i, u, s, a, code, pre, blockquote)")
        self.open.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._fail(f"<{tag}/> is not a tag Telegram shows")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            self._fail(f"</{tag}> does not close the tag opened last")
            return
        self.open.pop()
