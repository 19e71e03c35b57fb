"""/subscribe (what, how often, when, quiet weeks, preview), /subscriptions, /unsubscribe and /digest."""

from __future__ import annotations

from collections.abc import Mapping

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.digests import WEEKDAYS, Frequency, Scope, Subscription, parse_time
from bot.domain.errors import InvalidInput
from bot.domain.filters import TYPE_CODES
from bot.domain.model import Viewer
from bot.domain.splitting import split_html
from bot.domain.timezones import DEFAULT_ZONE
from bot.domain.typed import check_typed
from bot.domain.vocab import InitiativeType
from bot.services import browse, curation, digests
from bot.services.catalog import place_names
from handlers.budget import expensive, within_budget
from handlers.context import BotContext
from handlers.dates import local
from handlers.digest_render import digest_messages
from handlers.flow import END, clear, guided, scratch
from handlers.jobs import schedule, unschedule
from handlers.keyboards import as_int, button, chosen, grid, keyboard, parts
from handlers.render import esc
from handlers.respond import actor_of, guarded, reply, show, show_long
from handlers.texts import t

WHAT, CHOOSE, COUNTRIES, INITIATIVES, FREQ, WEEKDAY, TIME, TYPED_TIME, EMPTY, PREVIEW = range(80, 90)
FLOW = "subscribe"
TYPED = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
TIMES = ("07:00", "08:00", "09:00", "12:00", "17:00")
TYPES = {code: kind for kind, code in TYPE_CODES.items()}


def _data(update: Update, count: int) -> list[str]:
    found = parts(update.callback_query.data if update.callback_query else None, "sb", count)
    if found is None:
        raise InvalidInput("error.stale")
    return found


@guarded
async def subscribe_command(update: Update, context: BotContext) -> int:
    """Start a new subscription (said at once when the member has as many as they may have)."""
    if len(await digests.my_subscriptions(context.deps.uow, actor_of(update))) >= digests.MAX_SUBSCRIPTIONS:
        raise InvalidInput("subscribe.too_many", limit=digests.MAX_SUBSCRIPTIONS)
    clear(context, FLOW)
    return await _ask_what(update, context)


@guarded
async def edit_button(update: Update, context: BotContext) -> int:
    """Change an existing subscription: the same steps, with its answers."""
    ident = as_int(_data(update, 2)[1])
    own = {s.id: s for s in await digests.my_subscriptions(context.deps.uow, actor_of(update))}
    if ident is None or ident not in own:
        raise InvalidInput("error.stale")
    clear(context, FLOW)
    sub = own[ident]
    scratch(context, FLOW).update(
        id=ident,
        everything=sub.scope.everything,
        regions=list(sub.scope.regions),
        countries=list(sub.scope.countries),
        types=[k.value for k in sub.scope.types],
        initiatives=list(sub.scope.initiatives),
    )
    return await _ask_what(update, context)


async def _ask_what(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    lang = viewer.language
    choices = [
        button(t(lang, "subscribe.everything"), "sb", "what", "all"),
        button(t(lang, "subscribe.choose"), "sb", "what", "some"),
    ]
    await show(update, t(lang, "subscribe.ask_what"), keyboard(choices))
    return WHAT


@guarded
async def got_what(update: Update, context: BotContext) -> int:
    """Everything, or choose regions, countries, types and initiatives."""
    answers = scratch(context, FLOW)
    answers["everything"] = _data(update, 2)[1] == "all"
    if answers["everything"]:
        return await _ask_frequency(update, context)
    return await _choose(update, context)


async def _choose(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    lang = viewer.language
    answers = scratch(context, FLOW)
    chosen_regions, chosen_types = set(answers.get("regions", [])), set(answers.get("types", []))
    regions = await browse.regions(context.deps.uow)
    rows: list[list[InlineKeyboardButton]] = grid(
        [button(("✓ " if r.key in chosen_regions else "") + r.name, "sb", "r", r.id) for r in regions], 2
    )
    rows += grid(
        [
            button(
                ("✓ " if k.value in chosen_types else "") + t(lang, f"type.{k.value}"),
                "sb",
                "t",
                TYPE_CODES[k],
            )
            for k in InitiativeType
        ],
        2,
    )
    rows.append(
        [
            button(t(lang, "subscribe.add_countries", n=len(answers.get("countries", []))), "sb", "c", "-"),
            button(
                t(lang, "subscribe.add_initiatives", n=len(answers.get("initiatives", []))), "sb", "i", "-"
            ),
        ]
    )
    rows.append([button(t(lang, "subscribe.done"), "sb", "done", "-")])
    await show(update, t(lang, "subscribe.ask_choose"), keyboard(*rows))
    return CHOOSE


@guarded
async def toggle(update: Update, context: BotContext) -> int:
    """A region or a type ticked or unticked."""
    kind, value = _data(update, 2)
    answers = scratch(context, FLOW)
    if kind == "r":
        key = next((r.key for r in await browse.regions(context.deps.uow) if str(r.id) == value), None)
        field, item = "regions", key
    else:
        field, item = "types", TYPES[value].value if value in TYPES else None
    if item is None:
        raise InvalidInput("error.stale")
    current = list(answers.get(field, []))
    answers[field] = [x for x in current if x != item] if item in current else [*current, item]
    return await _choose(update, context)


@guarded
async def ask_typed(update: Update, context: BotContext) -> int:
    """Countries or initiatives are typed."""
    kind = _data(update, 2)[0]
    viewer = await context.viewer(update)
    await show(
        update, t(viewer.language, "subscribe.ask_countries" if kind == "c" else "subscribe.ask_initiatives")
    )
    return COUNTRIES if kind == "c" else INITIATIVES


@guarded
async def got_countries(update: Update, context: BotContext) -> int:
    """Names in any EU language or codes, comma-separated."""
    assert update.message is not None
    codes = await curation.resolve_countries(context.deps.uow, update.message.text or "")
    answers = scratch(context, FLOW)
    answers["countries"] = sorted(set(answers.get("countries", [])) | set(codes))
    return await _choose(update, context)


@guarded
async def got_initiatives(update: Update, context: BotContext) -> int:
    """References, comma-separated."""
    assert update.message is not None
    viewer = await context.viewer(update)
    answers = scratch(context, FLOW)
    found = set(answers.get("initiatives", []))
    refs = [r.strip() for r in (update.message.text or "").split(",") if r.strip()][:30]
    found.update(i.id for i in await browse.find_initiatives_by_refs(context.deps.uow, viewer, refs))
    answers["initiatives"] = sorted(found)
    return await _choose(update, context)


@guarded
async def choose_done(update: Update, context: BotContext) -> int:
    """At least one thing chosen."""
    _data(update, 2)
    answers = scratch(context, FLOW)
    if not any(answers.get(k) for k in ("regions", "countries", "types", "initiatives")):
        raise InvalidInput("subscribe.choose_something")
    return await _ask_frequency(update, context)


async def _ask_frequency(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    options = [button(t(viewer.language, f"subscribe.{f.value}"), "sb", "freq", f.value) for f in Frequency]
    await show(update, t(viewer.language, "subscribe.ask_frequency"), keyboard(options))
    return FREQ


@guarded
async def got_frequency(update: Update, context: BotContext) -> int:
    """Weekly asks the weekday; daily goes to the time."""
    frequency = chosen(Frequency, _data(update, 2)[1])
    answers = scratch(context, FLOW)
    answers["frequency"] = frequency.value
    viewer = await context.viewer(update)
    if frequency is Frequency.DAILY:
        answers["weekday"] = 0
        return await _ask_time(update, context)
    days = [button(t(viewer.language, f"subscribe.day_{d}"), "sb", "day", n) for n, d in enumerate(WEEKDAYS)]
    await show(update, t(viewer.language, "subscribe.ask_weekday"), keyboard(*grid(days, 4)))
    return WEEKDAY


@guarded
async def got_weekday(update: Update, context: BotContext) -> int:
    """Keep the weekday."""
    day = as_int(_data(update, 2)[1])
    if day is None or day > 6:
        raise InvalidInput("error.stale")
    scratch(context, FLOW)["weekday"] = day
    return await _ask_time(update, context)


async def _ask_time(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    zone = viewer.member.time_zone if viewer.member else DEFAULT_ZONE
    options = [button(time, "sb", "time", time.replace(":", "")) for time in TIMES]
    options.append(button(t(viewer.language, "subscribe.other_time"), "sb", "time", "typed"))
    await show(update, t(viewer.language, "subscribe.ask_time", zone=zone), keyboard(*grid(options, 3)))
    return TIME


@guarded
async def got_time(update: Update, context: BotContext) -> int:
    """A listed time, or ask for one to the minute."""
    value = _data(update, 2)[1]
    if value == "typed":
        viewer = await context.viewer(update)
        await show(update, t(viewer.language, "subscribe.ask_typed_time"))
        return TYPED_TIME
    if value not in {time.replace(":", "") for time in TIMES}:
        raise InvalidInput("error.stale")
    scratch(context, FLOW)["at"] = f"{value[:2]}:{value[2:]}"
    return await _ask_empty(update, context)


@guarded
async def got_typed_time(update: Update, context: BotContext) -> int:
    """HH:MM."""
    assert update.message is not None
    text = check_typed(update.message.text or "", lines=False).strip()
    try:
        at = parse_time(text)
    except ValueError:
        raise InvalidInput("subscribe.bad_time", value=text[:20]) from None
    scratch(context, FLOW)["at"] = at.strftime("%H:%M")
    return await _ask_empty(update, context)


async def _ask_empty(update: Update, context: BotContext) -> int:
    viewer = await context.viewer(update)
    options = [
        button(t(viewer.language, "subscribe.send_empty"), "sb", "empty", "1"),
        button(t(viewer.language, "subscribe.skip_empty"), "sb", "empty", "0"),
    ]
    await show(update, t(viewer.language, "subscribe.ask_empty"), keyboard(*grid(options, 1)))
    return EMPTY


def _listed(answers: Mapping[str, object], key: str) -> list[str]:
    value = answers.get(key) or []
    return [str(v) for v in value] if isinstance(value, list) else []


def _scope(answers: Mapping[str, object]) -> Scope:
    if answers.get("everything"):
        return Scope()
    return Scope(
        everything=False,
        regions=tuple(_listed(answers, "regions")),
        countries=tuple(_listed(answers, "countries")),
        types=tuple(InitiativeType(v) for v in _listed(answers, "types")),
        initiatives=tuple(int(v) for v in _listed(answers, "initiatives")),
    )


@guarded
async def got_empty(update: Update, context: BotContext) -> int:
    """Keep the choice; show the digest as it would be now, and confirm."""
    scratch(context, FLOW)["send_empty"] = _data(update, 2)[1] == "1"
    viewer = await context.viewer(update)
    answers = scratch(context, FLOW)
    member, digest = await digests.preview(
        context.deps.uow, actor_of(update), _scope(answers), context.deps.clock.now()
    )
    regions, countries = await place_names(context.deps.uow)
    rendered = digest_messages(
        Viewer(member.telegram_user_id, member, member.language), digest, regions, countries
    )
    summary = t(viewer.language, "subscribe.summary", when=_when(viewer, answers))
    confirm = keyboard([button(t(viewer.language, "subscribe.confirm"), "sb", "ok", "-")])
    first = split_html(rendered.parts[0], 3000)[0]
    await show(
        update,
        f"{summary}\n\n{t(viewer.language, 'subscribe.preview')}\n\n{first}",
        confirm,
        protect=rendered.protect,
    )
    return PREVIEW


def _when(viewer: Viewer, answers: Mapping[str, object]) -> str:
    lang = viewer.language
    zone = viewer.member.time_zone if viewer.member else DEFAULT_ZONE
    if answers.get("frequency") == Frequency.DAILY.value:
        return t(lang, "subscribe.when_daily", at=answers.get("at", ""), zone=zone)
    day = t(lang, f"subscribe.day_{WEEKDAYS[int(str(answers.get('weekday', 0)))]}")
    return t(lang, "subscribe.when_weekly", day=day, at=answers.get("at", ""), zone=zone)


@guarded
async def confirm(update: Update, context: BotContext) -> int:
    """Save (or change) and schedule it."""
    _data(update, 2)
    answers = scratch(context, FLOW)
    if not {"frequency", "at", "send_empty"} <= answers.keys():
        raise InvalidInput("error.stale")
    ident = answers.get("id")
    saved = await digests.subscribe(
        context.deps.uow,
        actor_of(update),
        _scope(answers),
        Frequency(str(answers["frequency"])),
        int(str(answers.get("weekday", 0))),
        parse_time(str(answers["at"])),
        bool(answers["send_empty"]),
        context.deps.clock.now(),
        ident if isinstance(ident, int) else None,
    )
    clear(context, FLOW)
    if context.job_queue is not None:
        schedule(context.job_queue, saved, context.deps.clock.now())
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "subscribe.saved", due=local(saved.next_due_at, viewer)))
    return END


async def _list(update: Update, context: BotContext) -> None:
    found = await digests.my_subscriptions(context.deps.uow, actor_of(update))
    viewer = await context.viewer(update)
    lang = viewer.language
    if not found:
        await show(update, t(lang, "subscriptions.none"))
        return
    lines = [t(lang, "subscriptions.header", count=len(found))]
    rows: list[list[InlineKeyboardButton]] = []
    for n, sub in enumerate(found, start=1):
        lines.append(f"{n}. {_describe(viewer, sub)}")
        pause = ("resume", "subscriptions.resume") if sub.paused else ("pause", "subscriptions.pause")
        rows.append(
            [
                button(f"{n}: " + t(lang, "subscriptions.preview"), "sb", "prev", sub.id),
                button(t(lang, pause[1]), "sb", pause[0], sub.id),
            ]
        )
        rows.append(
            [
                button(t(lang, "subscriptions.edit"), "sb", "edit", sub.id),
                button(t(lang, "subscriptions.delete"), "sb", "del", sub.id),
            ]
        )
    await show_long(update, "\n".join(lines), keyboard(*rows))


def _describe(viewer: Viewer, sub: Subscription) -> str:
    lang = viewer.language
    scope = sub.scope
    what = (
        t(lang, "subscribe.everything")
        if scope.everything
        else ", ".join(
            [
                *scope.regions,
                *scope.countries,
                *(t(lang, f"type.{k.value}") for k in scope.types),
                *(f"#{i}" for i in scope.initiatives),
            ]
        )
    )
    answers = {"frequency": sub.frequency.value, "weekday": sub.weekday, "at": sub.at.strftime("%H:%M")}
    state = (
        t(lang, "subscriptions.paused")
        if sub.paused
        else t(lang, "subscriptions.next", due=local(sub.next_due_at, viewer))
    )
    return f"{esc(what)} · {_when(viewer, answers)} · {state}"


@guarded
async def subscriptions_command(update: Update, context: BotContext) -> None:
    """Each subscription with its buttons."""
    await _list(update, context)


@guarded
async def manage(update: Update, context: BotContext) -> None:
    """Preview, pause, resume, delete one subscription (the service checks it is the member's)."""
    action, value = _data(update, 2)
    ident = as_int(value)
    if ident is None or action not in ("prev", "pause", "resume", "del"):
        raise InvalidInput("error.stale")
    now = context.deps.clock.now()
    if action == "prev":  # a preview composes a whole digest: an expensive request
        if await within_budget(update, context):
            await context.deps.lane.run(update, context, _preview_one)
        return
    if action == "del":
        await digests.unsubscribe(context.deps.uow, actor_of(update), ident, now)
        if context.job_queue is not None:
            unschedule(context.job_queue, ident)
    else:
        changed = await digests.set_paused(context.deps.uow, actor_of(update), ident, action == "pause", now)
        if context.job_queue is not None:
            schedule(context.job_queue, changed, now)
    await _list(update, context)


@guarded
async def _preview_one(update: Update, context: BotContext) -> None:
    """The digest one of the member's subscriptions would bring now."""
    ident = as_int(_data(update, 2)[1])
    own = {s.id: s for s in await digests.my_subscriptions(context.deps.uow, actor_of(update))}
    if ident not in own:
        raise InvalidInput("error.stale")
    await _send_preview(update, context, own[ident].scope)


async def _send_preview(update: Update, context: BotContext, scope: Scope | None) -> None:
    member, digest = await digests.preview(
        context.deps.uow, actor_of(update), scope, context.deps.clock.now()
    )
    regions, countries = await place_names(context.deps.uow)
    if update.callback_query is not None:
        await update.callback_query.answer()
    rendered = digest_messages(
        Viewer(member.telegram_user_id, member, member.language), digest, regions, countries
    )
    for text in rendered.parts:
        await reply(update, text, protect=rendered.protect)


@expensive
@guarded
async def digest_command(update: Update, context: BotContext) -> None:
    """The digest this member would get now, for the last 7 days."""
    await _send_preview(update, context, None)


@guarded
async def unsubscribe_command(update: Update, context: BotContext) -> None:
    """Ask before removing them all."""
    found = await digests.my_subscriptions(context.deps.uow, actor_of(update))
    viewer = await context.viewer(update)
    if not found:
        await show(update, t(viewer.language, "subscriptions.none"))
        return
    await show(
        update,
        t(viewer.language, "unsubscribe.confirm", count=len(found)),
        keyboard(
            [
                button(t(viewer.language, "unsubscribe.yes"), "sb", "unsuball", "-"),
                button(t(viewer.language, "unsubscribe.no"), "sb", "keep", "-"),
            ]
        ),
    )


@guarded
async def unsubscribe_answer(update: Update, context: BotContext) -> None:
    """Remove all, or keep them."""
    action = _data(update, 2)[0]
    viewer = await context.viewer(update)
    if action == "keep":
        await show(update, t(viewer.language, "unsubscribe.kept"))
        return
    own = await digests.my_subscriptions(context.deps.uow, actor_of(update))
    count = await digests.unsubscribe(context.deps.uow, actor_of(update), None, context.deps.clock.now())
    if context.job_queue is not None:
        for sub in own:
            unschedule(context.job_queue, sub.id)
    await show(update, t(viewer.language, "unsubscribe.done", count=count))


def handlers() -> list[object]:
    """The subscribe flow, then the stateless buttons and commands."""
    private = filters.ChatType.PRIVATE
    flow = guided(
        FLOW,
        [
            CommandHandler("subscribe", subscribe_command, filters=private),
            CallbackQueryHandler(edit_button, pattern="^sb:edit:"),
        ],
        {
            WHAT: [CallbackQueryHandler(got_what, pattern="^sb:what:")],
            CHOOSE: [
                CallbackQueryHandler(toggle, pattern="^sb:[rt]:"),
                CallbackQueryHandler(ask_typed, pattern="^sb:[ci]:"),
                CallbackQueryHandler(choose_done, pattern="^sb:done:"),
            ],
            COUNTRIES: [MessageHandler(TYPED, got_countries)],
            INITIATIVES: [MessageHandler(TYPED, got_initiatives)],
            FREQ: [CallbackQueryHandler(got_frequency, pattern="^sb:freq:")],
            WEEKDAY: [CallbackQueryHandler(got_weekday, pattern="^sb:day:")],
            TIME: [CallbackQueryHandler(got_time, pattern="^sb:time:")],
            TYPED_TIME: [MessageHandler(TYPED, got_typed_time)],
            EMPTY: [CallbackQueryHandler(got_empty, pattern="^sb:empty:")],
            PREVIEW: [CallbackQueryHandler(confirm, pattern="^sb:ok:")],
        },
    )
    return [
        flow,
        CommandHandler("subscriptions", subscriptions_command, filters=private),
        CommandHandler("unsubscribe", unsubscribe_command, filters=private),
        CommandHandler("digest", digest_command, filters=private),
        CallbackQueryHandler(manage, pattern="^sb:(prev|pause|resume|del):"),
        CallbackQueryHandler(unsubscribe_answer, pattern="^sb:(unsuball|keep):"),
    ]
