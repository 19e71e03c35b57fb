"""A digest as its reader gets it: headline, then region → country → initiative, newest first.

A digest is read, not archived: under each initiative only its newest updates are shown, with a pointer
to the rest; and the whole digest stays within a few messages, the most recently active initiatives
first, with a closing line that counts what was left out. The headline counts everything.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.digests import Digest, Subscription
from bot.domain.model import Initiative, Member, Update, Viewer
from bot.domain.outbox import OutboxKind, Outgoing
from bot.domain.posting import protected
from bot.domain.reveals import DigestBasis, Reveals, reader_key, shown
from bot.domain.splitting import LIMIT, pack_blocks
from handlers.dates import local, local_date
from handlers.render import esc, shorten, update_block
from handlers.texts import t

OTHER = "~"
SHOWN = 3  # newest updates under each initiative
MAX_PARTS = 3  # Telegram messages a digest may take
BUDGET = MAX_PARTS * LIMIT - 600  # characters: room for the blank lines packing leaves at the cuts
LISTED = 10  # new initiatives, status changes: lines each
EVENTS = 15
Header = tuple[bool, str, str]  # (the catch-all group, name to sort by, the header as shown)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A digest's messages, the updates they show, and whether any of these forbids forwarding."""

    parts: list[str]
    shown: tuple[Update, ...] = ()

    @property
    def protect(self) -> bool:
        """AMBER or stricter content goes out protected."""
        return any(protected(u.tlp) for u in self.shown)


class Blocks:
    """Text pieces shared by every digest of one run, each rendered once per language (and time zone)."""

    def __init__(self, region_names: dict[str, str], country_names: dict[str, str]) -> None:
        self.region_names = region_names
        self.country_names = country_names
        self._updates: dict[tuple[int, str, str], str] = {}
        self._initiatives: dict[tuple[object, ...], str] = {}
        self._places: dict[tuple[int, str], tuple[Header, Header]] = {}

    def update(self, viewer: Viewer, update: Update) -> str:
        """The update as a digest shows it (label first, text cut short)."""
        key = (update.id, viewer.language, _zone(viewer))
        found = self._updates.get(key)
        if found is None:
            found = self._updates[key] = update_block(viewer, update, limit=300)
        return found

    def initiative(self, viewer: Viewer, initiative: Initiative, updates: Sequence[Update]) -> str:
        """The initiative's line, its newest updates, and how many more there are."""
        shown = updates[:SHOWN]
        key = (initiative.id, *(u.id for u in shown), len(updates), viewer.language, _zone(viewer))
        found = self._initiatives.get(key)
        if found is None:
            lines = [_line(initiative), *(self.update(viewer, u) for u in shown)]
            if len(updates) > SHOWN:
                more = len(updates) - SHOWN
                lines.append(t(viewer.language, "digest.more_updates", count=more, ref=initiative.ref))
            found = self._initiatives[key] = "\n".join(lines)
        return found

    def place(self, viewer: Viewer, initiative: Initiative) -> tuple[Header, Header]:
        """The region and country headers an initiative stands under (named places first, by name)."""
        key = (initiative.id, viewer.language)
        found = self._places.get(key)
        if found is None:
            found = self._places[key] = self._place(viewer.language, initiative)
        return found

    def _place(self, lang: str, initiative: Initiative) -> tuple[Header, Header]:
        regions, countries = self.region_names, self.country_names
        region = min(initiative.regions, key=lambda k: regions.get(k, k), default=OTHER)
        country = initiative.countries[0] if len(initiative.countries) == 1 else OTHER
        region_name = regions.get(region, t(lang, "digest.other_region"))
        country_name = countries.get(country, t(lang, "digest.several_countries"))
        return (
            (region == OTHER, regions.get(region, region), f"🌍 <b>{esc(region_name)}</b>"),
            (country == OTHER, countries.get(country, country), f"📍 <b>{esc(country_name)}</b>"),
        )


def _zone(viewer: Viewer) -> str:
    return viewer.member.time_zone if viewer.member else ""


def digest_messages(
    viewer: Viewer, digest: Digest, region_names: dict[str, str], country_names: dict[str, str]
) -> Rendered:
    """The digest split under Telegram's limit on item boundaries, in at most `MAX_PARTS` messages."""
    return render_digest(viewer, digest, Blocks(region_names, country_names))


def render_digest(viewer: Viewer, digest: Digest, blocks: Blocks) -> Rendered:
    """The digest's messages: the newest initiatives that fit, grouped; the counts cover everything."""
    lang = viewer.language
    start, end = local_date(digest.period_start, viewer), local_date(digest.period_end, viewer)
    if digest.empty:  # what is coming still says something
        nothing = t(
            lang, "digest.nothing_at_all" if digest.everything else "digest.nothing", start=start, end=end
        )
        return Rendered(pack_blocks([nothing, *_tail(viewer, digest)]))
    head = t(
        lang,
        "digest.headline",
        start=start,
        end=end,
        updates=digest.update_count,
        initiatives=len(digest.initiatives),
        new=len(digest.new_initiatives),
        changes=len(digest.status_changes),
    )
    tail = _tail(viewer, digest)
    room = BUDGET - len(head) - sum(len(b) + 2 for b in tail) - 300  # 300: the closing line
    items = _fitting(viewer, digest, blocks, room)
    while True:  # packing leaves room unused at the cuts: drop the oldest shown until the parts fit
        left = len(digest.initiatives) - len(items)
        closing = [t(lang, "digest.more_initiatives", count=left)] if left else []
        parts = pack_blocks([head, *_grouped(viewer, digest, items, blocks), *closing, *tail])
        if len(parts) <= MAX_PARTS or not items:
            return Rendered(parts, tuple(u for i, _ in items for u in digest.by_initiative[i.id][:SHOWN]))
        items.pop()


def _fitting(viewer: Viewer, digest: Digest, blocks: Blocks, room: int) -> list[tuple[Initiative, str]]:
    """The most recently updated initiatives, rendered, as many as `room` characters hold."""
    items: list[tuple[Initiative, str]] = []
    for initiative in digest.initiatives.values():  # the most recently updated first
        text = blocks.initiative(viewer, initiative, digest.by_initiative[initiative.id])
        room -= len(text) + 2 + 60  # 60: the headers it may open
        if room < 0:
            break
        items.append((initiative, text))
    return items


def _newest(digest: Digest, initiative: Initiative) -> tuple[dt.datetime, int]:
    newest = digest.by_initiative[initiative.id][0]
    return newest.created_at, newest.id


def _line(initiative: Initiative) -> str:
    ref = esc(initiative.ref)
    return f"<code>{ref}</code> {esc(shorten(initiative.title, 80))} · /initiative {ref}"


def _listed(lang: str, title: str, lines: list[str], limit: int) -> str:
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(t(lang, "digest.more_lines", count=len(lines) - limit))
    return t(lang, title) + "\n" + "\n".join(shown)


def _tail(viewer: Viewer, digest: Digest) -> list[str]:
    """New initiatives, status changes, events of the next two weeks: each a few lines at most."""
    lang = viewer.language
    tail: list[str] = []
    if digest.new_initiatives:
        tail.append(_listed(lang, "digest.new", [_line(i) for i in digest.new_initiatives], LISTED))
    if digest.status_changes:
        lines = [f"{_line(i)} → {esc(t(lang, f'status.{value}'))}" for i, value in digest.status_changes]
        tail.append(_listed(lang, "digest.status", lines, LISTED))
    if digest.events:
        lines = [f"{local(e.starts_at, viewer)} · {esc(shorten(e.title, 120))}" for e in digest.events]
        tail.append(_listed(lang, "digest.events", lines, EVENTS))
    return tail


def _grouped(
    viewer: Viewer, digest: Digest, items: list[tuple[Initiative, str]], blocks: Blocks
) -> list[str]:
    """Each initiative under its region and country, newest first; a header travels with the block after
    it, so that no message ends on a header."""
    tree: dict[Header, dict[Header, list[tuple[Initiative, str]]]] = defaultdict(lambda: defaultdict(list))
    for initiative, text in items:
        region, country = blocks.place(viewer, initiative)
        tree[region][country].append((initiative, text))
    out: list[str] = []
    for region in sorted(tree):
        headers = [region[2]]
        for country in sorted(tree[region]):
            headers.append(country[2])
            ranked = sorted(tree[region][country], key=lambda item: _newest(digest, item[0]), reverse=True)
            out += ["\n\n".join([*headers, ranked[0][1]]), *(text for _, text in ranked[1:])]
            headers = []
    return out


class DigestRenderer:
    """Renders the digests of one run for the outbox. An update is rendered once per language and zone;
    members reading one digest alike (same language and zone) share one text. Texts are kept for the
    digest at hand only, so memory stays flat when the subscribers of a digest come together."""

    def __init__(self, region_names: dict[str, str], country_names: dict[str, str]) -> None:
        self.blocks = Blocks(region_names, country_names)
        self._digest: Digest | None = None
        self._texts: dict[tuple[str, str], Rendered] = {}

    def rendered(self, member: Member, digest: Digest) -> Rendered:
        """The digest's messages for this member."""
        if digest is not self._digest:
            self._digest, self._texts = digest, {}
        key = (member.language, member.time_zone)
        found = self._texts.get(key)
        if found is None:
            viewer = Viewer(member.telegram_user_id, member, member.language)
            found = self._texts[key] = render_digest(viewer, digest, self.blocks)
        return found

    def messages(self, member: Member, digest: Digest) -> list[str]:
        """The digest's messages for this member."""
        return self.rendered(member, digest).parts

    def __call__(self, member: Member, subscription: Subscription, digest: Digest) -> list[Outgoing]:
        """One outbox row per digest, keyed by subscription and period: never twice."""
        rendered = self.rendered(member, digest)
        basis = DigestBasis(
            subscription.id,
            digest.period_start,
            digest.period_end,
            digest.composed_at or digest.period_end,
            reader_key(member),
        )
        return [
            Outgoing(
                chat_id=member.telegram_user_id,
                kind=OutboxKind.DIGEST,
                dedupe_key=f"digest:{subscription.id}:{digest.period_end.isoformat()}",
                parts=tuple(rendered.parts),
                member_id=member.id,
                protect=rendered.protect,
                job=f"digest:{subscription.id}",
                reveals=Reveals(updates=tuple(shown(u) for u in rendered.shown), digest=basis),
            )
        ]
