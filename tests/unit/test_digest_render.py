"""The digest as rendered from a hand-built `Digest`: newest three updates then "+N more", a cap of a few
messages with a closing count, capped side lists, forwarding protection for what is shown, and the split
of a block too long for one message."""

from __future__ import annotations

import datetime as dt

from bot.domain.digests import Digest, Frequency, Scope, Subscription
from bot.domain.model import Delegation, Event, Initiative, Member, Update
from bot.domain.splitting import LIMIT, pack_blocks
from bot.domain.vocab import (
    DelegationKind,
    EventKind,
    InitiativeStatus,
    InitiativeType,
    MemberStatus,
    Role,
    Tlp,
    UpdateKind,
)
from handlers.digest_render import LISTED, MAX_PARTS, DigestRenderer

END = dt.datetime(2026, 11, 23, 7, tzinfo=dt.UTC)
START = END - dt.timedelta(days=7)
NAMES = ({"north_africa": "North Africa"}, {"MA": "Morocco", "TN": "Tunisia"})


def member(language: str = "en") -> Member:
    france = Delegation("FR", "France", DelegationKind.MEMBER_STATE)
    return Member(7, 700, "Claire", france, Role.CONTACT, MemberStatus.ACTIVE, language, "Europe/Paris", True)


def initiative(n: int, country: str = "MA") -> Initiative:
    return Initiative(
        n, f"REF-{n:03d}", f"Initiative {n}", InitiativeType.PARTNERSHIP, InitiativeStatus.ACTIVE,
        (country,), ("north_africa",), None, (), (), None, None, None, None, None, None, START,
    )  # fmt: skip


def updates(
    initiative_id: int, count: int, tlps: tuple[Tlp, ...] = (Tlp.GREEN,), words: int = 30
) -> list[Update]:
    """`count` updates, newest first, the i-th with the i-th label of `tlps` (cycling)."""
    return [
        Update(
            initiative_id * 1000 + k, initiative_id, UpdateKind.PROGRESS,
            f"[{initiative_id}-{k}] " + "word " * words, tlps[k % len(tlps)], 1, "FR",
            END - dt.timedelta(hours=initiative_id, minutes=k),
        )
        for k in range(count)
    ]  # fmt: skip


def digest(by_initiative: dict[int, list[Update]], **extra: object) -> Digest:
    """As `compose` builds it: the most recently updated initiative first."""
    ranked = dict(sorted(by_initiative.items(), key=lambda kv: kv[1][0].created_at, reverse=True))
    shown = {i: initiative(i) for i in ranked}
    lists = {"new_initiatives": (), "status_changes": (), **extra}
    return Digest(START, END, ranked, shown, **lists)  # type: ignore[arg-type]


def render(d: Digest, language: str = "en") -> tuple[list[str], bool]:
    sub = Subscription(5, 7, Scope(), Frequency.WEEKLY, 0, dt.time(8), True, False, END)
    [out] = DigestRenderer(*NAMES)(member(language), sub, d)
    return list(out.parts), out.protect


def test_an_initiative_shows_its_newest_three_updates_then_how_many_more() -> None:
    parts, _ = render(digest({1: updates(1, 5), 2: updates(2, 3)}))
    [text] = parts
    assert "<b>8 updates</b> on 2 initiatives" in text
    assert [k for k in range(5) if f"[1-{k}]" in text] == [0, 1, 2]
    assert "\n+2 more · /initiative REF-001" in text
    assert all(f"[2-{k}]" in text for k in range(3)) and "/initiative REF-002\n+" not in text
    assert "more initiative" not in text  # nothing left out
    [french], _ = render(digest({1: updates(1, 5)}), "fr")
    assert "<b>5 mises à jour</b>" in french and "\n+2 de plus · /initiative REF-001" in french


def test_a_long_period_is_capped_to_the_most_recent_initiatives_and_says_how_many_are_left_out() -> None:
    d = digest({n: updates(n, 4, words=60) for n in range(1, 81)})
    parts, _ = render(d)
    assert len(parts) <= MAX_PARTS and all(len(p) <= LIMIT for p in parts)
    text = "\n".join(parts)
    assert "<b>320 updates</b> on 80 initiatives" in parts[0]
    shown = [n for n in range(1, 81) if f"<code>REF-{n:03d}</code>" in text]
    assert shown == list(range(1, len(shown) + 1))  # initiative n was updated n hours before the end
    assert 5 <= len(shown) < 80
    assert f"… and {80 - len(shown)} more initiatives with updates: /initiative REF shows one" in parts[-1]
    # Under its country header, newest first.
    positions = [text.index(f"<code>REF-{n:03d}</code>") for n in shown]
    assert positions == sorted(positions) and text.count("📍 <b>Morocco</b>") == 1


def test_side_lists_are_capped_and_events_follow() -> None:
    new = [initiative(100 + n) for n in range(LISTED + 5)]
    changes = [(initiative(200 + n), "suspended") for n in range(3)]
    events = [
        Event(n, f"Meeting {n}", EventKind.MEETING, END + dt.timedelta(days=1, hours=n)) for n in range(20)
    ]
    [text], _ = render(digest({1: updates(1, 1)}, new_initiatives=new, status_changes=changes, events=events))
    assert f"· {LISTED + 5} new initiatives · 3 status changes" in text
    assert "REF-109" in text and "REF-110" not in text and "… and 5 more" in text
    assert "<b>Coming two weeks</b>" in text and "Meeting 14" in text and "Meeting 15" not in text
    assert (
        text.index("<b>New initiatives</b>") < text.index("<b>Status changes</b>") < text.index("Meeting 0")
    )


def test_forwarding_is_protected_when_an_update_shown_is_amber_or_stricter() -> None:
    amber_fourth = updates(1, 4, (Tlp.GREEN, Tlp.GREEN, Tlp.CLEAR, Tlp.AMBER))
    assert render(digest({1: amber_fourth}))[1] is False  # the AMBER one is only counted, not shown
    amber_first = updates(1, 4, (Tlp.AMBER, Tlp.GREEN))
    parts, protect = render(digest({1: amber_first}))
    assert protect is True and "<b>[TLP:AMBER]</b>" in parts[0]


def test_one_renderer_shares_texts_between_members_reading_alike() -> None:
    renderer = DigestRenderer(*NAMES)
    d = digest({1: updates(1, 4)})
    assert renderer.messages(member(), d) is renderer.messages(member(), d)
    assert renderer.messages(member("fr"), d) != renderer.messages(member(), d)


def test_a_block_too_long_for_one_message_is_split_inside_and_the_others_stay_whole() -> None:
    small, huge = "<b>small</b> block", "\n".join(f"<i>line {n}</i> " + "x" * 90 for n in range(120))
    parts = pack_blocks([small, huge, small])
    assert len(parts) >= 4 and all(len(p) <= LIMIT for p in parts)
    assert parts[0].startswith(small + "\n\n") and parts[-1].endswith("\n\n" + small)
    lines = [line for part in parts for line in part.split("\n") if line.startswith("<i>line")]
    assert lines == huge.split("\n")
