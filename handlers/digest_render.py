"""A digest as its reader gets it: headline, then region → country → initiative, newest first."""

from __future__ import annotations

from collections import defaultdict

from bot.domain.digests import Digest, Subscription
from bot.domain.model import Initiative, Member, Update, Viewer
from bot.domain.outbox import OutboxKind, Outgoing
from bot.domain.splitting import pack_blocks
from handlers.dates import local, local_date
from handlers.render import esc, shorten, update_block
from handlers.texts import t

OTHER = "~"


def digest_messages(
    viewer: Viewer, digest: Digest, region_names: dict[str, str], country_names: dict[str, str]
) -> list[str]:
    """The digest split under Telegram's limit on item boundaries."""
    lang = viewer.language
    if digest.empty:
        return [
            t(
                lang,
                "digest.nothing",
                start=local_date(digest.period_start, viewer),
                end=local_date(digest.period_end, viewer),
            )
        ]
    blocks = [
        t(
            lang,
            "digest.headline",
            start=local_date(digest.period_start, viewer),
            end=local_date(digest.period_end, viewer),
            updates=len(digest.updates),
            initiatives=len(digest.initiatives),
            new=len(digest.new_initiatives),
            changes=len(digest.status_changes),
        )
    ]
    blocks += _grouped(viewer, digest, region_names, country_names)
    if digest.new_initiatives:
        blocks.append(t(lang, "digest.new") + "\n" + "\n".join(_line(i) for i in digest.new_initiatives))
    if digest.status_changes:
        lines = [f"{_line(i)} → {esc(t(lang, f'status.{value}'))}" for i, value in digest.status_changes]
        blocks.append(t(lang, "digest.status") + "\n" + "\n".join(lines))
    if digest.events:
        lines = [f"{local(e.starts_at, viewer)} · {esc(e.title)}" for e in digest.events[:15]]
        blocks.append(t(lang, "digest.events") + "\n" + "\n".join(lines))
    return pack_blocks(blocks)


def _line(initiative: Initiative) -> str:
    ref = esc(initiative.ref)
    return f"<code>{ref}</code> {esc(shorten(initiative.title, 80))} · /initiative {ref}"


def _grouped(
    viewer: Viewer, digest: Digest, region_names: dict[str, str], country_names: dict[str, str]
) -> list[str]:
    tree: dict[str, dict[str, list[Initiative]]] = defaultdict(lambda: defaultdict(list))
    for initiative in digest.initiatives.values():
        region = min(initiative.regions, key=lambda k: region_names.get(k, k), default=OTHER)
        country = initiative.countries[0] if len(initiative.countries) == 1 else OTHER
        tree[region][country].append(initiative)
    by_initiative: dict[int, list[Update]] = defaultdict(list)
    for update in digest.updates:  # newest first already
        by_initiative[update.initiative_id].append(update)
    blocks: list[str] = []
    for region in sorted(tree, key=lambda k: (k == OTHER, region_names.get(k, k))):
        blocks.append(f"🌍 <b>{esc(region_names.get(region, t(viewer.language, 'digest.other_region')))}</b>")
        for country in sorted(tree[region], key=lambda c: (c == OTHER, country_names.get(c, c))):
            name = country_names.get(country, t(viewer.language, "digest.several_countries"))
            blocks.append(f"📍 <b>{esc(name)}</b>")
            for initiative in sorted(
                tree[region][country], key=lambda i: by_initiative[i.id][0].created_at, reverse=True
            ):
                body = "\n".join(update_block(viewer, u, limit=300) for u in by_initiative[initiative.id])
                blocks.append(f"{_line(initiative)}\n{body}")
    return blocks


class DigestRenderer:
    """Renders digests for the outbox; members reading alike (same digest, language, zone) share one text."""

    def __init__(self, region_names: dict[str, str], country_names: dict[str, str]) -> None:
        self.region_names = region_names
        self.country_names = country_names
        self._cache: dict[tuple[int, str, str], list[str]] = {}

    def messages(self, member: Member, digest: Digest) -> list[str]:
        """The digest's messages for this member."""
        key = (id(digest), member.language, member.time_zone)
        parts = self._cache.get(key)
        if parts is None:
            viewer = Viewer(member.telegram_user_id, member, member.language)
            parts = self._cache[key] = digest_messages(viewer, digest, self.region_names, self.country_names)
        return parts

    def __call__(self, member: Member, subscription: Subscription, digest: Digest) -> list[Outgoing]:
        """One outbox row per digest, keyed by subscription and period: never twice."""
        key = f"digest:{subscription.id}:{digest.period_end.isoformat()}"
        protect = any(u.tlp.value not in ("TLP:CLEAR", "TLP:GREEN") for u in digest.updates)
        return [
            Outgoing(
                chat_id=member.telegram_user_id,
                kind=OutboxKind.DIGEST,
                dedupe_key=key,
                parts=tuple(self.messages(member, digest)),
                member_id=member.id,
                protect=protect,
                job=f"digest:{subscription.id}",
            )
        ]
