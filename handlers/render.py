"""Rendering shared by the information views: updates with their TLP label first, safe lengths."""

from __future__ import annotations

import html

from bot.domain.model import Initiative, Update, Viewer
from handlers.dates import local_date
from handlers.texts import t

LIMIT = 4096
SNIPPET = 400


def esc(text: str | None) -> str:
    """User or reference text, escaped for Telegram HTML."""
    return html.escape(text or "", quote=False)


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


def update_block(viewer: Viewer, update: Update, ref: str | None = None, full: bool = False) -> str:
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
    body = update.text if full else shorten(update.text, SNIPPET)
    return " · ".join(head) + "\n" + esc(body)


def initiative_line(viewer: Viewer, number: int, initiative: Initiative) -> str:
    """'3. MP-MA-2013 EU-Morocco Mobility Partnership · partnership · active'."""
    lang = viewer.language
    return (
        f"{number}. <code>{esc(initiative.ref)}</code> {esc(shorten(initiative.title, 90))} · "
        f"{t(lang, f'type.{initiative.type.value}')} · {t(lang, f'status.{initiative.status.value}')}"
    )


def fit(parts: list[str], limit: int = LIMIT) -> str:
    """Join blocks with blank lines, dropping trailing blocks (with a note) to stay under Telegram's limit."""
    text = ""
    for index, part in enumerate(parts):
        candidate = f"{text}\n\n{part}" if text else part
        if len(candidate) > limit - 40:
            return text + f"\n\n… (+{len(parts) - index})"
        text = candidate
    return text
