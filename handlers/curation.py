"""/newinitiative (guided, admins) and the ✏️ Edit button of an initiative's detail view."""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.catalogue import InitiativeSpec
from bot.domain.drafts import check_text, check_url, parse_date
from bot.domain.errors import InvalidInput
from bot.domain.exchange import TEXT_LIMITS
from bot.domain.vocab import InitiativeStatus, InitiativeType
from bot.services import curation
from handlers.context import BotContext
from handlers.flow import END, clear, guided, scratch
from handlers.initiative_view import detail_view
from handlers.keyboards import as_int, button, chosen, grid, keyboard, parts
from handlers.respond import actor_of, guarded, reply, show
from handlers.texts import t

TITLE, TYPE, STATUS, COUNTRIES, LEAD, START, SOURCE, REF, CONFIRM = range(9)
FIELD, VALUE = range(10, 12)
FLOW, EDIT = "newinitiative", "edit"
TEXT = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE


def _pick(update: Update, prefix: str, step: str) -> str:
    data = parts(update.callback_query.data if update.callback_query else None, prefix, 2)
    if data is None or data[0] != step:
        raise InvalidInput("error.stale")
    return data[1]


async def _ask(
    update: Update, context: BotContext, key: str, *rows: list[InlineKeyboardButton], **values: object
) -> None:
    viewer = await context.viewer(update)
    skip = [button(t(viewer.language, "draft.skip"), "new", "skip", "-")] if key in _SKIPPABLE else []
    await show(update, t(viewer.language, key, **values), keyboard(*rows, skip))


_SKIPPABLE = {"draft.ask_countries", "draft.ask_lead", "draft.ask_start", "draft.ask_source"}


@guarded
async def begin(update: Update, context: BotContext) -> int:
    """Admins only: ask for the title."""
    await curation.authorize_curator(context.deps.uow, actor_of(update))
    clear(context, FLOW)
    await _ask(update, context, "draft.ask_title")
    return TITLE


@guarded
async def got_title(update: Update, context: BotContext) -> int:
    """Keep the title; offer the types."""
    assert update.message is not None and update.message.text is not None
    scratch(context, FLOW)["title"] = check_text(update.message.text, "title", *TEXT_LIMITS["title"])
    viewer = await context.viewer(update)
    kinds = [button(t(viewer.language, f"type.{k.value}"), "new", "type", k.value) for k in InitiativeType]
    await _ask(update, context, "draft.ask_type", *grid(kinds, 2))
    return TYPE


@guarded
async def got_type(update: Update, context: BotContext) -> int:
    """Keep the type; offer the statuses."""
    scratch(context, FLOW)["type"] = chosen(InitiativeType, _pick(update, "new", "type")).value
    viewer = await context.viewer(update)
    statuses = [
        button(t(viewer.language, f"status.{s.value}"), "new", "status", s.value) for s in InitiativeStatus
    ]
    await _ask(update, context, "draft.ask_status", statuses)
    return STATUS


@guarded
async def got_status(update: Update, context: BotContext) -> int:
    """Keep the status; ask for countries."""
    scratch(context, FLOW)["status"] = chosen(InitiativeStatus, _pick(update, "new", "status")).value
    await _ask(update, context, "draft.ask_countries")
    return COUNTRIES


def _typed(update: Update) -> str | None:
    """The text typed, or None when the Skip button was pressed."""
    if update.callback_query is not None:
        _pick(update, "new", "skip")
        return None
    assert update.message is not None
    return update.message.text or ""


@guarded
async def got_countries(update: Update, context: BotContext) -> int:
    """Resolve the names (any EU language, typos forgiven); ask for the lead."""
    text = _typed(update)
    codes = await curation.resolve_countries(context.deps.uow, text) if text else ()
    scratch(context, FLOW)["countries"] = list(codes)
    await _ask(update, context, "draft.ask_lead")
    return LEAD


@guarded
async def got_lead(update: Update, context: BotContext) -> int:
    """Keep the lead; ask for the start date."""
    text = _typed(update)
    scratch(context, FLOW)["lead"] = check_text(text, "lead", *TEXT_LIMITS["lead"]) if text else None
    await _ask(update, context, "draft.ask_start")
    return START


@guarded
async def got_start(update: Update, context: BotContext) -> int:
    """Keep the start date; ask for the source link."""
    text = _typed(update)
    scratch(context, FLOW)["start_date"] = parse_date(text).isoformat() if text else None
    await _ask(update, context, "draft.ask_source")
    return SOURCE


@guarded
async def got_source(update: Update, context: BotContext) -> int:
    """Keep the source; suggest a free reference."""
    text = _typed(update)
    answers = scratch(context, FLOW)
    answers["source_url"] = check_url(text) if text else None
    year = (
        dt.date.fromisoformat(answers["start_date"]).year
        if answers.get("start_date")
        else (context.deps.clock.now().year)
    )
    ref = await curation.available_ref(
        context.deps.uow, InitiativeType(answers["type"]), tuple(answers.get("countries", ())), year
    )
    answers["ref"] = ref
    viewer = await context.viewer(update)
    await _ask(
        update,
        context,
        "draft.ask_ref",
        [button(t(viewer.language, "draft.use_ref", ref=ref), "new", "ref", ref)],
        ref=ref,
    )
    return REF


@guarded
async def got_ref(update: Update, context: BotContext) -> int:
    """Keep the reference (suggested or typed); show the preview."""
    if update.callback_query is not None:
        ref = _pick(update, "new", "ref")
    else:
        assert update.message is not None
        ref = update.message.text or ""
    answers = scratch(context, FLOW)
    answers["ref"] = await curation.ensure_ref_free(context.deps.uow, ref)
    viewer = await context.viewer(update)
    spec = _spec(answers)
    preview = t(
        viewer.language,
        "draft.preview",
        ref=spec.ref,
        title=spec.title,
        type=t(viewer.language, f"type.{spec.type.value}"),
        status=t(viewer.language, f"status.{spec.status.value}"),
        countries=", ".join(spec.countries) or "—",
        lead=spec.lead or "—",
        start=spec.start_date.isoformat() if spec.start_date else "—",
        source=spec.source_url or "—",
    )
    await show(update, preview, keyboard([button(t(viewer.language, "draft.create"), "new", "ok", "-")]))
    return CONFIRM


def _spec(answers: dict[str, object]) -> InitiativeSpec:
    start = answers.get("start_date")
    return InitiativeSpec(
        ref=str(answers["ref"]),
        title=str(answers["title"]),
        type=InitiativeType(str(answers["type"])),
        status=InitiativeStatus(str(answers["status"])),
        countries=tuple(answers.get("countries") or ()),  # type: ignore[arg-type]
        lead=answers.get("lead") or None,  # type: ignore[arg-type]
        start_date=dt.date.fromisoformat(str(start)) if start else None,
        year=dt.date.fromisoformat(str(start)).year if start else None,
        source_url=answers.get("source_url") or None,  # type: ignore[arg-type]
    )


@guarded
async def confirm(update: Update, context: BotContext) -> int:
    """Create it (the service checks the admin and the reference again) and show its details."""
    _pick(update, "new", "ok")
    answers = scratch(context, FLOW)
    if not {"ref", "title", "type", "status"} <= answers.keys():
        raise InvalidInput("error.stale")
    created = await curation.create_initiative(
        context.deps.uow, actor_of(update), _spec(answers), context.deps.clock.now()
    )
    clear(context, FLOW)
    await detail_view(update, context, str(created.id), 0)
    return END


@guarded
async def edit_menu(update: Update, context: BotContext) -> int:
    """The fields that can be edited, as buttons."""
    data = parts(update.callback_query.data if update.callback_query else None, "ied", 2)
    ident = as_int(data[0]) if data else None
    if ident is None:
        raise InvalidInput("error.stale")
    await curation.authorize_curator(context.deps.uow, actor_of(update))
    scratch(context, EDIT).update(id=ident)
    viewer = await context.viewer(update)
    fields = [
        button(t(viewer.language, f"draft.field_{f}"), "ied", ident, f)
        for f in curation.EDITABLE
        if f != "regions"
    ]
    await show(update, t(viewer.language, "draft.edit_which"), keyboard(*grid(fields, 2)))
    return FIELD


@guarded
async def edit_field(update: Update, context: BotContext) -> int:
    """Ask for the new value: buttons for type and status, text for the rest."""
    data = parts(update.callback_query.data if update.callback_query else None, "ied", 2)
    if data is None or data[1] not in curation.EDITABLE:
        raise InvalidInput("error.stale")
    answers = scratch(context, EDIT)
    answers["field"] = data[1]
    viewer = await context.viewer(update)
    lang = viewer.language
    if data[1] in ("type", "status"):
        kinds = InitiativeType if data[1] == "type" else InitiativeStatus
        choices = [button(t(lang, f"{data[1]}.{k.value}"), "iev", k.value) for k in kinds]
        await show(update, t(lang, "draft.edit_pick"), keyboard(*grid(choices, 2)))
    else:
        await show(update, t(lang, f"draft.edit_{data[1]}"))
    return VALUE


@guarded
async def edit_value(update: Update, context: BotContext) -> int:
    """Save the value (the service checks admin, field and value) and show the initiative."""
    answers = scratch(context, EDIT)
    if update.callback_query is not None:
        data = parts(update.callback_query.data, "iev", 1)
        value = data[0] if data else ""
    else:
        assert update.message is not None
        value = update.message.text or ""
    if "id" not in answers or "field" not in answers:
        raise InvalidInput("error.stale")
    saved = await curation.edit_initiative(
        context.deps.uow,
        actor_of(update),
        int(answers["id"]),
        str(answers["field"]),
        value,
        context.deps.clock.now(),
    )
    clear(context, EDIT)
    if update.callback_query is None:
        viewer = await context.viewer(update)
        await reply(update, t(viewer.language, "draft.saved", ref=saved.ref))
    await detail_view(update, context, str(saved.id), 0)
    return END


def handlers() -> list[object]:
    """The creation and edit flows."""
    skip = CallbackQueryHandler
    create = guided(
        FLOW,
        [CommandHandler("newinitiative", begin, filters=filters.ChatType.PRIVATE)],
        {
            TITLE: [MessageHandler(TEXT, got_title)],
            TYPE: [CallbackQueryHandler(got_type, pattern="^new:type:")],
            STATUS: [CallbackQueryHandler(got_status, pattern="^new:status:")],
            COUNTRIES: [MessageHandler(TEXT, got_countries), skip(got_countries, pattern="^new:skip:")],
            LEAD: [MessageHandler(TEXT, got_lead), skip(got_lead, pattern="^new:skip:")],
            START: [MessageHandler(TEXT, got_start), skip(got_start, pattern="^new:skip:")],
            SOURCE: [MessageHandler(TEXT, got_source), skip(got_source, pattern="^new:skip:")],
            REF: [MessageHandler(TEXT, got_ref), CallbackQueryHandler(got_ref, pattern="^new:ref:")],
            # At the preview a typed reference replaces the suggested one (also after a clash at Create).
            CONFIRM: [CallbackQueryHandler(confirm, pattern="^new:ok:"), MessageHandler(TEXT, got_ref)],
        },
    )
    edit = guided(
        EDIT,
        [CallbackQueryHandler(edit_menu, pattern=r"^ied:\d+:menu$")],
        {
            FIELD: [CallbackQueryHandler(edit_field, pattern=r"^ied:\d+:[a-z_]+$")],
            VALUE: [MessageHandler(TEXT, edit_value), CallbackQueryHandler(edit_value, pattern="^iev:")],
        },
    )
    return [create, edit]
