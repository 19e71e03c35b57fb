"""/subscribe, and ✏️ Edit on a digest: what, how often, when, quiet weeks, a preview, confirm.

Its buttons and answers are in `handlers.subscribe_answers`."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.digests import WEEKDAYS, Frequency, check_choice, check_weekday
from bot.domain.errors import InvalidInput
from bot.domain.moments import read_clock
from bot.domain.places import region_name
from bot.domain.timezones import DEFAULT_ZONE
from bot.domain.typed import check_typed
from bot.domain.vocab import InitiativeType
from bot.services import browse, curation, digests
from handlers.context import BotContext
from handlers.flow import draft, guided, keep
from handlers.keyboards import button, grid, keyboard, mark
from handlers.respond import actor_of, guarded, show
from handlers.subscribe_answers import (
    CHOOSE,
    COUNTRIES,
    EMPTY,
    FREQ,
    HOURS,
    INITIATIVES,
    PREVIEW,
    TIME,
    TYPED_TIME,
    WEEKDAY,
    WHAT,
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
from handlers.subscribe_preview import confirm, got_empty
from handlers.texts import t

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
    keep(context, SubscribeAnswers.of(own[ident]))
    return await _ask_what(update, context)


async def _ask_what(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    lang, answers = viewer.language, draft(context, SubscribeAnswers)
    choices = [
        button(
            mark(answers.editing and answers.everything) + t(lang, "subscribe.everything"),
            SubscribeWhat("all"),
        ),
        button(
            mark(answers.editing and not answers.everything) + t(lang, "subscribe.choose"),
            SubscribeWhat("some"),
        ),
    ]
    asked = t(lang, "subscribe.ask_what")
    if answers.editing:  # what is there, marked ✓ at every step
        asked = t(lang, "subscribe.edit_what", when=when_text(viewer, *answers.timing()))
    await show(update, asked, keyboard(choices))
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
        [button(mark(r.key in answers.regions) + region_name(r, lang), ToggleRegion(r.id)) for r in regions],
        2,
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
    viewer, answers = await context.viewer(update), draft(context, SubscribeAnswers)
    options = [
        button(
            mark(answers.editing and answers.frequency is f) + t(viewer.language, f"subscribe.{f.value}"),
            ChooseFrequency(f),
        )
        for f in Frequency
    ]
    await show(update, t(viewer.language, "subscribe.ask_frequency"), keyboard(options))
    return FREQ


@guarded
async def got_frequency(update: Update, context: BotContext) -> int:
    """Weekly asks the weekday; daily goes to the time."""
    frequency = ChooseFrequency.read(update).frequency
    if frequency is Frequency.DAILY:
        _edit(context, frequency=frequency, weekday=0)
        return await _ask_time(update, context)
    answers = _edit(context, frequency=frequency)
    viewer = await context.viewer(update)
    days = [
        button(
            mark(answers.editing and n == answers.weekday) + t(viewer.language, f"subscribe.day_{d}"),
            ChooseWeekday(n),
        )
        for n, d in enumerate(WEEKDAYS)
    ]
    await show(update, t(viewer.language, "subscribe.ask_weekday"), keyboard(*grid(days, 4)))
    return WEEKDAY


@guarded
async def got_weekday(update: Update, context: BotContext) -> int:
    """Keep the weekday."""
    _edit(context, weekday=check_weekday(ChooseWeekday.read(update).weekday))
    return await _ask_time(update, context)


async def _ask_time(update: Update, context: BotContext) -> int:
    viewer, answers = await context.viewer(update), draft(context, SubscribeAnswers)
    zone = viewer.member.time_zone if viewer.member else DEFAULT_ZONE
    options = [
        button(mark(answers.editing and answers.at == dt.time(h)) + f"{h:02d}:00", ChooseHour(h))
        for h in HOURS
    ]
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
    at = read_clock(text)
    if at is None:
        raise InvalidInput("subscribe.bad_time", value=text[:20])
    _edit(context, at=at)
    return await _ask_empty(update, context)


async def _ask_empty(update: Update, context: BotContext) -> int:
    viewer, answers = await context.viewer(update), draft(context, SubscribeAnswers)
    options = [
        button(
            mark(answers.editing and answers.send_empty is True) + t(viewer.language, "subscribe.send_empty"),
            SendEmpty(True),
        ),
        button(
            mark(answers.editing and answers.send_empty is False)
            + t(viewer.language, "subscribe.skip_empty"),
            SendEmpty(False),
        ),
    ]
    await show(update, t(viewer.language, "subscribe.ask_empty"), keyboard(*grid(options, 1)))
    return EMPTY


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
