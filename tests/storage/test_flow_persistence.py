"""The store-backed persistence: a flow's step, drafts and answers written, read back by a new persistence
(a restarted process), an ended flow forgotten, and a flow abandoned past the timeout not restored."""

from __future__ import annotations

import datetime as dt

from bot.domain.vocab import Tlp
from bot.flow_persistence import StorePersistence, decode, encode
from handlers.flow import TIMEOUT_SECONDS
from handlers.posting import PostAnswers
from storage.factory import Store
from storage.flow_states import FlowStates
from tests.harness import FixedClock

DRAFT = PostAnswers(
    key="k1",
    initiative=7,
    text="<b>x</b>",
    tlp=Tlp.RED,
    readers=frozenset({"FR", "DE"}),
    attachment=("photo", "AgAD"),
)


def test_drafts_and_answers_round_trip_through_json() -> None:
    data = {"draft:handlers.posting.PostAnswers": DRAFT, "flow:request": {"name": "Ana", "values": ["MA"]}}
    assert decode(encode(data)) == data
    gone = {"draft:x": {"$draft": "handlers.posting:NoSuchDraft", "v": {}}, "kept": 1}
    assert decode(gone) == {"kept": 1}  # a draft whose class went away: its flow starts over


async def test_a_restarted_persistence_gets_the_steps_and_data_back(store: Store, clock: FixedClock) -> None:
    first = StorePersistence(FlowStates(store.engine), clock.now)
    await first.update_conversation("post", (42, 42), 3)
    await first.update_conversation("post", (43, 43), 2)
    await first.update_user_data(42, {"draft:handlers.posting.PostAnswers": DRAFT})
    await first.update_chat_data(42, {"searches": {"ab12": "migration"}})
    await first.update_conversation("post", (43, 43), None)  # that flow ended

    again = StorePersistence(FlowStates(store.engine), clock.now)
    assert await again.get_conversations("post") == {(42, 42): 3}
    assert await again.get_conversations("subscribe") == {}
    assert await again.get_user_data() == {42: {"draft:handlers.posting.PostAnswers": DRAFT}}
    assert await again.get_chat_data() == {42: {"searches": {"ab12": "migration"}}}

    await again.drop_user_data(42)
    clock.current += dt.timedelta(seconds=TIMEOUT_SECONDS + 1)  # the flow was abandoned while down
    later = StorePersistence(FlowStates(store.engine), clock.now)
    assert await later.get_conversations("post") == {}
    assert await later.get_user_data() == {}


async def test_erasing_a_person_deletes_their_flows_in_progress(store: Store, clock: FixedClock) -> None:
    kept = StorePersistence(FlowStates(store.engine), clock.now)
    await kept.update_conversation("request", (4242, 4242), 1)
    await kept.update_conversation("request", (4243, 4243), 1)
    await kept.update_user_data(4242, {"flow:request": {"name": "Maeve Oddlyname"}})
    await kept.update_chat_data(4242, {"searches": {"ab12": "x"}})
    async with store.uow() as uow:
        await uow.personal_data.erase(4242, None, "guest-0001", clock.now())
        await uow.commit()
    again = StorePersistence(FlowStates(store.engine), clock.now)
    assert await again.get_conversations("request") == {(4243, 4243): 1}
    assert await again.get_user_data() == {} and await again.get_chat_data() == {}
