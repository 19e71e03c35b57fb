"""Finding information through real updates: /initiatives, /initiative, /country and /upcoming.

The store is the oracle: every listed initiative is checked against the stored links, every shown update
against `bot.domain.access.may_read`, every event against the window of the fixed test clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.botapi import ApiCall
from bot.console.updates import Identity
from bot.domain.access import may_read
from bot.domain.model import Initiative, Update
from bot.domain.vocab import InitiativeType, Role, Tlp, UpdateKind
from bot.services.identity import identify
from handlers.buttons import InitiativesPage, OpenInitiative, UpdatesPage
from handlers.country import PickCountry
from handlers.filter_codes import EVERYTHING
from handlers.initiatives import FilterMenu, PickType
from handlers.upcoming import DownloadCalendar
from storage.factory import Store
from storage.models import EventRow, UpdateRow, update_readers
from tests.bot.flows import alerts, buttons, last_with_buttons, tap
from tests.conftest import NOW, register, register_group
from tests.harness import BotHarness

MEMBERS_ONLY = "for members of the working party"
PRIVATE_ONLY = "works only in a private chat"
STALE = "This button is no longer available"
HEADER = re.compile(r"<b>Initiatives</b> · (.*) — (\d+) found, page (\d+) of (\d+)\. Tap a number")
LINE = re.compile(r"^(\d+)\. <code>([A-Z0-9-]+)</code>", re.MULTILINE)
UPDATES = re.compile(r"<b>Updates</b> (\d+)–(\d+) of (\d+), newest first")
BLOCK = re.compile(r"<b>\[(TLP:[A-Z+]+)\]</b> [^\n]*\n(U\d+)\b")
MOROCCO_SOURCE = (
    "http://carim-south.eu/database/legal-module/joint-declaration-establishing-a-mobility-partnership-"
    "between-the-kingdom-of-morocco-and-the-european-union-and-its-member-states/"
)


@pytest.fixture(autouse=True)
async def _replies_fit_telegram(bot: BotHarness) -> AsyncIterator[None]:
    """Every text the bot sent or edited in a test of this file is within Telegram's 4096 characters."""
    yield
    long = [len(t) for t in bot.texts(bot.api.calls) if len(t) > 4096]
    assert not long, f"replies over 4096 characters: {long}"


# --- helpers -------------------------------------------------------------------------------------------


def only_text(bot: BotHarness, calls: list[ApiCall]) -> str:
    """The one text these calls sent or edited."""
    [text] = bot.texts(calls)
    return text


def header(text: str) -> tuple[str, int, int, int]:
    """(filter, total, page, pages) of a list page."""
    match = HEADER.search(text)
    assert match, text
    return match.group(1), int(match.group(2)), int(match.group(3)), int(match.group(4))


def refs(text: str) -> list[str]:
    """The references listed on a page, in order."""
    return [m.group(2) for m in LINE.finditer(text)]


def message_of(bot: BotHarness, calls: list[ApiCall]) -> dict[str, Any]:
    """The message (as the fake server holds it now) that these calls sent or edited."""
    [call] = [c for c in calls if c.method in ("sendMessage", "editMessageText")]
    return bot.api.chat(int(call.params["chat_id"])).messages[int(call.result["message_id"])]


async def walk_pages(bot: BotHarness, who: Identity, calls: list[ApiCall]) -> tuple[list[str], int]:
    """Press ▶ until the last page; every page edits the same message. The refs seen and the total."""
    first = message_of(bot, calls)
    _, total, page, pages = header(first["text"])
    assert page == 1
    seen = refs(first["text"])
    message = first
    while "▶" in buttons(message):
        edited = await bot.press(who, message, buttons(message)["▶"])
        assert [c.method for c in edited if c.method != "answerCallbackQuery"] == ["editMessageText"]
        message = message_of(bot, edited)
        assert message["message_id"] == first["message_id"]
        _, again, page_now, _ = header(message["text"])
        assert again == total
        page += 1
        assert page_now == page
        seen += refs(message["text"])
    assert page == pages
    return seen, total


async def messages(store: Store) -> dict[str, Initiative]:
    """Every stored initiative by reference."""
    async with store.uow() as uow:
        return {i.ref: i for i in await uow.initiatives.all()}


async def region_members(store: Store, key: str) -> set[str]:
    """The references an /initiatives region filter must list: linked to the region or to its countries."""
    async with store.uow() as uow:
        [region] = [r for r in await uow.catalog.regions() if r.key == key]
    return {
        i.ref
        for i in (await messages(store)).values()
        if key in i.regions or set(i.countries) & set(region.countries)
    }


async def member_id(store: Store, telegram_user_id: int) -> int:
    async with store.uow() as uow:
        member = await uow.members.by_telegram_id(telegram_user_id)
    assert member is not None
    return member.id


async def initiative(store: Store, ref: str) -> Initiative:
    async with store.uow() as uow:
        found = await uow.initiatives.by_ref(ref)
    assert found is not None
    return found


async def add_update(
    store: Store,
    ref: str,
    author: int,
    delegation: str,
    tlp: Tlp,
    text: str,
    created_at: dt.datetime,
    readers: Sequence[str] = (),
    withdrawn: bool = False,
) -> Update:
    """Insert an update directly in the store; return it as the domain sees it (the oracle's input)."""
    target = await initiative(store, ref)
    author_id = await member_id(store, author)
    async with AsyncSession(store.engine) as session:
        row = UpdateRow(
            initiative_id=target.id,
            kind=UpdateKind.PROGRESS.value,
            text=text,
            tlp=tlp.value,
            author_id=author_id,
            delegation_code=delegation,
            created_at=created_at,
            withdrawn_at=created_at if withdrawn else None,
        )
        session.add(row)
        await session.flush()
        for code in readers:
            await session.execute(update_readers.insert().values(update_id=row.id, delegation_code=code))
        ident = row.id
        await session.commit()
    return Update(
        id=ident,
        initiative_id=target.id,
        kind=UpdateKind.PROGRESS,
        text=text,
        tlp=tlp,
        author_id=author_id,
        delegation_code=delegation,
        created_at=created_at,
        red_delegations=frozenset(readers),
        withdrawn_at=created_at if withdrawn else None,
    )


async def add_event(
    store: Store,
    title: str,
    starts_at: dt.datetime,
    country: str | None = None,
    ref: str | None = None,
    location: str | None = None,
) -> int:
    """Insert an event directly in the store (times in UTC, as the store keeps them)."""
    initiative_id = (await initiative(store, ref)).id if ref else None
    async with AsyncSession(store.engine) as session:
        row = EventRow(
            title=title,
            kind="meeting",
            starts_at=starts_at,
            country_code=country,
            initiative_id=initiative_id,
            location=location,
        )
        session.add(row)
        await session.flush()
        ident = row.id
        await session.commit()
    return ident


async def read_detail(bot: BotHarness, who: Identity, ref: str) -> tuple[list[str], list[str]]:
    """Open an initiative and page through its updates with 'Older updates ▶'; the page texts and markers."""
    calls = await bot.send(who, f"/initiative {ref}")
    message = message_of(bot, calls)
    pages = [message["text"]]
    while message.get("reply_markup") and "Older updates ▶" in buttons(message):
        calls = await bot.press(who, message, buttons(message)["Older updates ▶"])
        edited = message_of(bot, calls)
        assert edited["message_id"] == message["message_id"]
        message = edited
        pages.append(message["text"])
    markers = [m.group(2) for page in pages for m in BLOCK.finditer(page)]
    return pages, markers


# --- /initiatives ----------------------------------------------------------------------------------------


async def test_the_list_pages_in_place_and_covers_every_initiative(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    calls = await bot.send(contact, "/initiatives")
    text = only_text(bot, calls)
    assert header(text) == ("all initiatives", 63, 1, 7)
    everything = await messages(store)
    newest_first = sorted(everything.values(), key=lambda i: (i.last_activity_at, i.id), reverse=True)
    assert refs(text) == [i.ref for i in newest_first[:10]]
    assert [int(m.group(1)) for m in LINE.finditer(text)] == list(range(1, 11))
    first = last_with_buttons(bot, contact.user_id)
    labels = buttons(first)
    assert {str(n) for n in range(1, 11)} <= labels.keys()
    assert "▶" in labels and "◀" not in labels
    assert {"Region ▾", "Type ▾", "Status ▾"} <= labels.keys()
    assert "Clear filters" not in labels

    forward = await tap(bot, contact, "▶")
    [edit] = [c for c in forward if c.method == "editMessageText"]
    assert not [c for c in forward if c.method == "sendMessage"]
    assert edit.params["message_id"] == first["message_id"]
    second = str(edit.params["text"])
    assert header(second) == ("all initiatives", 63, 2, 7)
    assert refs(second) == [i.ref for i in newest_first[10:20]]
    assert [int(m.group(1)) for m in LINE.finditer(second)] == list(range(11, 21))
    assert {"◀", "▶"} <= buttons(last_with_buttons(bot, contact.user_id)).keys()

    back = await tap(bot, contact, "◀")
    [edit] = [c for c in back if c.method == "editMessageText"]
    assert edit.params["message_id"] == first["message_id"]
    assert refs(str(edit.params["text"])) == refs(text)

    seen, total = await walk_pages(bot, contact, await bot.send(contact, "/initiatives"))
    assert total == 63
    assert sorted(seen) == sorted(everything)
    last = last_with_buttons(bot, contact.user_id)
    assert header(last["text"])[2:] == (7, 7)
    assert len(refs(last["text"])) == 3
    assert "▶" not in buttons(last)


async def test_a_numbered_button_opens_the_initiative(bot: BotHarness, people: dict[str, Identity]) -> None:
    contact = people["contact"]
    listing = only_text(bot, await bot.send(contact, "/initiatives"))
    await tap(bot, contact, "▶")
    page_two = refs(last_with_buttons(bot, contact.user_id)["text"])
    calls = await tap(bot, contact, "12")
    detail = only_text(bot, calls)
    assert [c.method for c in calls if c.method != "answerCallbackQuery"] == ["editMessageText"]
    assert f"<code>{page_two[1]}</code> · " in detail
    assert "No updates you may read yet." in detail
    assert len(refs(listing)) == 10


async def test_filter_buttons_narrow_the_list_to_what_really_matches(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    observer = people["observer"]
    everything = await messages(store)
    north_africa = await region_members(store, "north_africa")
    await bot.send(observer, "/initiatives")

    menu = only_text(bot, await tap(bot, observer, "Region ▾"))
    assert "Which region?" in menu
    assert {"North Africa", "Western Balkans", "Any"} <= buttons(
        last_with_buttons(bot, observer.user_id)
    ).keys()
    calls = await tap(bot, observer, "North Africa")
    assert header(only_text(bot, calls))[:2] == ("North Africa", len(north_africa))
    seen, _ = await walk_pages(bot, observer, calls)
    assert set(seen) == north_africa and len(seen) == len(north_africa)
    assert "MP-MA-2013" in seen

    assert "Which type?" in only_text(bot, await tap(bot, observer, "Type ▾"))
    calls = await tap(bot, observer, "partnership")
    expected = {r for r in north_africa if everything[r].type.value == "partnership"}
    assert expected and expected != north_africa
    assert header(only_text(bot, calls))[:2] == ("North Africa · partnership", len(expected))
    seen, _ = await walk_pages(bot, observer, calls)
    assert set(seen) == expected

    assert "Which status?" in only_text(bot, await tap(bot, observer, "Status ▾"))
    calls = await tap(bot, observer, "suspended")
    suspended = {r for r in expected if everything[r].status.value == "suspended"}
    text = only_text(bot, calls)
    if suspended:
        assert set(refs(text)) == suspended
    else:
        assert "No initiative matches North Africa · partnership · suspended." in text
    await tap(bot, observer, "Status ▾")
    calls = await tap(bot, observer, "active")
    active = {r for r in expected if everything[r].status.value == "active"}
    assert header(only_text(bot, calls))[:2] == ("North Africa · partnership · active", len(active))
    assert set(refs(only_text(bot, calls))) == active

    await tap(bot, observer, "Region ▾")
    calls = await tap(bot, observer, "Any")
    any_region = {
        r for r, i in everything.items() if i.type.value == "partnership" and i.status.value == "active"
    }
    assert header(only_text(bot, calls))[:2] == ("partnership · active", len(any_region))
    seen, _ = await walk_pages(bot, observer, calls)
    assert set(seen) == any_region

    cleared = only_text(bot, await tap(bot, observer, "Clear filters"))
    assert header(cleared) == ("all initiatives", 63, 1, 7)
    assert "Clear filters" not in buttons(last_with_buttons(bot, observer.user_id))


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Morocco", "Morocco"),
        ("Marokko", "Morocco"),
        ("country:maroc", "Morocco"),
        ("type:partnership status:active", "partnership · active"),
        ('region:"Western Balkans"', "Western Balkans"),
        ("North Africa", "North Africa"),
    ],
)
async def test_typed_filters_list_exactly_the_matching_initiatives(
    bot: BotHarness, store: Store, people: dict[str, Identity], typed: str, shown: str
) -> None:
    contact = people["contact"]
    everything = await messages(store)
    if shown == "Morocco":
        expected = {r for r, i in everything.items() if "MA" in i.countries}
    elif shown == "partnership · active":
        expected = {
            r for r, i in everything.items() if i.type.value == "partnership" and i.status.value == "active"
        }
    else:
        expected = await region_members(store, shown.lower().replace(" ", "_"))
    calls = await bot.send(contact, f"/initiatives {typed}")
    described, total, _, _ = header(only_text(bot, calls))
    assert (described, total) == (shown, len(expected))
    seen, _ = await walk_pages(bot, contact, calls)
    assert sorted(seen) == sorted(expected)
    assert "Clear filters" in buttons(last_with_buttons(bot, contact.user_id))


async def test_an_empty_result_says_so_and_offers_the_filters(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    text = only_text(bot, await bot.send(contact, "/initiatives type:strategy status:suspended"))
    assert "No initiative matches strategy · suspended." in text
    assert "/initiatives for all" in text
    labels = buttons(last_with_buttons(bot, contact.user_id))
    assert {"Region ▾", "Type ▾", "Status ▾", "Clear filters"} <= labels.keys()
    assert not any(label.isdigit() for label in labels)
    assert header(only_text(bot, await tap(bot, contact, "Clear filters")))[1] == 63


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("type:foo", "“foo” is not a type. Choose one of: action plan, partnership, dialogue"),
        ("status:paused", "“paused” is not a status. Choose one of: planned, active, completed, suspended"),
        ("colour:red", "I don't know the filter “colour:”. Use type:, status:, region: or country:"),
        (
            "Narnia",
            "I found no country or region called “Narnia”. To look for words instead, try /search Narnia",
        ),
        ("region:Atlantis", "There is no region “Atlantis”. Regions: "),
        ("region:<b>x</b>", "There is no region “&lt;b&gt;x&lt;/b&gt;”"),
    ],
)
async def test_bad_typed_filters_are_explained(
    bot: BotHarness, people: dict[str, Identity], typed: str, said: str
) -> None:
    calls = await bot.send(people["contact"], f"/initiatives {typed}")
    text = only_text(bot, calls)
    assert said in text
    assert "found, page" not in text
    if typed.startswith("region:"):
        assert "North Africa" in text and "Western Balkans" in text


FORGED_LIST_BUTTONS = (
    "ini:p:abc:-.-.-.-",
    "ini:p:١:-.-.-.-",  # an Arabic-Indic digit
    "ini:p:-1:-.-.-.-",
    "ini:p:99999999999:-.-.-.-",
    "ini:p:0:-.-.-",
    "ini:p:0:ma.-.-.-",
    "ini:p:0:MAR.-.-.-",
    "ini:p:0:-.99999.-.-",
    "ini:p:0:-.٣.-.-",
    "ini:p:0:-.-.zzz.-",
    "ini:p:0:-.-.-.zzz",
    "ini:p:0:-.-.-.-:extra",
    "ini:f:q:-.-.-.-",
    "ini:f:r",
    "ini:r:99999:-.-.-.-",
    "ini:r:٣:-.-.-.-",
    "ini:r:-1:-.-.-.-",
    "ini:t:zzz:-.-.-.-",
    "ini:s:zzz:-.-.-.-",
    "ini:t:par:-.-.-.-",  # a type by its short code: an older button
    "ini:o:1:-.-.-.-",  # an initiative's button that carried the list's filter: an older button
    "ini:o:abc",
    "ini:o:١٢",
    "ini:o:99999999999",
    "ini:x:0:-.-.-.-",
    "inu:abc:0",
    "inu:1:٥",
    "inu:1",
)


async def test_forged_list_buttons_are_refused_politely(bot: BotHarness, people: dict[str, Identity]) -> None:
    contact = people["contact"]
    await bot.send(contact, "/initiatives")
    message = last_with_buttons(bot, contact.user_id)
    before = message["text"]
    for data in FORGED_LIST_BUTTONS:
        calls = await bot.press(contact, message, data)
        said = alerts(calls)
        assert len(said) == 1 and STALE in said[0], (data, said)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
        assert calls[0].params.get("show_alert") is True
    assert bot.api.chat(contact.user_id).messages[message["message_id"]]["text"] == before

    calls = await bot.press(contact, message, OpenInitiative(999999).data)
    assert alerts(calls) == [
        "There is no initiative “999999”. /initiatives lists them, /search finds them by words."
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (InitiativesPage(99999, EVERYTHING).data, ("all initiatives", 63, 7, 7)),
        (InitiativesPage(2147483647, EVERYTHING).data, ("all initiatives", 63, 7, 7)),
        (InitiativesPage(7, EVERYTHING).data, ("all initiatives", 63, 7, 7)),
        (InitiativesPage(3, "MA.-.-.-").data, ("Morocco", 6, 1, 1)),
    ],
)
async def test_a_page_beyond_the_end_shows_the_last_page(
    bot: BotHarness, people: dict[str, Identity], data: str, expected: tuple[str, int, int, int]
) -> None:
    contact = people["contact"]
    await bot.send(contact, "/initiatives")
    message = last_with_buttons(bot, contact.user_id)
    text = only_text(bot, await bot.press(contact, message, data))
    assert header(text) == expected
    assert refs(text)


# --- /initiative ---------------------------------------------------------------------------------------


async def test_the_detail_shows_the_facts_by_reference_in_any_case_or_by_number(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    morocco = await initiative(store, "MP-MA-2013")
    text = only_text(bot, await bot.send(contact, "/initiative MP-MA-2013"))
    assert text.startswith(
        "<b>EU-Morocco Mobility Partnership</b>\n<code>MP-MA-2013</code> · partnership · active"
    )
    assert "\nCountries: Morocco\n" in text
    assert "\nRegions: North Africa\n" in text
    assert "\nInstruments: MPF\n" in text
    assert "\nLead: Commission (Commissioner Malmström) + 9 MS (BE FR DE IT NL PT ES SE UK)\n" in text
    assert "\nDates: 2013-06-07 –\n" in text
    assert f'\nSource: <a href="{MOROCCO_SOURCE}">' in text
    assert text.endswith("No updates you may read yet.")
    assert only_text(bot, await bot.send(contact, "/initiative mp-ma-2013")) == text
    await bot.send(contact, "/initiatives Morocco")
    listed = refs(only_text(bot, await bot.send(contact, "/initiatives Morocco")))
    number = listed.index(morocco.ref) + 1
    assert only_text(bot, await bot.send(contact, f"/initiative {number}")) == text, "the number in the list"


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("/initiative", "Which initiative? Send its reference or number, like /initiative MP-MA-2013."),
        ("/initiative XX-NOPE-1", "There is no initiative “XX-NOPE-1”."),
        ("/initiative 999999", "Your latest list has no number 999999 (63 in all)."),
        ("/initiative <i>x</i>", "There is no initiative “&lt;i&gt;x&lt;/i&gt;”."),
        ("/initiative 99999999999", "There is no initiative “99999999999”."),
        ("/initiative ²", "There is no initiative “²”."),
    ],
)
async def test_a_missing_or_unknown_reference_is_explained(
    bot: BotHarness, people: dict[str, Identity], typed: str, said: str
) -> None:
    text = only_text(bot, await bot.send(people["contact"], typed))
    assert said in text
    assert "Countries:" not in text


@dataclass(frozen=True)
class Reader:
    identity: Identity
    label: str


async def test_each_reader_sees_exactly_the_updates_tlp_allows(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    italy = await register(store, 106, Role.CONTACT, "IT", "Ivo")
    spain_observer = await register(store, 107, Role.OBSERVER, "ES", "Eva")
    ana, claire = people["admin"].user_id, people["contact"].user_id
    plan = [
        (claire, "FR", Tlp.CLEAR, "U1 clear from France", (), False),
        (claire, "FR", Tlp.GREEN, "U2 green from France", (), False),
        (claire, "FR", Tlp.AMBER, "U3 amber from France", (), False),
        (claire, "FR", Tlp.AMBER_STRICT, "U4 amber strict from France", (), False),
        (106, "IT", Tlp.AMBER_STRICT, "U5 amber strict from Italy", (), False),
        (claire, "FR", Tlp.RED, "U6 red from France for Italy", ("IT",), False),
        (106, "IT", Tlp.RED, "U7 red from Italy alone", (), False),
        (ana, "GSC", Tlp.RED, "U8 red from the Secretariat for France", ("FR",), False),
        (claire, "FR", Tlp.AMBER, "U9 withdrawn amber", (), True),
        (claire, "FR", Tlp.GREEN, "U10 budget <50% & rising 🚀 — see <b>annex</b>", (), False),
    ]
    updates = [
        await add_update(store, "MP-MA-2013", a, d, tlp, text, NOW - dt.timedelta(hours=n), readers, gone)
        for n, (a, d, tlp, text, readers, gone) in enumerate(plan, start=1)
    ]
    readers = [
        Reader(people["admin"], "admin"),
        Reader(people["contact"], "contact FR"),
        Reader(people["observer"], "observer FRONTEX"),
        Reader(italy, "contact IT"),
        Reader(spain_observer, "observer ES"),
    ]
    for reader in readers:
        viewer = await identify(store.uow, reader.identity.user_id, None)
        allowed = [u for u in updates if may_read(viewer, u) and u.withdrawn_at is None]
        expected = [u.text.split()[0] for u in allowed]  # newest first, as inserted
        pages, markers = await read_detail(bot, reader.identity, "MP-MA-2013")
        assert markers == expected, reader.label
        totals = {int(m.group(3)) for page in pages for m in UPDATES.finditer(page)}
        assert totals == {len(expected)}, reader.label
        for page in pages:
            for match in UPDATES.finditer(page):
                first, last = int(match.group(1)), int(match.group(2))
                assert last - first + 1 == len(BLOCK.findall(page)) <= 5
        labels = {m.group(2): m.group(1) for page in pages for m in BLOCK.finditer(page)}
        assert labels == {u.text.split()[0]: u.tlp.value for u in allowed}, reader.label
        assert len(pages) == -(-len(expected) // 5), reader.label
        joined = "\n".join(pages)
        assert "U9 " not in joined
        assert "U10 budget &lt;50% &amp; rising 🚀 — see &lt;b&gt;annex&lt;/b&gt;" in joined
        assert joined.index("<b>[TLP:GREEN]</b>") < joined.index("U10 budget")
        if "U3" in expected:
            assert joined.index("<b>[TLP:AMBER]</b>") < joined.index("U3 amber")


async def test_older_updates_page_by_five_and_back(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    for n in range(1, 8):
        await add_update(
            store, "MP-MA-2013", 102, "FR", Tlp.GREEN, f"U{n} note {n}", NOW - dt.timedelta(days=n)
        )
    calls = await bot.send(admin, "/initiative MP-MA-2013")
    first = message_of(bot, calls)
    assert "<b>Updates</b> 1–5 of 7, newest first" in first["text"]
    assert [m.group(2) for m in BLOCK.finditer(first["text"])] == ["U1", "U2", "U3", "U4", "U5"]
    assert {"Older updates ▶", "✏️ Edit"} <= buttons(first).keys()
    assert "◀ Newer updates" not in buttons(first)
    older = message_of(bot, await bot.press(admin, first, buttons(first)["Older updates ▶"]))
    assert older["message_id"] == first["message_id"]
    assert "<b>Updates</b> 6–7 of 7, newest first" in older["text"]
    assert [m.group(2) for m in BLOCK.finditer(older["text"])] == ["U6", "U7"]
    assert "Older updates ▶" not in buttons(older)
    newer = message_of(bot, await bot.press(admin, older, buttons(older)["◀ Newer updates"]))
    assert "<b>Updates</b> 1–5 of 7" in newer["text"]

    for who in ("contact", "observer"):
        message = message_of(bot, await bot.send(people[who], "/initiative MP-MA-2013"))
        assert "✏️ Edit" not in buttons(message)
        assert "Older updates ▶" in buttons(message)


async def test_long_updates_stay_within_telegram_limits_and_all_stay_reachable(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    body = " ".join(["<&>"] * 1500)  # escapes to five times its length
    for n in range(1, 13):
        await add_update(
            store, "MP-MA-2013", 102, "FR", Tlp.GREEN, f"U{n} {body}", NOW - dt.timedelta(hours=n)
        )
    pages, markers = await read_detail(bot, admin, "MP-MA-2013")
    assert all(len(page) <= 4096 for page in pages)
    assert sorted(markers, key=lambda m: int(m[1:])) == [f"U{n}" for n in range(1, 13)], (
        "every update must be readable by paging, even when a page cannot hold five"
    )


# --- /country ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Marocco", "Maroc", "Marokko", "MA", "ma", "morocco", "Morrocco"])
async def test_a_country_is_found_by_any_name(
    bot: BotHarness, people: dict[str, Identity], name: str
) -> None:
    text = only_text(bot, await bot.send(people["contact"], f"/country {name}"))
    assert text.startswith("<b>Morocco</b> (MA)\nRegions: ")
    assert "North Africa" in text.split("\n", 2)[1]


async def test_an_ambiguous_name_offers_the_candidates(bot: BotHarness, people: dict[str, Identity]) -> None:
    contact = people["contact"]
    text = only_text(bot, await bot.send(contact, "/country Korea"))
    assert "Several countries match “Korea”. Which one?" in text
    labels = buttons(last_with_buttons(bot, contact.user_id))
    assert {label[-4:] for label in labels} == {"(KP)", "(KR)"}
    south = next(label for label in labels if label.endswith("(KR)"))
    profile = only_text(bot, await tap(bot, contact, south))
    assert profile.split("\n")[0].endswith("</b> (KR)")


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("/country Narnia", "I found no country called “Narnia”."),
        ("/country", "Which country? Send a name in any EU language or an ISO code"),
        ("/country XQ", "I found no country called “XQ”."),
    ],
)
async def test_an_unknown_country_is_explained(
    bot: BotHarness, people: dict[str, Identity], typed: str, said: str
) -> None:
    text = only_text(bot, await bot.send(people["contact"], typed))
    assert said in text


async def test_forged_country_buttons_are_refused(bot: BotHarness, people: dict[str, Identity]) -> None:
    contact = people["contact"]
    await bot.send(contact, "/country Korea")
    message = last_with_buttons(bot, contact.user_id)
    for data in ("cty:XYZ", "cty:", "cty:KR:extra"):
        assert STALE in alerts(await bot.press(contact, message, data))[0]
    said = alerts(await bot.press(contact, message, PickCountry("QQ").data))
    assert said == ["I found no country called “QQ”. Try its English name or its two-letter ISO code."]


async def test_the_profile_lists_the_countrys_own_initiatives_first_and_its_events(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    everything = await messages(store)
    async with store.uow() as uow:
        regions = [r.key for r in await uow.catalog.regions() if "MA" in r.countries]
    direct = {r for r, i in everything.items() if "MA" in i.countries}
    regional = {r for r, i in everything.items() if set(i.regions) & set(regions)} - direct
    await add_event(store, "Rabat senior officials", NOW + dt.timedelta(days=2), country="MA")
    await add_event(store, "Mobility Partnership steering", NOW + dt.timedelta(days=5), ref="MP-MA-2013")
    await add_event(store, "Tunis round", NOW + dt.timedelta(days=3), country="TN")
    await add_event(store, "Rabat last week", NOW - dt.timedelta(days=7), country="MA")
    await add_event(store, "Rabat next spring", NOW + dt.timedelta(days=120), country="MA")

    text = only_text(bot, await bot.send(contact, "/country Morocco"))
    total = len(direct | regional)
    assert f"<b>Initiatives</b> ({total}), with the country first, then its regions':" in text
    listed = refs(text)
    assert len(listed) == min(total, 10)
    assert set(listed[: len(direct)]) == direct
    assert set(listed[len(direct) :]) <= regional
    assert "<b>Upcoming</b>\n2026-11-29 10:30 (Europe/Brussels) · Rabat senior officials\n" in text + "\n"
    assert "Mobility Partnership steering" in text
    for absent in ("Tunis round", "Rabat last week", "Rabat next spring"):
        assert absent not in text
    labels = buttons(last_with_buttons(bot, contact.user_id))
    assert {str(n) for n in range(1, len(listed) + 1)} <= labels.keys()
    assert ("▶" in labels) == (total > 10)
    opened = only_text(bot, await tap(bot, contact, "1"))
    assert f"<code>{listed[0]}</code>" in opened
    await bot.send(contact, "/country Morocco")
    while "▶" in buttons(last_with_buttons(bot, contact.user_id)):
        listed += refs(only_text(bot, await tap(bot, contact, "▶")))
    assert len(listed) == len(set(listed)) == total, "every initiative it counts is reachable from it"
    assert str(total) in buttons(last_with_buttons(bot, contact.user_id)), "numbered across pages"


async def test_the_profile_shows_only_updates_tlp_allows(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    await add_update(
        store, "MP-MA-2013", 102, "FR", Tlp.GREEN, "U1 green on Morocco", NOW - dt.timedelta(hours=1)
    )
    await add_update(
        store, "MP-MA-2013", 102, "FR", Tlp.AMBER, "U2 amber on Morocco", NOW - dt.timedelta(hours=2)
    )
    await add_update(
        store, "RABAT-2006", 102, "FR", Tlp.AMBER_STRICT, "U3 strict on Rabat", NOW - dt.timedelta(hours=3)
    )
    seen = {}
    for who in ("admin", "contact", "observer"):
        text = only_text(bot, await bot.send(people[who], "/country Morocco"))
        seen[who] = [m.group(2) for m in BLOCK.finditer(text)]
        assert "<b>Recent updates</b>" in text
        assert "<b>[TLP:GREEN]</b>" in text and text.index("<b>[TLP:GREEN]</b>") < text.index("U1 green")
        assert "<code>MP-MA-2013</code>\nU1 green on Morocco" in text
    assert seen == {"admin": ["U1", "U2", "U3"], "contact": ["U1", "U2", "U3"], "observer": ["U1"]}
    italian = await register(store, 106, Role.CONTACT, "IT", "Ivo")
    text = only_text(bot, await bot.send(italian, "/country MA"))
    assert [m.group(2) for m in BLOCK.finditer(text)] == ["U1", "U2"]


async def test_a_busy_country_with_long_updates_fits_one_message(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    everything = await messages(store)
    egypt = [r for r, i in everything.items() if "EG" in i.countries]
    long_text = " ".join(["<Egypt> & co"] * 200)
    for n, ref in enumerate(egypt * 2):
        await add_update(store, ref, 102, "FR", Tlp.GREEN, f"U{n} {long_text}", NOW - dt.timedelta(hours=n))
    for n in range(6):
        await add_event(
            store, f"Cairo meeting {n}, " + "x" * 250, NOW + dt.timedelta(days=n + 1), country="EG"
        )
    text = only_text(bot, await bot.send(admin, "/country Egypt"))
    assert len(text) <= 4096
    assert text.split("\n")[0].endswith("</b> (EG)")
    assert len(refs(text)) == 10


# --- /upcoming -----------------------------------------------------------------------------------------


async def test_upcoming_lists_the_next_30_days_only(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    await add_event(store, "Just past", NOW - dt.timedelta(minutes=1), country="MA")
    await add_event(store, "Soon in Rabat", NOW + dt.timedelta(hours=1), country="MA", location="Rabat")
    await add_event(store, "Steering group", NOW + dt.timedelta(days=29, hours=23), ref="MP-MA-2013")
    await add_event(store, "Too far", NOW + dt.timedelta(days=30, minutes=1), country="TN")
    text = only_text(bot, await bot.send(contact, "/upcoming"))
    assert text.startswith("<b>Upcoming</b>: 2 events in the next 30 days")
    assert "<b>2026-11-27 11:30 (Europe/Brussels)</b> · meeting\nSoon in Rabat\nRabat · MA" in text
    assert "<b>2026-12-27 09:30 (Europe/Brussels)</b> · meeting\nSteering group\nMP-MA-2013" in text
    assert text.index("Soon in Rabat") < text.index("Steering group")
    assert "Just past" not in text and "Too far" not in text
    assert "📅 Download for my calendar" in buttons(last_with_buttons(bot, contact.user_id))

    bot.clock.current = NOW + dt.timedelta(days=2)
    moved = only_text(bot, await bot.send(contact, "/upcoming"))
    assert "Soon in Rabat" not in moved and "Too far" in moved and "Steering group" in moved


async def test_upcoming_says_when_there_is_nothing(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    await add_event(store, "Far away", NOW + dt.timedelta(days=45), country="MA")
    calls = await bot.send(people["observer"], "/upcoming")
    assert only_text(bot, calls) == "No events in the next 30 days."
    assert not message_of(bot, calls).get("reply_markup")


def unfold(content: str) -> list[str]:
    """RFC 5545 content lines, continuation lines joined."""
    lines: list[str] = []
    for physical in content.split("\r\n"):
        if physical.startswith(" "):
            lines[-1] += physical[1:]
        else:
            lines.append(physical)
    return lines


async def test_the_calendar_file_is_valid_icalendar(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    long_title = "Réunion du dialogue «migration et mobilité», Rabat; suivi des engagements 🇲🇦 " * 2
    ids = [
        await add_event(store, "Dialogue, round 3; Rabat", NOW + dt.timedelta(days=1), country="MA"),
        await add_event(store, long_title.strip(), NOW + dt.timedelta(days=2, hours=3), ref="MP-MA-2013"),
        await add_event(store, "Back\\slash\nand newline", NOW + dt.timedelta(days=3), country="TN"),
    ]
    await add_event(store, "Outside the window", NOW + dt.timedelta(days=31), country="MA")
    await bot.send(contact, "/upcoming")
    calls = await tap(bot, contact, "📅 Download for my calendar")
    [document] = [c for c in calls if c.method == "sendDocument"]
    assert document.params["chat_id"] == contact.user_id
    assert document.params["caption"].startswith("3 events of the next 30 days")
    filename, raw, _mimetype = document.params["_files"]["document"]
    assert filename == "emwp-upcoming-20261127.ics"
    assert isinstance(raw, bytes)
    content = raw.decode("utf-8")
    assert content.endswith("\r\n")
    assert "\n" not in content.replace("\r\n", "")
    physical = content.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in physical)
    assert any(line.startswith(" ") for line in physical), "the long title must be folded"
    lines = unfold(content)[:-1]
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    summaries = [line for line in lines if line.startswith("SUMMARY:")]
    assert summaries[0] == "SUMMARY:Dialogue\\, round 3\\; Rabat"  # escaped as RFC 5545 says
    # Read back with the library that wrote it: what was stored is what a calendar gets.
    parsed = Calendar.from_ical(raw)
    assert str(parsed["VERSION"]) == "2.0" and str(parsed["PRODID"])
    events = parsed.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"event-{i}@emwp-bot" for i in ids]
    assert [e.decoded("DTSTART") for e in events] == [
        NOW + dt.timedelta(days=1),
        NOW + dt.timedelta(days=2, hours=3),
        NOW + dt.timedelta(days=3),
    ]
    assert [e.decoded("DTEND") - e.decoded("DTSTART") for e in events] == [dt.timedelta(hours=1)] * 3
    assert [str(e["SUMMARY"]) for e in events] == [
        "Dialogue, round 3; Rabat",
        long_title.strip(),
        "Back\\slash\nand newline",
    ]
    assert str(events[1]["DESCRIPTION"]) == "MP-MA-2013"
    assert "Outside the window" not in content


# --- groups, guests and revoked members --------------------------------------------------------------------


GROUP_COMMANDS = (
    "/initiatives",
    "/initiatives Morocco",
    "/initiative MP-MA-2013",
    "/country Morocco",
    "/upcoming",
)


async def test_information_commands_are_refused_in_a_group(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    await register_group(store, -1001234)
    await add_update(store, "MP-MA-2013", 102, "FR", Tlp.AMBER, "U1 amber", NOW - dt.timedelta(hours=1))
    for who in ("admin", "contact", "guest"):
        member = people[who]
        in_group = Identity(member.user_id, member.first_name, chat_id=-1001234, chat_type="supergroup")
        for command in GROUP_COMMANDS:
            calls = await bot.send(in_group, command)
            text = only_text(bot, calls)
            assert PRIVATE_ONLY in text, (who, command)
            assert message_of(bot, calls)["chat"]["id"] == -1001234
            assert "U1" not in text and "Morocco" not in text


async def test_a_detail_button_pressed_in_a_group_shows_nothing_but_tlp_clear(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    await register_group(store, -1001234)
    contact = people["contact"]
    morocco = await initiative(store, "MP-MA-2013")
    await add_update(store, "MP-MA-2013", 102, "FR", Tlp.CLEAR, "U1 clear", NOW - dt.timedelta(hours=1))
    await add_update(store, "MP-MA-2013", 102, "FR", Tlp.GREEN, "U2 green", NOW - dt.timedelta(hours=2))
    in_group = Identity(contact.user_id, contact.first_name, chat_id=-1001234, chat_type="supergroup")
    bot.api.chat(-1001234, "supergroup")
    posted = {"message_id": 1, "date": 0, "chat": in_group.chat, "text": "forwarded"}
    bot.api.chat(-1001234).messages[1] = dict(posted)
    calls = await bot.press(in_group, posted, OpenInitiative(morocco.id).data)
    shown = "\n".join(bot.texts(calls) + alerts(calls))
    assert "U2" not in shown


@pytest.mark.parametrize("who", ["guest", "revoked"])
async def test_guests_and_revoked_members_are_told_it_is_for_members(
    bot: BotHarness, people: dict[str, Identity], who: str
) -> None:
    person = people[who]
    for command in (
        "/initiatives",
        "/initiatives Morocco",
        "/initiatives type:partnership",
        "/initiative MP-MA-2013",
        "/country Morocco",
        "/upcoming",
    ):
        text = only_text(bot, await bot.send(person, command))
        assert MEMBERS_ONLY in text, (who, command)
        assert "Morocco</b>" not in text and "found, page" not in text
    message = {"message_id": 1, "date": 0, "chat": person.chat, "text": "old list"}
    bot.api.chat(person.user_id).messages[1] = dict(message)
    answered = {}
    for data in (
        InitiativesPage(1, EVERYTHING).data,
        OpenInitiative(1).data,
        FilterMenu("r", EVERYTHING).data,
        PickType(InitiativeType.PARTNERSHIP, EVERYTHING).data,
        UpdatesPage(1, 5).data,
        PickCountry("MA").data,
        DownloadCalendar().data,
    ):
        calls = await bot.press(person, message, data)
        answered[data] = ([c.method for c in calls], alerts(calls))
    wrong = {
        d: a for d, a in answered.items() if a[0] != ["answerCallbackQuery"] or MEMBERS_ONLY not in a[1][0]
    }
    assert not wrong, f"{who} was not refused: {wrong}"


@pytest.mark.parametrize("who", ["guest", "revoked"])
async def test_guests_get_the_members_only_answer_even_without_arguments(
    bot: BotHarness, people: dict[str, Identity], who: str
) -> None:
    for command in ("/initiative", "/country", "/initiatives colour:red"):
        text = only_text(bot, await bot.send(people[who], command))
        assert MEMBERS_ONLY in text, (who, command)
