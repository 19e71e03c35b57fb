"""The curation service's rules on the in-memory store: admins only, references free and well formed,
every field checked whichever flow built it, links to things that exist."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.domain.specs import InitiativeSpec
from bot.domain.vocab import InitiativeStatus, InitiativeType, MemberStatus, Role
from bot.services import curation
from bot.services.actors import Actor
from bot.services.browse import CountryDirectory
from tests.unit.fakes import MOROCCO, FakeStore, seeded

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
ADMIN, CONTACT, REVOKED_ADMIN = 101, 102, 103
SPEC = InitiativeSpec(
    "PART-TN-2026", "Partnership with Tunisia", InitiativeType.PARTNERSHIP, InitiativeStatus.PLANNED
)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeStore:
    store = seeded()
    store.add_member(ADMIN, Role.ADMIN, "GSC")
    store.add_member(CONTACT, Role.CONTACT, "FR")
    store.add_member(REVOKED_ADMIN, Role.ADMIN, "GSC", status=MemberStatus.REVOKED)
    # The country index is built once per process; this store's few countries get an index of their own.
    monkeypatch.setattr(curation, "DIRECTORY", CountryDirectory())
    return store


async def create(fake: FakeStore, spec: InitiativeSpec = SPEC, who: int = ADMIN) -> int:
    return (await curation.create_initiative(fake.factory, Actor(who), spec, NOW)).id


async def edit(fake: FakeStore, field: str, value: str, initiative_id: int = MOROCCO) -> object:
    saved = await curation.edit_initiative(fake.factory, Actor(ADMIN), initiative_id, field, value, NOW)
    return getattr(saved, field)


@pytest.mark.parametrize(("who", "in_group"), [(CONTACT, False), (REVOKED_ADMIN, False), (ADMIN, True)])
async def test_only_an_admin_in_a_private_chat_curates(fake: FakeStore, who: int, in_group: bool) -> None:
    actor = Actor(who, in_group=in_group)
    with pytest.raises(NotAllowed):
        await curation.authorize_curator(fake.factory, actor)
    with pytest.raises(NotAllowed):
        await curation.create_initiative(fake.factory, actor, SPEC, NOW)
    with pytest.raises(NotAllowed):
        await curation.edit_initiative(fake.factory, actor, MOROCCO, "title", "A new title", NOW)
    assert list(fake.tables.initiatives) == [MOROCCO]


async def test_an_initiative_is_created_once_per_reference_and_audited(fake: FakeStore) -> None:
    created = await create(fake)
    assert fake.tables.initiatives[created].ref == "PART-TN-2026"
    with pytest.raises(Conflict, match=r"^draft\.ref_taken$"):
        await create(fake, dataclasses.replace(SPEC, title="Another"))
    assert fake.actions() == ["initiative.created"]
    assert fake.tables.audit[0].details == {"title": "Partnership with Tunisia"}


@pytest.mark.parametrize(
    ("change", "message_id"),
    [
        ({"ref": "not a ref"}, "draft.bad_ref"),
        ({"title": "ab"}, "draft.bad_length"),
        ({"title": "x" * 301}, "draft.bad_length"),
        ({"lead": ""}, "draft.bad_length"),
        ({"lead": "y" * 501}, "draft.bad_length"),
        ({"notes": "n" * 4001}, "draft.bad_length"),
        ({"source_url": "ftp://example.org"}, "draft.bad_url"),
        ({"regions": ("atlantis",)}, "error.stale"),
        ({"countries": ("MA", "XX")}, "error.stale"),
    ],
)
async def test_every_field_is_checked_whichever_flow_built_the_spec(
    fake: FakeStore, change: dict[str, object], message_id: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await create(fake, dataclasses.replace(SPEC, **change))  # type: ignore[arg-type]
    assert refused.value.message_id == message_id
    assert list(fake.tables.initiatives) == [MOROCCO]
    assert fake.tables.audit == []


async def test_a_field_is_edited_as_it_would_be_typed_and_audited(fake: FakeStore) -> None:
    assert await edit(fake, "status", "suspended") is InitiativeStatus.SUSPENDED
    assert await edit(fake, "title", "  Mobility Partnership  ") == "Mobility Partnership"
    assert await edit(fake, "lead", "COM") == "COM"
    assert await edit(fake, "lead", "-") is None
    assert await edit(fake, "start_date", "2013-06-07") == dt.date(2013, 6, 7)
    assert await edit(fake, "source_url", "https://example.org/mp") == "https://example.org/mp"
    assert await edit(fake, "regions", "north_africa,sahel") == ("north_africa", "sahel")
    assert await edit(fake, "countries", "Morocco, TN") == ("MA", "TN")
    assert fake.actions() == ["initiative.edited"] * 8
    assert fake.tables.audit[0].details == {"field": "status", "value": "suspended"}


@pytest.mark.parametrize(
    ("field", "value", "message_id"),
    [
        ("ref", "MP-MA-2014", "error.stale"),  # not an editable field
        ("type", "treaty", "error.stale"),
        ("status", "dormant", "error.stale"),
        ("start_date", "the 7th of Juneteenth", "draft.bad_date"),
        ("start_date", "2013-02-30", "draft.bad_date"),
        ("regions", "atlantis", "error.stale"),
        ("countries", "Narnia", "draft.unknown_country"),
        ("countries", ",", "draft.bad_countries"),
    ],
)
async def test_a_bad_value_changes_nothing(fake: FakeStore, field: str, value: str, message_id: str) -> None:
    before = fake.tables.initiatives[MOROCCO]
    with pytest.raises(InvalidInput) as refused:
        await edit(fake, field, value)
    assert refused.value.message_id == message_id
    assert fake.tables.initiatives[MOROCCO] == before
    assert fake.tables.audit == []


async def test_an_unknown_initiative_is_not_found(fake: FakeStore) -> None:
    with pytest.raises(NotFound):
        await edit(fake, "title", "A new title", initiative_id=999)


async def test_a_suggested_reference_is_free_and_a_typed_one_must_be(fake: FakeStore) -> None:
    kind = InitiativeType.PARTNERSHIP
    assert await curation.available_ref(fake.factory, kind, ("TN",), 2026) == "PART-TN-2026"
    await create(fake)
    assert await curation.available_ref(fake.factory, kind, ("TN",), 2026) == "PART-TN-2026-2"
    assert await curation.available_ref(fake.factory, kind, ("TN", "MA"), 2026) == "PART-MULTI-2026"
    assert await curation.ensure_ref_free(fake.factory, " part-tn-2027 ") == "PART-TN-2027"
    with pytest.raises(Conflict, match=r"^draft\.ref_taken$"):
        await curation.ensure_ref_free(fake.factory, "mp-ma-2013")
    with pytest.raises(InvalidInput, match=r"^draft\.bad_ref$"):
        await curation.ensure_ref_free(fake.factory, "MP MA")
