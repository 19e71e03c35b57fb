"""Retention on real SQLite and PostgreSQL, with the clock moved by hand: what is due goes, in batches,
once; nothing younger is touched; /notices reads the same; another process's run is waited for by none.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.cli import main
from bot.console.updates import Identity
from bot.domain.notices import Audience, AudienceKind, NoticeDraft
from bot.domain.retention import EMPTIED_PAYLOAD, UNFINISHED, RetentionCounts, RetentionPolicy, months_before
from bot.domain.vocab import MemberStatus, Role
from bot.services import notices
from bot.services.access_requests import decide_access_request, submit_access_request
from bot.services.actors import Actor
from bot.services.invites import create_invite
from bot.services.members import set_status
from bot.services.retention import apply_retention, retention_due
from handlers.access_request import admin_notice, requester_notice
from handlers.jobs import JOB_KWARGS
from handlers.maintenance import DAILY, STARTUP, schedule_retention
from handlers.notice_render import recipient_message
from storage.factory import Store, open_store
from storage.models import OUTBOX_PAYLOAD_KEPT, OutboxRow
from storage.retention import RETENTION_LOCK
from tests.conftest import NOW
from tests.harness import BotHarness

DAY = dt.timedelta(days=1)
POLICY = RetentionPolicy(pause_seconds=0)  # no pause between batches: the tests need not let a sender in


async def broadcast(bot: BotHarness, admin: Identity, words: str) -> None:
    """A notice to everyone, sent at the clock's time and delivered."""
    draft = NoticeDraft(uuid.uuid4().hex, words, Audience(AudienceKind.EVERYONE), bot.clock.now())
    await notices.broadcast(bot.store.uow, Actor(admin.user_id), draft, bot.clock.now(), recipient_message)
    await bot.deliver()


async def outbox(store: Store) -> list[tuple[Any, ...]]:
    """Every outbox row as the delivery reports read it, with its payload."""
    async with store.uow() as uow:
        rows = await uow._session.execute(  # type: ignore[attr-defined]
            select(
                OutboxRow.id,
                OutboxRow.status,
                OutboxRow.parts_sent,
                OutboxRow.message_ids,
                OutboxRow.chat_id,
                OutboxRow.job,
                OutboxRow.payload,
            ).order_by(OutboxRow.id)
        )
        return [tuple(r) for r in rows]


def test_the_partial_index_and_the_domain_name_the_same_unfinished_statuses() -> None:
    listed = OUTBOX_PAYLOAD_KEPT.split("NOT IN (")[1].rstrip(")").replace("'", "").split(", ")
    assert sorted(listed) == sorted(s.value for s in UNFINISHED)


def test_months_before_counts_calendar_months() -> None:
    assert months_before(dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC), 24) == dt.datetime(
        2024, 11, 27, 9, 30, tzinfo=dt.UTC
    )
    assert months_before(dt.datetime(2026, 3, 31, tzinfo=dt.UTC), 1) == dt.datetime(
        2026, 2, 28, tzinfo=dt.UTC
    )
    assert months_before(dt.datetime(2026, 1, 15, tzinfo=dt.UTC), 13).date() == dt.date(2024, 12, 15)


async def test_finished_messages_lose_their_text_after_30_days_and_the_reports_read_the_same(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    await broadcast(bot, admin, "Plenary on Friday")
    bot.clock.current = NOW + 20 * DAY
    await broadcast(bot, admin, "Second plenary")
    before = await outbox(bot.store)
    assert len(before) == 6 and {r[1] for r in before} == {"sent"}
    bot.clock.current = NOW + 31 * DAY
    [report_before] = bot.texts(await bot.send(admin, "/notices"))

    assert (await retention_due(bot.store.uow, POLICY, bot.clock.now())).counts == RetentionCounts(payloads=3)
    report = await apply_retention(bot.store.uow, POLICY, bot.clock.now())
    assert report.counts == RetentionCounts(payloads=3) and not report.busy

    after = await outbox(bot.store)
    old, young = [r for r in after if r[5] == "notice:1"], [r for r in after if r[5] == "notice:2"]
    assert all(row[6] == EMPTIED_PAYLOAD for row in old)
    assert [row[:6] for row in after] == [row[:6] for row in before], "statuses, counts and ids stay"
    assert young == [r for r in before if r[5] == "notice:2"], "the 20-day-old notice keeps its text"
    [report_after] = bot.texts(await bot.send(admin, "/notices"))
    assert report_after == report_before

    again = await apply_retention(bot.store.uow, POLICY, bot.clock.now())
    assert again.counts == RetentionCounts() and await outbox(bot.store) == after
    async with bot.store.uow() as uow:
        [entry] = [e for e in await uow.audit.latest(5) if e.action == "retention.applied"]
    assert entry.details["payloads_emptied"] == 3 and entry.actor_id is None


async def test_refused_requests_and_expired_invitations_go_after_90_days(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    admin, now = Actor(people["admin"].user_id), bot.clock.now()
    refused = await submit_access_request(
        bot.store.uow, 901, 901, "Ref Used", "PT", "", "en", now, admin_notice
    )
    await decide_access_request(bot.store.uow, admin, refused.request.id, None, now, requester_notice)
    waiting = await submit_access_request(
        bot.store.uow, 902, 902, "Wai Ting", "PT", "", "en", now, admin_notice
    )
    short = await create_invite(bot.store.uow, admin, Role.CONTACT, "IT", 1, 1, now)
    long = await create_invite(bot.store.uow, admin, Role.CONTACT, "IT", 1, 30, now)

    bot.clock.current = now + 90 * DAY + dt.timedelta(hours=1)
    report = await apply_retention(bot.store.uow, POLICY, bot.clock.now())
    assert (report.counts.requests, report.counts.invites) == (1, 0)  # the invitation expired 89 days ago
    bot.clock.current = now + 91 * DAY + dt.timedelta(hours=1)
    assert (await apply_retention(bot.store.uow, POLICY, bot.clock.now())).counts.invites == 1
    async with bot.store.uow() as uow:
        assert await uow.requests.by_id(refused.request.id) is None
        assert await uow.requests.by_id(waiting.request.id) is not None, "a pending request stays"
        assert await uow.invites.by_id(short.invite.id) is None
        assert await uow.invites.by_id(long.invite.id) is not None


async def test_members_revoked_for_over_24_months_are_pseudonymised(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    admin, contact = Actor(people["admin"].user_id), people["contact"]
    claire = (await set_status(bot.store.uow, admin, 2, MemberStatus.REVOKED, NOW)).member
    assert claire.display_name == "Claire"
    bot.clock.current = months_before(NOW, -24) - DAY
    assert (await apply_retention(bot.store.uow, POLICY, bot.clock.now())).counts.members == 0
    bot.clock.current = months_before(NOW, -24) + DAY
    assert (await retention_due(bot.store.uow, POLICY, bot.clock.now())).counts.members == 1
    assert (await apply_retention(bot.store.uow, POLICY, bot.clock.now())).counts.members == 1
    async with bot.store.uow() as uow:
        erased = await uow.members.by_id(2)
        assert await uow.members.by_telegram_id(contact.user_id) is None
        entries = [e for e in await uow.audit.latest(5) if e.action == "member.erased"]
    assert erased is not None and erased.erased and erased.display_name.startswith("member-")
    assert entries[0].details["via"] == "retention" and entries[0].actor_id is None
    rolf = people["revoked"]  # revoked before revocations were dated: never due by accident
    async with bot.store.uow() as uow:
        assert await uow.members.by_telegram_id(rolf.user_id) is not None


async def test_retention_works_in_batches_of_the_configured_size(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    for words in ("one", "two", "three"):
        await broadcast(bot, people["admin"], words)
    bot.clock.current = NOW + 40 * DAY
    report = await apply_retention(
        bot.store.uow, RetentionPolicy(batch_size=4, pause_seconds=0), bot.clock.now()
    )
    # members (1 empty batch), payloads 9 rows in batches of 4 (3 batches), requests and invites (1 each)
    assert report.counts.payloads == 9 and report.transactions == 6
    assert 0 < report.longest_transaction < 5


async def test_a_second_process_finds_retention_running_and_stops(
    bot: BotHarness, people: dict[str, Identity], store: Store
) -> None:
    if store.backend != "postgresql":
        pytest.skip("SQLite serves one process; its transactions already exclude each other")
    await broadcast(bot, people["admin"], "to be emptied")
    bot.clock.current = NOW + 40 * DAY
    other = open_store(str(store.engine.url.render_as_string(hide_password=False)))
    try:
        async with other.engine.connect() as connection, connection.begin():
            held = await connection.scalar(text(f"SELECT pg_try_advisory_xact_lock({RETENTION_LOCK})"))
            assert held is True
            busy = await apply_retention(bot.store.uow, POLICY, bot.clock.now())
            assert busy.busy and busy.counts == RetentionCounts() and busy.transactions == 0
    finally:
        await other.dispose()
    done = await apply_retention(bot.store.uow, POLICY, bot.clock.now())
    assert not done.busy and done.counts.payloads == 3


async def test_the_daily_job_runs_late_rather_never_and_at_start_up(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    queue = bot.app.job_queue
    assert queue is not None
    queue.scheduler.pause()  # inspected and run by hand; APScheduler keeps the wall clock
    daily, first = schedule_retention(bot.app)
    assert (daily.name, first.name) == (DAILY, STARTUP)
    for job in (daily, first):
        assert job.job.misfire_grace_time is None and JOB_KWARGS["misfire_grace_time"] is None
    assert "hour='3', minute='30'" in str(daily.job.trigger)  # RETENTION_AT's default, in TZ
    assert str(daily.job.trigger.timezone) == "Europe/Brussels"
    await broadcast(bot, people["admin"], "job")
    bot.clock.current = NOW + 40 * DAY
    await daily.run(bot.app)
    rows = await outbox(bot.store)
    assert rows and all(r[6] == EMPTIED_PAYLOAD for r in rows)
    assert len(schedule_retention(bot.app)) == 2 and len(queue.get_jobs_by_name(DAILY)) == 1


def test_the_command_line_says_what_is_due_then_does_it(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    asyncio.run(_old_refused_request(database_url))
    assert main(["retention", "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "Retention (dry run: nothing changed):" in dry
    assert "1 access request(s) refused over 90 days ago to delete" in dry
    assert main(["retention"]) == 0
    done = capsys.readouterr().out
    assert "1 access request(s) refused over 90 days ago deleted" in done and "transaction(s)" in done
    assert main(["retention", "--dry-run"]) == 0
    assert "0 access request(s)" in capsys.readouterr().out


async def _old_refused_request(url: str) -> None:
    store = open_store(url)
    try:
        long_ago = dt.datetime.now(dt.UTC) - 100 * DAY
        request = await submit_access_request(
            store.uow, 903, 903, "Old Timer", "PT", "", "en", long_ago, admin_notice
        )
        async with store.engine.begin() as connection:
            await connection.execute(
                text("UPDATE access_requests SET status = 'refused', decided_at = :at WHERE id = :id"),
                {"at": long_ago, "id": request.request.id},
            )
    finally:
        await store.dispose()
