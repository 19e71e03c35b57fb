"""`emwp-bot console` driven through a pipe, as a script would drive it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import build_application
from bot.console.botapi import InProcessBotApi
from bot.console.render import html_to_terminal
from bot.console.session import ConsoleState, Printer
from bot.settings import Settings
from storage.factory import open_store


def run_console(tmp_path: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")}
    env["EMWP_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", *args],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )


def test_console_chats_through_a_pipe_as_every_role(tmp_path: Path) -> None:
    script = (
        "/start\n!as guest\n/start\n!as observer\n/help\n!chat group\nhello\n/help\n!whoami\n!quit\n/never\n"
    )
    result = run_console(tmp_path, script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "bot: Welcome back, Ana (Secretariat) (GSC, admin)." in out
    assert "This bot is closed to the working party's members" in out
    assert "(you are now Otto (Frontex))" in out
    assert "In a group I answer /help, /start and /search" in out
    assert "(Otto (Frontex), observer, group)" in out
    assert "/never" not in out.split("!quit")[-1], "input after !quit is not processed"
    assert "<b>" not in out, "HTML is rendered for the terminal"
    assert (tmp_path / "data" / "console.sqlite3").exists()
    assert "Traceback" not in result.stderr


def test_console_remembers_its_store_between_sessions(tmp_path: Path) -> None:
    first = run_console(tmp_path, "/start\n")
    second = run_console(tmp_path, "!as contact\n/start\n")
    assert first.returncode == second.returncode == 0
    assert "Welcome back, Claire (France) (FR, contact)." in second.stdout


def test_console_rejects_an_unknown_identity(tmp_path: Path) -> None:
    result = run_console(tmp_path, "", "--as", "president")
    assert result.returncode == 2
    assert "invalid choice: 'president'" in result.stderr


async def test_buttons_are_numbered_and_pressable(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    await store.upgrade()
    api = InProcessBotApi()
    out = io.StringIO()
    state = ConsoleState(identity="contact")
    api.subscribe(Printer(state, out))
    app = build_application(Settings(_env_file=None), store, request=api, token="1:x")  # type: ignore[call-arg]
    async with app:
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("◀ Back", callback_data="p:1"),
                    InlineKeyboardButton("Source", url="https://example.org/x"),
                ]
            ]
        )
        await app.bot.send_message(910_002, "<b>Pick</b> &amp; go", reply_markup=markup, parse_mode="HTML")
        from bot.console.session import _press
        from bot.console.updates import UpdateFactory

        await _press(app, UpdateFactory(app.bot), state, "1", out)
        await _press(app, UpdateFactory(app.bot), state, "2", out)
        await _press(app, UpdateFactory(app.bot), state, "7", out)
    await store.dispose()
    printed = out.getvalue()
    assert "bot: Pick & go" in printed
    assert "[1] ◀ Back   [2] Source (https://example.org/x)" in printed
    assert "(bot notice: This button is no longer available." in printed
    assert "(that button opens https://example.org/x)" in printed
    assert "(no button 7: there are 2 to press)" in printed


def test_terminal_rendering_of_html() -> None:
    assert html_to_terminal('<b>A</b> &lt;x&gt; <a href="https://e.org">link</a>', color=False) == (
        "A <x> link (https://e.org)"
    )
    assert html_to_terminal("<b>A</b>", color=True) == "\x1b[1mA\x1b[0m"
