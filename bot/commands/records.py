"""`emwp-bot erase`, `emwp-bot retention` and `emwp-bot archive`: personal data and records.

- `erase --member ID | --telegram-id N [--yes]`: pseudonymise a person everywhere, after a typed
  confirmation (or --yes); audited; cannot be undone;
- `retention [--dry-run]`: apply the retention periods now (the daily job does it too), or say what is due;
- `archive --from DATE --to DATE [--output FILE]`: the working party's exchange of the period as a zip of
  JSON and CSV files with a manifest and SHA-256 checksums; `archive --verify FILE` checks one.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.clock import SystemClock
from bot.commands.common import prepare_store
from bot.domain.archive import ArchiveInvalid, Period, read_archive, write_archive
from bot.domain.errors import DomainError
from bot.domain.personal_data import PersonalData
from bot.domain.retention import RetentionReport
from bot.services.archive import collect_archive
from bot.services.privacy import erase_member, erase_telegram_user, personal_data_of
from bot.services.retention import apply_retention, retention_due
from bot.settings import Settings
from handlers.texts import t
from storage.factory import open_store

EXIT_REFUSED = 1
EXIT_INVALID = 2
CONFIRMATION = "ERASE"


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The three commands, on the main parser's subcommands."""
    erase = sub.add_parser("erase", help="pseudonymise a person everywhere (confirmed, audited, final)")
    who = erase.add_mutually_exclusive_group(required=True)
    who.add_argument("--member", type=int, metavar="ID", help="the member's id (as /members and /audit show)")
    who.add_argument("--telegram-id", type=int, metavar="N", help="the person's Telegram user id")
    erase.add_argument("--yes", action="store_true", help="do not ask for a typed confirmation")
    retention = sub.add_parser("retention", help="apply the retention periods now")
    retention.add_argument("--dry-run", action="store_true", help="only say what is due; change nothing")
    archive = sub.add_parser("archive", help="write the exchange of a period for the Council's archive")
    archive.add_argument(
        "--from", dest="start", type=dt.date.fromisoformat, metavar="DATE", help="YYYY-MM-DD"
    )
    archive.add_argument("--to", dest="end", type=dt.date.fromisoformat, metavar="DATE", help="YYYY-MM-DD")
    archive.add_argument("--output", type=Path, help="the zip to write (default emwp-archive-FROM-TO.zip)")
    archive.add_argument(
        "--verify", type=Path, metavar="FILE", help="check an archive instead of writing one"
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Dispatch one of the three commands; return the exit code."""
    if args.command == "erase":
        return asyncio.run(_erase(settings, args.member, args.telegram_id, args.yes))
    if args.command == "retention":
        return asyncio.run(_retention(settings, args.dry_run))
    if args.verify is not None:
        return verify(args.verify)
    if args.start is None or args.end is None:
        print("archive needs --from DATE and --to DATE (or --verify FILE).", file=sys.stderr)
        return EXIT_INVALID
    output = args.output or Path(f"emwp-archive-{args.start}-{args.end}.zip")
    return asyncio.run(_archive(settings, Period(args.start, args.end, settings.tz), output))


async def _erase(settings: Settings, member_id: int | None, telegram_id: int | None, yes: bool) -> int:
    store = open_store(settings.resolved_database_url())
    try:
        await prepare_store(store)
        data = await personal_data_of(store.uow, member_id=member_id, telegram_user_id=telegram_id)
        print(describe(data))
        if not yes and not _confirmed():
            print("Nothing was changed.")
            return EXIT_REFUSED
        now = SystemClock().now()
        if data.member is not None:
            erasure = await erase_member(store.uow, None, data.member.id, now, via="command line")
        else:
            erasure = await erase_telegram_user(store.uow, data.telegram_user_id, now)
    except DomainError as error:
        print(t("en", error.message_id, **error.values), file=sys.stderr)
        return EXIT_REFUSED
    finally:
        await store.dispose()
    subject = f"Member {erasure.member_id}" if erasure.member_id else "The guest's access request(s)"
    print(
        f"Erased. {subject} now read(s) {erasure.pseudonym!r}: {erasure.requests} access request(s) "
        f"pseudonymised, {erasure.messages} message(s) emptied, {erasure.follows} follow(s) and "
        f"{erasure.subscriptions} subscription(s) deleted. The audit log records it."
    )
    return 0


def describe(data: PersonalData) -> str:
    """Who is about to be erased, and what stays."""
    member = data.member
    who = (
        f"Member {member.id}: {member.display_name} ({member.delegation.code}, {member.role.value}, "
        f"{member.status.value}), Telegram user {member.telegram_user_id}."
        if member
        else f"Telegram user {data.telegram_user_id}, not a member."
    )
    code = member.delegation.code if member else "their delegation"
    return (
        f"{who}\nThe store holds {data.count('access_requests')} access request(s), "
        f"{data.count('outbox')} message(s) sent to them, {data.count('follows')} follow(s), "
        f"{data.count('subscriptions')} subscription(s). Their {data.count('updates')} update(s) and "
        f"{data.count('notices')} notice(s) stay, attributed to {code}; the audit log keeps a pseudonym.\n"
        "Erasure replaces the name and Telegram account by a pseudonym everywhere. It cannot be undone."
    )


def _confirmed() -> bool:
    try:
        answer = input(f"Type {CONFIRMATION} to erase: ")
    except EOFError:
        return False
    return answer.strip() == CONFIRMATION


async def _retention(settings: Settings, dry_run: bool) -> int:
    store = open_store(settings.resolved_database_url())
    policy = settings.retention_policy()
    try:
        await prepare_store(store)
        now = SystemClock().now()
        run = retention_due if dry_run else apply_retention
        report = await run(store.uow, policy, now)
    finally:
        await store.dispose()
    print(describe_retention(report, settings))
    return 0


def describe_retention(report: RetentionReport, settings: Settings) -> str:
    """What a run did, or (dry run) what is due."""
    c, s = report.counts, settings
    doing = "to pseudonymise" if report.dry_run else "pseudonymised"
    emptying, deleting = ("to empty", "to delete") if report.dry_run else ("emptied", "deleted")
    lines = [
        "Retention (dry run: nothing changed):" if report.dry_run else "Retention applied:",
        f"  {c.members} member(s) revoked for over {s.retention_revoked_months} months {doing}",
        f"  {c.payloads} message text(s) finished over {s.retention_payload_days} days ago {emptying}",
        f"  {c.requests} access request(s) refused over {s.retention_request_days} days ago {deleting}",
        f"  {c.invites} invitation(s) expired over {s.retention_invite_days} days ago {deleting}",
    ]
    if not report.dry_run:
        lines.append(
            f"  in {report.transactions} transaction(s), the longest {report.longest_transaction:.3f} s"
        )
    if report.busy:
        lines.append(
            "Another process is applying retention right now: this run stopped and left it the rest."
        )
    return "\n".join(lines)


async def _archive(settings: Settings, period: Period, output: Path) -> int:
    store = open_store(settings.resolved_database_url())
    try:
        await prepare_store(store)
        sections = await collect_archive(store.uow, period)
    except DomainError as error:
        print(t("en", error.message_id, **error.values), file=sys.stderr)
        return EXIT_INVALID
    finally:
        await store.dispose()
    with output.open("wb") as target:
        manifest = write_archive(target, period, sections, SystemClock().now(), f"emwp-bot {_version()}")
    counts = ", ".join(f"{s['name']} {s['records']}" for s in manifest["sections"])
    print(f"Wrote {output}: {period.start} to {period.end} ({period.zone}); {counts}.")
    return 0


def verify(path: Path) -> int:
    """Check an archive's checksums and counts."""
    try:
        with path.open("rb") as source:
            contents = read_archive(source)
    except OSError as exc:
        print(f"Cannot read {path}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except ArchiveInvalid as invalid:
        print(f"{path} is not intact:", file=sys.stderr)
        for problem in invalid.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_REFUSED
    period = contents.manifest["period"]
    counts = ", ".join(f"{s['name']} {s['records']}" for s in contents.manifest["sections"])
    print(f"{path} is intact: {period['from']} to {period['to']}; {counts}; every checksum matches.")
    return 0


def _version() -> str:
    try:
        return version("emwp-bot")
    except PackageNotFoundError:
        return "unknown"
