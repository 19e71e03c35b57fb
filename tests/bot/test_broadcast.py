"""/broadcast and /notices end to end through real updates: audiences, scheduling, cancel, stop, restart."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.clock import SystemClock
from bot.console.updates import Identity
from bot.domain.errors import InvalidInput
from bot.domain.model import AuditEntry
from bot.domain.notices import Audience, AudienceKind, NoticeDraft, NoticeStatus
from bot.domain.rate import Limits
from bot.domain.vocab import Role
from bot.services import notices as notice_service
from bot.services.actors import Actor
from engines.composer import MessageComposer
from engines.sender import Sender, SenderConfig
from handlers.broadcast import (
    BroadcastAudience,
    BroadcastConfirm,
    BroadcastDelegation,
    BroadcastRole,
    BroadcastWhen,
)
from handlers.notice_render import recipient_message
from storage.factory import Store
from storage.models import OutboxRow
from tests.bot.flows import alerts, buttons, last_with_buttons, tap
from tests.conftest import NOW, register
from tests.fakes.telegram_limits import FakeTelegram
from tests.fakes.telegram_limits import Limits as FakeLimits
from tests.harness import BotHarness

MARK = "📢 <b>Notice from the working party</b> · "
HEADER = MARK + "GSC"
NOT_ALLOWED = "not allowed for your role"
MEMBERS_ONLY = "This is for members of the working party"
PRIVATE_ONLY = "only in a private chat"
_message_ids = itertools.count(5_000_000)


# --- helpers ------------------------------------------------------------------------------------------


def background_sender(bot: BotHarness, config: SenderConfig) -> Sender:
    """A sender running beside the test, as the bot runs it (scheduled notices released when due)."""
    composer = MessageComposer(bot.store.uow)
    return Sender(bot.app.bot, bot.store.uow, bot.clock, config, worker_id="bg", composer=composer)


def received(bot: BotHarness) -> dict[int, list[str]]:
    """Chat id → the notice texts delivered there so far (every notice starts with its header)."""
    found: dict[int, list[str]] = {}
    for call in bot.api.sent("sendMessage"):
        text = str(call.params["text"])
        if text.startswith(MARK):
            found.setdefault(int(call.params["chat_id"]), []).append(text)
    return found


def stub(who: Identity) -> dict[str, Any]:
    """A message of the bot's in `who`'s chat, to press forged buttons on."""
    return {"message_id": 1, "date": 0, "chat": who.chat, "text": "x"}


def text_update(bot: BotHarness, who: Identity, text: str, entities: list[dict[str, Any]]) -> Any:
    """A text message with formatting entities, as Telegram delivers it."""
    body = {"message_id": next(_message_ids), "date": 0, "chat": who.chat, "from": who.user, "text": text}
    return bot.updates.raw({"message": {**body, "entities": entities}})


def document_update(bot: BotHarness, who: Identity, file_id: str, caption: str, entities: list[Any]) -> Any:
    """A document with a formatted caption."""
    document = {"file_id": file_id, "file_unique_id": file_id[:32], "file_name": "minutes.pdf"}
    body = {"message_id": next(_message_ids), "date": 0, "chat": who.chat, "from": who.user}
    return bot.updates.raw(
        {"message": {**body, "document": document, "caption": caption, "caption_entities": entities}}
    )


async def compose(bot: BotHarness, admin: Identity, text: str = "Plenary moved to Friday") -> None:
    """/broadcast and a plain text."""
    [ask] = bot.texts(await bot.send(admin, "/broadcast"))
    assert "New notice" in ask
    await bot.send(admin, text)


async def to_everyone(bot: BotHarness, admin: Identity, when: str, text: str = "Plenary moved") -> str:
    """Compose a plain notice to everyone, choose `when`; return the preview's text."""
    await compose(bot, admin, text)
    await tap(bot, admin, "Everyone")
    [preview] = bot.texts(await tap(bot, admin, when))
    return preview


def confirm_label(bot: BotHarness, admin: Identity) -> str:
    """The label of the preview's confirm button."""
    [label] = [b for b in buttons(last_with_buttons(bot, admin.user_id)) if b.startswith("📢 Send to")]
    return label


async def audit(bot: BotHarness, action: str) -> list[AuditEntry]:
    async with bot.store.uow() as uow:
        return [e for e in await uow.audit.latest(200) if e.action == action]


async def outbox_statuses(store: Store) -> dict[int, str]:
    """Chat id → status of its outbox row (one notice at a time in these tests)."""
    async with store.engine.connect() as connection:
        result = await connection.execute(select(OutboxRow.chat_id, OutboxRow.status))
        return {int(c): str(s) for c, s in result}


async def until(condition: Callable[[], Awaitable[bool] | bool], what: str, limit: float = 10.0) -> None:
    """Bounded polling: fail after `limit` seconds."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if isinstance(value, Awaitable):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {limit} s waiting for {what}")
        await asyncio.sleep(0.01)


def forbid_chat(bot: BotHarness, monkeypatch: pytest.MonkeyPatch, chat_id: int) -> None:
    """The Bot API answers 403 to every send to `chat_id` (the user blocked the bot)."""
    inner = bot.api.do_request

    async def do_request(url: str, method: str, request_data: Any = None, **kwargs: Any) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        sending = name.startswith("send") and request_data is not None
        if sending and request_data.parameters.get("chat_id") == chat_id:
            body = {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
            return 403, json.dumps(body).encode()
        return await inner(url=url, method=method, request_data=request_data, **kwargs)

    monkeypatch.setattr(bot.api, "do_request", do_request)


class Gate:
    """Lets `allowed` notice sends through the fake Bot API, then holds the next ones until opened."""

    def __init__(self, bot: BotHarness, monkeypatch: pytest.MonkeyPatch, allowed: int) -> None:
        self.inner = bot.api.do_request
        self.allowed = allowed
        self.passed = 0
        self.holding = asyncio.Event()
        self.opened = asyncio.Event()
        monkeypatch.setattr(bot.api, "do_request", self)

    def open(self) -> None:
        self.opened.set()

    async def __call__(
        self, url: str, method: str, request_data: Any = None, **kwargs: Any
    ) -> tuple[int, bytes]:
        notice = (
            url.endswith("/sendMessage")
            and request_data is not None
            and str(request_data.parameters.get("text", "")).startswith(MARK)
        )
        if notice:
            if self.passed >= self.allowed:
                self.holding.set()
                await self.opened.wait()
            self.passed += 1
        return await self.inner(url=url, method=method, request_data=request_data, **kwargs)


# --- the flow -----------------------------------------------------------------------------------------


async def test_a_formatted_notice_to_everyone_reaches_every_active_member_once(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    await bot.send(admin, "/broadcast")
    bold = [{"type": "bold", "offset": 0, "length": 7}, {"type": "italic", "offset": 11, "length": 6}]
    [ask] = bot.texts(await bot.process(text_update(bot, admin, "Plenary on Friday & more", bold)))
    assert "Who should receive it?" in ask
    await tap(bot, admin, "Everyone")
    [preview] = bot.texts(await tap(bot, admin, "Now"))
    assert "<b>Preview</b> for 3 recipients, sending 2026-11-27 10:30 (Europe/Brussels)" in preview
    assert confirm_label(bot, admin) == "📢 Send to 3"
    assert received(bot) == {}, "nothing goes out before the confirmation"

    calls = await tap(bot, admin, "📢 Send to 3")

    expected = f"{HEADER}\n\n<b>Plenary</b> on <i>Friday</i> &amp; more"
    assert preview.split("\n\n", 1)[1] == expected, "the preview shows exactly what recipients get"
    assert received(bot) == {101: [expected], 102: [expected], 103: [expected]}  # not 104 (revoked), 105
    assert "Notice #1 is queued for 3 recipients" in bot.texts(calls)[0]
    [created] = await audit(bot, "notice.created")
    assert created.subject == "notice:1"
    assert created.details["audience"] == "everyone"
    assert created.details["recipients"] == 3
    [report] = bot.texts(await bot.send(admin, "/notices"))
    assert "#1 · <b>done</b>" in report
    assert report.splitlines()[2].endswith(" · Everyone"), "no empty list of values after the audience"
    assert "Recipients 3 · sent 3 · pending 0 · failed 0" in report


async def test_a_document_with_a_caption_goes_to_the_chosen_delegations_only(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    italian = await register(store, 210, Role.CONTACT, "IT", "Ida")
    spanish = await register(store, 211, Role.CONTACT, "ES", "Eva")
    await bot.send(admin, "/broadcast")
    italic = [{"type": "italic", "offset": 0, "length": 7}]
    await bot.process(document_update(bot, admin, "BQAC-minutes-12", "Minutes of the meeting", italic))
    await tap(bot, admin, "Chosen delegations")
    [nothing] = alerts(await tap(bot, admin, "Done"))
    assert "Tick at least one delegation" in nothing
    for code in ("FR", "DE", "FRONTEX", "IT"):  # DE: the revoked member's delegation
        await tap(bot, admin, code)
    assert {"✓ FR", "✓ DE", "✓ FRONTEX", "✓ IT"} <= set(buttons(last_with_buttons(bot, admin.user_id)))
    await tap(bot, admin, "✓ IT")  # untick
    assert "IT" in buttons(last_with_buttons(bot, admin.user_id))
    await tap(bot, admin, "Done")
    [preview] = bot.texts(await tap(bot, admin, "Now"))
    assert "for 2 recipients" in preview
    assert "📎 With the attached file." in preview

    await tap(bot, admin, "📢 Send to 2")

    expected = f"{HEADER}\n\n<i>Minutes</i> of the meeting"
    assert expected in preview
    assert received(bot) == {102: [expected], 103: [expected]}
    documents = {int(c.params["chat_id"]): c.params["document"] for c in bot.api.sent("sendDocument")}
    assert documents == {102: "BQAC-minutes-12", 103: "BQAC-minutes-12"}
    for outsider in (admin, people["revoked"], people["guest"], italian, spanish):
        assert not bot.api.sent("sendDocument", outsider.user_id)
    [created] = await audit(bot, "notice.created")
    assert created.details["audience"] == "delegations"
    values = created.details["values"]
    assert isinstance(values, list) and sorted(values) == ["DE", "FR", "FRONTEX"]
    assert created.details["recipients"] == 2
    [report] = bot.texts(await bot.send(admin, "/notices"))
    assert " · Chosen delegations: " in report.splitlines()[2]
    assert {"DE", "FR", "FRONTEX"} == set(report.splitlines()[2].rsplit(": ", 1)[1].split(", "))


async def test_a_notice_to_a_role_carries_the_senders_own_delegation(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    commission = await register(store, 150, Role.ADMIN, "COM", "Sam")
    second_observer = await register(store, 212, Role.OBSERVER, "EUAA", "Olga")
    await compose(bot, commission, "Observers: new template")
    await tap(bot, commission, "A role")
    await tap(bot, commission, "observer")
    [preview] = bot.texts(await tap(bot, commission, "Now"))
    assert "for 2 recipients" in preview
    await tap(bot, commission, "📢 Send to 2")
    expected = f"{MARK}COM\n\nObservers: new template"
    assert received(bot) == {people["observer"].user_id: [expected], second_observer.user_id: [expected]}
    [created] = await audit(bot, "notice.created")
    assert (created.details["audience"], created.details["values"]) == ("role", ["observer"])


FOLLOWED = [
    # audience button, follow kind and target, then how the admin names the target
    ("Followers of a region", "region", "west_africa", ("tap", "West Africa")),
    ("Followers of a country", "country", "MA", ("type", "Morocco")),
    ("Followers of an initiative", "initiative", "1", ("type", "MP-MD-2008")),
]


@pytest.mark.parametrize(("label", "kind", "target", "choose"), FOLLOWED, ids=[f[1] for f in FOLLOWED])
async def test_a_notice_to_followers_reaches_only_the_followers(
    bot: BotHarness,
    store: Store,
    people: dict[str, Identity],
    label: str,
    kind: str,
    target: str,
    choose: tuple[str, str],
) -> None:
    admin, contact, observer = people["admin"], people["contact"], people["observer"]
    follower = await register(store, 213, Role.OBSERVER, "EUROPOL", "Fay")
    bystander = await register(store, 214, Role.CONTACT, "PL", "Piotr")
    for who in (contact, follower):
        calls = await bot.press(who, stub(who), f"fol:on:{kind}:{target}")
        assert "Following" in alerts(calls)[0]
    await bot.press(bystander, stub(bystander), "fol:on:region:middle_east")
    async with store.uow() as uow:
        assert len(await uow.notices.audience(Audience(AudienceKind(kind), (target,)))) == 2
    await compose(bot, admin, f"For the followers of {target}")
    await tap(bot, admin, label)
    how, name = choose
    if how == "tap":
        await tap(bot, admin, name)
    else:
        await bot.send(admin, name)
    [preview] = bot.texts(await tap(bot, admin, "Now"))
    assert "for 2 recipients" in preview
    await tap(bot, admin, "📢 Send to 2")
    assert sorted(received(bot)) == [contact.user_id, follower.user_id]
    assert observer.user_id not in received(bot)
    [created] = await audit(bot, "notice.created")
    assert (created.details["audience"], created.details["values"]) == (kind, [target])


async def test_confirming_twice_sends_once(bot: BotHarness, people: dict[str, Identity]) -> None:
    admin = people["admin"]
    await to_everyone(bot, admin, "Now")
    preview = copy.deepcopy(last_with_buttons(bot, admin.user_id))
    data = buttons(preview)["📢 Send to 3"]
    assert BroadcastConfirm.decode(data).key
    await bot.press(admin, preview, data)
    again = await bot.press(admin, preview, data)
    assert "already been confirmed" in alerts(again)[0]
    # A second draft in its preview: the first draft's button must not confirm it, nor resend the first.
    await to_everyone(bot, admin, "Now", text="Second notice")
    stale = await bot.press(admin, preview, data)
    assert "already been confirmed" in alerts(stale)[0]
    assert {chat: len(texts) for chat, texts in received(bot).items()} == {101: 1, 102: 1, 103: 1}
    assert len(await audit(bot, "notice.created")) == 1


# --- scheduled, cancelled -----------------------------------------------------------------------------


async def test_in_one_hour_is_sent_when_the_hour_has_passed(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    preview = await to_everyone(bot, admin, "In one hour")
    assert "sending 2026-11-27 11:30 (Europe/Brussels)" in preview
    await tap(bot, admin, "📢 Send to 3")
    assert received(bot) == {}
    [listing] = bot.texts(await bot.send(admin, "/notices"))
    assert "#1 · <b>scheduled</b> · 2026-11-27 11:30 (Europe/Brussels)" in listing
    assert "✖ Cancel #1" in buttons(last_with_buttons(bot, admin.user_id))

    bot.clock.current = NOW + dt.timedelta(minutes=59)
    await bot.deliver()
    assert received(bot) == {}
    bot.clock.current = NOW + dt.timedelta(minutes=61)
    await bot.deliver()
    assert sorted(received(bot)) == [101, 102, 103]
    assert all(len(texts) == 1 for texts in received(bot).values())
    [listing] = bot.texts(await bot.send(admin, "/notices"))
    assert "#1 · <b>done</b>" in listing


async def test_tomorrow_is_nine_in_the_admins_time_zone(bot: BotHarness, people: dict[str, Identity]) -> None:
    admin = people["admin"]
    preview = await to_everyone(bot, admin, "Tomorrow 09:00")
    assert "sending 2026-11-28 09:00 (Europe/Brussels)" in preview
    await tap(bot, admin, "📢 Send to 3")
    async with bot.store.uow() as uow:
        notice = await uow.notices.by_id(1)
    assert notice is not None
    assert notice.send_at == dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)


async def test_a_typed_time_is_checked_and_read_in_the_admins_time_zone(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    await bot.send(admin, "/settings")
    await tap(bot, admin, "Another time zone…")
    [zone] = bot.texts(await bot.send(admin, "America/New_York"))
    assert "America/New_York" in zone
    await compose(bot, admin, "Video call")
    await tap(bot, admin, "Everyone")
    [ask] = bot.texts(await tap(bot, admin, "Another time…"))
    assert "in your time zone (America/New_York)" in ask

    [bad] = bot.texts(await bot.send(admin, "soonish"))
    assert "I can't read “soonish” as a date and time" in bad
    [past] = bot.texts(await bot.send(admin, "2026-11-27 04:00"))  # 09:00 UTC: half an hour ago
    assert "Choose a time from now to 90 days ahead" in past
    [far] = bot.texts(await bot.send(admin, "2027-02-26 09:00"))  # 91 days ahead
    assert "Choose a time from now to 90 days ahead" in far
    [preview] = bot.texts(await bot.send(admin, "2026-12-03 09:30"))
    assert "sending 2026-12-03 09:30 (America/New_York)" in preview
    await tap(bot, admin, "📢 Send to 3")

    after = dt.datetime(2026, 12, 3, 14, 30, tzinfo=dt.UTC)  # 09:30 EST
    async with bot.store.uow() as uow:
        notice = await uow.notices.by_id(1)
    assert notice is not None and notice.send_at == after
    async with bot.store.engine.connect() as connection:
        due = set((await connection.execute(select(OutboxRow.not_before))).scalars())
    assert due == set(), "a notice for later is queued at its send time, to its audience as it is then"
    bot.clock.current = after - dt.timedelta(minutes=1)
    await bot.deliver()
    assert received(bot) == {}
    bot.clock.current = after
    await bot.deliver()
    assert sorted(received(bot)) == [101, 102, 103]


async def test_a_cancelled_notice_is_never_sent(bot: BotHarness, people: dict[str, Identity]) -> None:
    admin = people["admin"]
    await to_everyone(bot, admin, "In one hour")
    await tap(bot, admin, "📢 Send to 3")
    await bot.send(admin, "/notices")
    cancel = copy.deepcopy(last_with_buttons(bot, admin.user_id))  # the fake edits it in place
    [question] = bot.texts(await tap(bot, admin, "✖ Cancel #1"))
    assert "Cancel notice #1? It has not started: nobody will get it." in question
    [kept] = bot.texts(await tap(bot, admin, "No, keep it"))
    assert "#1 · <b>scheduled</b>" in kept, "'No' must change nothing"
    assert not await audit(bot, "notice.cancelled")
    await tap(bot, admin, "✖ Cancel #1")
    [listing] = bot.texts(await tap(bot, admin, "Yes, cancel it"))
    assert "#1 · <b>cancelled</b>" in listing
    figures = (
        "Recipients 3 · sent 0 · pending 0 · failed 0 · unreachable 0 · stopped 0 · cancelled 3 · held back 0"
    )
    assert figures in listing, "cancelled is not unreachable nor stopped"
    assert "✖ Cancel #1" not in buttons(last_with_buttons(bot, admin.user_id))

    for data in (buttons(cancel)["✖ Cancel #1"], "ntc:haltok:1"):
        again = await bot.press(admin, cancel, data)
        assert "This notice is cancelled: there is nothing to cancel or stop" in alerts(again)[0], data
    bot.clock.current = NOW + dt.timedelta(days=2)
    await bot.deliver()
    assert received(bot) == {}
    [cancelled] = await audit(bot, "notice.cancelled")
    assert cancelled.subject == "notice:1"
    assert cancelled.details == {"sent_before": 0, "not_sent": 3}


# --- stopping, unreachable and revoked recipients ------------------------------------------------------


async def test_stop_mid_run_skips_the_rest_and_reports_what_was_sent(
    bot: BotHarness, store: Store, people: dict[str, Identity], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = people["admin"]
    for i in range(40):
        await register(store, 3000 + i, Role.CONTACT, "IT", f"Member {i:02d}")
    await to_everyone(bot, admin, "In one hour", text="Long run")
    await tap(bot, admin, "📢 Send to 43")
    assert received(bot) == {}

    gate = Gate(bot, monkeypatch, allowed=10)  # the 11th notice send is held in flight
    bot.clock.current = NOW + dt.timedelta(hours=1)
    config = SenderConfig(limits=Limits().scaled(1000), workers=1)  # one worker: recipients in order
    running = asyncio.create_task(background_sender(bot, config).drain())
    try:
        await until(gate.holding.is_set, "the 11th send to be in flight")
        [listing] = bot.texts(await bot.send(admin, "/notices"))
        assert "#1 · <b>sending</b>" in listing
        [question] = bot.texts(await tap(bot, admin, "⏹ Stop #1"))
        assert "Stop notice #1? What is not sent yet will not be" in question
        [stopped] = bot.texts(await tap(bot, admin, "Yes, stop it"))
    finally:
        gate.open()
        await asyncio.wait_for(running, 10)

    assert "#1 · <b>stopped</b>" in stopped
    assert (
        "Recipients 43 · sent 10 · pending 1 · failed 0 · unreachable 0 · stopped 32 · cancelled 0 · "
        "held back 0" in stopped
    )
    [entry] = await audit(bot, "notice.stopped")
    assert entry.details == {"sent_before": 10, "not_sent": 32}
    assert sum(len(t) for t in received(bot).values()) == 11, "the message in flight finishes, no other"
    statuses = await outbox_statuses(store)
    assert sorted(statuses.values()).count("sent") == 11
    assert sorted(statuses.values()).count("skipped") == 32

    bot.clock.current = NOW + dt.timedelta(days=1)
    await bot.deliver()
    assert sum(len(t) for t in received(bot).values()) == 11
    [final] = bot.texts(await bot.send(admin, "/notices"))
    assert (
        "Recipients 43 · sent 11 · pending 0 · failed 0 · unreachable 0 · stopped 32 · cancelled 0 · "
        "held back 0" in final
    )
    assert (
        "Failed: 0 · recipient unreachable: 0\nNot sent because an admin cancelled: 0 · stopped: 32" in final
    )
    assert "⏹ Stop #1" not in buttons(last_with_buttons(bot, admin.user_id))


async def test_stopping_a_document_notice_never_leaves_a_recipient_with_the_text_but_not_the_file(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    """Each row sends the text, waits for the chat's rate slot (a second at Telegram's limits), then
    sends the file; a Stop in between must let the started row finish ("a row in flight finishes")."""
    admin = people["admin"]
    await bot.send(admin, "/broadcast")
    await bot.process(document_update(bot, admin, "BQAC-agenda", "Agenda", []))
    await tap(bot, admin, "Everyone")
    await tap(bot, admin, "In one hour")
    await tap(bot, admin, "📢 Send to 3")
    bot.clock.current = NOW + dt.timedelta(hours=1)
    slow = SenderConfig(limits=Limits(overall=1000, per_chat_seconds=1.0, margin=0), workers=4)
    running = asyncio.create_task(background_sender(bot, slow).drain())

    async def texts_recorded() -> bool:
        async with store.engine.connect() as connection:
            parts = (await connection.execute(select(OutboxRow.parts_sent))).scalars().all()
        return sorted(parts) == [1, 1, 1]

    try:
        await until(texts_recorded, "every recipient's text to be sent")
        await bot.send(admin, "/notices")
        [question] = bot.texts(await tap(bot, admin, "⏹ Stop #1"))
        assert "Stop notice #1? What is not sent yet will not be" in question
        [stopped] = bot.texts(await tap(bot, admin, "Yes, stop it"))
    finally:
        await asyncio.wait_for(running, 10)
    assert "#1 · <b>stopped</b>" in stopped
    assert sorted(received(bot)) == [101, 102, 103]
    with_file = sorted(int(c.params["chat_id"]) for c in bot.api.sent("sendDocument"))
    assert with_file == [101, 102, 103], "recipients got the notice's text without its file"


async def test_a_recipient_who_blocked_the_bot_is_marked_unreachable_and_the_rest_receive_it(
    bot: BotHarness, store: Store, people: dict[str, Identity], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, contact = people["admin"], people["contact"]
    earlier = await register(store, 215, Role.CONTACT, "SK", "Blocked Before")
    bot_user = {"id": bot.api.bot_user["id"], "is_bot": True, "first_name": "EMWP"}
    await bot.process(
        bot.updates.raw(
            {
                "my_chat_member": {
                    "chat": earlier.chat,
                    "from": earlier.user,
                    "date": 0,
                    "old_chat_member": {"status": "member", "user": bot_user},
                    "new_chat_member": {"status": "kicked", "user": bot_user, "until_date": 0},
                }
            }
        )
    )
    forbid_chat(bot, monkeypatch, contact.user_id)  # blocked without Telegram telling us yet
    preview = await to_everyone(bot, admin, "Now")
    assert "for 3 recipients" in preview, "who blocked the bot before is not counted"
    await tap(bot, admin, "📢 Send to 3")

    assert sorted(received(bot)) == [admin.user_id, people["observer"].user_id]
    async with store.uow() as uow:
        member = await uow.members.by_telegram_id(contact.user_id)
    assert member is not None and not member.reachable
    latest, _before = await audit(bot, "member.unreachable")  # newest first; then who blocked before
    assert latest.subject == f"member {member.id}"
    [listing] = bot.texts(await bot.send(admin, "/notices"))
    assert (
        "Recipients 3 · sent 2 · pending 0 · failed 0 · unreachable 1 · stopped 0 · cancelled 0 · held back 0"
        in listing
    )
    assert "Not reached: Claire" in listing
    assert (
        "Failed: 0 · recipient unreachable: 1\nNot sent because an admin cancelled: 0 · stopped: 0" in listing
    )
    french = await register(store, 216, Role.ADMIN, "GSC", "Agnès", language="fr")
    [listing] = bot.texts(await bot.send(french, "/notices"))
    assert "injoignables 1 · arrêtés 0 · annulés 0" in listing
    assert (
        "Échecs\u202f: 0 · destinataire injoignable\u202f: 1\n"
        "Non envoyés, un administrateur ayant annulé\u202f: 0" in listing
    )
    await bot.deliver()
    assert contact.user_id not in received(bot)


async def test_a_member_revoked_after_the_notice_was_queued_does_not_receive_it(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    """Revoking a member skips what is queued for them: a revoked member receives nothing more."""
    admin, contact = people["admin"], people["contact"]
    await to_everyone(bot, admin, "In one hour")
    await tap(bot, admin, "📢 Send to 3")
    await bot.send(admin, "/members")
    await tap(bot, admin, "FR · Claire · contact")
    await tap(bot, admin, "Revoke access")
    await tap(bot, admin, "Yes, revoke")
    [refused] = bot.texts(await bot.send(contact, "/settings"))
    assert MEMBERS_ONLY in refused

    bot.clock.current = NOW + dt.timedelta(hours=2)
    await bot.deliver()
    assert sorted(received(bot)) == [101, 103]


# --- only admins, never in a group --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "refusal"),
    [("contact", NOT_ALLOWED), ("observer", NOT_ALLOWED), ("guest", MEMBERS_ONLY), ("revoked", MEMBERS_ONLY)],
)
async def test_only_admins_can_broadcast_or_halt(
    bot: BotHarness, people: dict[str, Identity], role: str, refusal: str
) -> None:
    admin, who = people["admin"], people[role]
    await to_everyone(bot, admin, "In one hour")
    await tap(bot, admin, "📢 Send to 3")

    [refused] = bot.texts(await bot.send(who, "/broadcast"))
    assert refusal in refused
    [later] = bot.texts(await bot.send(who, "Forged notice text"))
    assert "Who should receive it?" not in later
    [listing] = bot.texts(await bot.send(who, "/notices"))
    assert refusal in listing and "Notices" not in listing
    message = stub(who)
    for data in (
        BroadcastAudience(AudienceKind.EVERYONE).data,
        BroadcastWhen("now").data,
        BroadcastDelegation("FR").data,
        BroadcastRole(Role.ADMIN).data,
        BroadcastConfirm("forged").data,
        "ntc:list",
    ):
        calls = await bot.press(who, message, data)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
    for data in ("ntc:halt:1", "ntc:haltok:1"):
        halted = await bot.press(who, message, data)
        assert refusal in alerts(halted)[0], data

    assert len(await audit(bot, "notice.created")) == 1
    assert not await audit(bot, "notice.cancelled")
    async with bot.store.uow() as uow:
        notice = await uow.notices.by_id(1)
    assert notice is not None and notice.status is NoticeStatus.ACTIVE
    bot.clock.current = NOW + dt.timedelta(hours=2)
    await bot.deliver()
    assert sorted(received(bot)) == [101, 102, 103]


async def test_an_admin_demoted_during_the_flow_cannot_confirm(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    other = await register(store, 150, Role.ADMIN, "COM", "Sam")
    await to_everyone(bot, admin, "Now")
    await bot.send(other, "/members")
    await tap(bot, other, "GSC · Ana · admin")
    await tap(bot, other, "Make contact")
    calls = await tap(bot, admin, "📢 Send to 4")
    assert NOT_ALLOWED in alerts(calls)[0]
    assert received(bot) == {}
    assert not await audit(bot, "notice.created")


async def test_in_a_group_broadcast_and_notices_are_refused(
    bot: BotHarness, people: dict[str, Identity], working_group: int
) -> None:
    admin = people["admin"]
    await to_everyone(bot, admin, "In one hour")
    confirm = copy.deepcopy(last_with_buttons(bot, admin.user_id))
    group = Identity(
        admin.user_id, admin.first_name, chat_id=-100123, chat_type="supergroup", chat_title="EMWP"
    )
    for command in ("/broadcast", "/notices"):
        calls = await bot.send(group, command)
        [text] = bot.texts(calls)
        assert PRIVATE_ONLY in text, command
        assert {c.params["chat_id"] for c in calls if c.method == "sendMessage"} == {-100123}
    in_group = {**confirm, "chat": group.chat}
    await bot.press(group, in_group, buttons(confirm)["📢 Send to 3"])
    assert received(bot) == {}
    assert not await audit(bot, "notice.created")
    await tap(bot, admin, "📢 Send to 3")  # the private preview still works
    for data in ("ntc:halt:1", "ntc:haltok:1"):
        halted = await bot.press(group, in_group, data)
        assert PRIVATE_ONLY in alerts(halted)[0], data
    async with bot.store.uow() as uow:
        notice = await uow.notices.by_id(1)
    assert notice is not None and notice.status is NoticeStatus.ACTIVE
    assert not await audit(bot, "notice.cancelled")


# --- a restart during a large notice ------------------------------------------------------------------


async def test_a_restart_during_a_large_notice_delivers_it_to_every_recipient_once(store: Store) -> None:
    await register(store, 101, Role.ADMIN, "GSC", "Ana")
    chats = [20_000 + i for i in range(200)]
    async with store.uow() as uow:
        for chat in chats:
            await uow.members.add(
                telegram_user_id=chat,
                chat_id=chat,
                display_name=f"Recipient {chat}",
                delegation_code="NL",
                role=Role.CONTACT,
                language="en",
                time_zone="Europe/Brussels",
                now=NOW,
            )
        await uow.commit()
    now = dt.datetime.now(dt.UTC)
    draft = NoticeDraft("restart", "<b>Large</b> notice", Audience(AudienceKind.EVERYONE), send_at=now)
    result = await notice_service.broadcast(store.uow, Actor(101), draft, now, render=recipient_message)
    assert result.new and result.notice.recipients == 201
    everyone = [101, *chats]

    async def statuses() -> list[str]:
        return list((await outbox_statuses(store)).values())

    # As in production: on PostgreSQL the rate budget is kept in the store.
    shared = store.backend == "postgresql"
    config = SenderConfig(
        limits=Limits().scaled(7.5), workers=16, idle_poll_seconds=0.05, shared_budget=shared
    )
    with FakeTelegram(FakeLimits(scale=10)) as fake:
        request = HTTPXRequest(connection_pool_size=32, read_timeout=5)
        async with Bot("7000000001:restart-token", base_url=fake.base_url, request=request) as telegram:
            first = Sender(telegram, store.uow, SystemClock(), config, worker_id="before-restart")
            first.start()
            await until(lambda: fake.counters.delivered >= 40, "part of the notice to go out")
            await first.stop(grace_seconds=10)
            part = fake.counters.delivered
            left = await statuses()
            assert 0 < part < len(everyone), f"not stopped part-way: {part} sent"
            assert left.count("sent") == part
            assert set(left) == {"sent", "queued"}, "the rows claimed but not started were handed back"

            second = Sender(telegram, store.uow, SystemClock(), config, worker_id="after-restart")
            second.start()
            try:
                await until(lambda: _all_sent(statuses), "every row to be sent after the restart", limit=20)
            finally:
                await second.stop(grace_seconds=10)

        assert fake.duplicates() == {}
        assert fake.counters.delivered == len(everyone)
        for chat in everyone:
            [delivery] = fake.delivered_to(chat)
            assert delivery.text == f"{HEADER}\n\n<b>Large</b> notice"
    async with store.engine.connect() as connection:
        flagged = (await connection.execute(select(OutboxRow.id).where(OutboxRow.maybe_duplicate))).all()
    assert flagged == []


async def _all_sent(statuses: Callable[[], Awaitable[list[str]]]) -> bool:
    found = await statuses()
    return bool(found) and set(found) == {"sent"}


@pytest.mark.parametrize(
    ("language", "labels", "reason"),
    [
        (
            "en",
            ("Chosen delegations", "Done", "Now"),
            "No member is in that audience: nobody would receive it.",
        ),
        (
            "fr",
            ("Des délégations choisies", "Terminé", "Maintenant"),
            "Aucun membre ne fait partie de ce public\u202f: personne ne le recevrait.",
        ),
    ],
)
async def test_a_notice_to_an_audience_of_no_one_is_refused_with_the_reason(
    bot: BotHarness,
    store: Store,
    people: dict[str, Identity],
    language: str,
    labels: tuple[str, ...],
    reason: str,
) -> None:
    admin = await register(store, 160, Role.ADMIN, "GSC", "Ada", language=language)
    chosen, done, now = labels
    await bot.send(admin, "/broadcast")
    await bot.send(admin, "Plenary moved")
    await tap(bot, admin, chosen)
    await tap(bot, admin, "IT")  # nobody is in the Italian delegation
    await tap(bot, admin, done)

    calls = await tap(bot, admin, now)

    assert any(reason in text for text in alerts(calls) + bot.texts(calls)), (alerts(calls), bot.texts(calls))
    shown = [
        label
        for m in bot.api.chat(admin.user_id).messages.values()
        if m.get("reply_markup")
        for label in buttons(m)
    ]
    assert not any(label.startswith("📢") for label in shown), "no 'Send to 0' is offered"
    draft = NoticeDraft("k", "x", Audience(AudienceKind.DELEGATIONS, ("IT",)), NOW)
    with pytest.raises(InvalidInput) as refused:  # and the service refuses it whoever asks
        await notice_service.broadcast(bot.store.uow, Actor(admin.user_id), draft, NOW, recipient_message)
    assert refused.value.message_id == "broadcast.no_audience"
    assert received(bot) == {}
    assert await audit(bot, "notice.created") == []
