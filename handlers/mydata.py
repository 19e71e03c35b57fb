"""/mydata: everything the bot keeps about the person asking, as a JSON file and a readable summary.

Anyone may ask in a private chat: a member, a revoked member, a guest whose access request is stored.
The file is protected (no forwarding, no saving) when it holds the person's own TLP:AMBER or stricter
updates, as every message carrying such content is.
"""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.domain.model import Viewer
from bot.domain.personal_data import PersonalData
from bot.services.privacy import my_data
from handlers.context import BotContext
from handlers.dates import local, local_date
from handlers.respond import guarded, reply
from handlers.texts import t


@guarded
async def mydata_command(update: Update, context: BotContext) -> None:
    """Send the summary, then the file."""
    viewer = await context.viewer(update)
    now = context.deps.clock.now()
    data = await my_data(context.deps.uow, viewer.telegram_user_id, now)
    await reply(update, summary(viewer, data, context.deps.retention.payload_days, now))
    if update.effective_chat is not None:
        await context.bot.send_document(
            update.effective_chat.id,
            data.to_json(now),
            filename=f"emwp-my-data-{now:%Y%m%d}.json",
            caption=t(viewer.language, "mydata.caption_protected" if data.protected else "mydata.caption"),
            protect_content=data.protected,
        )


def summary(viewer: Viewer, data: PersonalData, payload_days: int, now: dt.datetime) -> str:
    """What the file holds, in a few lines."""
    lang = viewer.language
    lines = [t(lang, "mydata.header", date=local(now, viewer))]
    lines += _member_lines(viewer, data) if data.member is not None else []
    made, decided = data.requests("requested"), data.requests("decided")
    lines.append(t(lang, "mydata.requests", requests=made, decided=decided, invites=data.count("invites")))
    lines.append(t(lang, "mydata.audit", audit=data.count("audit_log")))
    if data.count("rounds") or data.count("round_answers"):
        lines.append(
            t(lang, "rounds.mydata", rounds=data.count("rounds"), versions=data.count("round_answer_changes"))
        )
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(data.received_by_kind().items()))
    received = data.count("outbox")
    lines.append(
        t(lang, "mydata.received", count=received, kinds=f" ({kinds})" if kinds else "", days=payload_days)
    )
    lines.append(t(lang, "mydata.footer"))
    return "\n".join(lines)


def _member_lines(viewer: Viewer, data: PersonalData) -> list[str]:
    lang, member = viewer.language, data.member
    assert member is not None
    created = next((row.get("created_at") for row in data.tables.get("members", ())), None)
    status = "erased" if member.erased else member.status.value
    profile = t(
        lang,
        "mydata.profile",
        name=member.display_name,
        telegram_id=member.telegram_user_id,
        code=member.delegation.code,
        role=t(lang, f"role.{member.role.value}"),
        status=t(lang, f"members.status_{status}"),
        since=local_date(created, viewer) if isinstance(created, dt.datetime) else "—",
        chosen_language=member.language,
        zone=member.time_zone,
    )
    follows = t(
        lang,
        "mydata.follows",
        follows=data.count("follows"),
        subscriptions=data.count("subscriptions"),
        runs=data.count("digest_runs"),
    )
    posts = t(
        lang,
        "mydata.posts",
        updates=data.count("updates"),
        edits=data.count("update_edits"),
        notices=data.count("notices"),
    )
    return [profile, follows, posts]


def handlers() -> list[object]:
    """/mydata, in private chats."""
    return [CommandHandler("mydata", mydata_command, filters=filters.ChatType.PRIVATE)]
