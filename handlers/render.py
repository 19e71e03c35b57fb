"""Rendering shared by the information views: updates with their TLP label first, safe lengths."""

from __future__ import annotations

import html
import re

from bot.domain.model import Initiative, InitiativeHeadline, Update, Viewer
from handlers.dates import local_date
from handlers.texts import t

LIMIT = 4096
SNIPPET = 400


def esc(text: str | None) -> str:
    """User or reference text, escaped for Telegram HTML."""
    return html.escape(text or "", quote=False)


def plain(markup: str) -> str:
    """Telegram HTML as plain text (tags dropped, entities decoded), for a one-line summary."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def link(url: str, label: str | None = None) -> str:
    """An http(s) link as HTML; anything else is shown as plain text."""
    shown = esc(shorten(label or url, 60))
    if not url.startswith(("http://", "https://")):
        return shown
    return f'<a href="{html.escape(url, quote=True)}">{shown}</a>'


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return (cut or text[: limit - 1]) + "…"


def shorten_escaped(markup: str, limit: int) -> str:
    """Escaped text cut to `limit` characters without breaking an entity like '&amp;'."""
    if len(markup) <= limit:
        return markup
    cut = markup[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def update_block(
    viewer: Viewer, update: Update, ref: str | None = None, full: bool = False, limit: int = SNIPPET
) -> str:
    """'[TLP:AMBER] 2026-11-20 · FR · progress' then the text: the label always stands first."""
    lang = viewer.language
    head = [
        f"<b>[{update.tlp.value}]</b> {local_date(update.created_at, viewer)}",
        update.delegation_code,
        t(lang, f"kind.{update.kind.value}"),
    ]
    if ref:
        head.append(f"<code>{esc(ref)}</code>")
    if update.edited_at:
        head.append(t(lang, "update.edited"))
    body = esc(update.text) if full else shorten_escaped(esc(update.text), limit)
    return " · ".join(head) + "\n" + body


def initiative_line(viewer: Viewer, number: int, initiative: Initiative | InitiativeHeadline) -> str:
    """'3. MP-MA-2013 EU-Morocco Mobility Partnership · partnership · active'."""
    lang = viewer.language
    return (
        f"{number}. <code>{esc(initiative.ref)}</code> {esc(shorten(initiative.title, 90))} · "
        f"{t(lang, f'type.{initiative.type.value}')} · {t(lang, f'status.{initiative.status.value}')}"
    )


def fit(parts: list[str], limit: int = LIMIT) -> str:
    """Join blocks with blank lines, dropping trailing blocks (with a note) to stay under Telegram's limit."""
    return fit_count(parts, limit)[0]


def fit_count(parts: list[str], limit: int = LIMIT) -> tuple[str, int]:
    """Like `fit`, and how many blocks made it in (so paging can continue from the first dropped one)."""
    text = ""
    for index, part in enumerate(parts):
        candidate = f"{text}\n\n{part}" if text else part
        if len(candidate) > limit - 40:
            return text + f"\n\n… (+{len(parts) - index})", index
        text = candidate
    return text, len(parts)
