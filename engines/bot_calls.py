"""The Bot API request each step of an outbox row makes: send a part or the attachment, edit a part in
place, or delete delivered messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.domain.outbox import STORED_FILE, Op, Queued

ALREADY_DONE = ("message is not modified", "message to delete not found")
Files = Callable[[int], Awaitable[tuple[str, bytes] | None]]


async def perform(bot: Bot, row: Queued, index: int, files: Files | None = None) -> int:
    """Make the row's request number `index`; Telegram's message id (for a deletion, the first's)."""
    last = index == row.steps - 1
    markup = InlineKeyboardMarkup.de_json(row.markup, bot) if row.markup and last else None
    if row.op is Op.DELETE:
        await _quietly(bot.delete_messages(row.chat_id, list(row.targets)))
        return row.targets[0] if row.targets else 0
    if row.op is Op.EDIT:
        target = row.targets[index]
        await _quietly(
            bot.edit_message_text(
                row.parts[index],
                chat_id=row.chat_id,
                message_id=target,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                disable_web_page_preview=True,
            )
        )
        return target
    protect = row.protect or None
    if index < len(row.parts):
        message: Message = await bot.send_message(
            row.chat_id,
            row.parts[index],
            parse_mode=ParseMode.HTML,
            protect_content=protect,
            reply_markup=markup,
            disable_web_page_preview=True,
        )
        return message.message_id
    assert row.attachment is not None
    kind, file_id = row.attachment
    if kind == STORED_FILE:
        stored = await files(int(file_id)) if files is not None else None
        if stored is None:
            raise BadRequest("stored file not found")
        name, content = stored
        upload = InputFile(content, filename=name)
        message = await bot.send_document(row.chat_id, upload, protect_content=protect, reply_markup=markup)
        return message.message_id
    send = bot.send_photo if kind == "photo" else bot.send_document
    message = await send(row.chat_id, file_id, protect_content=protect, reply_markup=markup)
    return message.message_id


async def _quietly(request: Awaitable[object]) -> None:
    """A correction Telegram finds already done (not modified, already deleted) succeeded."""
    try:
        await request
    except BadRequest as exc:
        if not any(reason in exc.message.lower() for reason in ALREADY_DONE):
            raise
