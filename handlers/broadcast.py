"""/broadcast (admins): text or file, audience, send time, preview with the recipient count, confirm."""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.model import Member, Viewer
from bot.domain.notices import SEND_AHEAD, TEXT_LIMIT, Audience, AudienceKind, Notice, NoticeDraft
from bot.domain.outbox import OutboxKind, Outgoing
from bot.domain.reveals import Reveals
from bot.domain.splitting import split_html
from bot.domain.timezones import DEFAULT_ZONE
from bot.domain.typed import check_typed
from bot.domain.vocab import Role
from bot.services import browse, notices
from bot.services.catalog import delegations
from handlers.context import BotContext
from handlers.dates import local
from handlers.flow import END, clear, guided, scratch
from handlers.keyboards import button, chosen, grid, keyboard, parts
from handlers.respond import actor_of, guarded, reply, show
from handlers.texts import t

TEXT, AUDIENCE, CHOOSE, TYPED, WHEN, WHEN_TYPED, PREVIEW = range(60, 67)
FLOW = "broadcast"
PRIVATE = filters.ChatType.PRIVATE
TYPED_TEXT = filters.TEXT & ~filters.COMMAND & PRIVATE


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


def _data(update: Update, count: int) -> list[str]:
    found = parts(update.callback_query.data if update.callback_query else None, "bc", count)
    if found is None:
        raise InvalidInput("error.stale")
    return found


@guarded
async def begin(update: Update, context: BotContext) -> int:
    """Admins only: ask for the text (or a file with a caption)."""
    await notices.audience_size(context.deps.uow, actor_of(update), Audience(AudienceKind.EVERYONE))
    clear(context, FLOW)
    scratch(context, FLOW)["key"] = secrets.token_urlsafe(12)
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "broadcast.ask_text", limit=TEXT_LIMIT))
    return TEXT


@guarded
async def got_text(update: Update, context: BotContext) -> int:
    """Keep the text with its formatting (Telegram's entities as HTML), or the file and its caption."""
    message = update.message
    assert message is not None
    answers = scratch(context, FLOW)
    if message.document or message.photo:
        answers["att_kind"] = "document" if message.document else "photo"
        answers["att_id"] = message.document.file_id if message.document else message.photo[-1].file_id
        answers["text"] = message.caption_html or ""
    else:
        answers["text"] = notices.check_text(message.text_html or "")
    viewer = await context.viewer(update)
    kinds = [
        button(t(viewer.language, f"broadcast.aud_{k.value}"), "bc", "aud", k.value) for k in AudienceKind
    ]
    await reply(update, t(viewer.language, "broadcast.ask_audience"), keyboard(*grid(kinds, 2)))
    return AUDIENCE


@guarded
async def got_audience(update: Update, context: BotContext) -> int:
    """Everyone goes on; the others ask which delegations, role, region, country or initiative."""
    kind = chosen(AudienceKind, _data(update, 2)[1])
    answers = scratch(context, FLOW)
    answers["aud"], answers["values"] = kind.value, []
    viewer = await context.viewer(update)
    lang = viewer.language
    if kind is AudienceKind.EVERYONE:
        return await _ask_when(update, context)
    if kind in (AudienceKind.COUNTRY, AudienceKind.INITIATIVE):
        await show(update, t(lang, f"broadcast.ask_{kind.value}"))
        return TYPED
    return await _choices(update, context)


async def _choices(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    answers = scratch(context, FLOW)
    kind, chosen = AudienceKind(answers["aud"]), set(answers.get("values", []))
    if kind is AudienceKind.DELEGATIONS:
        found = await delegations(context.deps.uow)
        options = [button(("✓ " if d.code in chosen else "") + d.code, "bc", "pick", d.code) for d in found]
        rows = [*grid(options, 5), [button(t(viewer.language, "broadcast.done"), "bc", "picked", "-")]]
    elif kind is AudienceKind.ROLE:
        rows = [[button(t(viewer.language, f"role.{r.value}"), "bc", "one", r.value) for r in Role]]
    else:
        found_regions = await browse.regions(context.deps.uow)
        rows = grid([button(r.name, "bc", "one", r.key[:40]) for r in found_regions], 2)
    await show(update, t(viewer.language, f"broadcast.choose_{kind.value}"), keyboard(*rows))
    return CHOOSE


@guarded
async def pick(update: Update, context: BotContext) -> int:
    """Tick or untick a delegation."""
    code = _data(update, 2)[1]
    answers = scratch(context, FLOW)
    chosen = list(answers.get("values", []))
    answers["values"] = [c for c in chosen if c != code] if code in chosen else [*chosen, code]
    return await _choices(update, context)


@guarded
async def picked(update: Update, context: BotContext) -> int:
    """Delegations chosen (at least one)."""
    _data(update, 2)
    if not scratch(context, FLOW).get("values"):
        raise InvalidInput("broadcast.pick_one")
    return await _ask_when(update, context)


@guarded
async def one(update: Update, context: BotContext) -> int:
    """A role or a region."""
    scratch(context, FLOW)["values"] = [_data(update, 2)[1]]
    return await _ask_when(update, context)


@guarded
async def typed_target(update: Update, context: BotContext) -> int:
    """A country by name or code; an initiative by reference."""
    assert update.message is not None
    answers = scratch(context, FLOW)
    viewer = await context.viewer(update)
    text = update.message.text or ""
    if answers.get("aud") == AudienceKind.COUNTRY.value:
        match = await browse.find_country(context.deps.uow, viewer, text)
        if match.country is None:
            raise InvalidInput("country.not_found", name=text[:40])
        answers["values"] = [match.country.code]
    else:
        initiative = await browse.find_initiative(context.deps.uow, viewer, text)
        answers["values"] = [str(initiative.id)]
    return await _ask_when(update, context)


async def _ask_when(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    lang = viewer.language
    options = [
        button(t(lang, f"broadcast.when_{w}"), "bc", "when", w) for w in ("now", "1h", "tomorrow", "typed")
    ]
    await show(update, t(lang, "broadcast.ask_when"), keyboard(*grid(options, 2)))
    return WHEN


def _zone(viewer: Viewer) -> ZoneInfo:
    return ZoneInfo(viewer.member.time_zone if viewer.member else DEFAULT_ZONE)


@guarded
async def got_when(update: Update, context: BotContext) -> int:
    """Now, in an hour, tomorrow 09:00 (the admin's time zone), or a typed date and time."""
    choice = _data(update, 2)[1]
    viewer = await context.viewer(update)
    now = context.deps.clock.now()
    if choice == "typed":
        await show(update, t(viewer.language, "broadcast.ask_time", zone=_zone(viewer).key))
        return WHEN_TYPED
    if choice == "now":
        at = now
    elif choice == "1h":
        at = now + dt.timedelta(hours=1)
    elif choice == "tomorrow":
        local_now = now.astimezone(_zone(viewer))
        at = dt.datetime.combine(local_now.date() + dt.timedelta(days=1), dt.time(9), tzinfo=_zone(viewer))
    else:
        raise InvalidInput("error.stale")
    scratch(context, FLOW)["send_at"] = at.astimezone(dt.UTC).isoformat()
    return await _preview(update, context)


@guarded
async def got_time(update: Update, context: BotContext) -> int:
    """'2026-12-03 09:30' in the admin's zone, in the future, within 90 days."""
    assert update.message is not None
    viewer = await context.viewer(update)
    text = check_typed(update.message.text or "", lines=False).strip()
    try:
        at = dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=_zone(viewer))
    except ValueError:
        raise InvalidInput("broadcast.bad_time", value=text[:30]) from None
    now = context.deps.clock.now()
    if not now <= at <= now + SEND_AHEAD:
        raise InvalidInput("broadcast.time_range")
    scratch(context, FLOW)["send_at"] = at.astimezone(dt.UTC).isoformat()
    return await _preview(update, context)


def _draft(answers: dict[str, object]) -> NoticeDraft:
    values = tuple(str(v) for v in answers.get("values", []) or [])  # type: ignore[attr-defined]
    return NoticeDraft(
        key=str(answers["key"]),
        text=str(answers.get("text", "")),
        audience=Audience(AudienceKind(str(answers["aud"])), values),
        send_at=dt.datetime.fromisoformat(str(answers["send_at"])),
        attachment_kind=answers.get("att_kind"),  # type: ignore[arg-type]
        attachment_file_id=answers.get("att_id"),  # type: ignore[arg-type]
    )


async def _preview(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    answers = scratch(context, FLOW)
    if not {"key", "aud", "send_at"} <= answers.keys():
        raise InvalidInput("error.stale")
    draft = _draft(answers)
    count = await notices.audience_size(context.deps.uow, actor_of(update), draft.audience)
    delegation = viewer.member.delegation.code if viewer.member else ""
    lines = [
        t(viewer.language, "broadcast.preview", count=count, when=local(draft.send_at, viewer)),
        rendered(viewer.language, delegation, draft.text),
    ]
    if draft.attachment_kind:
        lines.append(t(viewer.language, "post.with_attachment"))
    confirm = keyboard([button(t(viewer.language, "broadcast.confirm", count=count), "bc", "ok", draft.key)])
    await show(update, "\n\n".join(lines), confirm)
    return PREVIEW


@guarded
async def confirm(update: Update, context: BotContext) -> int:
    """Store and queue it (a second tap finds it done)."""
    key = _data(update, 2)[1]
    answers = scratch(context, FLOW)
    if answers.get("key") != key:
        raise InvalidInput("broadcast.already_sent")
    result = await notices.broadcast(
        context.deps.uow,
        actor_of(update),
        _draft(answers),
        context.deps.clock.now(),
        render=recipient_message,
    )
    clear(context, FLOW)
    context.deps.outbox.wake()
    viewer = await context.viewer(update)
    notice = result.notice
    await show(
        update,
        t(
            viewer.language,
            "broadcast.queued",
            id=notice.id,
            count=notice.recipients,
            when=local(notice.send_at, viewer),
        ),
    )
    return END


@guarded
async def late_confirm(update: Update, context: BotContext) -> None:
    """Confirm tapped again after the flow ended."""
    if update.callback_query is not None:
        viewer = await context.viewer(update)
        await update.callback_query.answer(t(viewer.language, "broadcast.already_sent"), show_alert=True)


def handlers() -> list[object]:
    """The /broadcast flow."""
    flow = guided(
        FLOW,
        [CommandHandler("broadcast", begin, filters=PRIVATE)],
        {
            TEXT: [
                MessageHandler(
                    (filters.TEXT & ~filters.COMMAND | filters.Document.ALL | filters.PHOTO) & PRIVATE,
                    got_text,
                )
            ],
            AUDIENCE: [CallbackQueryHandler(got_audience, pattern="^bc:aud:")],
            CHOOSE: [
                CallbackQueryHandler(pick, pattern="^bc:pick:"),
                CallbackQueryHandler(picked, pattern="^bc:picked:"),
                CallbackQueryHandler(one, pattern="^bc:one:"),
            ],
            TYPED: [MessageHandler(TYPED_TEXT, typed_target)],
            WHEN: [CallbackQueryHandler(got_when, pattern="^bc:when:")],
            WHEN_TYPED: [MessageHandler(TYPED_TEXT, got_time)],
            PREVIEW: [CallbackQueryHandler(confirm, pattern="^bc:ok:")],
        },
    )
    return [flow, CallbackQueryHandler(late_confirm, pattern="^bc:ok:")]
