"""The real Sender over PTB's HTTP transport against a fake that enforces Telegram's limits.

Every test runs on SQLite and on PostgreSQL (the `store` fixture) unless it is about the sender alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.outbox import RetryPolicy
from bot.domain.rate import Limits as SenderLimits
from bot.domain.rate import RateScheduler
from bot.domain.splitting import split_html
from bot.domain.vocab import Role
from bot.services.outbox import engine_state
from storage.factory import Store, open_store
from storage.models import AuditRow, MemberRow
from tests.conftest import register
from tests.databases import SqliteTemplates
from tests.delivery.support import (
    HEADROOM,
    SCALE,
    html_problems,
    html_text,
    make_sender,
    message,
    put,
    rejection_report,
    rows,
    run_until_settled,
    sender_config,
    wait_for,
)
from tests.fakes.telegram_limits import FakeTelegram, Limits
from tests.fakes.telegram_limits import Limits as FakeLimits
from tests.harness import BotHarness

FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
MARKUP = {"inline_keyboard": [[{"text": "Open", "callback_data": "open:1"}]]}

Fakes = Callable[..., FakeTelegram]


def texts_to(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [str(d.text) for d in fake.delivered_to(chat_id)]


async def members_reachable(store: Store) -> dict[int, bool]:
    async with store.engine.connect() as connection:
        result = await connection.execute(select(MemberRow.telegram_user_id, MemberRow.reachable))
        return {int(u): bool(r) for u, r in result}


async def audit_unreachable(store: Store) -> list[dict[str, Any]]:
    async with store.engine.connect() as connection:
        result = await connection.execute(
            select(AuditRow.subject, AuditRow.details).where(AuditRow.action == "member.unreachable")
        )
        return [{"subject": s, **d} for s, d in result]


@pytest.fixture
async def sqlite_store(sqlite_templates: SqliteTemplates, tmp_path: Path) -> AsyncIterator[Store]:
    """For what does not depend on the backend: one real store, SQLite only."""
    opened = open_store(sqlite_templates.fresh(tmp_path))
    yield opened
    await opened.dispose()


# --- the normal case ----------------------------------------------------------------------------------


async def test_everything_is_delivered_once_in_order_per_chat(
    store: Store, fake: FakeTelegram, bots: Any
) -> None:
    chats = [1000 + i for i in range(30)]
    queued = [message(chat, f"c{chat}-m{n}") for n in range(4) for chat in chats]  # interleaved
    assert await put(store, queued) == 120
    sender = make_sender(await bots(fake), store, sender_config())

    started = time.monotonic()
    await run_until_settled(sender, store)
    elapsed = time.monotonic() - started

    counters = fake.counters
    print(f"\n120 rows / 30 chats, sender at {SCALE * HEADROOM}x: {elapsed:.2f} s, {counters}")
    assert counters.rejected_429 == 0, rejection_report(fake, sender_config().limits.per_chat_seconds)
    assert fake.duplicates() == {}
    assert counters.delivered == 120
    for chat in chats:
        assert texts_to(fake, chat) == [f"<b>notice</b> c{chat}-m{n}" for n in range(4)]
    stored = await rows(store)
    assert {r.status for r in stored} == {"sent"}
    assert all(r.attempts == 0 and not r.maybe_duplicate and not r.in_flight for r in stored)
    by_text = {d.text: d.message_id for d in fake.deliveries}
    assert all(r.message_ids == (by_text[f"<b>notice</b> {r.dedupe_key}"],) for r in stored)


async def test_just_under_the_scaled_limits_all_arrive_once_with_few_429s(
    sqlite_store: Store, fake_factory: Fakes, bots: Any
) -> None:
    """Sender at 0.8 of the fake's scaled limits: the overall limit binds (120 chats, 1 each).

    At exactly the limits, jitter on a loaded machine can still cost an occasional 429 (bench/delivery.py
    reports how many); a test must not depend on the machine's load.
    """
    scale = 4.0
    fake = fake_factory(Limits(scale=scale))
    await put(sqlite_store, [message(1300 + i, f"e{i}") for i in range(120)])
    sender = make_sender(await bots(fake), sqlite_store, sender_config(scale * 0.8))

    started = time.monotonic()
    await run_until_settled(sender, sqlite_store)
    elapsed = time.monotonic() - started

    counters = fake.counters
    limits = fake.limits
    rejected = Counter(r.limit for r in fake.rejections)
    print(f"\n120 rows / 120 chats at exactly {scale}x: {elapsed:.2f} s, {counters}, {dict(rejected)}")
    assert counters.delivered == 120 and fake.duplicates() == {}
    assert fake.max_rate_in_window(limits.overall_window) <= limits.overall_per_second
    # A loaded machine wakes timers late and can bunch a few sends: 429s are obeyed, never a loss.
    assert counters.rejected_429 <= 5, rejection_report(fake, sender_config(scale).limits.per_chat_seconds)


async def test_a_duplicate_dedupe_key_is_delivered_once(store: Store, fake: FakeTelegram, bots: Any) -> None:
    assert await put(store, [message(1100, "same"), message(1100, "same")]) == 1
    assert await put(store, [message(1100, "same"), message(1101, "other")]) == 1
    await run_until_settled(make_sender(await bots(fake), store, sender_config()), store)
    assert texts_to(fake, 1100) == ["<b>notice</b> same"]
    assert texts_to(fake, 1101) == ["<b>notice</b> other"]
    assert len(await rows(store)) == 2


# --- Telegram's answers ----------------------------------------------------------------------------------


async def test_429_is_retried_after_retry_after_without_counting_an_attempt(
    store: Store, fake_factory: Fakes, bots: Any
) -> None:
    # The fake allows one message per chat every 0.5 s where the sender allows one every 0.2 s:
    # the second message to `chat` is answered 429 (retry_after 1 s).
    fake = fake_factory(Limits(private_per_second=0.2, scale=SCALE))
    chat, others = 1200, [1201, 1202, 1203]
    await put(store, [message(chat, "first"), message(chat, "second")])
    await put(store, [message(other, f"r{other}") for other in others])
    sender = make_sender(await bots(fake), store, sender_config())

    await run_until_settled(sender, store, seconds=20)

    rejections = fake.rejections
    print(f"\n429 test: {fake.counters}, retry_after={[r.retry_after for r in rejections]}")
    assert rejections, "the fake never answered 429"
    assert {r.chat_id for r in rejections} == {chat}
    assert fake.duplicates() == {}
    assert sorted(texts_to(fake, chat)) == ["<b>notice</b> first", "<b>notice</b> second"]
    assert sorted(d.chat_id for d in fake.deliveries if d.chat_id != chat) == others
    stored = {r.dedupe_key: r for r in await rows(store)}
    assert {r.status for r in stored.values()} == {"sent"}
    assert all(r.attempts == 0 for r in stored.values()), "a 429 counted as an attempt"
    assert (stored["second"].last_error or "").startswith("429 retry after 1")
    second = next(d for d in fake.delivered_to(chat) if d.text == "<b>notice</b> second")
    assert second.at >= rejections[-1].at + rejections[-1].retry_after - 0.05  # not before retry_after


async def test_blocked_and_missing_chats_are_skipped_and_their_members_marked(
    store: Store, fake_factory: Fakes, bots: Any
) -> None:
    blocked, missing, fine, stranger = 2001, 2002, 2003, 2004
    await register(store, blocked, Role.CONTACT, "FR", "Blocky")
    await register(store, missing, Role.CONTACT, "DE", "Gone")
    await register(store, fine, Role.CONTACT, "FR", "Fine")
    fake = fake_factory(blocked={blocked}, missing={missing})
    await put(store, [message(chat, f"g{chat}-{n}") for n in range(3) for chat in (blocked, missing, fine)])
    await put(store, [message(stranger, f"g{stranger}-{n}") for n in range(3)])

    await run_until_settled(make_sender(await bots(fake), store, sender_config()), store)

    stored = await rows(store)
    reasons = {c: {(r.status, r.last_error) for r in stored if r.chat_id == c} for c in (blocked, missing)}
    assert reasons[blocked] == {("skipped", "403 Forbidden: bot was blocked by the user")}
    assert reasons[missing] == {("skipped", "400 Chat not found")}
    assert fake.counters.forbidden == 1 and fake.counters.bad_request == 1  # one try, then skipped
    assert sum(r.chat_id == blocked for r in stored) == 3
    for chat in (fine, stranger):  # other chats are not affected
        assert sorted(texts_to(fake, chat)) == [f"<b>notice</b> g{chat}-{n}" for n in range(3)]
        assert {r.status for r in stored if r.chat_id == chat} == {"sent"}
    reachable = await members_reachable(store)
    assert (reachable[blocked], reachable[missing], reachable[fine]) == (False, False, True)
    audits = sorted(a["reason"] for a in await audit_unreachable(store))
    assert audits == ["400 Chat not found", "403 Forbidden: bot was blocked by the user"]


async def test_5xx_is_retried_with_backoff_and_delivered(
    store: Store, fake_factory: Fakes, bots: Any
) -> None:
    fake = fake_factory(fail_fraction=0.3, seed=3)
    chats = [2100 + i for i in range(20)]
    await put(store, [message(chat, f"f{chat}") for chat in chats])

    await run_until_settled(make_sender(await bots(fake), store, sender_config()), store)

    counters = fake.counters
    print(f"\n5xx test: {counters}")
    assert counters.failed_5xx > 0
    assert sorted(d.chat_id for d in fake.deliveries) == chats
    stored = await rows(store)
    assert {r.status for r in stored} == {"sent"}
    assert sum(r.attempts for r in stored) == counters.failed_5xx  # every 502 counted as an attempt
    assert all("Bad Gateway" in (r.last_error or "") for r in stored if r.attempts)


async def test_5xx_gives_up_after_max_attempts(store: Store, fake_factory: Fakes, bots: Any) -> None:
    fake = fake_factory(fail_fraction=1.0)
    await put(store, [message(chat, f"x{chat}") for chat in (2201, 2202, 2203)])
    config = sender_config(retry=RetryPolicy(base_seconds=0.05, max_seconds=0.1, max_attempts=2))

    await run_until_settled(make_sender(await bots(fake), store, config), store)

    stored = await rows(store)
    assert {r.status for r in stored} == {"failed"}
    assert all(r.attempts == 2 for r in stored)
    assert all((r.last_error or "").startswith("gave up after 2 attempts: NetworkError") for r in stored)
    assert fake.counters.failed_5xx == 6 and fake.counters.delivered == 0


@pytest.mark.parametrize("delivers", [False, True], ids=["lost-request", "lost-answer"])
async def test_timeouts_are_retried_and_possible_duplicates_flagged(
    store: Store, fake_factory: Fakes, bots: Any, delivers: bool
) -> None:
    fake = fake_factory(timeout_fraction=0.3, timeout_seconds=0.4, timeout_delivers=delivers, seed=5)
    chats = [2300 + i for i in range(16)]
    await put(store, [message(chat, f"t{chat}") for chat in chats])
    bot = await bots(fake, read_timeout=0.15)

    await run_until_settled(make_sender(bot, store, sender_config()), store, seconds=20)

    counters = fake.counters
    duplicates = fake.duplicates()
    print(f"\ntimeouts (delivers={delivers}): {counters}, duplicates={len(duplicates)}")
    assert counters.timed_out > 0
    stored = await rows(store)
    assert {r.status for r in stored} == {"sent"}
    assert set(Counter(d.chat_id for d in fake.deliveries)) == set(chats)
    flagged = {r.chat_id for r in stored if r.maybe_duplicate}
    assert flagged == {r.chat_id for r in stored if r.attempts}  # every timed-out row is flagged
    if delivers:
        assert duplicates, "a lost answer should have caused a duplicate"
        assert {chat for chat, _ in duplicates} <= flagged
    else:
        assert duplicates == {}
    state = await engine_state(store.uow, None)
    assert state.maybe_duplicates == len(flagged)


async def test_a_message_telegram_refuses_fails_without_retries(
    store: Store, fake: FakeTelegram, bots: Any
) -> None:
    await put(store, [message(2401, "long", ["x" * 5000]), message(2402, "fine")])

    await run_until_settled(make_sender(await bots(fake), store, sender_config()), store)

    stored = {r.chat_id: r for r in await rows(store)}
    assert (stored[2401].status, stored[2401].attempts) == ("failed", 1)
    assert stored[2401].last_error == "400 Message is too long"
    assert fake.counters.bad_request == 1  # one request, no retry
    assert stored[2402].status == "sent"
    assert texts_to(fake, 2402) == ["<b>notice</b> fine"]


# --- what is sent --------------------------------------------------------------------------------------


def long_report() -> str:
    lines = ["<b>Weekly report</b>", "<blockquote>"]
    lines += [
        f'Item {i}: <i>asylum &amp; migration</i> — <a href="https://example.org/{i}">source {i}</a> '
        f"<code>a&lt;b</code>"
        for i in range(120)
    ]
    lines.append("</blockquote>")
    lines.append("<b>" + " ".join(f"word{i} &amp;" for i in range(700)) + "</b>")  # one line > 4096
    lines += [f"<u>Closing line {i}</u>" for i in range(40)]
    return "\n".join(lines)


async def test_long_text_arrives_as_several_valid_messages_in_order_with_markup_on_the_last(
    store: Store, fake: FakeTelegram, bots: Any
) -> None:
    text = long_report()
    parts = split_html(text)
    assert len(parts) >= 3
    chat = 2501
    await put(store, [message(chat, "report", parts, protect=True, markup=MARKUP)])
    await put(store, [message(chat, "after")])

    await run_until_settled(make_sender(await bots(fake), store, sender_config()), store)

    stored = {r.dedupe_key: r for r in await rows(store)}
    assert stored["report"].status == "sent", (
        f"{stored['report'].last_error} after {stored['report'].parts_sent} parts; "
        f"split_html gave parts of {[len(p) for p in parts]} characters"
    )
    delivered = fake.delivered_to(chat)
    assert [d.text for d in delivered] == [*parts, "<b>notice</b> after"]
    report = delivered[:-1]
    for d in report:
        assert len(str(d.text)) <= 4096
        assert html_problems(str(d.text)) == [], d.text
        assert d.params.get("parse_mode") == "HTML"
        assert d.params.get("protect_content") is True
    assert " ".join(html_text(str(d.text)) for d in report).split() == html_text(text).split()
    assert [d.params.get("reply_markup") for d in report] == [None] * (len(parts) - 1) + [MARKUP]
    assert "protect_content" not in delivered[-1].params
    assert stored["report"].parts_sent == len(parts)
    assert stored["report"].message_ids == tuple(d.message_id for d in report)


async def test_protect_content_on_every_part_and_the_markup_on_the_last_only(
    store: Store, fake: FakeTelegram, bots: Any
) -> None:
    chat = 2502
    await put(store, [message(chat, "two-parts", ["<b>one</b>", "<i>two</i>"], protect=True, markup=MARKUP)])
    await put(store, [message(chat + 1, "plain")])

    await run_until_settled(make_sender(await bots(fake), store, sender_config()), store)

    one, two = fake.delivered_to(chat)
    assert (one.text, two.text) == ("<b>one</b>", "<i>two</i>")
    assert one.params.get("protect_content") is True and two.params.get("protect_content") is True
    assert "reply_markup" not in one.params
    assert two.params.get("reply_markup") == MARKUP
    (plain,) = fake.delivered_to(chat + 1)
    assert "protect_content" not in plain.params and "reply_markup" not in plain.params


# --- stopping --------------------------------------------------------------------------------------------


async def test_stop_finishes_the_message_in_flight_and_hands_back_the_rest(
    store: Store, fake: FakeTelegram, bots: Any
) -> None:
    multi, busy = 2601, 2602
    parts = [f"part {i}" for i in range(4)]
    await put(store, [message(multi, "multi", parts)])
    await put(store, [message(busy, f"busy-{n}") for n in range(6)])  # 0.2 s apart: 1.2 s of work
    bot = await bots(fake)
    sender = make_sender(bot, store, sender_config())
    sender.start()
    await wait_for(lambda: _has(fake, multi), 5, "the first part")

    started = time.monotonic()
    await sender.stop(grace_seconds=5)
    stopping = time.monotonic() - started

    assert stopping < 2.0
    assert texts_to(fake, multi) == parts  # the message in flight was finished, every part
    stored = await rows(store)
    assert not [r for r in stored if r.status == "sending" or r.in_flight]
    busy_rows = [r for r in stored if r.chat_id == busy]
    sent_busy = [r.dedupe_key for r in busy_rows if r.status == "sent"]
    released = [r for r in busy_rows if r.status == "queued"]
    print(f"\nstop after {stopping:.2f} s: {len(sent_busy)} sent, {len(released)} handed back")
    assert released, "nothing was left to hand back"
    assert all(r.claimed_by is None for r in released)
    assert sorted(texts_to(fake, busy)) == sorted(f"<b>notice</b> {key}" for key in sent_busy)

    await run_until_settled(make_sender(bot, store, sender_config(), worker_id="w2"), store)
    assert sorted(texts_to(fake, busy)) == [f"<b>notice</b> busy-{n}" for n in range(6)]
    assert fake.duplicates() == {}


async def _has(fake: FakeTelegram, chat_id: int) -> bool:
    return bool(fake.delivered_to(chat_id))


# --- what admins see -------------------------------------------------------------------------------------


async def test_engine_state_counts(store: Store, fake_factory: Fakes, bots: Any) -> None:
    await register(store, 2701, Role.CONTACT, "FR", "Blocky")
    fake = fake_factory(blocked={2701})
    await put(store, [message(2701, f"b{n}") for n in range(2)])
    await put(store, [message(2702, "too-long", ["y" * 4097], job="j1")])
    await put(store, [message(chat, f"ok{chat}", job="j1") for chat in (2703, 2704, 2705)])
    await put(store, [message(2706, "later", not_before=FUTURE)])

    sender = make_sender(await bots(fake), store, sender_config())
    sender.start()
    try:
        await wait_for(lambda: _only_later_left(store), 10, "all due rows to settle")
    finally:
        await sender.stop(grace_seconds=5)

    state = await engine_state(store.uow, None)
    assert state.by_status == {"sent": 3, "failed": 1, "skipped": 2, "queued": 1}
    assert state.recent_failures == [(2702, "400 Message is too long")]
    assert state.unreachable == [(2701, "Blocky")]
    assert state.maybe_duplicates == 0
    job = await engine_state(store.uow, None, job="j1")
    assert job.by_status == {"sent": 3, "failed": 1}


async def _only_later_left(store: Store) -> bool:
    return [r.dedupe_key for r in await rows(store) if r.status in ("queued", "sending")] == ["later"]


async def test_notices_shows_the_counts_to_an_admin_and_refuses_others(
    store: Store, bot: BotHarness, people: dict[str, Any], fake_factory: Fakes, bots: Any
) -> None:
    await register(store, 2801, Role.CONTACT, "FR", "Blocky")
    fake = fake_factory(blocked={2801})
    await put(store, [message(2801, "n-blocked"), message(2802, "n-1"), message(2803, "n-2")])
    await put(store, [message(2804, "n-later", not_before=FUTURE)])
    sender = make_sender(await bots(fake), store, sender_config())
    sender.start()
    try:
        await wait_for(lambda: _only_keys_left(store, ["n-later"]), 10, "the due rows to settle")
    finally:
        await sender.stop(grace_seconds=5)

    (shown,) = bot.texts(await bot.send(people["admin"], "/notices"))
    assert "Queued: 1 · sending: 0 · sent: 2" in shown
    assert (
        "Failed: 0 · recipient unreachable: 1\nNot sent because an admin cancelled: 0 · stopped: 0" in shown
    )
    assert "May have gone twice (in flight at a crash or a timeout): 0" in shown
    assert "Unreachable members</b> (1)" in shown and "Blocky" in shown

    for who, answer in (
        ("contact", "Sorry, that is not allowed for your role."),
        ("observer", "Sorry, that is not allowed for your role."),
        ("guest", "This is for members of the working party."),
    ):
        replies = bot.texts(await bot.send(people[who], "/notices"))
        assert len(replies) == 1 and answer in replies[0], (who, replies)
        assert "Delivery engine" not in replies[0]


async def _only_keys_left(store: Store, keys: list[str]) -> bool:
    return [r.dedupe_key for r in await rows(store) if r.status in ("queued", "sending")] == keys


# --- ordering and leases under failures (backend-independent: SQLite only) ------------------------------


async def test_a_retried_message_does_not_overtake_nor_fall_behind_its_chat(
    sqlite_store: Store, fake_factory: Fakes, bots: Any
) -> None:
    # Seed 36: the chat's first send is answered 502, the next ones go through.
    fake = fake_factory(fail_fraction=0.5, seed=36)
    chat = 2901
    await put(sqlite_store, [message(chat, f"o{n}") for n in range(4)])

    await run_until_settled(make_sender(await bots(fake), sqlite_store, sender_config()), sqlite_store)

    assert fake.counters.failed_5xx == 1
    got = [str(t).removeprefix("<b>notice</b> ") for t in texts_to(fake, chat)]
    assert sorted(got) == ["o0", "o1", "o2", "o3"]
    assert got == ["o0", "o1", "o2", "o3"], f"per-chat order broken by a retry: {got}"


async def test_rows_whose_lease_runs_out_while_waiting_are_still_sent_once(
    sqlite_store: Store, fake: FakeTelegram, bots: Any
) -> None:
    # 5 rows to one chat take 0.8 s at the sender's per-chat limit; their lease is 0.3 s.
    chat = 2902
    await put(sqlite_store, [message(chat, f"l{n}") for n in range(5)])
    config = sender_config(lease=dt.timedelta(seconds=0.3))

    await run_until_settled(make_sender(await bots(fake), sqlite_store, config), sqlite_store)

    assert fake.duplicates() == {}
    assert sorted(texts_to(fake, chat)) == [f"<b>notice</b> l{n}" for n in range(5)]
    assert {r.status for r in await rows(sqlite_store)} == {"sent"}


async def test_a_slow_store_write_does_not_squeeze_two_messages_to_one_chat(
    sqlite_store: Store, fake: FakeTelegram, bots: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first row's `ledger.begin` takes 150 ms (a busy SQLite writer, a lock, a pool wait).

    The sender spaces a chat's messages 200 ms apart and the fake needs 100 ms: counting the gap from
    when the first message actually went (not from its grant), the second is never refused with a 429.
    The gap itself is printed, not asserted: arrival times carry the machine's timer jitter.
    """
    chat = 2903
    await put(sqlite_store, [message(chat, "slow-0"), message(chat, "slow-1")])
    sender = make_sender(await bots(fake), sqlite_store, sender_config())
    begin = sender.ledger.begin
    slow = [0.15]

    async def slow_begin(row: Any, now: dt.datetime) -> bool:
        if slow:
            await asyncio.sleep(slow.pop())
        return await begin(row, now)

    monkeypatch.setattr(sender.ledger, "begin", slow_begin)

    await run_until_settled(sender, sqlite_store)

    first, second = (d.at for d in fake.delivered_to(chat))
    print(f"\nslow write: the chat's two messages arrived {(second - first) * 1000:.0f} ms apart")
    assert fake.counters.rejected_429 == 0, rejection_report(fake, sender.config.limits.per_chat_seconds)


@pytest.mark.parametrize("scale", [1.0, 4.0, 60.0])
def test_scaled_limits_have_the_shape_of_the_scaled_fake(scale: float) -> None:
    """`Limits().scaled(k)` is documented for benchmarks against a fake at `scale=k`: same windows, k× faster.

    The fake counts 30 sends per 1/k s and 20 per group per 60/k s; the sender's grants must fit.
    """
    limits = SenderLimits().scaled(scale)
    scheduler = RateScheduler(limits)
    overall = [scheduler.reserve(10_000 + i, 0.0) for i in range(31)]
    group = [scheduler.reserve(-100500, 0.0) for _ in range(21)]
    fake = FakeLimits(scale=scale)
    assert overall[30] - overall[0] > fake.overall_window, "31 sends inside one overall window"
    assert group[20] - group[0] > fake.group_window, "21 sends to one group inside its window"
