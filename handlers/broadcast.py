"""/broadcast (admins): text or file, audience, send time, preview with the recipient count, confirm."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.model import Viewer
from bot.domain.moments import read_moment
from bot.domain.notices import TEXT_LIMIT, Audience, AudienceKind, NoticeDraft, check_reach, check_send_time
from bot.domain.places import region_name
from bot.domain.timezones import DEFAULT_ZONE
from bot.domain.typed import check_typed
from bot.domain.vocab import Role
from bot.services import browse, notices
from bot.services.catalog import delegations
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.dates import local
from handlers.flow import END, Draft, draft, drop, guided, keep
from handlers.keyboards import button, grid, keyboard
from handlers.notice_render import recipient_message, rendered
from handlers.respond import actor_of, guarded, reply, show
from handlers.texts import t

TEXT, AUDIENCE, CHOOSE, TYPED, WHEN, WHEN_TYPED, PREVIEW = range(60, 67)
PRIVATE = filters.ChatType.PRIVATE
TYPED_TEXT = filters.TEXT & ~filters.COMMAND & PRIVATE
When = Literal["now", "1h", "tomorrow", "typed"]
WHEN_CHOICES: tuple[When, ...] = ("now", "1h", "tomorrow", "typed")


@dataclass(frozen=True)
class BroadcastAudience(CallbackData, prefix="bc:aud"):
    """Who receives it: everyone, delegations, a role, or the followers of a region, country or initiative."""

    kind: AudienceKind


@dataclass(frozen=True)
class BroadcastDelegation(CallbackData, prefix="bc:pick"):
    """Tick or untick a delegation."""

    code: str


@dataclass(frozen=True)
class BroadcastDelegationsDone(CallbackData, prefix="bc:picked"):
    """Delegations chosen."""


@dataclass(frozen=True)
class BroadcastRole(CallbackData, prefix="bc:role"):
    """The role whose members receive it."""

    role: Role


@dataclass(frozen=True)
class BroadcastRegion(CallbackData, prefix="bc:region"):
    """The region whose followers receive it (by id: a key may be long)."""

    region: int


@dataclass(frozen=True)
class BroadcastWhen(CallbackData, prefix="bc:when"):
    """Now, in an hour, tomorrow at nine, or a typed time."""

    when: When


@dataclass(frozen=True)
class BroadcastConfirm(CallbackData, prefix="bc:ok"):
    """Send it: the draft's key, so that a second tap finds it sent."""

    key: str


class BroadcastAnswers(Draft):
    """The /broadcast flow's answers so far; `key` makes confirming it twice send it once."""

    key: str
    text: str = ""
    attachment: tuple[str, str] | None = None  # ("document" or "photo", Telegram file_id)
    audience: AudienceKind | None = None
    values: tuple[str, ...] = ()
    send_at: dt.datetime | None = None

    def complete(self) -> NoticeDraft:
        """The notice to send; a stale button when a step is missing (an old flow's button)."""
        if self.audience is None or self.send_at is None:
            raise InvalidInput("error.stale")
        kind, file_id = self.attachment or (None, None)
        audience = Audience(self.audience, self.values)
        return NoticeDraft(self.key, self.text, audience, self.send_at, kind, file_id)


@guarded
async def begin(update: Update, context: BotContext) -> int:
    """Admins only: ask for the text (or a file with a caption)."""
    await notices.audience_size(context.deps.uow, actor_of(update), Audience(AudienceKind.EVERYONE))
    keep(context, BroadcastAnswers(key=secrets.token_urlsafe(12)))
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "broadcast.ask_text", limit=TEXT_LIMIT))
    return TEXT


@guarded
async def got_text(update: Update, context: BotContext) -> int:
    """Keep the text with its formatting (Telegram's entities as HTML), or the file and its caption."""
    message = update.message
    assert message is not None
    answers = draft(context, BroadcastAnswers)
    if message.document or message.photo:
        file_id = message.document.file_id if message.document else message.photo[-1].file_id
        attachment = ("document" if message.document else "photo", file_id)
        answers = answers.model_copy(update={"attachment": attachment, "text": message.caption_html or ""})
    else:
        answers = answers.model_copy(update={"text": notices.check_text(message.text_html or "")})
    keep(context, answers)
    viewer = await context.viewer(update)
    kinds = [
        button(t(viewer.language, f"broadcast.aud_{k.value}"), BroadcastAudience(k)) for k in AudienceKind
    ]
    await reply(update, t(viewer.language, "broadcast.ask_audience"), keyboard(*grid(kinds, 2)))
    return AUDIENCE


@guarded
async def got_audience(update: Update, context: BotContext) -> int:
    """Everyone goes on; the others ask which delegations, role, region, country or initiative."""
    kind = BroadcastAudience.read(update).kind
    keep(context, draft(context, BroadcastAnswers).model_copy(update={"audience": kind, "values": ()}))
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
    answers = draft(context, BroadcastAnswers)
    kind, chosen = answers.audience, set(answers.values)
    if kind is AudienceKind.DELEGATIONS:
        found = await delegations(context.deps.uow)
        options = [
            button(("✓ " if d.code in chosen else "") + d.code, BroadcastDelegation(d.code)) for d in found
        ]
        rows = [*grid(options, 5), [button(t(viewer.language, "broadcast.done"), BroadcastDelegationsDone())]]
    elif kind is AudienceKind.ROLE:
        rows = [[button(t(viewer.language, f"role.{r.value}"), BroadcastRole(r)) for r in Role]]
    elif kind is AudienceKind.REGION:
        found_regions = await browse.regions(context.deps.uow)
        rows = grid(
            [button(region_name(r, viewer.language), BroadcastRegion(r.id)) for r in found_regions], 2
        )
    else:
        raise InvalidInput("error.stale")
    await show(update, t(viewer.language, f"broadcast.choose_{kind.value}"), keyboard(*rows))
    return CHOOSE


@guarded
async def pick(update: Update, context: BotContext) -> int:
    """Tick or untick a delegation."""
    code = BroadcastDelegation.read(update).code
    answers = draft(context, BroadcastAnswers)
    values = (
        tuple(c for c in answers.values if c != code) if code in answers.values else (*answers.values, code)
    )
    keep(context, answers.model_copy(update={"values": values}))
    return await _choices(update, context)


@guarded
async def picked(update: Update, context: BotContext) -> int:
    """Delegations chosen (at least one)."""
    BroadcastDelegationsDone.read(update)
    if not draft(context, BroadcastAnswers).values:
        raise InvalidInput("broadcast.pick_one")
    return await _ask_when(update, context)


@guarded
async def one_role(update: Update, context: BotContext) -> int:
    """A role."""
    role = BroadcastRole.read(update).role
    keep(context, draft(context, BroadcastAnswers).model_copy(update={"values": (role.value,)}))
    return await _ask_when(update, context)


@guarded
async def one_region(update: Update, context: BotContext) -> int:
    """A region."""
    ident = BroadcastRegion.read(update).region
    key = next((r.key for r in await browse.regions(context.deps.uow) if r.id == ident), None)
    if key is None:
        raise InvalidInput("error.stale")
    keep(context, draft(context, BroadcastAnswers).model_copy(update={"values": (key,)}))
    return await _ask_when(update, context)


@guarded
async def typed_target(update: Update, context: BotContext) -> int:
    """A country by name or code; an initiative by reference."""
    assert update.message is not None
    answers = draft(context, BroadcastAnswers)
    viewer = await context.viewer(update)
    text = update.message.text or ""
    if answers.audience is AudienceKind.COUNTRY:
        match = await browse.find_country(context.deps.uow, viewer, text)
        if match.country is None:
            raise InvalidInput("country.not_found", name=text[:40])
        value = match.country.code
    else:
        value = str((await browse.find_initiative(context.deps.uow, viewer, text)).id)
    keep(context, answers.model_copy(update={"values": (value,)}))
    return await _ask_when(update, context)


async def _ask_when(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    lang = viewer.language
    options = [button(t(lang, f"broadcast.when_{w}"), BroadcastWhen(w)) for w in WHEN_CHOICES]
    await show(update, t(lang, "broadcast.ask_when"), keyboard(*grid(options, 2)))
    return WHEN


def _zone(viewer: Viewer) -> ZoneInfo:
    return ZoneInfo(viewer.member.time_zone if viewer.member else DEFAULT_ZONE)


@guarded
async def got_when(update: Update, context: BotContext) -> int:
    """Now, in an hour, tomorrow 09:00 (the admin's time zone), or a typed date and time."""
    choice = BroadcastWhen.read(update).when
    viewer = await context.viewer(update)
    now = context.deps.clock.now()
    if choice == "typed":
        await show(update, t(viewer.language, "broadcast.ask_time", zone=_zone(viewer).key))
        return WHEN_TYPED
    if choice == "now":
        at = now
    elif choice == "1h":
        at = now + dt.timedelta(hours=1)
    else:
        local_now = now.astimezone(_zone(viewer))
        at = dt.datetime.combine(local_now.date() + dt.timedelta(days=1), dt.time(9), tzinfo=_zone(viewer))
    return await _preview(update, context, at)


@guarded
async def got_time(update: Update, context: BotContext) -> int:
    """'2026-12-03 09:30' in the admin's zone, in the future, within 90 days."""
    assert update.message is not None
    viewer = await context.viewer(update)
    text = check_typed(update.message.text or "", lines=False).strip()
    now = context.deps.clock.now()
    at = read_moment(text, now, str(_zone(viewer)))
    if at is None:
        raise InvalidInput("broadcast.bad_time", value=text[:30])
    return await _preview(update, context, check_send_time(at, now))  # the preview says what was read


async def _preview(update: Update, context: BotContext, send_at: dt.datetime) -> int:
    viewer = await context.viewer(update)
    answers = draft(context, BroadcastAnswers).model_copy(update={"send_at": send_at.astimezone(dt.UTC)})
    notice = answers.complete()
    keep(context, answers)
    count = await notices.audience_size(context.deps.uow, actor_of(update), notice.audience)
    check_reach(count)  # said before a "Send to 0" is offered
    delegation = viewer.member.delegation.code if viewer.member else ""
    lines = [
        t(viewer.language, "broadcast.preview", count=count, when=local(notice.send_at, viewer)),
        rendered(viewer.language, delegation, notice.text),
    ]
    if notice.attachment_kind:
        lines.append(t(viewer.language, "post.with_attachment"))
    send = button(t(viewer.language, "broadcast.confirm", count=count), BroadcastConfirm(notice.key))
    await show(update, "\n\n".join(lines), keyboard([send]))
    return PREVIEW


@guarded
async def confirm(update: Update, context: BotContext) -> int:
    """Store and queue it (a second tap finds it done)."""
    key = BroadcastConfirm.read(update).key
    answers = draft(context, BroadcastAnswers)
    if answers.key != key:
        raise InvalidInput("broadcast.already_sent")
    result = await notices.broadcast(
        context.deps.uow,
        actor_of(update),
        answers.complete(),
        context.deps.clock.now(),
        render=recipient_message,
    )
    drop(context, BroadcastAnswers)
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
    BroadcastConfirm.read(update)
    if update.callback_query is not None:
        viewer = await context.viewer(update)
        await update.callback_query.answer(t(viewer.language, "broadcast.already_sent"), show_alert=True)


def handlers() -> list[object]:
    """The /broadcast flow."""
    flow = guided(
        "broadcast",
        [CommandHandler("broadcast", begin, filters=PRIVATE)],
        {
            TEXT: [
                MessageHandler(
                    (filters.TEXT & ~filters.COMMAND | filters.Document.ALL | filters.PHOTO) & PRIVATE,
                    got_text,
                )
            ],
            AUDIENCE: [CallbackQueryHandler(got_audience, pattern=BroadcastAudience.pattern)],
            CHOOSE: [
                CallbackQueryHandler(pick, pattern=BroadcastDelegation.pattern),
                CallbackQueryHandler(picked, pattern=BroadcastDelegationsDone.pattern),
                CallbackQueryHandler(one_role, pattern=BroadcastRole.pattern),
                CallbackQueryHandler(one_region, pattern=BroadcastRegion.pattern),
            ],
            TYPED: [MessageHandler(TYPED_TEXT, typed_target)],
            WHEN: [CallbackQueryHandler(got_when, pattern=BroadcastWhen.pattern)],
            WHEN_TYPED: [MessageHandler(TYPED_TEXT, got_time)],
            PREVIEW: [CallbackQueryHandler(confirm, pattern=BroadcastConfirm.pattern)],
        },
        answers=BroadcastAnswers,
    )
    return [flow, CallbackQueryHandler(late_confirm, pattern=BroadcastConfirm.pattern)]
