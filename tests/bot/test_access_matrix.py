"""Who may see and do what: every role against every command and every button, through real updates.

Each refusal is checked twice: by what the person is told (a short alert or reply, never member data) and
by the store (members, open invitations, pending requests and the audit log are exactly as before).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.console.botapi import ApiCall
from bot.console.updates import Identity
from bot.domain.model import AuditEntry, Member
from bot.domain.vocab import MemberStatus, RequestStatus, Role
from bot.services.access_requests import submit_access_request
from bot.services.invites import create_invite
from handlers.access_request import (
    ApproveRequest,
    RefuseConfirmed,
    RefuseRequest,
    RequestDelegation,
    SkipNote,
    admin_notice,
)
from handlers.audit import AuditPage
from handlers.buttons import ContinueRequest, OpenInitiative, OpenUpdate, ShowMember, ShowRequest
from handlers.country import PickCountry
from handlers.groups import GroupsList
from handlers.invites import (
    InviteDays,
    InviteDelegation,
    InviteRole,
    InviteUses,
    OpenInvites,
    RevokeInvite,
    RevokeInviteConfirmed,
)
from handlers.members import (
    AskErase,
    AskMakeAdmin,
    AskRevoke,
    ChangeRole,
    Erase,
    MakeAdmin,
    MembersPage,
    Reinstate,
    Revoke,
)
from handlers.search import SearchPage
from handlers.settings import ChooseLanguage, ChooseZone
from tests.harness import BotHarness

NOT_ALLOWED = "not allowed for your role"
MEMBERS_ONLY = "This is for members of the working party"
PRIVATE_ONLY = "only in a private chat"
STALE = "no longer available"
GENERIC_ERROR = "something went wrong"

NAMES = {"admin": "Ana", "contact": "Claire", "observer": "Otto", "revoked": "Rolf", "guest": "Gus"}
REQUESTER = Identity(106, "Paula")
REQUESTER_NAME = "Paula Pending"
NON_ADMINS = ["contact", "observer", "revoked", "guest"]

# Every button the admin screens (/members, member cards, request cards, /invite, /audit) can produce: a
# kind and its values, where a value naming one of `World.ids` stands for that id.
ADMIN_BUTTONS: tuple[tuple[Any, ...], ...] = (
    (MembersPage, 0),
    (MembersPage, 1),
    (ShowMember, "contact"),
    (ShowMember, "admin"),
    (AskMakeAdmin, "contact"),
    (MakeAdmin, "contact"),
    (MakeAdmin, "me"),
    (ChangeRole, "observer", Role.CONTACT),
    (ChangeRole, "contact", Role.OBSERVER),
    (AskRevoke, "contact"),
    (Revoke, "contact"),
    (Revoke, "admin"),
    (Reinstate, "revoked"),
    (AskErase, "contact"),
    (Erase, "contact"),
    (Erase, "revoked"),
    (OpenInvites,),
    (RevokeInvite, "invite"),
    (RevokeInviteConfirmed, "invite"),
    (ShowRequest, "request"),
    (ApproveRequest, "request", Role.CONTACT),
    (ApproveRequest, "request", Role.OBSERVER),
    (RefuseRequest, "request"),
    (RefuseConfirmed, "request"),
    (AuditPage, 0),
    (AuditPage, 15),
)
# Steps of guided flows: outside their flow they are stale for everybody, admins included.
FLOW_BUTTONS = tuple(
    b.data
    for b in (
        InviteRole(Role.ADMIN),
        InviteDelegation("FR"),
        InviteUses(30),
        InviteDays(30),
        ContinueRequest(),
        RequestDelegation("FR"),
        SkipNote(),
    )
)
SETTINGS_BUTTONS = (ChooseLanguage("fr").data, ChooseZone("UTC").data)


def made(button: tuple[Any, ...], ids: dict[str, int]) -> str:
    """The data of a button template: its kind built from its values, names of ids replaced by them."""
    kind, *values = button
    return str(kind(*(ids.get(v, v) if type(v) is str else v for v in values)).data)


@dataclass(frozen=True)
class World:
    """The things an admin can act upon: members by role, one open invitation, one pending request."""

    members: dict[str, int]
    invite: int
    request: int

    def ids(self, me: str) -> dict[str, int]:
        """Values for the button templates; `me` is the presser (a guest has no id: the contact's)."""
        return {**self.members, "invite": self.invite, "request": self.request, "me": self.members.get(me, 0)}


@dataclass(frozen=True)
class Snapshot:
    """What a refused action must leave untouched."""

    members: tuple[tuple[object, ...], ...]
    open_invites: tuple[tuple[object, ...], ...]
    pending: tuple[tuple[object, ...], ...]
    audit: tuple[int, ...]


async def build_world(bot: BotHarness, people: dict[str, Identity]) -> World:
    """An open invitation and a pending request, made through the services the bot itself uses."""
    now = bot.clock.now()
    created = await create_invite(bot.store.uow, None, Role.OBSERVER, "IT", 5, 7, now)
    submitted = await submit_access_request(
        bot.store.uow,
        REQUESTER.user_id,
        REQUESTER.user_id,
        REQUESTER_NAME,
        "PT",
        "vouched by FR",
        "en",
        now,
        notify_admin=admin_notice,
    )
    members: dict[str, int] = {}
    async with bot.store.uow() as uow:
        for role in ("admin", "contact", "observer", "revoked"):
            member = await uow.members.by_telegram_id(people[role].user_id)
            assert member is not None
            members[role] = member.id
    members["guest"] = members["contact"]
    await bot.deliver()  # the admins hear of the request before the test begins
    return World(members, created.invite.id, submitted.request.id)


async def snapshot(bot: BotHarness) -> Snapshot:
    """Members, open invitations, pending requests and audit entries, as the store holds them."""
    async with bot.store.uow() as uow:
        members = tuple(
            (m.id, m.telegram_user_id, m.role, m.status, m.delegation.code, m.language, m.time_zone)
            for m in await uow.members.all()
        )
        invites = tuple(
            (i.id, i.role, i.uses_left, i.revoked_at) for i in await uow.invites.open_invites(bot.clock.now())
        )
        pending = tuple((r.id, r.status) for r in await uow.requests.pending())
        audit = tuple(e.id for e in await uow.audit.latest(10_000))
    return Snapshot(members, invites, pending, audit)


async def member(bot: BotHarness, telegram_user_id: int) -> Member:
    """One member as stored now."""
    async with bot.store.uow() as uow:
        found = await uow.members.by_telegram_id(telegram_user_id)
    assert found is not None
    return found


async def audit_since(bot: BotHarness, before: Snapshot) -> list[AuditEntry]:
    """The audit entries written after `before`, oldest first."""
    async with bot.store.uow() as uow:
        entries = await uow.audit.latest(10_000)
    return [e for e in reversed(entries) if e.id not in before.audit]


async def screen(bot: BotHarness, who: Identity) -> dict[str, Any]:
    """A message the bot really sent into `who`'s chat, to carry the pressed button (edits must land)."""
    calls = await bot.send(who, "/help")
    [sent] = [c for c in calls if c.method == "sendMessage"]
    return {"message_id": sent.result["message_id"], "date": 0, "chat": who.chat, "text": "x"}


def visible(calls: list[ApiCall]) -> str:
    """Everything these calls showed: texts, alerts and button labels."""
    return json.dumps([c.params for c in calls], ensure_ascii=False)


def others(role: str) -> list[str]:
    """The names of the people this role must never be shown."""
    return [name for key, name in NAMES.items() if key != role] + [REQUESTER_NAME]


def refusal_problem(calls: list[ApiCall], phrase: str | tuple[str, ...], hidden: list[str]) -> str | None:
    """Why these calls are not a clean refusal (one alert with `phrase`, or one of them), or None."""
    methods = [c.method for c in calls]
    if methods != ["answerCallbackQuery"]:
        return f"expected one alert, got {methods}: {visible(calls)[:300]}"
    params = calls[0].params
    text = str(params.get("text", ""))
    phrases = (phrase,) if isinstance(phrase, str) else phrase
    if not any(p in text for p in phrases):
        return f"alert {text!r} lacks {phrase!r}"
    if params.get("show_alert") is not True:
        return "the refusal is not shown as an alert"
    leaked = [name for name in hidden if name in visible(calls)]
    return f"shows {leaked}" if leaked else None


async def press_all(
    bot: BotHarness,
    who: Identity,
    message: dict[str, Any],
    expected: dict[str, str] | dict[str, tuple[str, ...]],
    hidden: list[str],
) -> dict[str, str]:
    """Press each data; the problems found: no clean refusal with its phrase, or a store that changed."""
    problems: dict[str, str] = {}
    for data, phrase in expected.items():
        before = await snapshot(bot)
        calls = await bot.press(who, message, data)
        problem = refusal_problem(calls, phrase, hidden)
        if await snapshot(bot) != before:
            problem = f"{problem or 'refused'}; the store changed"
        if bot.errors:
            problem = f"{problem or ''}; handler error {bot.errors[-1]!r}"
            bot.errors.clear()  # reported here, by data, rather than once at teardown
        if problem:
            problems[data] = problem
    return problems


def the_alert(calls: list[ApiCall]) -> str:
    """The text of the one answer to a press."""
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    return str(answer.params.get("text", ""))


def group_identity(person: Identity) -> Identity:
    """The same person writing in the working party's supergroup."""
    return Identity(
        person.user_id, person.first_name, chat_id=-100123, chat_type="supergroup", chat_title="EMWP"
    )


# --- commands ---------------------------------------------------------------------------------------

COMMAND_REPLIES: dict[str, dict[str, str]] = {
    "admin": {
        "/start": "Welcome back, Ana (GSC, admin)",
        "/help": "/members",
        "/cancel": "nothing to cancel",
        "/settings": "<b>Your settings</b>",
        "/members": "<b>Members</b> (4), page 1 of 1",
        "/MEMBERS": "<b>Members</b> (4)",
        "/members@emwp_console_bot": "<b>Members</b> (4)",
        "/audit": "<b>Audit log</b>, entries 1 to",
        "/groups": "No group is registered",
        "/invite": "<b>New invitation.</b>",
    },
    "contact": {
        "/start": "Welcome back, Claire (FR, contact)",
        "/help": "/settings",
        "/cancel": "nothing to cancel",
        "/settings": "<b>Your settings</b>",
        "/members": NOT_ALLOWED,
        "/MEMBERS": NOT_ALLOWED,
        "/members@emwp_console_bot": NOT_ALLOWED,
        "/audit": NOT_ALLOWED,
        "/groups": NOT_ALLOWED,
        "/invite": NOT_ALLOWED,
    },
    "observer": {
        "/start": "Welcome back, Otto (FRONTEX, observer)",
        "/help": "/settings",
        "/cancel": "nothing to cancel",
        "/settings": "<b>Your settings</b>",
        "/members": NOT_ALLOWED,
        "/MEMBERS": NOT_ALLOWED,
        "/members@emwp_console_bot": NOT_ALLOWED,
        "/audit": NOT_ALLOWED,
        "/groups": NOT_ALLOWED,
        "/invite": NOT_ALLOWED,
    },
    "revoked": {
        "/start": "has been withdrawn",
        "/help": "To get access",
        "/cancel": "nothing to cancel",
        "/settings": MEMBERS_ONLY,
        "/members": MEMBERS_ONLY,
        "/MEMBERS": MEMBERS_ONLY,
        "/members@emwp_console_bot": MEMBERS_ONLY,
        "/audit": MEMBERS_ONLY,
        "/groups": MEMBERS_ONLY,
        "/invite": MEMBERS_ONLY,
    },
    "guest": {
        "/start": "closed to the working party's members",
        "/help": "To get access",
        "/cancel": "nothing to cancel",
        "/settings": MEMBERS_ONLY,
        "/members": MEMBERS_ONLY,
        "/MEMBERS": MEMBERS_ONLY,
        "/members@emwp_console_bot": MEMBERS_ONLY,
        "/audit": MEMBERS_ONLY,
        "/groups": MEMBERS_ONLY,
        "/invite": MEMBERS_ONLY,
    },
}
# Commands nobody serves, near misses of the admin ones included: the same answer for every role.
UNKNOWN_COMMANDS = ("/frobnicate", "/x_y", "/members_all", "/auditlog", "/start2", "/invite2")


@pytest.mark.parametrize("role", list(COMMAND_REPLIES))
async def test_every_command_answers_each_role_with_what_it_may_see(
    bot: BotHarness, people: dict[str, Identity], role: str
) -> None:
    await build_world(bot, people)
    who = people[role]
    before = await snapshot(bot)
    replies: dict[str, list[str]] = {}
    for command in [*COMMAND_REPLIES[role], *UNKNOWN_COMMANDS]:  # /invite is last: it opens a flow
        calls = await bot.send(who, command)
        replies[command] = bot.texts(calls)
        if role != "admin":
            leaked = [name for name in others(role) if name in visible(calls)]
            assert not leaked, f"{command} shows {leaked} to a {role}: {visible(calls)}"
    wrong = {
        command: texts
        for command, texts in replies.items()
        if len(texts) != 1
        or COMMAND_REPLIES[role].get(command, f"I don't know the command {command}") not in texts[0]
    }
    assert wrong == {}, f"unexpected replies to a {role}"
    assert await snapshot(bot) == before, "a command changed the store"


async def test_admin_screens_do_show_member_data(bot: BotHarness, people: dict[str, Identity]) -> None:
    """The counterpart of the refusals: the same commands do show an admin the data others never see."""
    world = await build_world(bot, people)
    calls = await bot.send(people["admin"], "/members")
    shown = visible(calls)
    for name in ("Claire", "Otto", "Rolf"):
        assert name in shown
    assert "1 access request waiting" in shown and ShowRequest(world.request).data in shown
    [audit] = bot.texts(await bot.send(people["admin"], "/audit"))
    assert "access.requested" in audit and "invite.created" in audit


# --- buttons pressed by those who may not -----------------------------------------------------------


@pytest.mark.parametrize("role", NON_ADMINS)
async def test_no_admin_button_works_for_a_non_admin(
    bot: BotHarness, people: dict[str, Identity], role: str
) -> None:
    world = await build_world(bot, people)
    who = people[role]
    phrase = NOT_ALLOWED if role in ("contact", "observer") else MEMBERS_ONLY
    expected = {made(b, world.ids(role)): phrase for b in ADMIN_BUTTONS}
    problems = await press_all(bot, who, await screen(bot, who), expected, others(role))
    assert problems == {}
    async with bot.store.uow() as uow:
        request = await uow.requests.by_id(world.request)
        invite = await uow.invites.by_id(world.invite)
        assert await uow.members.by_telegram_id(REQUESTER.user_id) is None
    assert request is not None and request.status is RequestStatus.PENDING
    assert invite is not None and invite.revoked_at is None and invite.uses_left == 5
    assert (await member(bot, people["revoked"].user_id)).status is MemberStatus.REVOKED
    if role in ("contact", "observer"):
        assert (await member(bot, who.user_id)).role is Role(role)


@pytest.mark.parametrize("role", ["admin", *NON_ADMINS])
async def test_flow_step_buttons_outside_their_flow_are_stale_for_everybody(
    bot: BotHarness, people: dict[str, Identity], role: str
) -> None:
    await build_world(bot, people)
    who = people[role]
    expected = dict.fromkeys(FLOW_BUTTONS, STALE)
    assert await press_all(bot, who, await screen(bot, who), expected, others(role)) == {}


@pytest.mark.parametrize("role", ["revoked", "guest"])
async def test_settings_buttons_are_for_members_only(
    bot: BotHarness, people: dict[str, Identity], role: str
) -> None:
    await build_world(bot, people)
    who = people[role]
    expected = dict.fromkeys(SETTINGS_BUTTONS, MEMBERS_ONLY)
    assert await press_all(bot, who, await screen(bot, who), expected, others(role)) == {}


# --- buttons pressed by those who may ---------------------------------------------------------------


async def test_admin_member_buttons_change_roles_and_access_with_an_audit_entry_each(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    world = await build_world(bot, people)
    admin, contact_id = people["admin"], people["contact"].user_id
    target = world.members["contact"]
    message = await screen(bot, admin)

    [listing] = bot.texts(await bot.press(admin, message, MembersPage(0).data))
    assert "<b>Members</b> (4)" in listing
    [card] = bot.texts(await bot.press(admin, message, ShowMember(target).data))
    assert "<b>Claire</b>" in card and "Role: contact" in card and "Status: active" in card

    steps = [
        (ChangeRole(target, Role.OBSERVER), "member.role_changed", Role.OBSERVER, MemberStatus.ACTIVE),
        (MakeAdmin(target), "member.role_changed", Role.ADMIN, MemberStatus.ACTIVE),
        (ChangeRole(target, Role.CONTACT), "member.role_changed", Role.CONTACT, MemberStatus.ACTIVE),
        (Revoke(target), "member.revoked", Role.CONTACT, MemberStatus.REVOKED),
        (Reinstate(target), "member.reinstated", Role.CONTACT, MemberStatus.ACTIVE),
    ]
    for action, audited, role, status in steps:
        before = await snapshot(bot)
        [shown] = bot.texts(await bot.press(admin, message, action.data))
        assert f"Role: {role.value}" in shown and f"Status: {status.value}" in shown
        changed = await member(bot, contact_id)
        assert (changed.role, changed.status) == (role, status), action
        [entry] = await audit_since(bot, before)
        assert (entry.action, entry.actor_id, entry.subject) == (
            audited,
            world.members["admin"],
            f"member {target}",
        )

    before = await snapshot(bot)
    [confirm] = bot.texts(await bot.press(admin, message, AskRevoke(target).data))
    assert "Revoke the access of Claire (FR)?" in confirm
    assert await snapshot(bot) == before, "asking to confirm must not revoke"

    [back] = bot.texts(await bot.press(admin, message, Reinstate(world.members["revoked"]).data))
    assert "<b>Rolf</b>" in back and "Status: active" in back
    assert (await member(bot, people["revoked"].user_id)).status is MemberStatus.ACTIVE
    [entry] = await audit_since(bot, before)
    assert (entry.action, entry.actor_id) == ("member.reinstated", world.members["admin"])


async def test_admin_withdraws_an_invitation_once(bot: BotHarness, people: dict[str, Identity]) -> None:
    world = await build_world(bot, people)
    admin = people["admin"]
    message = await screen(bot, admin)
    [listing] = bot.texts(await bot.press(admin, message, OpenInvites().data))
    assert "Open invitations (1)" in listing and "observer of IT, 5 of 5 uses left" in listing

    before = await snapshot(bot)
    [question] = bot.texts(await bot.press(admin, message, RevokeInvite(world.invite).data))
    assert "Withdraw this invitation? #" in question and "observer of IT" in question
    assert await snapshot(bot) == before, "asking to confirm must not withdraw"
    [kept] = bot.texts(await bot.press(admin, message, OpenInvites().data))
    assert "Open invitations (1)" in kept
    assert await snapshot(bot) == before, "'No' must change nothing"
    [done] = bot.texts(await bot.press(admin, message, RevokeInviteConfirmed(world.invite).data))
    assert "Nobody can use it any more" in done
    async with bot.store.uow() as uow:
        invite = await uow.invites.by_id(world.invite)
    assert invite is not None and invite.revoked_at == bot.clock.now()
    [entry] = await audit_since(bot, before)
    assert (entry.action, entry.actor_id, entry.subject) == (
        "invite.revoked",
        world.members["admin"],
        f"invite {world.invite}",
    )

    before = await snapshot(bot)
    for again in (RevokeInvite(world.invite), RevokeInviteConfirmed(world.invite)):
        calls = await bot.press(admin, message, again.data)
        assert refusal_problem(calls, "already withdrawn", []) is None, again
    assert await snapshot(bot) == before


async def test_admin_approves_and_refuses_access_requests(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    world = await build_world(bot, people)
    admin, admin_id = people["admin"], world.members["admin"]
    message = await screen(bot, admin)
    [card] = bot.texts(await bot.press(admin, message, ShowRequest(world.request).data))
    assert f"Access request #{world.request}" in card and REQUESTER_NAME in card

    before = await snapshot(bot)
    calls = await bot.press(admin, message, ApproveRequest(world.request, Role.OBSERVER).data)
    assert (
        f"Access request #{world.request} ({REQUESTER_NAME}, PT) approved as observer" in bot.texts(calls)[0]
    )
    [told] = [c for c in calls if c.method == "sendMessage" and c.params["chat_id"] == REQUESTER.user_id]
    assert "Good news" in told.params["text"] and "You are a observer" in told.params["text"]
    admitted = await member(bot, REQUESTER.user_id)
    assert (admitted.role, admitted.delegation.code, admitted.status) == (
        Role.OBSERVER,
        "PT",
        MemberStatus.ACTIVE,
    )
    async with bot.store.uow() as uow:
        request = await uow.requests.by_id(world.request)
    assert request is not None and (request.status, request.decided_by) == (RequestStatus.APPROVED, admin_id)
    [entry] = await audit_since(bot, before)
    assert (entry.action, entry.actor_id) == ("access.approved", admin_id)

    before = await snapshot(bot)
    for late in (RefuseRequest(world.request), RefuseConfirmed(world.request)):
        calls = await bot.press(admin, message, late.data)
        assert refusal_problem(calls, "already decided", []) is None, late
    assert await snapshot(bot) == before

    other = await submit_access_request(
        bot.store.uow, 107, 107, "Nina Nobody", "NL", "", "en", bot.clock.now(), notify_admin=admin_notice
    )
    before = await snapshot(bot)
    asked = "\n".join(bot.texts(await bot.press(admin, message, RefuseRequest(other.request.id).data)))
    assert f"Refuse access request #{other.request.id} (Nina Nobody, NL)?" in asked  # with the new card
    assert await snapshot(bot) == before, "asking to confirm must not refuse"
    [kept] = bot.texts(await bot.press(admin, message, ShowRequest(other.request.id).data))
    assert f"Access request #{other.request.id}" in kept
    assert await snapshot(bot) == before, "'No' must change nothing"
    calls = await bot.press(admin, message, RefuseConfirmed(other.request.id).data)
    assert "refused" in bot.texts(calls)[0]
    async with bot.store.uow() as uow:
        refused = await uow.requests.by_id(other.request.id)
        assert await uow.members.by_telegram_id(107) is None
    assert refused is not None and refused.status is RequestStatus.REFUSED
    [entry] = await audit_since(bot, before)
    assert (entry.action, entry.actor_id) == ("access.refused", admin_id)


async def test_admin_pages_the_audit_log(bot: BotHarness, people: dict[str, Identity]) -> None:
    await build_world(bot, people)
    admin = people["admin"]
    message = await screen(bot, admin)
    [page] = bot.texts(await bot.press(admin, message, AuditPage(0).data))
    assert "<b>Audit log</b>, entries 1 to" in page and "access.requested" in page
    [far] = bot.texts(await bot.press(admin, message, AuditPage(9000).data))
    assert "The audit log is empty." in far


@pytest.mark.parametrize("role", ["admin", "contact", "observer"])
async def test_every_member_changes_their_own_settings_with_buttons(
    bot: BotHarness, people: dict[str, Identity], role: str
) -> None:
    world = await build_world(bot, people)
    who = people[role]
    message = await screen(bot, who)
    before = await snapshot(bot)
    [french] = bot.texts(await bot.press(who, message, ChooseLanguage("fr").data))
    [utc] = bot.texts(await bot.press(who, message, ChooseZone("UTC").data))
    assert "<b>Vos réglages</b>" in french and "Fuseau horaire\u202f: UTC" in utc
    changed = await member(bot, who.user_id)
    assert (changed.language, changed.time_zone, changed.role) == ("fr", "UTC", Role(role))
    entries = await audit_since(bot, before)
    assert [(e.action, e.actor_id) for e in entries] == [("settings.changed", world.members[role])] * 2
    others_now = [m for m in (await snapshot(bot)).members if m[1] != who.user_id]
    assert others_now == [m for m in before.members if m[1] != who.user_id]


# --- forged and stale data --------------------------------------------------------------------------

# Data no button of the bot carries (malformed, or of an older version of a button): a stale button.
FORGED: dict[str, str] = {
    "mem:show:abc": STALE,
    "mem:show:": STALE,
    "mem:show:-3": STALE,
    "mem:show:1:2": STALE,
    "mem:show:999999999999999": STALE,
    "mem:page:-1": STALE,
    "mem:toxyz:1": STALE,
    "mem:toadm:{contact}": STALE,
    "mem:role:{contact}:root": STALE,
    "mem:role:{contact}": STALE,
    "mem:role:{contact}:admin": STALE,  # making admin is asked first: AskMakeAdmin, then MakeAdmin
    "mem:delete:{contact}": STALE,
    "inv:rev:-1": STALE,
    "inv:rev:x": STALE,
    "inv:rev:{invite}:again": STALE,
    "req:ok:{request}:root": STALE,
    "req:ok:{request}": STALE,
    "req:ok:abc:contact": STALE,
    "req:no:{request}:-": STALE,
    "req:maybe:{request}:contact": STALE,
    "aud:-15": STALE,
    "aud:abc": STALE,
    "aud:0:1": STALE,
    "set:tz:": STALE,  # no zone at all: malformed data, refused where buttons are decoded
    "set:lang:fr:x": STALE,
    "set:color:red": STALE,
    "adm:revoke:101": STALE,
    "x" * 64: STALE,
    "\x00\x01:mem:show:1": STALE,
}


async def test_forged_buttons_get_a_polite_answer_and_change_nothing(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    world = await build_world(bot, people)
    admin = people["admin"]
    expected = {data.format(**world.ids("admin")): phrase for data, phrase in FORGED.items()}
    assert await press_all(bot, admin, await screen(bot, admin), expected, []) == {}


# Buttons well formed but about something gone or in another state: the service's refusal.
REFUSED: dict[tuple[Any, ...], str] = {
    (ShowMember, 99999): "no longer exists",
    (MakeAdmin, 99999): "no longer exists",
    (AskMakeAdmin, 99999): "no longer exists",
    (ChangeRole, "revoked", Role.CONTACT): "reinstate them first",
    (Revoke, "revoked"): "already revoked",
    (Reinstate, "contact"): "already active",
    (Reinstate, 99999): "no longer exists",
    (RevokeInvite, 99999): "no longer exists",
    (RevokeInviteConfirmed, 99999): "no longer exists",
    (ApproveRequest, "request", Role.ADMIN): "approved as contact or observer",
    (ApproveRequest, 99999, Role.CONTACT): "no longer exists",
    (ShowRequest, 99999): "no longer exists",
    (RefuseRequest, 99999): "no longer exists",
    (RefuseConfirmed, 99999): "no longer exists",
    (ChooseZone, "Mars/Olympus"): "not a time zone, city or country I know",
    (ChooseZone, "../../etc/passwd"): "not a time zone, city or country I know",
    (ChooseLanguage, "de"): "Choose one of: en, fr",
}


async def test_buttons_about_what_is_gone_or_changed_are_refused_politely(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    world = await build_world(bot, people)
    admin = people["admin"]
    expected = {made(b, world.ids("admin")): phrase for b, phrase in REFUSED.items()}
    assert await press_all(bot, admin, await screen(bot, admin), expected, []) == {}


@pytest.mark.parametrize("digits", ["²", "¹²", "①"])
async def test_non_ascii_digits_in_button_ids_are_refused_not_crashed(
    bot: BotHarness, people: dict[str, Identity], digits: str
) -> None:
    """str.isdigit() accepts '²' and '①', which int() rejects: that must be a stale button, not a crash."""
    await build_world(bot, people)
    admin = people["admin"]
    kinds = (AuditPage, ShowMember, MembersPage, RevokeInvite, ShowRequest)
    expected = {f"{kind.prefix}:{digits}": STALE for kind in kinds}
    assert await press_all(bot, admin, await screen(bot, admin), expected, []) == {}


@pytest.mark.parametrize("big", ["2147483648", "99999999999"])
async def test_ids_beyond_the_database_integer_range_are_not_found_not_crashed(
    bot: BotHarness, people: dict[str, Identity], big: str
) -> None:
    """Ids are 32-bit integers in the store; an 11-digit id from a forged button must not reach SQL raw."""
    await build_world(bot, people)
    admin = people["admin"]
    polite = (STALE, "no longer exists")
    number = int(big)
    pressed = (
        ShowMember(number),
        ChangeRole(number, Role.OBSERVER),
        Revoke(number),
        RevokeInvite(number),
        RevokeInviteConfirmed(number),
        ShowRequest(number),
        ApproveRequest(number, Role.CONTACT),
    )
    expected = {p.data: polite for p in pressed}
    assert await press_all(bot, admin, await screen(bot, admin), expected, []) == {}


async def test_an_admin_cannot_change_their_own_role_or_access(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    world = await build_world(bot, people)
    admin, me = people["admin"], world.members["admin"]
    actions = [ChangeRole(me, Role.CONTACT), ChangeRole(me, Role.OBSERVER), MakeAdmin(me), AskMakeAdmin(me)]
    actions += [Revoke(me), Reinstate(me)]
    expected = {action.data: "cannot change your own" for action in actions}
    assert await press_all(bot, admin, await screen(bot, admin), expected, []) == {}
    assert (await member(bot, admin.user_id)).role is Role.ADMIN


async def test_an_admin_is_not_even_asked_to_confirm_revoking_themselves(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    world = await build_world(bot, people)
    admin = people["admin"]
    expected = {AskRevoke(world.members["admin"]).data: "cannot change your own"}
    assert await press_all(bot, admin, await screen(bot, admin), expected, []) == {}


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FUZZED = (MembersPage, ShowMember, ChangeRole, AskMakeAdmin, MakeAdmin, AskRevoke, Revoke, Reinstate)
FUZZED += (RevokeInvite, RevokeInviteConfirmed, OpenInvites)
FUZZED += (ApproveRequest, RefuseRequest, RefuseConfirmed, ShowRequest, AuditPage, ChooseLanguage, ChooseZone)
PREFIXES = (*(f"{kind.prefix}:" for kind in FUZZED), "")
# Ids are where parsing happens, so the rest is often digits: ASCII, or anything str.isdigit() accepts.
numberish = st.text(st.characters(categories=("Nd", "No")).filter(str.isdigit), min_size=1, max_size=12)
callback_data = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(PREFIXES),
    st.one_of(st.text(max_size=40), numberish, st.from_regex(r"[0-9]{1,12}(:[a-z-]{1,9})?", fullmatch=True)),
).filter(lambda data: 1 <= len(data.encode()) <= 64)


@FUZZ
@given(data=callback_data)
async def test_any_button_data_pressed_by_an_admin_is_answered_without_failing(
    bot: BotHarness, people: dict[str, Identity], data: str
) -> None:
    admin = people["admin"]
    message = {"message_id": 5, "date": 0, "chat": admin.chat, "text": "x"}
    bot.api.chat(admin.user_id).messages.setdefault(5, dict(message))  # a message an edit can land on
    calls = await bot.press(admin, message, data)
    errors = list(bot.errors)
    bot.errors.clear()  # so that hypothesis sees the failure of this example, not the teardown
    assert errors == [], f"{data!r} raised {errors!r}"
    assert [c.method for c in calls].count("answerCallbackQuery") == 1
    assert GENERIC_ERROR not in visible(calls)


@FUZZ
@given(data=callback_data.filter(lambda data: not data.startswith("set:")))
async def test_any_button_data_pressed_by_a_contact_changes_nothing_and_shows_no_one(
    bot: BotHarness, people: dict[str, Identity], data: str
) -> None:
    contact = people["contact"]
    message = {"message_id": 5, "date": 0, "chat": contact.chat, "text": "x"}
    before = await snapshot(bot)
    calls = await bot.press(contact, message, data)
    errors = list(bot.errors)
    bot.errors.clear()
    assert errors == [], f"{data!r} raised {errors!r}"
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert not [name for name in others("contact") if name in visible(calls)]
    assert await snapshot(bot) == before


# --- the working party's group ----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["/members", "/invite", "/audit", "/settings"])
async def test_admin_commands_in_the_group_are_refused_without_member_data(
    bot: BotHarness, people: dict[str, Identity], working_group: int, command: str
) -> None:
    await build_world(bot, people)
    before = await snapshot(bot)
    calls = await bot.send(group_identity(people["admin"]), command)
    [text] = bot.texts(calls)
    assert PRIVATE_ONLY in text
    assert all(c.params.get("chat_id") == -100123 for c in calls if c.method == "sendMessage")
    assert not [name for name in others("admin") if name in visible(calls)]
    assert await snapshot(bot) == before


async def test_admin_buttons_pressed_in_the_group_are_refused(
    bot: BotHarness, people: dict[str, Identity], working_group: int
) -> None:
    world = await build_world(bot, people)
    who = group_identity(people["admin"])
    expected = {made(b, world.ids("admin")): PRIVATE_ONLY for b in ADMIN_BUTTONS}
    assert await press_all(bot, who, await screen(bot, who), expected, others("admin")) == {}


@pytest.mark.parametrize("role", ["admin", "contact"])
async def test_settings_buttons_pressed_in_the_group_are_refused(
    bot: BotHarness, people: dict[str, Identity], working_group: int, role: str
) -> None:
    """/settings is private-only; its buttons must not change or show a member's settings in the group."""
    await build_world(bot, people)
    who = group_identity(people[role])
    expected = dict.fromkeys(SETTINGS_BUTTONS, PRIVATE_ONLY)
    assert await press_all(bot, who, await screen(bot, who), expected, others(role)) == {}


# --- closed doors: three more rows of the matrix ----------------------------------------------------

REVOKED_ASK = "an invitation cannot bring you back"
GROUP_CLEAR = "In this group I only share information marked TLP:CLEAR"
GROUP_HELP = "In a group I answer /help, /start and /search"
CLOSED_ROWS: dict[str, dict[str, str | None]] = {
    # Rolf (DE, revoked) holds a live invitation: it does not let him back in, nor does anything else.
    "revoked member with a live invitation": {
        "/start {token}": REVOKED_ASK,
        "/start": "has been withdrawn",
        "/help": "To get access",
        "/search kestrel": MEMBERS_ONLY,
        "/initiative MP-MA-2013": MEMBERS_ONLY,
        "/settings": MEMBERS_ONLY,
        "/members": MEMBERS_ONLY,
        "/groups": MEMBERS_ONLY,
        "/invite": MEMBERS_ONLY,
    },
    # A stranger's group the bot was added to (and could not leave): nothing answers, nothing is shown.
    "guest in an unregistered group": dict.fromkeys(
        (
            *("/start", "/start {token}", "/help", "/search kestrel", "/initiative MP-MA-2013", "/members"),
            *("/groups", "/settings", "/cancel", "/frobnicate", "/invite"),
        ),
        None,
    ),
    # Claire in the working party's registered group: TLP:CLEAR search, everything else privately.
    "member in a registered group": {
        "/start": GROUP_CLEAR,
        "/start {token}": GROUP_CLEAR,
        "/help": GROUP_HELP,
        "/search kestrel": "Nothing found for “kestrel”",
        "/initiative MP-MA-2013": PRIVATE_ONLY,
        "/settings": PRIVATE_ONLY,
        "/members": PRIVATE_ONLY,
        "/groups": PRIVATE_ONLY,
        "/invite": PRIVATE_ONLY,
        "/frobnicate": None,  # silence in a group: an unknown command is no one's business there
    },
}
CLOSED_BUTTONS: tuple[tuple[Any, ...], ...] = (
    (OpenInitiative, 1),
    (SearchPage, "abcd", 1),
    (OpenUpdate, 1),
    (PickCountry, "MA"),
    (ShowMember, "contact"),
    (GroupsList,),
)


def closed_row_identity(row: str, people: dict[str, Identity]) -> Identity:
    """The person of a row, in the chat of the row."""
    if row == "revoked member with a live invitation":
        return people["revoked"]
    person, chat = (people["guest"], -100777) if row.startswith("guest") else (people["contact"], -100123)
    return Identity(person.user_id, person.first_name, chat_id=chat, chat_type="supergroup", chat_title="G")


@pytest.mark.parametrize("row", list(CLOSED_ROWS))
async def test_closed_doors_rows_answer_each_command_as_the_row_allows(
    bot: BotHarness, people: dict[str, Identity], working_group: int, row: str
) -> None:
    world = await build_world(bot, people)
    live = await create_invite(bot.store.uow, None, Role.CONTACT, "DE", 30, 7, bot.clock.now())
    who = closed_row_identity(row, people)
    before = await snapshot(bot)
    wrong: dict[str, object] = {}
    for template, expected in CLOSED_ROWS[row].items():
        calls = await bot.send(who, template.format(token=live.token))
        texts = bot.texts(calls)
        if expected is None:
            if calls:
                wrong[template] = [c.method for c in calls]
        elif len(texts) != 1 or expected not in texts[0]:
            wrong[template] = texts
        hidden = others("contact" if "member in" in row else "guest")
        leaked = [name for name in hidden if name in visible(calls)]
        if leaked:
            wrong[f"{template} leaks"] = leaked
    assert wrong == {}, row
    assert await snapshot(bot) == before, "a command changed the store"
    async with bot.store.uow() as uow:
        still = await uow.invites.by_id(live.invite.id)
    assert still is not None and still.uses_left == 30, "a refused invitation spent a use"
    message = await screen(bot, who) if row.startswith("revoked") else group_message(bot, who)
    for closed in CLOSED_BUTTONS:
        data = made(closed, world.ids("contact"))
        calls = await bot.press(who, message, data)
        assert [c.method for c in calls].count("answerCallbackQuery") == 1, (row, data)
        assert "sendDocument" not in [c.method for c in calls], (row, data)
        if row.startswith("guest"):  # nothing but a short "not available"
            assert [c.method for c in calls] == ["answerCallbackQuery"], (row, data)
            assert the_alert(calls) == "Not available in this chat.", (row, data)
        elif row.startswith("revoked"):
            refused = (MEMBERS_ONLY, STALE, "does not exist or is not for you")
            assert refusal_problem(calls, refused, others("revoked")) is None, (row, data)
        else:
            assert not [name for name in others("contact") if name in visible(calls)], (row, data)
            assert "TLP:GREEN" not in visible(calls), (row, data)
    assert await snapshot(bot) == before, "a button changed the store"


def group_message(bot: BotHarness, who: Identity) -> dict[str, Any]:
    """A message in `who`'s group that a press can land on."""
    message = {"message_id": 77, "date": 0, "chat": who.chat, "text": "x"}
    bot.api.chat(int(who.chat["id"]), "supergroup").messages[77] = dict(message)
    return message
