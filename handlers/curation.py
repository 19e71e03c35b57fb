"""/newinitiative (guided, admins) and the ✏️ Edit button of an initiative's detail view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.drafts import check_text, check_url, parse_date
from bot.domain.errors import InvalidInput
from bot.domain.exchange import TEXT_LIMITS
from bot.domain.specs import InitiativeSpec
from bot.domain.vocab import InitiativeStatus, InitiativeType
from bot.services import curation
from handlers.buttons import EditInitiative
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.flow import END, Draft, draft, drop, guided, keep
from handlers.initiative_view import detail_view
from handlers.keyboards import button, grid, keyboard
from handlers.respond import actor_of, guarded, reply, show
from handlers.texts import t

TITLE, TYPE, STATUS, COUNTRIES, LEAD, START, SOURCE, REF, CONFIRM = range(9)
FIELD, VALUE = range(10, 12)
TEXT = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE


@dataclass(frozen=True)
class NewType(CallbackData, prefix="new:type"):
    """The new initiative's type."""

    type: InitiativeType


@dataclass(frozen=True)
class NewStatus(CallbackData, prefix="new:status"):
    """The new initiative's status."""

    status: InitiativeStatus


@dataclass(frozen=True)
class SkipStep(CallbackData, prefix="new:skip"):
    """Leave an optional field empty."""


@dataclass(frozen=True)
class UseRef(CallbackData, prefix="new:ref"):
    """The suggested reference."""

    ref: str


@dataclass(frozen=True)
class CreateInitiative(CallbackData, prefix="new:ok"):
    """Create it."""


@dataclass(frozen=True)
class EditField(CallbackData, prefix="ief"):
    """The field to edit."""

    initiative: int
    field: str


@dataclass(frozen=True)
class FieldValue(CallbackData, prefix="iev"):
    """A type's or status's value for the field being edited."""

    value: str


class NewInitiative(Draft):
    """The /newinitiative flow's answers so far."""

    title: str | None = None
    type: InitiativeType | None = None
    status: InitiativeStatus | None = None
    countries: tuple[str, ...] = ()
    lead: str | None = None
    start_date: dt.date | None = None
    source_url: str | None = None
    ref: str | None = None

    def spec(self) -> InitiativeSpec:
        """The initiative to create; a stale button when a required step is missing."""
        if self.ref is None or self.title is None or self.type is None or self.status is None:
            raise InvalidInput("error.stale")
        return InitiativeSpec(
            ref=self.ref,
            title=self.title,
            type=self.type,
            status=self.status,
            countries=self.countries,
            lead=self.lead,
            start_date=self.start_date,
            year=self.start_date.year if self.start_date else None,
            source_url=self.source_url,
        )


class EditAnswers(Draft):
    """The initiative and field being edited."""

    initiative: int
    field: str | None = None


def _with(context: BotContext, **changes: object) -> NewInitiative:
    found = draft(context, NewInitiative).model_copy(update=changes)
    keep(context, found)
    return found


async def _ask(
    update: Update, context: BotContext, key: str, *rows: list[InlineKeyboardButton], **values: object
) -> None:
    viewer = await context.viewer(update)
    skip = [button(t(viewer.language, "draft.skip"), SkipStep())] if key in _SKIPPABLE else []
    await show(update, t(viewer.language, key, **values), keyboard(*rows, skip))


_SKIPPABLE = {"draft.ask_countries", "draft.ask_lead", "draft.ask_start", "draft.ask_source"}


@guarded
async def begin(update: Update, context: BotContext) -> int:
    """Admins only: ask for the title."""
    await curation.authorize_curator(context.deps.uow, actor_of(update))
    keep(context, NewInitiative())
    await _ask(update, context, "draft.ask_title")
    return TITLE


@guarded
async def got_title(update: Update, context: BotContext) -> int:
    """Keep the title; offer the types."""
    assert update.message is not None and update.message.text is not None
    _with(context, title=check_text(update.message.text, "title", *TEXT_LIMITS["title"]))
    viewer = await context.viewer(update)
    kinds = [button(t(viewer.language, f"type.{k.value}"), NewType(k)) for k in InitiativeType]
    await _ask(update, context, "draft.ask_type", *grid(kinds, 2))
    return TYPE


@guarded
async def got_type(update: Update, context: BotContext) -> int:
    """Keep the type; offer the statuses."""
    _with(context, type=NewType.read(update).type)
    viewer = await context.viewer(update)
    statuses = [button(t(viewer.language, f"status.{s.value}"), NewStatus(s)) for s in InitiativeStatus]
    await _ask(update, context, "draft.ask_status", statuses)
    return STATUS


@guarded
async def got_status(update: Update, context: BotContext) -> int:
    """Keep the status; ask for countries."""
    _with(context, status=NewStatus.read(update).status)
    await _ask(update, context, "draft.ask_countries")
    return COUNTRIES


def _typed(update: Update) -> str | None:
    """The text typed, or None when the Skip button was pressed."""
    if update.callback_query is not None:
        SkipStep.read(update)
        return None
    assert update.message is not None
    return update.message.text or ""


@guarded
async def got_countries(update: Update, context: BotContext) -> int:
    """Resolve the names (any EU language, typos forgiven); ask for the lead."""
    text = _typed(update)
    codes = await curation.resolve_countries(context.deps.uow, text) if text else ()
    _with(context, countries=tuple(codes))
    await _ask(update, context, "draft.ask_lead")
    return LEAD


@guarded
async def got_lead(update: Update, context: BotContext) -> int:
    """Keep the lead; ask for the start date."""
    text = _typed(update)
    _with(context, lead=check_text(text, "lead", *TEXT_LIMITS["lead"]) if text else None)
    await _ask(update, context, "draft.ask_start")
    return START


@guarded
async def got_start(update: Update, context: BotContext) -> int:
    """Keep the start date; ask for the source link."""
    text = _typed(update)
    _with(context, start_date=parse_date(text, context.deps.clock.now().date()) if text else None)
    await _ask(update, context, "draft.ask_source")
    return SOURCE


@guarded
async def got_source(update: Update, context: BotContext) -> int:
    """Keep the source; suggest a free reference."""
    text = _typed(update)
    answers = _with(context, source_url=check_url(text) if text else None)
    if answers.type is None:
        raise InvalidInput("error.stale")
    year = answers.start_date.year if answers.start_date else context.deps.clock.now().year
    ref = await curation.available_ref(context.deps.uow, answers.type, answers.countries, year)
    _with(context, ref=ref)
    viewer = await context.viewer(update)
    use = [button(t(viewer.language, "draft.use_ref", ref=ref), UseRef(ref))]
    await _ask(update, context, "draft.ask_ref", use, ref=ref)
    return REF


@guarded
async def got_ref(update: Update, context: BotContext) -> int:
    """Keep the reference (suggested or typed); show the preview."""
    if update.callback_query is not None:
        ref = UseRef.read(update).ref
    else:
        assert update.message is not None
        ref = update.message.text or ""
    spec = _with(context, ref=await curation.ensure_ref_free(context.deps.uow, ref)).spec()
    viewer = await context.viewer(update)
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
    await show(update, preview, keyboard([button(t(viewer.language, "draft.create"), CreateInitiative())]))
    return CONFIRM


@guarded
async def confirm(update: Update, context: BotContext) -> int:
    """Create it (the service checks the admin and the reference again) and show its details."""
    CreateInitiative.read(update)
    spec = draft(context, NewInitiative).spec()
    created = await curation.create_initiative(
        context.deps.uow, actor_of(update), spec, context.deps.clock.now()
    )
    drop(context, NewInitiative)
    await detail_view(update, context, str(created.id), 0)
    return END


@guarded
async def edit_menu(update: Update, context: BotContext) -> int:
    """The fields that can be edited, as buttons."""
    ident = EditInitiative.read(update).initiative
    await curation.authorize_curator(context.deps.uow, actor_of(update))
    keep(context, EditAnswers(initiative=ident))
    viewer = await context.viewer(update)
    fields = [
        button(t(viewer.language, f"draft.field_{f}"), EditField(ident, f))
        for f in curation.EDITABLE
        if f != "regions"
    ]
    await show(update, t(viewer.language, "draft.edit_which"), keyboard(*grid(fields, 2)))
    return FIELD


@guarded
async def edit_field(update: Update, context: BotContext) -> int:
    """Ask for the new value: buttons for type and status, text for the rest."""
    pressed = EditField.read(update)
    field = pressed.field
    if field not in curation.EDITABLE:
        raise InvalidInput("error.stale")
    keep(context, EditAnswers(initiative=pressed.initiative, field=field))
    viewer = await context.viewer(update)
    lang = viewer.language
    if field in ("type", "status"):
        kinds = InitiativeType if field == "type" else InitiativeStatus
        choices = [button(t(lang, f"{field}.{k.value}"), FieldValue(k.value)) for k in kinds]
        await show(update, t(lang, "draft.edit_pick"), keyboard(*grid(choices, 2)))
    else:
        await show(update, t(lang, f"draft.edit_{field}"))
    return VALUE


@guarded
async def edit_value(update: Update, context: BotContext) -> int:
    """Save the value (the service checks admin, field and value) and show the initiative."""
    answers = draft(context, EditAnswers)
    if update.callback_query is not None:
        value = FieldValue.read(update).value
    else:
        assert update.message is not None
        value = update.message.text or ""
    if answers.field is None:
        raise InvalidInput("error.stale")
    now = context.deps.clock.now()
    saved = await curation.edit_initiative(
        context.deps.uow, actor_of(update), answers.initiative, answers.field, value, now
    )
    drop(context, EditAnswers)
    if update.callback_query is None:
        viewer = await context.viewer(update)
        await reply(update, t(viewer.language, "draft.saved", ref=saved.ref))
    await detail_view(update, context, str(saved.id), 0)
    return END


def handlers() -> list[object]:
    """The creation and edit flows."""
    skip = SkipStep.pattern
    create = guided(
        "newinitiative",
        [CommandHandler("newinitiative", begin, filters=filters.ChatType.PRIVATE)],
        {
            TITLE: [MessageHandler(TEXT, got_title)],
            TYPE: [CallbackQueryHandler(got_type, pattern=NewType.pattern)],
            STATUS: [CallbackQueryHandler(got_status, pattern=NewStatus.pattern)],
            COUNTRIES: [
                MessageHandler(TEXT, got_countries),
                CallbackQueryHandler(got_countries, pattern=skip),
            ],
            LEAD: [MessageHandler(TEXT, got_lead), CallbackQueryHandler(got_lead, pattern=skip)],
            START: [MessageHandler(TEXT, got_start), CallbackQueryHandler(got_start, pattern=skip)],
            SOURCE: [MessageHandler(TEXT, got_source), CallbackQueryHandler(got_source, pattern=skip)],
            REF: [MessageHandler(TEXT, got_ref), CallbackQueryHandler(got_ref, pattern=UseRef.pattern)],
            # At the preview a typed reference replaces the suggested one (also after a clash at Create).
            CONFIRM: [
                CallbackQueryHandler(confirm, pattern=CreateInitiative.pattern),
                MessageHandler(TEXT, got_ref),
            ],
        },
        answers=NewInitiative,
    )
    edit = guided(
        "edit",
        [CallbackQueryHandler(edit_menu, pattern=EditInitiative.pattern)],
        {
            FIELD: [CallbackQueryHandler(edit_field, pattern=EditField.pattern)],
            VALUE: [
                MessageHandler(TEXT, edit_value),
                CallbackQueryHandler(edit_value, pattern=FieldValue.pattern),
            ],
        },
        answers=EditAnswers,
    )
    return [create, edit]
