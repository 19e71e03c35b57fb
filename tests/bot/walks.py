"""Every place a person types text to the bot: each step of each guided flow, and the commands with
arguments. A walk is what a person sends and presses to reach the step; the typed text comes next.

Presses name the callback data of a button the bot really drew (the newest message with buttons in the
person's chat), so a walk breaks loudly when a flow changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.console.updates import Identity
from bot.domain.digests import Frequency
from bot.domain.notices import AudienceKind
from bot.domain.posting import Draft
from bot.domain.vocab import InitiativeType, Tlp, UpdateKind
from handlers.access_request import RequestDelegation
from handlers.broadcast import BroadcastAudience, BroadcastWhen
from handlers.buttons import ContinueRequest, RequestAccess
from handlers.menu import SERVED_COMMANDS
from handlers.subscribe_answers import (
    AddTyped,
    ChoiceDone,
    ChooseFrequency,
    OtherTime,
    SubscribeWhat,
    ToggleType,
)
from tests.bot.flows import buttons, last_with_buttons
from tests.conftest import NOW
from tests.harness import BotHarness

Action = tuple[str, str]  # ("send", text) or ("press", callback data), ("press*", data prefix)


@dataclass(frozen=True)
class Step:
    """A step where text is typed: who types, how they get there, whether the text may have lines, and
    whether the step takes text at all (the others answer typed text with a pointer to /help)."""

    name: str
    who: str
    walk: Sequence[Action]
    lines: bool = False
    takes_text: bool = True


def _post(*more: Action) -> list[Action]:
    return [("send", "/post MP-MA-2013"), ("press", "pst:kind:progress"), *more]


def _new(*more: Action) -> list[Action]:
    start = [("send", "/newinitiative"), ("send", "Sahel pilot"), ("press", "new:type:partnership")]
    return [*start, ("press", "new:status:active"), *more]


def _subscribe(*more: Action) -> list[Action]:
    return [("send", "/subscribe"), ("press", SubscribeWhat("some").data), *more]


def _broadcast(*more: Action) -> list[Action]:
    return [("send", "/broadcast"), ("send", "Plenary moved"), *more]


def _edit(field: str) -> list[Action]:
    return [("send", "/initiative MP-MA-2013"), ("press*", "ied:"), ("press*", f"ief:{{id}}:{field}")]


STEPS: tuple[Step, ...] = (
    Step(
        "request: name",
        "guest",
        [("send", "/start"), ("press", RequestAccess().data), ("press", ContinueRequest().data)],
        lines=True,
    ),
    Step(
        "request: note",
        "guest",
        [
            ("send", "/start"),
            ("press", RequestAccess().data),
            ("press", ContinueRequest().data),
            ("send", "Gus Valid"),
            ("press", RequestDelegation("NL").data),
        ],
        lines=True,
    ),
    Step("settings: time zone", "contact", [("send", "/settings"), ("press", "set:tzother")]),
    Step("post: initiative", "contact", [("send", "/post")]),
    Step("post: text", "contact", _post(), lines=True),
    Step(
        "post: attachment", "contact", _post(("send", "Text"), ("press", "pst:tlp:CLEAR")), takes_text=False
    ),
    Step(
        "post: preview",
        "contact",
        _post(("send", "Text"), ("press", "pst:tlp:CLEAR"), ("press", "pst:noatt")),
        takes_text=False,
    ),
    Step("post: RED readers", "contact", _post(("send", "Text"), ("press", "pst:tlp:RED")), takes_text=False),
    Step("edit an update: text", "contact", [("press", "upd:edit:{update}")], lines=True),
    Step("subscribe: countries", "contact", _subscribe(("press", AddTyped("countries").data)), lines=True),
    Step("subscribe: initiatives", "contact", _subscribe(("press", AddTyped("initiatives").data))),
    Step(
        "subscribe: time",
        "contact",
        _subscribe(
            ("press", ToggleType(InitiativeType.PARTNERSHIP).data),
            ("press", ChoiceDone().data),
            ("press", ChooseFrequency(Frequency.DAILY).data),
            ("press", OtherTime().data),
        ),
    ),
    Step("new initiative: title", "admin", [("send", "/newinitiative")]),
    Step("new initiative: countries", "admin", _new(), lines=True),
    Step("new initiative: lead", "admin", _new(("press", "new:skip"))),
    Step("new initiative: start", "admin", _new(("press", "new:skip"), ("press", "new:skip"))),
    Step("new initiative: source", "admin", _new(*[("press", "new:skip")] * 3)),
    Step("new initiative: reference", "admin", _new(*[("press", "new:skip")] * 4)),
    Step("new initiative: confirm", "admin", _new(*[("press", "new:skip")] * 4, ("press*", "new:ref:"))),
    Step("edit an initiative: title", "admin", _edit("title")),
    Step("edit an initiative: notes", "admin", _edit("notes"), lines=True),
    Step("edit an initiative: countries", "admin", _edit("countries"), lines=True),
    Step("edit an initiative: lead", "admin", _edit("lead")),
    Step("edit an initiative: start", "admin", _edit("start_date")),
    Step("edit an initiative: source", "admin", _edit("source_url")),
    Step("broadcast: text", "admin", [("send", "/broadcast")], lines=True),
    Step("broadcast: country", "admin", _broadcast(("press", BroadcastAudience(AudienceKind.COUNTRY).data))),
    Step(
        "broadcast: initiative",
        "admin",
        _broadcast(("press", BroadcastAudience(AudienceKind.INITIATIVE).data)),
    ),
    Step(
        "broadcast: time",
        "admin",
        _broadcast(
            ("press", BroadcastAudience(AudienceKind.EVERYONE).data), ("press", BroadcastWhen("typed").data)
        ),
    ),
)
# Every command of the build with an argument typed after it (flows opened are left with /cancel).
COMMANDS: tuple[str, ...] = (*sorted(SERVED_COMMANDS - {"cancel"}), "frobnicate")


async def own_update(bot: BotHarness, who: Identity) -> int:
    """An update `who` posted just now (so that they may edit it)."""
    async with bot.store.uow() as uow:
        member = await uow.members.by_telegram_id(who.user_id)
        initiative = await uow.initiatives.by_ref("MP-MA-2013")
        assert member is not None and initiative is not None
        key = f"walk-{bot.clock.now().timestamp()}-{len(bot.api.calls)}"
        draft = Draft(key, initiative.id, UpdateKind.PROGRESS, "Mine to edit", Tlp.GREEN)
        posted = await uow.updates.add(draft, member.id, member.delegation.code, NOW)
        await uow.commit()
    assert posted is not None
    return posted.id


async def reach(bot: BotHarness, who: Identity, step: Step) -> None:
    """Leave any flow, then walk to `step`; every action must be answered without a failure."""
    await bot.send(who, "/cancel")
    chat = int(who.chat["id"])
    for kind, data in step.walk:
        if kind == "send":
            await bot.send(who, data)
        elif "{update}" in data:  # a button of the update's own view: pressed on any message of the chat
            message = list(bot.api.chat(chat).messages.values())[-1]
            await bot.press(who, message, data.format(update=await own_update(bot, who)))
        else:
            message = last_with_buttons(bot, chat)
            found = list(buttons(message).values())
            prefix, _, rest = data.partition("{")
            suffix = rest.partition("}")[2]
            wanted = next((d for d in found if d.startswith(prefix) and d.endswith(suffix)), None)
            assert wanted is not None and (kind == "press*" or wanted == data), (
                f"{step.name}: no {data} in {found}"
            )
            await bot.press(who, message, wanted)
    assert not bot.errors, f"{step.name}: {bot.errors!r}"
