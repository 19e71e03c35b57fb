"""Admins create (/newinitiative) and edit (✏️ Edit) initiatives through real updates; others cannot."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from bot.console.updates import Identity
from bot.domain.model import AuditEntry, Initiative
from bot.domain.specs import spec_of
from bot.domain.vocab import InitiativeStatus, InitiativeType, Role
from handlers.buttons import EditInitiative
from handlers.curation import CreateInitiative, EditField, FieldValue, NewStatus, NewType, SkipStep, UseRef
from storage.factory import Store
from storage.models import MemberRow
from tests.bot.flows import alerts, buttons, last_with_buttons, tap
from tests.conftest import register
from tests.harness import BotHarness

TITLE = "Senegal–Gambia labour mobility <pilot> & follow-up"
NOT_ALLOWED = "Sorry, that is not allowed for your role."
MEMBERS_ONLY = "This is for members of the working party."
STALE = "This button is no longer available."


async def by_ref(store: Store, ref: str) -> Initiative | None:
    async with store.uow() as uow:
        return await uow.initiatives.by_ref(ref)


async def count(store: Store) -> int:
    async with store.uow() as uow:
        return await uow.initiatives.count()


async def curation_entries(store: Store) -> list[AuditEntry]:
    """Audit entries of initiative curation, newest first."""
    async with store.uow() as uow:
        return [e for e in await uow.audit.latest(50) if e.action.startswith("initiative.")]


async def admin_id(store: Store, telegram_user_id: int) -> int:
    async with store.uow() as uow:
        member = await uow.members.by_telegram_id(telegram_user_id)
    assert member is not None
    return member.id


async def say(bot: BotHarness, who: Identity, text: str) -> str:
    """Send a text; return the one reply."""
    [reply] = bot.texts(await bot.send(who, text))
    return reply


async def press(bot: BotHarness, who: Identity, label: str) -> str:
    """Press a button by label; return the one text it sent or edited."""
    [reply] = bot.texts(await tap(bot, who, label))
    return reply


async def walk_to_ref(bot: BotHarness, admin: Identity, title: str = TITLE) -> str:
    """/newinitiative up to the reference step, with a bad date and a bad link on the way."""
    assert "<b>New initiative.</b> What is its title?" in await say(bot, admin, "/newinitiative")
    assert "What type of initiative is it?" in await say(bot, admin, f"  {title}  ")
    assert "What is its status?" in await press(bot, admin, "partnership")
    asked = await press(bot, admin, "planned")
    assert "Which third countries?" in asked
    assert "Skip" in buttons(last_with_buttons(bot, admin.user_id))
    assert "Who leads it" in await say(bot, admin, "Sénégal, Gambie")
    assert "When did it start" in await say(bot, admin, "Commission + ES & PT")
    bad_date = await say(bot, admin, "2026-02-30")
    assert "I can't read “2026-02-30” as a date. Write it like 31/12/2026" in bad_date
    assert "A link to the public source" in await say(bot, admin, "2026-03-15")
    assert "Send a link that starts with http:// or https://." in await say(bot, admin, "www.example.eu/sn")
    asked_ref = await say(bot, admin, "https://example.eu/sn-gm?x=1&y=2")
    assert "Its reference will be <code>PART-MULTI-2026</code>." in asked_ref
    return asked_ref


async def test_an_admin_creates_an_initiative_step_by_step(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    await walk_to_ref(bot, admin)
    preview = await press(bot, admin, "Use PART-MULTI-2026")
    assert "<b>Check the new initiative</b>" in preview
    assert "Reference: <code>PART-MULTI-2026</code>" in preview
    assert "Title: Senegal–Gambia labour mobility &lt;pilot&gt; &amp; follow-up" in preview
    assert "Type: partnership · Status: planned" in preview
    assert "Countries: SN, GM" in preview
    assert "Lead: Commission + ES &amp; PT" in preview
    assert "Start: 2026-03-15" in preview
    assert "Source: https://example.eu/sn-gm?x=1&amp;y=2" in preview
    assert await count(store) == 63

    calls = await tap(bot, admin, "✅ Create")
    [detail] = bot.texts(calls)
    assert detail.startswith(
        "<b>Senegal–Gambia labour mobility &lt;pilot&gt; &amp; follow-up</b>\n"
        "<code>PART-MULTI-2026</code> · partnership · planned"
    )
    assert "Senegal" in detail and "Gambia" in detail
    assert '<a href="https://example.eu/sn-gm?x=1&amp;y=2">' in detail
    assert "No updates you may read yet." in detail
    assert "✏️ Edit" in buttons(last_with_buttons(bot, admin.user_id))

    created = await by_ref(store, "part-multi-2026")
    assert created is not None
    assert created.title == TITLE
    assert (created.type, created.status) == (InitiativeType.PARTNERSHIP, InitiativeStatus.PLANNED)
    assert set(created.countries) == {"SN", "GM"}
    assert created.regions == ()
    assert created.lead == "Commission + ES & PT"
    assert (created.start_date, created.year) == (dt.date(2026, 3, 15), 2026)
    assert created.source_url == "https://example.eu/sn-gm?x=1&y=2"
    assert await count(store) == 64
    [entry, *_] = await curation_entries(store)
    assert (entry.action, entry.subject) == ("initiative.created", "PART-MULTI-2026")
    assert entry.actor_id == await admin_id(store, admin.user_id)
    assert entry.details["title"] == TITLE

    # The flow has ended: a typed reference is no longer an answer.
    assert "I work with commands" in await say(bot, admin, "PART-MULTI-2026")


async def test_skipping_the_optional_steps_suggests_an_eu_reference(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    await say(bot, admin, "/newinitiative")
    await say(bot, admin, "Talent partnership outreach")
    await press(bot, admin, "dialogue")
    await press(bot, admin, "active")
    for _ in range(4):  # countries, lead, start date, source link
        await press(bot, admin, "Skip")
    asked = last_with_buttons(bot, admin.user_id)
    assert "<code>DIAL-EU-2026</code>" in asked["text"]
    preview = await press(bot, admin, "Use DIAL-EU-2026")
    assert "Countries: —" in preview and "Lead: —" in preview and "Source: —" in preview
    await tap(bot, admin, "✅ Create")
    created = await by_ref(store, "DIAL-EU-2026")
    assert created is not None
    assert (created.countries, created.lead, created.start_date, created.source_url) == ((), None, None, None)


async def test_a_taken_reference_is_refused_and_the_flow_waits_for_another(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    await walk_to_ref(bot, admin)
    refused = await say(bot, admin, "mp-ma-2013")
    assert "The reference MP-MA-2013 is already used. Send another one." in refused
    assert "Check the new initiative" not in refused
    bad = await say(bot, admin, "not a ref!")
    assert "A reference is capital letters and digits joined by '-'" in bad
    preview = await say(bot, admin, "part-sn-gm-2026")
    assert "Reference: <code>PART-SN-GM-2026</code>" in preview
    await tap(bot, admin, "✅ Create")
    created = await by_ref(store, "PART-SN-GM-2026")
    assert created is not None and created.title == TITLE
    morocco = await by_ref(store, "MP-MA-2013")
    assert morocco is not None and morocco.title == "EU-Morocco Mobility Partnership"
    assert await count(store) == 64


async def test_a_reference_taken_before_confirming_is_refused_and_another_can_be_sent(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    first = people["admin"]
    second = await register(store, 150, Role.ADMIN, "COM", "Sam")
    await walk_to_ref(bot, first)
    assert "Reference: <code>PART-MULTI-2026</code>" in await press(bot, first, "Use PART-MULTI-2026")
    await walk_to_ref(bot, second, "Second initiative on Senegal")
    await press(bot, second, "Use PART-MULTI-2026")
    await tap(bot, second, "✅ Create")
    taken = await by_ref(store, "PART-MULTI-2026")
    assert taken is not None and taken.title == "Second initiative on Senegal"

    said = alerts(await tap(bot, first, "✅ Create"))
    assert said == ["The reference PART-MULTI-2026 is already used. Send another one."]
    assert await by_ref(store, "PART-MULTI-2026") == taken
    assert await count(store) == 64
    assert [e.action for e in await curation_entries(store)] == ["initiative.created"]
    # The refusal asks for another reference: the flow must take one.
    preview = await say(bot, first, "PART-SN-2026")
    assert "Reference: <code>PART-SN-2026</code>" in preview


async def test_cancel_in_the_middle_stores_nothing(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    await say(bot, admin, "/newinitiative")
    await say(bot, admin, "A draft to be dropped")
    await press(bot, admin, "agreement")
    await press(bot, admin, "active")
    await say(bot, admin, "Tunisie")
    assert await say(bot, admin, "/cancel") == "Cancelled. Nothing was changed."
    assert "I work with commands" in await say(bot, admin, "Commission")
    stale = alerts(await tap(bot, admin, "Skip"))
    assert stale and STALE in stale[0]
    assert await count(store) == 63
    assert await by_ref(store, "AGR-TN-2026") is None
    assert not await curation_entries(store)


@pytest.mark.parametrize(
    ("who", "said"),
    [("contact", NOT_ALLOWED), ("observer", NOT_ALLOWED), ("revoked", MEMBERS_ONLY), ("guest", MEMBERS_ONLY)],
)
async def test_non_admins_cannot_create_or_edit(
    bot: BotHarness, store: Store, people: dict[str, Identity], who: str, said: str
) -> None:
    person = people[who]
    morocco = await by_ref(store, "MP-MA-2013")
    assert morocco is not None
    assert said in await say(bot, person, "/newinitiative")
    assert "What type" not in await say(bot, person, "A sneaky title")
    message = {"message_id": 1, "date": 0, "chat": person.chat, "text": "forged"}
    bot.api.chat(person.user_id).messages[1] = dict(message)
    answers = {}
    edit = EditInitiative(morocco.id).data
    for data in (
        NewType(InitiativeType.PARTNERSHIP).data,
        NewStatus(InitiativeStatus.ACTIVE).data,
        SkipStep().data,
        UseRef("PART-XX-2026").data,
        CreateInitiative().data,
        edit,
        EditField(morocco.id, "title").data,
        EditField(morocco.id, "status").data,
        FieldValue("suspended").data,
    ):
        calls = await bot.press(person, message, data)
        answers[data] = alerts(calls)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
    assert len(answers[edit]) == 1
    assert answers[edit][0].startswith(said)
    assert all(len(a) == 1 and (a[0].startswith(said) or a[0].startswith(STALE)) for a in answers.values())
    assert "Saved the change" not in await say(bot, person, "Hacked title")
    assert await by_ref(store, "MP-MA-2013") == morocco
    assert await count(store) == 63
    assert not await curation_entries(store)


async def test_an_admin_demoted_mid_flow_cannot_create(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    await walk_to_ref(bot, admin)
    await press(bot, admin, "Use PART-MULTI-2026")
    async with store.engine.begin() as connection:
        await connection.execute(
            update(MemberRow).where(MemberRow.telegram_user_id == admin.user_id).values(role="contact")
        )
    said = alerts(await tap(bot, admin, "✅ Create"))
    assert said == [NOT_ALLOWED]
    assert await by_ref(store, "PART-MULTI-2026") is None
    assert not await curation_entries(store)


async def open_editor(bot: BotHarness, admin: Identity, field: str) -> str:
    """Press ✏️ Edit on the newest detail, then the field's button; return the question."""
    menu = await press(bot, admin, "✏️ Edit")
    assert menu == "Which field do you want to change?"
    labels = buttons(last_with_buttons(bot, admin.user_id))
    assert set(labels) == {
        "Title",
        "Type",
        "Status",
        "Countries",
        "Lead",
        "Start date",
        "End date",
        "Source link",
        "Notes",
    }
    return await press(bot, admin, field)


async def test_an_admin_edits_fields_and_each_change_is_audited(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    before = await by_ref(store, "MP-MA-2013")
    assert before is not None
    await say(bot, admin, "/initiative MP-MA-2013")

    assert await open_editor(bot, admin, "Title") == "Send the new title."
    saved, detail = bot.texts(await bot.send(admin, "EU–Morocco Mobility Partnership <renewed>"))
    assert saved == "Saved the change to MP-MA-2013."
    assert detail.startswith("<b>EU–Morocco Mobility Partnership &lt;renewed&gt;</b>\n")

    assert await open_editor(bot, admin, "Status") == "Choose the new value:"
    assert {"planned", "active", "completed", "suspended"} <= set(
        buttons(last_with_buttons(bot, admin.user_id))
    )
    detail = await press(bot, admin, "suspended")
    assert "<code>MP-MA-2013</code> · partnership · suspended" in detail

    assert "Send the countries" in await open_editor(bot, admin, "Countries")
    refused = await say(bot, admin, "Maroc, Narnia")
    assert "I found no country called “Narnia”" in refused
    saved, detail = bot.texts(await bot.send(admin, "Maroc, Tunisie"))
    assert "\nCountries: Morocco, Tunisia\n" in detail

    assert "Send the new lead, or - to clear it." in await open_editor(bot, admin, "Lead")
    saved, detail = bot.texts(await bot.send(admin, "-"))
    assert "\nLead:" not in detail

    assert "Send the start date" in await open_editor(bot, admin, "Start date")
    bad = await say(bot, admin, "31/02/2014")
    assert "I can't read “31/02/2014” as a date." in bad
    saved, detail = bot.texts(await bot.send(admin, "2/1/2014"))  # day first: 2 January
    assert "\nDates: 2014-01-02 –\n" in detail

    after = await by_ref(store, "MP-MA-2013")
    assert after is not None
    assert after.title == "EU–Morocco Mobility Partnership <renewed>"
    assert after.status is InitiativeStatus.SUSPENDED
    assert set(after.countries) == {"MA", "TN"}
    assert after.lead is None
    assert after.start_date == dt.date(2014, 1, 2)
    untouched = ("type", "regions", "instruments", "source_url", "partners", "end_date", "notes")
    assert {f: getattr(spec_of(after), f) for f in untouched} == {
        f: getattr(spec_of(before), f) for f in untouched
    }

    entries = await curation_entries(store)
    assert [e.action for e in entries] == ["initiative.edited"] * 5
    assert {e.subject for e in entries} == {"MP-MA-2013"}
    assert {e.actor_id for e in entries} == {await admin_id(store, admin.user_id)}
    assert [e.details["field"] for e in entries] == ["start_date", "lead", "countries", "status", "title"]
    assert entries[-1].details["value"] == "EU–Morocco Mobility Partnership <renewed>"
    assert entries[3].details["value"] == "suspended"
    assert entries[1].details["value"] == "None"
    assert entries[0].details["value"] == "2014-01-02"


async def test_an_edited_lead_keeps_the_limit_an_import_accepts(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    """The chat edit and the file import share one limit, so an initiative exported after an edit
    imports back unchanged."""
    admin = people["admin"]
    await say(bot, admin, "/initiative MP-MA-2013")
    await open_editor(bot, admin, "Lead")
    refused = await say(bot, admin, "x" * 501)
    assert "500" in refused
    saved, _ = bot.texts(await bot.send(admin, "y" * 500))
    assert saved == "Saved the change to MP-MA-2013."
    after = await by_ref(store, "MP-MA-2013")
    assert after is not None and after.lead == "y" * 500


@pytest.mark.parametrize(
    ("language", "labels", "refusal", "saved"),
    [
        (
            "en",
            ("✏️ Edit", "Start date", "End date"),
            "An initiative cannot end (2019-12-31) before it starts (2020-01-01).",
            "Saved the change to MP-MA-2013.",
        ),
        (
            "fr",
            ("✏️ Modifier", "Date de début", "Date de fin"),
            "Une initiative ne peut pas se terminer (2019-12-31) avant de commencer (2020-01-01).",
            "Modification de MP-MA-2013 enregistrée.",
        ),
    ],
)
async def test_an_end_date_before_the_start_is_refused_with_the_reason(
    bot: BotHarness, store: Store, language: str, labels: tuple[str, str, str], refusal: str, saved: str
) -> None:
    admin = await register(store, 150, Role.ADMIN, "GSC", "Ana", language=language)
    edit, start, end = labels
    await say(bot, admin, "/initiative MP-MA-2013")
    await press(bot, admin, edit)
    await press(bot, admin, start)
    assert bot.texts(await bot.send(admin, "2020-01-01"))[0] == saved
    await press(bot, admin, edit)
    await press(bot, admin, end)

    assert refusal in await say(bot, admin, "2019-12-31")
    after = await by_ref(store, "MP-MA-2013")
    assert after is not None and after.end_date is None

    assert bot.texts(await bot.send(admin, "2021-06-30"))[0] == saved, "the step asks again"
    after = await by_ref(store, "MP-MA-2013")
    assert after is not None and after.end_date == dt.date(2021, 6, 30)
