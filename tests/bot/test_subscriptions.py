"""/subscribe, /subscriptions, /unsubscribe and /digest through real updates, and the JobQueue they drive.

The store is the oracle for what was saved (next due times in UTC written out by hand for the member's
zone); `bot.app.job_queue` for what is scheduled. The scheduler is paused in every test: the harness's
clock is fixed while APScheduler runs on the wall clock, so a job must never fire on its own here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from telegram.ext import Job

from bot.console.botapi import ApiCall
from bot.console.updates import Identity
from bot.domain.digests import MAX_SUBSCRIPTIONS, Frequency, Scope, Subscription
from bot.domain.errors import InvalidInput
from bot.domain.vocab import InitiativeType, Role, Tlp
from bot.services import digests
from bot.services.actors import Actor
from handlers.callback_data import CallbackData
from handlers.jobs import job_name, schedule
from handlers.subscribe_answers import (
    ChooseHour,
    ChooseWeekday,
    ConfirmSubscription,
    EditSubscription,
    SubscribeWhat,
    ToggleRegion,
)
from handlers.subscriptions import (
    DeleteConfirmed,
    DeleteSubscription,
    PauseSubscription,
    PreviewSubscription,
    ResumeSubscription,
    StopAll,
)
from storage.factory import Store
from tests.bot.flows import alerts, buttons, last_with_buttons, tap
from tests.conftest import NOW, register
from tests.harness import BotHarness
from tests.storage.test_digests import balanced, hold_jobs, initiative_id, post, post_many, set_member, utc

MEMBERS_ONLY = "This is for members of the working party."
PRIVATE_ONLY_COMMAND = "That command works only in a private chat with me, never in a group."
PRIVATE_ONLY = "That works only in a private chat with me."
STALE = "This button is no longer available."
GONE = "That no longer exists."
CONFIRM = "✅ Subscribe"
DAY = dt.timedelta(days=1)
GROUP_CHAT = -100123
# The buttons of one subscription in /subscriptions, by what they do.
MANAGE: dict[str, Callable[[int], CallbackData]] = {
    "prev": PreviewSubscription,
    "pause": PauseSubscription,
    "resume": ResumeSubscription,
    "del": DeleteSubscription,
    "delok": DeleteConfirmed,
    "edit": EditSubscription,
}


@pytest.fixture(autouse=True)
def _paused_scheduler(bot: BotHarness) -> None:
    hold_jobs(bot)


# --- helpers -------------------------------------------------------------------------------------------


async def subscriptions_of(store: Store, telegram_user_id: int) -> list[Subscription]:
    """A member's subscriptions as stored, oldest first."""
    async with store.uow() as uow:
        member = await uow.members.by_telegram_id(telegram_user_id)
        assert member is not None
        return list(await uow.subscriptions.for_member(member.id))


def jobs(bot: BotHarness, subscription_id: int) -> list[Job[Any]]:
    """The live JobQueue jobs of a subscription."""
    queue = bot.app.job_queue
    assert queue is not None
    return [j for j in queue.get_jobs_by_name(job_name(subscription_id)) if not j.removed]


def due_of(bot: BotHarness, subscription_id: int) -> dt.datetime:
    """When the subscription's one job will run."""
    [job] = jobs(bot, subscription_id)
    assert job.next_t is not None
    return job.next_t


def group(person: Identity) -> Identity:
    """The same person writing in the working party's supergroup."""
    return Identity(
        person.user_id, person.first_name, chat_id=GROUP_CHAT, chat_type="supergroup", chat_title="EMWP"
    )


def text_of(bot: BotHarness, calls: list[ApiCall]) -> str:
    """Everything these calls sent or edited, joined."""
    return "\n".join(bot.texts(calls))


def errors_of(bot: BotHarness) -> list[BaseException]:
    """Handler failures so far (taken: reported by the test rather than at teardown)."""
    found = list(bot.errors)
    bot.errors.clear()
    return found


async def subscribe_flow(
    bot: BotHarness,
    who: Identity,
    *,
    frequency: str = "Daily",
    day: str | None = None,
    time: str = "08:00",
    empty: bool = True,
) -> list[ApiCall]:
    """From "how often?" to ✅ with listed answers; the calls of the ✅ press."""
    await tap(bot, who, frequency)
    if day is not None:
        await tap(bot, who, day)
    await tap(bot, who, time)
    await tap(bot, who, "Yes, tell me there was nothing new" if empty else "No, send nothing")
    return await tap(bot, who, CONFIRM)


async def subscribe_everything(bot: BotHarness, who: Identity, **answers: Any) -> Subscription:
    """/subscribe → Everything → the answers → ✅; the new subscription as stored."""
    before = {s.id for s in await subscriptions_of(bot.store, who.user_id)}
    await bot.send(who, "/subscribe")
    await tap(bot, who, "Everything")
    await subscribe_flow(bot, who, **answers)
    [new] = [s for s in await subscriptions_of(bot.store, who.user_id) if s.id not in before]
    return new


# --- /subscribe -------------------------------------------------------------------------------------------


async def test_subscribe_choosing_region_type_countries_and_initiative_weekly_at_a_typed_time(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    await set_member(store, contact.user_id, time_zone="America/New_York")
    shown = {  # what the preview must show (posted in the last 7 days, in the scope chosen below)
        "tunisia-by-region": ("MP-TN-2014", NOW - 2 * DAY),
        "budapest-by-type": ("BUDAPEST-1993", NOW - 3 * DAY),
        "georgia-by-country": ("MP-GE-2009", NOW - 4 * DAY),
        "balkans-by-reference": ("AP-WB-2022", NOW - 5 * DAY),
    }
    hidden = {
        "moldova-out-of-scope": ("MP-MD-2008", NOW - DAY),
        "morocco-too-old": ("MP-MA-2013", NOW - 8 * DAY),
    }
    for text, (ref, at) in {**shown, **hidden}.items():
        await post(store, 101, ref, text, at)
    calls = await bot.send(contact, "/subscribe")
    assert "<b>New digest.</b> What should it cover?" in text_of(bot, calls)
    await tap(bot, contact, "Let me choose")
    assert alerts(await tap(bot, contact, "Done")) == [
        "Choose at least one region, country, type or initiative, or go back and choose Everything."
    ]
    await tap(bot, contact, "North Africa")
    await tap(bot, contact, "Western Balkans")
    await tap(bot, contact, "✓ Western Balkans")  # ticked, then unticked
    await tap(bot, contact, "dialogue")
    labels = buttons(last_with_buttons(bot, contact.user_id))
    assert {"✓ North Africa", "Western Balkans", "✓ dialogue", "partnership"} <= labels.keys()
    calls = await tap(bot, contact, "➕ Countries (0)")
    assert "Send country names (any EU language)" in text_of(bot, calls)
    await bot.send(contact, "Marokko, Géorgie")  # German and French
    await tap(bot, contact, "➕ Initiatives (0)")
    await bot.send(contact, "ap-wb-2022")
    labels = buttons(last_with_buttons(bot, contact.user_id))
    assert {"➕ Countries (2)", "➕ Initiatives (1)", "✓ North Africa"} <= labels.keys()
    await tap(bot, contact, "Done")
    await tap(bot, contact, "Weekly")
    calls = await tap(bot, contact, "Monday")
    assert "At what time? (America/New_York" in text_of(bot, calls)
    await tap(bot, contact, "Another time…")
    calls = await bot.send(contact, "25:99")
    assert (
        text_of(bot, calls) == "I can't read “25:99” as a time of day. Write it like 07:45, 7h45 or 7:45am."
    )
    assert await subscriptions_of(store, contact.user_id) == []
    calls = await bot.send(contact, "07:45")
    assert "nothing new" in text_of(bot, calls)
    calls = await tap(bot, contact, "No, send nothing")
    preview = text_of(bot, calls)
    assert "<b>Your digest</b>: every Monday at 07:45 (America/New_York)." in preview
    assert "Here is what it would say now:" in preview
    assert "📰 <b>EMWP digest</b> · 2026-11-20 → 2026-11-27" in preview  # the last 7 days, New York dates
    assert [t for t in shown if t in preview] == list(shown)
    assert [t for t in hidden if t in preview] == []
    calls = await tap(bot, contact, CONFIRM)
    assert text_of(bot, calls) == (
        "✅ Subscribed. The first digest comes 2026-11-30 07:45 (America/New_York). "
        "/subscriptions lists yours."
    )
    [sub] = await subscriptions_of(store, contact.user_id)
    assert sub.scope == Scope(
        everything=False,
        regions=("north_africa",),
        countries=("GE", "MA"),
        types=(InitiativeType.DIALOGUE,),
        initiatives=(await initiative_id(store, "AP-WB-2022"),),
    )
    assert (sub.frequency, sub.weekday, sub.at, sub.send_empty, sub.paused) == (
        Frequency.WEEKLY,
        0,
        dt.time(7, 45),
        False,
        False,
    )
    assert sub.next_due_at == utc(2026, 11, 30, 12, 45)  # 07:45 EST is 12:45 UTC
    assert due_of(bot, sub.id) == utc(2026, 11, 30, 12, 45)
    job = jobs(bot, sub.id)[0]
    assert job.job.misfire_grace_time is None and job.data == sub.id


async def test_subscribe_to_everything_daily_at_a_listed_time(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    await post(store, 102, "MP-MA-2013", "red-for-the-admin", NOW - DAY, Tlp.RED)
    await bot.send(admin, "/subscribe")
    await tap(bot, admin, "Everything")
    calls = await tap(bot, admin, "Daily")
    assert "At what time? (Europe/Brussels" in text_of(bot, calls)
    labels = buttons(last_with_buttons(bot, admin.user_id))
    assert {"07:00", "08:00", "09:00", "12:00", "17:00", "Another time…"} == labels.keys()
    await tap(bot, admin, "08:00")
    calls = await tap(bot, admin, "Yes, tell me there was nothing new")
    preview = text_of(bot, calls)
    assert "<b>Your digest</b>: every day at 08:00 (Europe/Brussels)." in preview
    assert "<b>[TLP:RED]</b>" in preview and "red-for-the-admin" in preview
    calls = await tap(bot, admin, CONFIRM)
    assert "The first digest comes 2026-11-28 08:00 (Europe/Brussels)." in text_of(bot, calls)
    [sub] = await subscriptions_of(store, admin.user_id)
    assert sub.scope == Scope()
    assert (sub.frequency, sub.at, sub.send_empty) == (Frequency.DAILY, dt.time(8), True)
    assert sub.next_due_at == utc(2026, 11, 28, 7)  # NOW is Friday 10:30 in Brussels: Saturday 08:00 CET
    assert due_of(bot, sub.id) == utc(2026, 11, 28, 7)


async def test_a_forged_frequency_is_refused(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    await bot.send(contact, "/subscribe")
    await tap(bot, contact, "Let me choose")
    message = last_with_buttons(bot, contact.user_id)
    for forged in (ToggleRegion(99999).data, "sb:t:zzz"):
        assert alerts(await bot.press(contact, message, forged)) == [
            STALE + " Send the command again for fresh buttons."
        ]
    await tap(bot, contact, "North Africa")
    await tap(bot, contact, "Done")
    calls = await bot.press(
        contact, last_with_buttons(bot, contact.user_id), "sb:freq:hourly"
    )  # no such frequency
    assert errors_of(bot) == []
    assert alerts(calls) == [STALE + " Send the command again for fresh buttons."]


async def test_a_forged_weekday_or_listed_time_is_refused(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    await bot.send(contact, "/subscribe")
    await tap(bot, contact, "Everything")
    await tap(bot, contact, "Weekly")
    message = last_with_buttons(bot, contact.user_id)
    assert alerts(await bot.press(contact, message, ChooseWeekday(7).data)) == [
        STALE + " Send the command again for fresh buttons."
    ]
    await tap(bot, contact, "Monday")
    calls = await bot.press(contact, last_with_buttons(bot, contact.user_id), ChooseHour(25).data)
    refused = alerts(calls) == [STALE + " Send the command again for fresh buttons."]
    if not refused:  # accepted: see whether it can be saved
        await tap(bot, contact, "No, send nothing")
        await tap(bot, contact, CONFIRM)
    assert errors_of(bot) == []
    assert refused, "a forged listed time 25:00 was accepted"
    assert await subscriptions_of(store, contact.user_id) == []


# --- /subscriptions: preview, pause, resume, edit, delete ----------------------------------------------


async def test_subscriptions_preview_pause_resume_edit_and_delete(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    await post(store, 101, "MP-TN-2014", "tunisia-this-week", NOW - 2 * DAY)
    await post(store, 101, "MP-MD-2008", "moldova-this-week", NOW - 2 * DAY)
    await post(store, 101, "MP-TN-2014", "tunisia-last-month", NOW - 30 * DAY)
    everything = await subscribe_everything(bot, contact)
    await bot.send(contact, "/subscribe")
    await tap(bot, contact, "Let me choose")
    await tap(bot, contact, "North Africa")
    await tap(bot, contact, "Done")
    await subscribe_flow(bot, contact, frequency="Weekly", day="Monday", time="07:00", empty=False)
    [first, chosen] = await subscriptions_of(store, contact.user_id)
    assert first == everything and chosen.scope.regions == ("north_africa",)
    assert due_of(bot, everything.id) == utc(2026, 11, 28, 7)
    assert due_of(bot, chosen.id) == utc(2026, 11, 30, 6)

    calls = await bot.send(contact, "/subscriptions")
    listing = text_of(bot, calls)
    assert listing.startswith("<b>Your digests</b> (2)\n1. Everything · every day at 08:00 (Europe/Brussels)")
    assert "· next 2026-11-28 08:00 (Europe/Brussels)" in listing
    assert "2. North Africa · every Monday at 07:00 (Europe/Brussels) · next 2026-11-30 07:00" in listing
    message = last_with_buttons(bot, contact.user_id)
    assert {
        "1: Preview": PreviewSubscription(everything.id).data,
        "2: Preview": PreviewSubscription(chosen.id).data,
        "✏️ Edit": EditSubscription(chosen.id).data,
        "🗑 Delete": DeleteSubscription(chosen.id).data,
    }.items() <= buttons(message).items()

    # Preview sends the digest of this subscription as it would be now.
    calls = await bot.press(contact, message, PreviewSubscription(chosen.id).data)
    [digest] = [str(c.params["text"]) for c in calls if c.method == "sendMessage"]
    assert digest.startswith("📰 <b>EMWP digest</b> · 2026-11-20 → 2026-11-27")
    assert "tunisia-this-week" in digest
    assert "moldova-this-week" not in digest and "tunisia-last-month" not in digest

    # Pause: no job; the listing says so and offers Resume.
    calls = await bot.press(contact, message, PauseSubscription(everything.id).data)
    assert "1. Everything · every day at 08:00 (Europe/Brussels) · paused" in text_of(bot, calls)
    assert (await subscriptions_of(store, contact.user_id))[0].paused
    assert jobs(bot, everything.id) == []
    assert (
        buttons(last_with_buttons(bot, contact.user_id))["▶ Resume"] == ResumeSubscription(everything.id).data
    )
    # Resume a day later: due again from then.
    bot.clock.current = NOW + DAY
    await bot.press(contact, last_with_buttons(bot, contact.user_id), ResumeSubscription(everything.id).data)
    resumed = (await subscriptions_of(store, contact.user_id))[0]
    assert not resumed.paused and resumed.next_due_at == utc(2026, 11, 29, 7)
    assert due_of(bot, everything.id) == utc(2026, 11, 29, 7)

    # Edit re-runs the flow on the same row.
    calls = await bot.press(
        contact, last_with_buttons(bot, contact.user_id), EditSubscription(chosen.id).data
    )
    assert "What should it cover?" in text_of(bot, calls)
    await tap(bot, contact, "✓ Let me choose")
    assert "✓ North Africa" in buttons(last_with_buttons(bot, contact.user_id))
    await tap(bot, contact, "Western Balkans")
    await tap(bot, contact, "Done")
    await subscribe_flow(bot, contact, frequency="Daily", time="17:00", empty=True)
    [_, edited] = await subscriptions_of(store, contact.user_id)
    assert edited.id == chosen.id
    assert edited.scope.regions == ("north_africa", "western_balkans")
    assert (edited.frequency, edited.at, edited.send_empty) == (Frequency.DAILY, dt.time(17), True)
    assert edited.next_due_at == utc(2026, 11, 28, 16)  # Saturday 17:00 CET, the clock being Saturday
    assert due_of(bot, chosen.id) == utc(2026, 11, 28, 16)

    # Delete one: its row and its job go, the other stays.
    await bot.send(contact, "/subscriptions")
    calls = await bot.press(
        contact, last_with_buttons(bot, contact.user_id), DeleteSubscription(everything.id).data
    )
    asked = text_of(bot, calls)
    assert asked.startswith("Delete this digest? Everything · every day at 08:00"), asked
    assert len(await subscriptions_of(store, contact.user_id)) == 2, "asked once, nothing deleted yet"
    kept = await tap(bot, contact, "No, keep them")
    assert text_of(bot, kept) == "Kept. Nothing was changed."
    await bot.send(contact, "/subscriptions")
    await bot.press(contact, last_with_buttons(bot, contact.user_id), DeleteSubscription(everything.id).data)
    calls = await tap(bot, contact, "Yes, delete it")
    assert text_of(bot, calls).startswith("<b>Your digests</b> (1)\n1. ")
    assert [s.id for s in await subscriptions_of(store, contact.user_id)] == [chosen.id]
    assert jobs(bot, everything.id) == []
    assert due_of(bot, chosen.id) == utc(2026, 11, 28, 16)
    await bot.press(contact, last_with_buttons(bot, contact.user_id), DeleteSubscription(chosen.id).data)
    await tap(bot, contact, "Yes, delete it")
    assert await subscriptions_of(store, contact.user_id) == []
    assert jobs(bot, chosen.id) == []
    calls = await bot.send(contact, "/subscriptions")
    assert text_of(bot, calls) == "You have no digest yet. /subscribe sets one up."


async def test_unsubscribe_asks_then_removes_them_all(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact, admin = people["contact"], people["admin"]
    mine = [await subscribe_everything(bot, contact), await subscribe_everything(bot, contact, time="17:00")]
    theirs = await subscribe_everything(bot, admin)
    calls = await bot.send(contact, "/unsubscribe")
    assert text_of(bot, calls) == "Stop all your 2 digests?"
    calls = await tap(bot, contact, "No, keep them")
    assert text_of(bot, calls) == "Kept. Nothing was changed."
    assert await subscriptions_of(store, contact.user_id) == mine
    assert all(jobs(bot, s.id) for s in mine)
    await bot.send(contact, "/unsubscribe")
    calls = await tap(bot, contact, "Yes, stop them all")
    assert text_of(bot, calls) == "Stopped 2 digests. /subscribe starts a new one."
    assert await subscriptions_of(store, contact.user_id) == []
    assert [jobs(bot, s.id) for s in mine] == [[], []]
    assert await subscriptions_of(store, admin.user_id) == [theirs]  # someone else's stay
    assert due_of(bot, theirs.id) == theirs.next_due_at
    calls = await bot.send(contact, "/unsubscribe")
    assert text_of(bot, calls) == "You have no digest yet. /subscribe sets one up."


async def test_digest_command_sends_the_last_seven_days(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    await register(store, 202, Role.CONTACT, "IT", "Ivo")
    await post(store, 101, "MP-TN-2014", "six-days-ago", NOW - 6 * DAY)
    await post(store, 101, "MP-MD-2008", "moldova-yesterday", NOW - DAY)
    await post(store, 101, "MP-TN-2014", "eight-days-ago", NOW - 8 * DAY)
    await post(store, 202, "MP-TN-2014", "strict-for-italy", NOW - DAY, Tlp.AMBER_STRICT)
    calls = await bot.send(contact, "/digest")
    [text] = bot.texts(calls)
    assert text.startswith("📰 <b>EMWP digest</b> · 2026-11-20 → 2026-11-27")
    assert "six-days-ago" in text and "moldova-yesterday" in text  # no subscription: everything
    assert "eight-days-ago" not in text and "strict-for-italy" not in text
    # With subscriptions, /digest covers what they cover.
    await digests.subscribe(
        store.uow,
        Actor(contact.user_id),
        Scope(everything=False, regions=("north_africa",)),
        Frequency.WEEKLY,
        0,
        dt.time(8),
        False,
        NOW,
    )
    [text] = bot.texts(await bot.send(contact, "/digest"))
    assert "six-days-ago" in text and "moldova-yesterday" not in text


# --- refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["guest", "revoked"])
async def test_guests_and_revoked_members_are_refused(
    bot: BotHarness, store: Store, people: dict[str, Identity], who: str
) -> None:
    person = people[who]
    admins = await subscribe_everything(bot, people["admin"])
    for command in ("/subscribe", "/subscriptions", "/unsubscribe", "/digest"):
        calls = await bot.send(person, command)
        assert text_of(bot, calls).startswith(MEMBERS_ONLY), command
        assert "EMWP digest" not in text_of(bot, calls)
    message = {"message_id": 1, "date": 0, "chat": person.chat, "text": "x"}
    for data in (
        SubscribeWhat("all").data,
        ConfirmSubscription().data,
        StopAll().data,
        *(kind(admins.id).data for kind in MANAGE.values()),
    ):
        calls = await bot.press(person, message, data)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
    assert await subscriptions_of(store, people["admin"].user_id) == [admins]
    assert due_of(bot, admins.id) == admins.next_due_at
    async with store.uow() as uow:
        assert len(await uow.subscriptions.active()) == 1


async def test_in_the_group_commands_and_buttons_are_refused(
    bot: BotHarness, store: Store, people: dict[str, Identity], working_group: int
) -> None:
    contact = people["contact"]
    mine = await subscribe_everything(bot, contact)
    in_group = group(contact)
    for command in ("/subscribe", "/subscriptions", "/unsubscribe", "/digest"):
        calls = await bot.send(in_group, command)
        assert bot.texts(calls) == [PRIVATE_ONLY_COMMAND], command
        assert all(c.params.get("chat_id") == GROUP_CHAT for c in calls if c.method == "sendMessage")
    message = {"message_id": 1, "date": 0, "chat": in_group.chat, "text": "x"}
    for action, kind in MANAGE.items():
        calls = await bot.press(in_group, message, kind(mine.id).data)
        assert alerts(calls) == [PRIVATE_ONLY], action
        assert [c.method for c in calls] == ["answerCallbackQuery"], action
    calls = await bot.press(in_group, message, StopAll().data)
    assert alerts(calls) == [PRIVATE_ONLY]
    assert await subscriptions_of(store, contact.user_id) == [mine]
    assert due_of(bot, mine.id) == mine.next_due_at


async def test_forged_buttons_for_another_members_subscription_change_nothing(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin, contact = people["admin"], people["contact"]
    await post(store, 101, "MP-MA-2013", "admins-red-note", NOW - DAY, Tlp.RED)
    theirs = await subscribe_everything(bot, admin)
    await subscribe_everything(bot, contact, time="17:00")
    await bot.send(contact, "/subscriptions")
    message = last_with_buttons(bot, contact.user_id)
    sent_before = len(bot.api.sent())
    expected = {"pause": GONE, "resume": GONE, "del": GONE, "delok": GONE, "prev": STALE, "edit": STALE}
    for action, phrase in expected.items():
        calls = await bot.press(contact, message, MANAGE[action](theirs.id).data)
        assert [c.method for c in calls] == ["answerCallbackQuery"], action
        assert alerts(calls)[0].startswith(phrase), action
    assert len(bot.api.sent()) == sent_before  # no digest, no listing, to anyone
    assert await subscriptions_of(store, admin.user_id) == [theirs]
    assert due_of(bot, theirs.id) == theirs.next_due_at
    # A job scheduled by hand for the admin's row is untouched too.
    queue = bot.app.job_queue
    assert queue is not None
    schedule(queue, theirs, NOW)
    await bot.press(contact, message, PauseSubscription(theirs.id).data)
    assert due_of(bot, theirs.id) == theirs.next_due_at
    assert not (await subscriptions_of(store, admin.user_id))[0].paused


async def test_the_preview_of_a_big_week_is_cut_on_a_boundary(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    """Only the start of a long digest is previewed, and what is shown is still well-formed HTML.

    With these texts the first digest message's 3,000th character falls inside "<b>[TLP:GREEN]</b>":
    cut there, Telegram refuses the whole edit ("can't find end tag corresponding to start tag b").
    """
    admin = people["admin"]
    async with store.uow() as uow:
        refs = [i.ref for i in sorted(await uow.initiatives.all(), key=lambda i: i.id)][:20]
    minute = dt.timedelta(minutes=1)
    items = [
        (ref, f"[{ref}-{k}] " + "plans & progress " * 6, NOW - DAY + (3 * n + k) * minute)
        for n, ref in enumerate(refs)
        for k in range(3)
    ]
    await post_many(store, 102, items)
    await bot.send(admin, "/subscribe")
    await tap(bot, admin, "Everything")
    await tap(bot, admin, "Daily")
    await tap(bot, admin, "08:00")
    calls = await tap(bot, admin, "Yes, tell me there was nothing new")
    [preview] = bot.texts(calls)
    assert len(preview) <= 4096
    assert balanced(preview), preview[-120:]


async def test_a_member_has_at_most_twenty_digests_and_all_of_them_list_within_telegrams_limits(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    """Twenty subscriptions, each naming many countries: /subscriptions splits the list under 4096
    characters and keeps every button; a twenty-first is refused, by /subscribe and by the service."""
    contact = people["contact"]
    async with store.uow() as uow:
        codes = tuple(sorted(c.code for c in await uow.catalog.countries()))[:60]
    wide = Scope(everything=False, countries=codes)
    for _ in range(MAX_SUBSCRIPTIONS):
        await digests.subscribe(
            store.uow, Actor(contact.user_id), wide, Frequency.WEEKLY, 0, dt.time(8), True, NOW
        )
    calls = await bot.send(contact, "/subscriptions")
    texts = bot.texts(calls)
    assert len(texts) > 1 and all(len(text) <= 4096 for text in texts)
    markups = [c.params.get("reply_markup") for c in calls if c.method == "sendMessage"]
    assert [m is not None for m in markups] == [False] * (len(markups) - 1) + [True]
    [refused] = bot.texts(await bot.send(contact, "/subscribe"))
    assert "You have 20 digests already" in refused
    with pytest.raises(InvalidInput):
        await digests.subscribe(
            store.uow, Actor(contact.user_id), Scope(), Frequency.WEEKLY, 0, dt.time(8), True, NOW
        )
