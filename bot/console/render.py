"""Turns the bot's HTML messages and inline keyboards into terminal text."""

from __future__ import annotations

import html
import re
from typing import Any

TAG = re.compile(
    r"<(/?)(b|strong|i|em|u|ins|s|strike|del|code|pre|blockquote|tg-spoiler|span|a)\b[^>]*>", re.I
)
BOLD, ITALIC, RESET = "\x1b[1m", "\x1b[3m", "\x1b[0m"


def html_to_terminal(text: str, *, color: bool) -> str:
    """Telegram HTML as terminal text: bold and italic as ANSI when `color`, links as 'text (url)'."""
    text = re.sub(
        r'<a\s+href="([^"]*)"\s*>(.*?)</a>', lambda m: f"{m.group(2)} ({m.group(1)})", text, flags=re.S
    )

    def style(match: re.Match[str]) -> str:
        if not color:
            return ""
        closing, tag = match.group(1), match.group(2).lower()
        if closing:
            return RESET
        return BOLD if tag in ("b", "strong") else ITALIC if tag in ("i", "em") else ""

    return html.unescape(TAG.sub(style, text))


def keyboard_buttons(reply_markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The inline buttons of a message, row by row, left to right."""
    if not reply_markup:
        return []
    return [button for row in reply_markup.get("inline_keyboard", []) for button in row]


def render_buttons(buttons: list[dict[str, Any]]) -> str:
    """Numbered buttons, '[1] label', URL buttons with their link."""
    parts = []
    for number, button in enumerate(buttons, start=1):
        label = button.get("text", "")
        parts.append(f"[{number}] {label}" + (f" ({button['url']})" if "url" in button else ""))
    return "   ".join(parts)
