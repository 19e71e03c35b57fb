"""`emwp-bot invite` prints a link that registers the first admin, on either backend."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.console.updates import Identity
from bot.domain.vocab import Role
from tests.bot.flows import open_invitation
from tests.harness import BotHarness


def run_invite(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "TZ")}
    env |= {"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "invite", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )


async def test_command_line_invite_registers_the_first_admin(
    bot: BotHarness, database_url: str, tmp_path: Path
) -> None:
    result = run_invite(
        database_url, tmp_path, "--role", "admin", "--delegation", "gsc", "--bot-username", "@emwp_bot"
    )
    assert result.returncode == 0, result.stderr
    match = re.search(r"https://t\.me/emwp_bot\?start=([A-Za-z0-9_-]{43})$", result.stdout.strip())
    assert match, result.stdout
    [text] = bot.texts(await open_invitation(bot, Identity(800, "Eva"), match.group(1)))
    assert "registered as a <b>admin</b> of <b>GSC</b>" in text
    async with bot.store.uow() as uow:
        member = await uow.members.by_telegram_id(800)
        entries = await uow.audit.latest(2)
    assert member is not None
    assert member.role is Role.ADMIN
    assert entries[1].action == "invite.created"
    assert entries[1].details["via"] == "command line"


def test_command_line_invite_explains_bad_input(database_url: str, tmp_path: Path) -> None:
    unknown = run_invite(
        database_url, tmp_path, "--role", "contact", "--delegation", "XX", "--bot-username", "b"
    )
    no_username = run_invite(database_url, tmp_path, "--role", "contact", "--delegation", "FR")
    bad_uses = run_invite(
        database_url,
        tmp_path,
        "--role",
        "contact",
        "--delegation",
        "FR",
        "--uses",
        "0",
        "--bot-username",
        "b",
    )
    assert (unknown.returncode, no_username.returncode, bad_uses.returncode) == (2, 2, 2)
    assert "There is no delegation XX" in unknown.stderr
    assert "--bot-username" in no_username.stderr
    assert "--uses must be 1 to 500" in bad_uses.stderr
    assert "Traceback" not in unknown.stderr + no_username.stderr + bad_uses.stderr
