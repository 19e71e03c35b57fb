"""Split Telegram HTML under 4096 characters on line boundaries, never inside a tag or an entity."""

from __future__ import annotations

import re

LIMIT = 4096
TOKEN = re.compile(r"(<[^>]*>|&[#A-Za-z0-9]+;)")
OPEN = re.compile(r"<([a-zA-Z-]+)(\s[^>]*)?>")
CLOSE = re.compile(r"</([a-zA-Z-]+)\s*>")


def split_html(text: str, limit: int = LIMIT) -> list[str]:
    """Parts of at most `limit` characters; a tag open at a cut is closed there and reopened after."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    open_tags: list[str] = []
    for piece in _pieces(text, limit * 3 // 4):
        after = _track(open_tags, piece)
        # The part must still fit once the tags open after this piece are closed at the cut.
        if current and len(current) + len(piece) + len(_closing(after)) > limit:
            parts.append(current + _closing(open_tags))
            current = "".join(open_tags)
            after = _track(open_tags, piece)
        current += piece
        open_tags = after
    if current.strip():
        parts.append(current)
    return parts


def _closing(open_tags: list[str]) -> str:
    return "".join(f"</{_name(tag)}>" for tag in reversed(open_tags))


def _pieces(text: str, longest: int) -> list[str]:
    """Lines (with their newline); an overlong line is cut at spaces outside tags and entities."""
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        while len(line) > longest:
            cut = _cut(line, longest)
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    return pieces


def _cut(line: str, longest: int) -> int:
    protected = [(m.start(), m.end()) for m in TOKEN.finditer(line)]

    def inside(index: int) -> bool:
        return any(start < index < end for start, end in protected)

    for index in range(longest, 0, -1):
        if line[index - 1] == " " and not inside(index):
            return index
    for index in range(longest, 0, -1):
        if not inside(index):
            return index
    return longest


def _track(open_tags: list[str], piece: str) -> list[str]:
    tags = list(open_tags)
    for token in TOKEN.findall(piece):
        if CLOSE.fullmatch(token):
            name = CLOSE.fullmatch(token).group(1).lower()  # type: ignore[union-attr]
            for index in range(len(tags) - 1, -1, -1):
                if _name(tags[index]) == name:
                    del tags[index]
                    break
        elif OPEN.fullmatch(token):
            tags.append(token)
    return tags


def _name(tag: str) -> str:
    match = OPEN.fullmatch(tag)
    return match.group(1).lower() if match else ""


def pack_blocks(blocks: list[str], limit: int = LIMIT, separator: str = "\n\n") -> list[str]:
    """Messages of whole blocks (items), each under `limit`; only a block too long alone is split inside."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        pieces = split_html(block, limit) if len(block) > limit else [block]
        for piece in pieces:
            candidate = f"{current}{separator}{piece}" if current else piece
            if len(candidate) > limit:
                messages.append(current)
                current = piece
            else:
                current = candidate
    if current:
        messages.append(current)
    return messages
