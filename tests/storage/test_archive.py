"""The archive on real SQLite and PostgreSQL: a period's updates (with their history), notices and events
written as a zip of JSON and CSV, read back with the same counts and checksums; tampering is caught."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hashlib
import io
import json
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.console.updates import Identity
from bot.domain.archive import ArchiveInvalid, Period, read_archive, write_archive
from bot.domain.errors import InvalidInput
from bot.domain.notices import Audience, AudienceKind, NoticeDraft
from bot.domain.posting import Draft
from bot.domain.specs import EventSpec
from bot.domain.vocab import EventKind, Role, Tlp, UpdateKind
from bot.services import notices, posting
from bot.services.actors import Actor
from bot.services.archive import collect_archive
from bot.services.privacy import erase_member
from handlers.notice_render import recipient_message
from handlers.update_render import notification
from storage.factory import open_store
from storage.models import UpdateRow
from tests.conftest import NOW
from tests.harness import BotHarness

JANUARY = Period(dt.date(2027, 1, 1), dt.date(2027, 1, 31), "Europe/Brussels")
GENERATED = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)


def utc(*parts: int) -> dt.datetime:
    """A UTC instant."""
    return dt.datetime(*parts, tzinfo=dt.UTC)


async def a_month_of_exchange(bot: BotHarness, people: dict[str, Identity]) -> dict[str, int]:
    """Updates around January's edges, an edit, a RED update, a withdrawal, a notice, events."""
    claire, ana = Actor(people["contact"].user_id), Actor(people["admin"].user_id)
    async with bot.store.uow() as uow:
        morocco = await uow.initiatives.by_ref("MP-MA-2013")
        assert morocco is not None
        for title, starts in (("Rabat process meeting", utc(2027, 1, 20, 9)), ("Later", utc(2027, 3, 1, 9))):
            await uow.events.save(EventSpec(title, EventKind.MEETING, starts, country_code="MA"))
        await uow.commit()
    ids = {}
    for label, at, tlp in (
        ("before", utc(2026, 12, 31, 22, 59), Tlp.GREEN),  # 23:59 in Brussels: December
        ("first", utc(2026, 12, 31, 23, 30), Tlp.GREEN),  # 00:30 on 1 January in Brussels
        ("red", utc(2027, 1, 10, 12), Tlp.RED),
        ("last", utc(2027, 1, 31, 22, 59), Tlp.AMBER),  # 23:59 on 31 January in Brussels
        ("after", utc(2027, 1, 31, 23, 0), Tlp.GREEN),
    ):
        red = frozenset({"DE", "IT"}) if tlp is Tlp.RED else frozenset()
        draft = Draft(uuid.uuid4().hex, morocco.id, UpdateKind.PROGRESS, f"{label} <b>&</b> more", tlp, red)
        ids[label] = (await posting.post_update(bot.store.uow, claire, draft, at, notification)).update.id
    await posting.edit_update(
        bot.store.uow, claire, ids["first"], "first, amended", utc(2027, 1, 1, 9), notification
    )
    await posting.edit_update(
        bot.store.uow, ana, ids["first"], "first, amended twice", utc(2027, 1, 1, 10), notification
    )
    await posting.withdraw_update(bot.store.uow, claire, ids["red"], utc(2027, 1, 10, 13))
    draft = NoticeDraft(
        uuid.uuid4().hex, "Plenary, 14 January", Audience(AudienceKind.EVERYONE), utc(2027, 1, 5)
    )
    await notices.broadcast(bot.store.uow, ana, draft, utc(2027, 1, 5), recipient_message)
    bot.clock.current = utc(2027, 1, 5, 0, 1)
    await bot.deliver()
    return ids


async def archived(bot: BotHarness, period: Period = JANUARY) -> bytes:
    """The archive of `period`, as `emwp-bot archive` writes it."""
    target = io.BytesIO()
    write_archive(target, period, await collect_archive(bot.store.uow, period), GENERATED, "emwp-bot test")
    return target.getvalue()


async def test_an_archive_reads_back_with_the_same_counts_and_checksums(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    ids = await a_month_of_exchange(bot, people)
    data = await archived(bot)
    contents = read_archive(io.BytesIO(data))  # raises if any checksum or count is off

    updates = contents.documents["updates"]
    assert [u["id"] for u in updates] == [ids["first"], ids["red"], ids["last"]]
    start, end = JANUARY.bounds()
    async with bot.store.uow() as uow:
        stored = await uow._session.scalar(  # type: ignore[attr-defined]
            select(func.count())
            .select_from(UpdateRow)
            .where(UpdateRow.created_at >= start, UpdateRow.created_at < end)
        )
    assert stored == len(updates) == contents.manifest["sections"][0]["records"]
    first = updates[0]
    assert (
        first["text"] == "first, amended twice"
        and first["author"] == "Claire"
        and first["delegation"] == "FR"
    )
    assert [h["text_before"] for h in first["history"]] == ["first <b>&</b> more", "first, amended"]
    assert [h["editor"] for h in first["history"]] == ["Claire", "Ana"]
    red = updates[1]
    assert red["readers"] == ["DE", "IT"] and red["withdrawn_at"] == "2027-01-10T13:00:00+00:00"
    [notice] = contents.documents["notices"]
    assert (notice["text"], notice["recipients"], notice["sent"]) == ("Plenary, 14 January", 3, 3)
    assert [e["title"] for e in contents.documents["events"]] == ["Rabat process meeting"]

    rows = contents.tables["updates.csv"]
    assert [int(r["id"]) for r in rows] == [u["id"] for u in updates]
    assert rows[1]["readers"] == "DE; IT" and rows[0]["text"] == "first, amended twice"
    assert len(contents.tables["update_history.csv"]) == 2
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name, described in contents.manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == described["sha256"]
        sums = archive.read("SHA256SUMS").decode()
    assert "manifest.json" in sums and len(sums.splitlines()) == len(contents.manifest["files"]) + 1


async def test_archiving_twice_gives_the_same_bytes(bot: BotHarness, people: dict[str, Identity]) -> None:
    await a_month_of_exchange(bot, people)
    assert await archived(bot) == await archived(bot)


async def test_a_changed_or_missing_file_is_caught(bot: BotHarness, people: dict[str, Identity]) -> None:
    await a_month_of_exchange(bot, people)
    original = await archived(bot)
    for damage in ("change", "drop"):
        damaged = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(damaged, "w") as target:
            for item in source.infolist():
                content = source.read(item)
                if item.filename == "updates.csv":
                    if damage == "drop":
                        continue
                    content = content.replace(b"amended twice", b"amended twice!")
                target.writestr(item, content)
        with pytest.raises(ArchiveInvalid) as raised:
            read_archive(io.BytesIO(damaged.getvalue()))
        assert any("updates.csv" in p for p in raised.value.problems), damage


async def test_an_erased_author_is_archived_under_the_pseudonym(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    await a_month_of_exchange(bot, people)
    erasure = await erase_member(bot.store.uow, None, 2, bot.clock.now(), via="command line")
    contents = read_archive(io.BytesIO(await archived(bot)))
    assert {u["author"] for u in contents.documents["updates"]} == {erasure.pseudonym}
    assert "Claire" not in json.dumps(contents.documents, ensure_ascii=False)


async def test_a_period_that_ends_before_it_starts_is_refused(bot: BotHarness) -> None:
    with pytest.raises(InvalidInput):
        await collect_archive(bot.store.uow, Period(dt.date(2027, 2, 1), dt.date(2027, 1, 1)))


def test_the_command_line_writes_and_verifies_an_archive(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    asyncio.run(_a_december_update(database_url))
    assert main(["archive", "--from", "2026-12-01", "--to", "2026-12-31"]) == 0
    wrote = capsys.readouterr().out
    path = tmp_path / "emwp-archive-2026-12-01-2026-12-31.zip"
    assert f"Wrote {path.name}" in wrote and "updates 1, notices 0, events 0" in wrote
    assert main(["archive", "--verify", str(path)]) == 0
    assert "is intact" in capsys.readouterr().out
    if shutil.which("sha256sum"):
        folder = tmp_path / "unpacked"
        with zipfile.ZipFile(path) as archive:
            archive.extractall(folder)
        checked = subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, check=False
        )
        assert checked.returncode == 0, checked.stdout
    with zipfile.ZipFile(path) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("updates.csv").decode())))
    assert rows[0]["text"] == "December's news"

    path.write_bytes(path.read_bytes()[:-40])
    assert main(["archive", "--verify", str(path)]) in (1, 2)
    assert main(["archive", "--from", "2026-12-31", "--to", "2026-12-01", "--output", "x.zip"]) == 2
    assert "ends before it starts" in capsys.readouterr().err
    assert main(["archive", "--from", "2026-12-01"]) == 2


async def _a_december_update(url: str) -> None:
    store = open_store(url)
    try:
        async with store.uow() as uow:
            member = await uow.members.add(
                telegram_user_id=777,
                chat_id=777,
                display_name="Dora",
                delegation_code="DE",
                role=Role.CONTACT,
                language="en",
                time_zone="Europe/Berlin",
                now=NOW,
            )
            morocco = await uow.initiatives.by_ref("MP-MA-2013")
            assert morocco is not None
            draft = Draft(uuid.uuid4().hex, morocco.id, UpdateKind.MEETING, "December's news")
            await uow.updates.add(draft, member.id, "DE", utc(2026, 12, 10, 10))
            await uow.commit()
    finally:
        await store.dispose()
