"""/subscribe, and ✏️ Edit on a digest: what, how often, when, quiet weeks, a preview, confirm.

Its buttons and answers are in `handlers.subscribe_answers`."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.digests import WEEKDAYS, Frequency, check_choice, check_weekday, parse_time
from bot.domain.errors import InvalidInput
from bot.domain.model import Viewer
from bot.domain.splitting import split_html
from bot.domain.timezones import DEFAULT_ZONE
from bot.domain.typed import check_typed
from bot.domain.vocab import InitiativeType
from bot.services import browse, curation, digests
from bot.services.catalog import place_names
from handlers.context import BotContext
from handlers.dates import local
from handlers.digest_render import digest_messages
from handlers.flow import END, draft, drop, guided, keep
from handlers.jobs import schedule
from handlers.keyboards import button, grid, keyboard
from handlers.respond import actor_of, guarded, show
from handlers.subscribe_answers import (
    HOURS,
    AddTyped,
    ChoiceDone,
    ChooseFrequency,
    ChooseHour,
    ChooseWeekday,
    ConfirmSubscription,
    EditSubscription,
    OtherTime,
    SendEmpty,
    SubscribeAnswers,
    SubscribeWhat,
    ToggleRegion,
    ToggleType,
    when_text,
)
from handlers.texts import t

WHAT, CHOOSE, COUNTRIES, INITIATIVES, FREQ, WEEKDAY, TIME, TYPED_TIME, EMPTY, PREVIEW = range(80, 90)
TYPED = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
T = TypeVar("T")


def _edit(context: BotContext, **changes: object) -> SubscribeAnswers:
    answers = draft(context, SubscribeAnswers).model_copy(update=changes)
    keep(context, answers)
    return answers


@guarded
async def subscribe_command(update: Update, context: BotContext) -> int:
    """Start a new subscription (said at once when the member has as many as they may have)."""
    await digests.may_subscribe(context.deps.uow, actor_of(update))
    keep(context, SubscribeAnswers())
    return await _ask_what(update, context)


@guarded
async def edit_button(update: Update, context: BotContext) -> int:
    """Change an existing subscription: the same steps, with its answers."""
    ident = EditSubscription.read(update).subscription
    own = {s.id: s for s in await digests.my_subscriptions(context.deps.uow, actor_of(update))}
    if ident not in own:
        raise InvalidInput("error.stale")
    scope = own[ident].scope
    answers = SubscribeAnswers(
        subscription=ident,
        everything=scope.everything,
        regions=scope.regions,
        countries=scope.countries,
        types=scope.types,
        initiatives=scope.initiatives,
    )
    keep(context, answers)
    return await _ask_what(update, context)


async def _ask_what(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    lang = viewer.language
    choices = [
        button(t(lang, "subscribe.everything"), SubscribeWhat("all")),
        button(t(lang, "subscribe.choose"), SubscribeWhat("some")),
    ]
    await show(update, t(lang, "subscribe.ask_what"), keyboard(choices))
    return WHAT


@guarded
async def got_what(update: Update, context: BotContext) -> int:
    """Everything, or choose regions, countries, types and initiatives."""
    if _edit(context, everything=SubscribeWhat.read(update).what == "all").everything:
        return await _ask_frequency(update, context)
    return await _choose(update, context)


async def _choose(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    lang = viewer.language
    answers = draft(context, SubscribeAnswers)
    regions = await browse.regions(context.deps.uow)
    rows: list[list[InlineKeyboardButton]] = grid(
        [button(("✓ " if r.key in answers.regions else "") + r.name, ToggleRegion(r.id)) for r in regions], 2
    )
    types = [
        button(("✓ " if k in answers.types else "") + t(lang, f"type.{k.value}"), ToggleType(k))
        for k in InitiativeType
    ]
    rows += grid(types, 2)
    rows.append(
        [
            button(t(lang, "subscribe.add_countries", n=len(answers.countries)), AddTyped("countries")),
            button(t(lang, "subscribe.add_initiatives", n=len(answers.initiatives)), AddTyped("initiatives")),
        ]
    )
    rows.append([button(t(lang, "subscribe.done"), ChoiceDone())])
    await show(update, t(lang, "subscribe.ask_choose"), keyboard(*rows))
    return CHOOSE


def _toggled(items: tuple[T, ...], item: T) -> tuple[T, ...]:
    return tuple(x for x in items if x != item) if item in items else (*items, item)


@guarded
async def toggle_region(update: Update, context: BotContext) -> int:
    """A region ticked or unticked."""
    ident = ToggleRegion.read(update).region
    key = next((r.key for r in await browse.regions(context.deps.uow) if r.id == ident), None)
    if key is None:
        raise InvalidInput("error.stale")
    _edit(context, regions=_toggled(draft(context, SubscribeAnswers).regions, key))
    return await _choose(update, context)


@guarded
async def toggle_type(update: Update, context: BotContext) -> int:
    """A type of initiative ticked or unticked."""
    kind = ToggleType.read(update).kind
    _edit(context, types=_toggled(draft(context, SubscribeAnswers).types, kind))
    return await _choose(update, context)


@guarded
async def ask_typed(update: Update, context: BotContext) -> int:
    """Countries or initiatives are typed."""
    what = AddTyped.read(update).what
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, f"subscribe.ask_{what}"))
    return COUNTRIES if what == "countries" else INITIATIVES


@guarded
async def got_countries(update: Update, context: BotContext) -> int:
    """Names in any EU language or codes, comma-separated."""
    assert update.message is not None
    codes = await curation.resolve_countries(context.deps.uow, update.message.text or "")
    _edit(context, countries=tuple(sorted(set(draft(context, SubscribeAnswers).countries) | set(codes))))
    return await _choose(update, context)


@guarded
async def got_initiatives(update: Update, context: BotContext) -> int:
    """References, comma-separated."""
    assert update.message is not None
    viewer = await context.viewer(update)
    found = set(draft(context, SubscribeAnswers).initiatives)
    refs = [r.strip() for r in (update.message.text or "").split(",") if r.strip()][:30]
    found.update(i.id for i in await browse.find_initiatives_by_refs(context.deps.uow, viewer, refs))
    _edit(context, initiatives=tuple(sorted(found)))
    return await _choose(update, context)


@guarded
async def choose_done(update: Update, context: BotContext) -> int:
    """At least one thing chosen."""
    ChoiceDone.read(update)
    check_choice(draft(context, SubscribeAnswers).scope())
    return await _ask_frequency(update, context)


async def _ask_frequency(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    options = [button(t(viewer.language, f"subscribe.{f.value}"), ChooseFrequency(f)) for f in Frequency]
    await show(update, t(viewer.language, "subscribe.ask_frequency"), keyboard(options))
    return FREQ


@guarded
async def got_frequency(update: Update, context: BotContext) -> int:
    """Weekly asks the weekday; daily goes to the time."""
    frequency = ChooseFrequency.read(update).frequency
    if frequency is Frequency.DAILY:
        _edit(context, frequency=frequency, weekday=0)
        return await _ask_time(update, context)
    _edit(context, frequency=frequency)
    viewer = await context.viewer(update)
    days = [
        button(t(viewer.language, f"subscribe.day_{d}"), ChooseWeekday(n)) for n, d in enumerate(WEEKDAYS)
    ]
    await show(update, t(viewer.language, "subscribe.ask_weekday"), keyboard(*grid(days, 4)))
    return WEEKDAY


@guarded
async def got_weekday(update: Update, context: BotContext) -> int:
    """Keep the weekday."""
    _edit(context, weekday=check_weekday(ChooseWeekday.read(update).weekday))
    return await _ask_time(update, context)


async def _ask_time(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    zone = viewer.member.time_zone if viewer.member else DEFAULT_ZONE
    options = [button(f"{hour:02d}:00", ChooseHour(hour)) for hour in HOURS]
    options.append(button(t(viewer.language, "subscribe.other_time"), OtherTime()))
    await show(update, t(viewer.language, "subscribe.ask_time", zone=zone), keyboard(*grid(options, 3)))
    return TIME


@guarded
async def got_hour(update: Update, context: BotContext) -> int:
    """One of the offered times."""
    hour = ChooseHour.read(update).hour
    if hour not in HOURS:
        raise InvalidInput("error.stale")
    _edit(context, at=dt.time(hour))
    return await _ask_empty(update, context)


@guarded
async def ask_typed_time(update: Update, context: BotContext) -> int:
    """Ask for a time to the minute."""
    OtherTime.read(update)
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "subscribe.ask_typed_time"))
    return TYPED_TIME


@guarded
async def got_typed_time(update: Update, context: BotContext) -> int:
    """HH:MM."""
    assert update.message is not None
    text = check_typed(update.message.text or "", lines=False).strip()
    try:
        at = parse_time(text)
    except ValueError:
        raise InvalidInput("subscribe.bad_time", value=text[:20]) from None
    _edit(context, at=at)
    return await _ask_empty(update, context)


async def _ask_empty(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    options = [
        button(t(viewer.language, "subscribe.send_empty"), SendEmpty(True)),
        button(t(viewer.language, "subscribe.skip_empty"), SendEmpty(False)),
    ]
    await show(update, t(viewer.language, "subscribe.ask_empty"), keyboard(*grid(options, 1)))
    return EMPTY


@guarded
async def got_empty(update: Update, context: BotContext) -> int:
    """Keep the choice; show the digest as it would be now, and confirm."""
    answers = _edit(context, send_empty=SendEmpty.read(update).send)
    viewer = await context.viewer(update)
    member, digest = await digests.preview(
        context.deps.uow, actor_of(update), answers.scope(), context.deps.clock.now()
    )
    regions, countries = await place_names(context.deps.uow)
    rendered = digest_messages(
        Viewer(member.telegram_user_id, member, member.language), digest, regions, countries
    )
    summary = t(viewer.language, "subscribe.summary", when=when_text(viewer, *answers.timing()))
    confirm = keyboard([button(t(viewer.language, "subscribe.confirm"), ConfirmSubscription())])
    first = split_html(rendered.parts[0], 3000)[0]
    await show(
        update,
        f"{summary}\n\n{t(viewer.language, 'subscribe.preview')}\n\n{first}",
        confirm,
        protect=rendered.protect,
    )
    return PREVIEW


@guarded
async def confirm(update: Update, context: BotContext) -> int:
    """Save (or change) and schedule it."""
    ConfirmSubscription.read(update)
    answers = draft(context, SubscribeAnswers)
    frequency, weekday, at = answers.timing()
    if answers.send_empty is None:
        raise InvalidInput("error.stale")
    now = context.deps.clock.now()
    saved = await digests.subscribe(
        context.deps.uow,
        actor_of(update),
        answers.scope(),
        frequency,
        weekday,
        at,
        answers.send_empty,
        now,
        answers.subscription,
    )
    drop(context, SubscribeAnswers)
    if context.job_queue is not None:
        schedule(context.job_queue, saved, now)
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "subscribe.saved", due=local(saved.next_due_at, viewer)))
    return END


def handlers() -> list[object]:
    """The subscribe flow, entered by /subscribe or a digest's ✏️ Edit."""
    return [
        guided(
            "subscribe",
            [
                CommandHandler("subscribe", subscribe_command, filters=filters.ChatType.PRIVATE),
                CallbackQueryHandler(edit_button, pattern=EditSubscription.pattern),
            ],
            {
                WHAT: [CallbackQueryHandler(got_what, pattern=SubscribeWhat.pattern)],
                CHOOSE: [
                    CallbackQueryHandler(toggle_region, pattern=ToggleRegion.pattern),
                    CallbackQueryHandler(toggle_type, pattern=ToggleType.pattern),
                    CallbackQueryHandler(ask_typed, pattern=AddTyped.pattern),
                    CallbackQueryHandler(choose_done, pattern=ChoiceDone.pattern),
                ],
                COUNTRIES: [MessageHandler(TYPED, got_countries)],
                INITIATIVES: [MessageHandler(TYPED, got_initiatives)],
                FREQ: [CallbackQueryHandler(got_frequency, pattern=ChooseFrequency.pattern)],
                WEEKDAY: [CallbackQueryHandler(got_weekday, pattern=ChooseWeekday.pattern)],
                TIME: [
                    CallbackQueryHandler(got_hour, pattern=ChooseHour.pattern),
                    CallbackQueryHandler(ask_typed_time, pattern=OtherTime.pattern),
                ],
                TYPED_TIME: [MessageHandler(TYPED, got_typed_time)],
                EMPTY: [CallbackQueryHandler(got_empty, pattern=SendEmpty.pattern)],
                PREVIEW: [CallbackQueryHandler(confirm, pattern=ConfirmSubscription.pattern)],
            },
            answers=SubscribeAnswers,
        )
    ]
