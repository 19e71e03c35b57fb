"""A notice as its recipients see it, and the outbox row that carries it to one of them."""

from __future__ import annotations

from bot.domain.model import Member
from bot.domain.notices import Notice
from bot.domain.outbox import OutboxKind, Outgoing
from bot.domain.reveals import Reveals
from bot.domain.splitting import split_html
from handlers.texts import t


def rendered(language: str, delegation: str, text_html: str) -> str:
    """A notice as recipients see it: marked as the working party's, with the sender's delegation."""
    return f"{t(language, 'broadcast.header', delegation=delegation)}\n\n{text_html}"


def recipient_message(member: Member, notice: Notice) -> Outgoing:
    """One recipient's outbox row, due at the notice's send time."""
    attachment = (
        (notice.attachment_kind, notice.attachment_file_id)
        if notice.attachment_kind and notice.attachment_file_id
        else None
    )
    return Outgoing(
        chat_id=member.telegram_user_id,
        kind=OutboxKind.NOTICE,
        dedupe_key=f"{notice.job}:{member.id}",
        parts=tuple(split_html(rendered(member.language, notice.delegation_code, notice.text))),
        job=notice.job,
        member_id=member.id,
        not_before=notice.send_at,
        attachment=attachment,
        reveals=Reveals(notice=notice.id),
    )
