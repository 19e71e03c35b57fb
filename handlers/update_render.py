"""An update as readers receive it: the same rendering for the preview, the post and the notification."""

from __future__ import annotations

import datetime as dt

from bot.domain.model import Initiative, Member, Update, Viewer
from bot.domain.outbox import OutboxKind, Outgoing
from bot.domain.posting import Draft, protected
from bot.domain.reveals import Reveals, shown
from bot.domain.splitting import split_html
from bot.services.posting import alert_job
from handlers.buttons import OpenUpdate
from handlers.keyboards import button, keyboard
from handlers.render import shorten, update_block
from handlers.texts import t


def as_received(viewer: Viewer, update: Update, initiative: Initiative) -> str:
    """The TLP label first, then who, when, on what, then the text in full."""
    head = t(viewer.language, "post.on", ref=initiative.ref, title=shorten(initiative.title, 80))
    return f"{update_block(viewer, update, full=True)}\n\n<i>{head}</i>"


def notification(member: Member, update: Update, initiative: Initiative) -> Outgoing:
    """What a follower gets, through the outbox; protected from forwarding when AMBER or stricter."""
    viewer = Viewer(member.telegram_user_id, member, member.language)
    text = t(member.language, "post.new_update") + "\n" + as_received(viewer, update, initiative)
    markup = keyboard([button(t(member.language, "post.open"), OpenUpdate(update.id))])
    attachment = (
        (update.attachment_kind, update.attachment_file_id)
        if update.attachment_kind and update.attachment_file_id
        else None
    )
    return Outgoing(
        chat_id=member.telegram_user_id,
        kind=OutboxKind.FOLLOW,
        dedupe_key=f"follow:{update.id}:{member.id}",
        parts=tuple(split_html(text)),
        job=alert_job(update.id),
        member_id=member.id,
        protect=protected(update.tlp),
        markup=markup.to_dict() if markup else None,
        attachment=attachment,
        reveals=Reveals(updates=(shown(update),)),
    )


def preview_update(viewer: Viewer, draft: Draft, now: dt.datetime) -> Update:
    """The draft as an Update by the viewer, so that the preview renders exactly as the post will."""
    member = viewer.member
    assert member is not None
    return Update(
        id=0,
        initiative_id=draft.initiative_id,
        kind=draft.kind,
        text=draft.text,
        tlp=draft.tlp,
        author_id=member.id,
        delegation_code=member.delegation.code,
        created_at=now,
        red_delegations=draft.red_delegations,
        attachment_kind=draft.attachment_kind,
        attachment_file_id=draft.attachment_file_id,
    )
