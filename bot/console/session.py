"""`emwp-bot console`: chat with the real bot in a terminal or through a pipe."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.app import build_application
from bot.clock import SystemClock
from bot.commands.common import prepare_store
from bot.console.botapi import ApiCall, InProcessBotApi
from bot.console.render import html_to_terminal, keyboard_buttons, render_buttons
from bot.console.updates import Identity, UpdateFactory
from bot.services.demo import DEMO_GROUP, DEMO_PEOPLE, ensure_demo_members
from bot.settings import Settings
from engines.composer import MessageComposer
from engines.sender import Sender
from storage.factory import open_store

# Not a secret: the in-process Bot API accepts any token; this one only has the right shape.
CONSOLE_TOKEN = "7000000001:console-in-process"  # noqa: S105
GROUP_CHAT_ID, GROUP_TITLE = DEMO_GROUP
HELP = """Console commands (everything else is sent to the bot as a message):
  !as admin|contact|observer|guest   switch identity       !chat private|group   switch chat
  !press N                           press button N of the latest message with buttons (or just !N)
  !file NAME / !photo                send a document or a photo (as when attaching one to an update)
  !whoami                            who you are now        !quit                  leave (or Ctrl-D)"""


@dataclass
class ConsoleState:
    """Who is typing, where, and per chat the latest message with buttons."""

    identity: str
    in_group: bool = False
    keyboards: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def button_message(self) -> dict[str, Any] | None:
        """The latest message with buttons in the chat the current identity writes in."""
        return self.keyboards.get(int(self.who().chat["id"]))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The buttons that `!press N` can press now."""
        return keyboard_buttons(self.button_message.get("reply_markup")) if self.button_message else []

    def who(self) -> Identity:
        """The Telegram identity of the current demo person and chat."""
        person = next(p for p in DEMO_PEOPLE if p.key == self.identity)
        if self.in_group:
            return Identity(
                person.telegram_user_id,
                person.name,
                chat_id=GROUP_CHAT_ID,
                chat_type="supergroup",
                chat_title=GROUP_TITLE,
            )
        return Identity(person.telegram_user_id, person.name)


class Printer:
    """Prints what the bot sends, and remembers the latest keyboard."""

    def __init__(self, state: ConsoleState, out: TextIO) -> None:
        self._state = state
        self._out = out
        self._color = out.isatty()

    def __call__(self, call: ApiCall) -> None:
        if call.method == "answerCallbackQuery" and call.params.get("text"):
            self._out.write(f"(bot notice: {call.params['text']})\n")
            self._out.flush()
            return
        if call.method not in ("sendMessage", "editMessageText", "sendDocument", "sendPhoto"):
            return
        message = call.result
        chat_id = int(message["chat"]["id"])
        document = message.get("document")
        text = message.get("text") or message.get("caption") or ""
        if document:
            text = f"[file {document['file_name']}, {document.get('file_size', 0)} bytes] {text}"
        elif message.get("photo"):
            text = f"[photo] {text}"
        verb = "bot (edited)" if call.method == "editMessageText" else "bot"
        if chat_id != int(self._state.who().chat["id"]):
            verb += f" → {chat_name(chat_id)}"
        self._out.write(f"{verb}: {html_to_terminal(text, color=self._color)}\n")
        buttons = keyboard_buttons(message.get("reply_markup"))
        if buttons:
            self._state.keyboards[chat_id] = message
            self._out.write(render_buttons(buttons) + "\n")
        elif self._state.keyboards.get(chat_id, {}).get("message_id") == message["message_id"]:
            del self._state.keyboards[chat_id]  # its buttons were removed by an edit
        self._out.flush()


def chat_name(chat_id: int) -> str:
    """Whose chat this is, for messages the bot sends to someone else."""
    if chat_id == GROUP_CHAT_ID:
        return "the working party group"
    person = next((p for p in DEMO_PEOPLE if p.telegram_user_id == chat_id), None)
    return person.name if person else f"chat {chat_id}"


def run_console(settings: Settings, database_url: str, identity: str) -> int:
    """Open the store, register the demo people, and chat until end of input or !quit."""
    return asyncio.run(_session(settings, database_url, identity, sys.stdin, sys.stdout))


async def _session(settings: Settings, url: str, identity: str, inp: TextIO, out: TextIO) -> int:
    store = open_store(url)
    await prepare_store(store)
    await ensure_demo_members(store.uow, SystemClock().now())
    api = InProcessBotApi()
    state = ConsoleState(identity=identity)
    api.subscribe(Printer(state, out))
    # The console delivers the outbox right after each update (same sender, same limits), so a script
    # sees what reaches other people in order, instead of a background task racing the next line.
    app = build_application(settings, store, request=api, token=CONSOLE_TOKEN, deliver=False)
    factory = UpdateFactory(app.bot)
    interactive = inp.isatty()
    if interactive:
        out.write(f"EMWP bot console, as {identity}. !help for console commands, Ctrl-D to leave.\n")
    async with app:
        await app.start()
        composer = MessageComposer(store.uow)
        sender = Sender(app.bot, store.uow, SystemClock(), worker_id="console", composer=composer)
        await _loop(app, factory, state, inp, out, interactive, sender)
        await app.stop()
    return 0


async def _loop(
    app: Any,
    factory: UpdateFactory,
    state: ConsoleState,
    inp: TextIO,
    out: TextIO,
    interactive: bool,
    sender: Sender,
) -> None:
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            out.write(f"{state.identity}{' @group' if state.in_group else ''}> ")
            out.flush()
        line = await loop.run_in_executor(None, inp.readline)
        if not line:
            return
        text = line.rstrip("\n")
        if not text.strip():
            continue
        if not interactive:
            out.write(f"{state.identity}> {text}\n")
        if text.startswith("!"):
            if not await _console_command(app, factory, state, text[1:].split(), out):
                return
        else:
            await app.process_update(factory.message(state.who(), text))
        await sender.drain()


async def _console_command(
    app: Any, factory: UpdateFactory, state: ConsoleState, words: list[str], out: TextIO
) -> bool:
    command = words[0].lower() if words else "help"
    if command.isdigit() or command == "press":
        number = command if command.isdigit() else (words[1] if len(words) > 1 else "")
        await _press(app, factory, state, number, out)
    elif command == "as" and len(words) > 1 and words[1] in {p.key for p in DEMO_PEOPLE}:
        state.identity = words[1]
        out.write(f"(you are now {state.who().first_name})\n")
    elif command == "chat" and len(words) > 1 and words[1] in ("private", "group"):
        state.in_group = words[1] == "group"
        out.write(f"(writing in the {'working party group' if state.in_group else 'private chat'})\n")
    elif command in ("file", "photo"):
        name = " ".join(words[1:]) or ("photo.jpg" if command == "photo" else "document.pdf")
        await app.process_update(factory.attachment(state.who(), command, name))
    elif command == "whoami":
        out.write(
            f"({state.who().first_name}, {state.identity}, {'group' if state.in_group else 'private'})\n"
        )
    elif command in ("quit", "exit"):
        return False
    else:
        out.write(HELP + "\n")
    return True


async def _press(app: Any, factory: UpdateFactory, state: ConsoleState, number: str, out: TextIO) -> None:
    message = state.button_message
    if not number.isdigit() or not 1 <= int(number) <= len(state.buttons) or message is None:
        out.write(f"(no button {number or '?'}: there are {len(state.buttons)} to press)\n")
        return
    button = state.buttons[int(number) - 1]
    if "callback_data" not in button:
        out.write(f"(that button opens {button.get('url', 'a link')})\n")
        return
    await app.process_update(factory.callback(state.who(), message, button["callback_data"]))
