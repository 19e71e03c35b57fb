"""The callback-data codec: every kind of button round-trips, and anything else is a stale button."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import InvalidInput
from bot.domain.posting import FollowKind
from bot.domain.vocab import Tlp
from handlers.callback_data import CallbackData, ChatId, kinds


@dataclass(frozen=True)
class Sample(CallbackData, prefix="t:sample"):
    action: Literal["on", "off"]
    kind: FollowKind
    ident: int
    label: Tlp
    flag: bool
    target: str
    maybe: int | None


@dataclass(frozen=True)
class SampleLonger(CallbackData, prefix="t:samplex"):
    ident: int


@dataclass(frozen=True)
class Bare(CallbackData, prefix="t:bare"):
    pass


@dataclass(frozen=True)
class InChat(CallbackData, prefix="t:chat"):
    chat: ChatId


targets = st.text(st.characters(blacklist_characters=":", codec="utf-8"), min_size=1, max_size=2).filter(
    lambda s: s != "-"
)


@given(
    action=st.sampled_from(["on", "off"]),
    kind=st.sampled_from(list(FollowKind)),
    ident=st.integers(min_value=0, max_value=10**6),
    label=st.sampled_from(list(Tlp)),
    flag=st.booleans(),
    target=targets,
    maybe=st.none() | st.integers(min_value=0, max_value=10**5),
)
def test_every_value_round_trips(
    action: Literal["on", "off"],
    kind: FollowKind,
    ident: int,
    label: Tlp,
    flag: bool,
    target: str,
    maybe: int | None,
) -> None:
    value = Sample(action, kind, ident, label, flag, target, maybe)
    assert Sample.decode(value.data) == value
    assert re.match(Sample.pattern, value.data)
    assert not re.match(SampleLonger.pattern, value.data)


def decoded(data: str) -> Sample | InvalidInput:
    try:
        return Sample.decode(data)
    except InvalidInput as error:
        return error


@given(st.text(max_size=80))
def test_anything_else_is_a_stale_button_or_decodes_exactly(data: str) -> None:
    outcome = decoded(data)
    if isinstance(outcome, InvalidInput):
        assert outcome.message_id == "error.stale"
    else:
        assert outcome.data == data


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "t:sample",
        "t:sample:on:country:5:TLP:AMBER:1:MA:-",  # a label written by value, not by name
        "t:sample:maybe:country:5:GREEN:1:MA:-",  # not one of the Literal's values
        "t:sample:on:planet:5:GREEN:1:MA:-",  # not a member of the enum
        "t:sample:on:country:-5:GREEN:1:MA:-",  # not an id
        "t:sample:on:country:99999999999999999999:GREEN:1:MA:-",  # beyond the store's range
        "t:sample:on:country:5:GREEN:yes:MA:-",  # not a flag
        "t:sample:on:country:5:GREEN:1:-:-",  # an empty string field
        "t:sample:on:country:5:GREEN:1:MA",  # a field short
        "t:samplex:5",  # another kind
        "t:bare:extra",
    ],
)
def test_forged_data_is_refused_in_one_place(data: str | None) -> None:
    kind: type[CallbackData] = Bare if data == "t:bare:extra" else Sample
    with pytest.raises(InvalidInput) as refused:
        kind.decode(data)
    assert refused.value.message_id == "error.stale"


def test_the_encoding_is_short_and_readable() -> None:
    value = Sample("on", FollowKind.COUNTRY, 5, Tlp.AMBER_STRICT, True, "MA", None)
    assert value.data == "t:sample:on:country:5:AMBER_STRICT:1:MA:-"


@given(st.integers(min_value=-(2**52), max_value=2**52))
def test_a_chat_id_round_trips_negative_and_beyond_the_store_range(chat: int) -> None:
    value = InChat(ChatId(chat))
    assert InChat.decode(value.data) == value


@pytest.mark.parametrize(
    "data", ["t:chat:", "t:chat:-", "t:chat:--5", "t:chat:5-", "t:chat:١٢", "t:chat:" + "1" * 17]
)
def test_a_forged_chat_id_is_stale(data: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        InChat.decode(data)
    assert refused.value.message_id == "error.stale"


def test_a_kind_without_fields_is_its_prefix() -> None:
    assert Bare().data == "t:bare"
    assert Bare.decode("t:bare") == Bare()


def test_data_over_telegrams_64_bytes_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        _ = Sample("on", FollowKind.REGION, 1, Tlp.RED, True, "x" * 60, None).data


def test_a_prefix_is_used_once() -> None:
    with pytest.raises(ValueError, match="used twice"):

        @dataclass(frozen=True)
        class Again(CallbackData, prefix="t:bare"):
            pass


@pytest.mark.parametrize("prefix", ["t", "t:bare:more"])
def test_a_prefix_cannot_begin_another(prefix: str) -> None:
    """'t' would match the data of 't:bare' (and the other way round): one pattern would take both."""
    with pytest.raises(ValueError, match="overlaps"):

        @dataclass(frozen=True)
        class Overlapping(CallbackData, prefix=prefix):
            pass


def test_every_kind_of_the_application_decodes_its_own_data() -> None:
    """The kinds handlers register: none overlaps another, each has a pattern its own data matches."""
    import handlers  # noqa: F401 - registers every kind

    found = kinds()
    assert len(found) > 5
    for prefix, kind in found.items():
        others = [p for p in found if p != prefix]
        assert not [p for p in others if p.startswith(prefix + ":")], prefix
        assert re.match(kind.pattern, prefix + ":") or re.match(kind.pattern, prefix)
