"""Telegram's sending limits as a scheduler: when may the next message to a chat go out."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Messages per window: overall, per private chat, per group; `margin` absorbs network jitter."""

    overall_per_second: float = 30.0
    per_chat_seconds: float = 1.0
    group_per_minute: int = 20
    margin_seconds: float = 0.015

    def scaled(self, factor: float) -> Limits:
        """The same shape, `factor` times faster (for benchmarks against a scaled fake)."""
        return Limits(
            self.overall_per_second * factor,
            self.per_chat_seconds / factor,
            max(1, int(self.group_per_minute * factor)),
            self.margin_seconds / factor,
        )


class RateScheduler:
    """Sliding windows over the send times already granted; grants are strictly within every limit.

    Unlike a leaky bucket that lets a burst through and then rides the window's edge, each grant is
    placed so that no rolling second holds more than the overall limit, no rolling `per_chat_seconds`
    more than one message to a private chat, and no rolling minute more than the group limit.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._overall: deque[float] = deque()
        self._chat_next: dict[int, float] = {}
        self._groups: dict[int, deque[float]] = {}
        self._paused_until = 0.0

    def ready_at(self, chat_id: int) -> float:
        """When the chat's own limits (one a second; twenty a minute for a group) next allow a message."""
        at = max(self._chat_next.get(chat_id, 0.0), self._paused_until)
        sent = self._groups.get(chat_id)
        if chat_id < 0 and sent is not None and len(sent) >= self.limits.group_per_minute:
            at = max(at, sent[-self.limits.group_per_minute] + 60.0 + self.limits.margin_seconds)
        return at

    def reserve(self, chat_id: int, now: float) -> float:
        """Grant a start time within the overall limit, evenly spaced after every earlier grant.

        Call it once the chat is ready (`ready_at`), so a waiting chat never holds back the others.
        """
        limits = self.limits
        window = 1.0 + limits.margin_seconds
        spacing = 1.0 / limits.overall_per_second
        at = max(now, self.ready_at(chat_id), self._overall[-1] + spacing if self._overall else 0.0)
        capacity = max(1, int(limits.overall_per_second))
        if len(self._overall) >= capacity:
            at = max(at, self._overall[-capacity] + window)
        self._overall.append(at)
        while len(self._overall) > capacity and self._overall[0] + window <= at:
            self._overall.popleft()
        self._chat_next[chat_id] = at + limits.per_chat_seconds + limits.margin_seconds
        if chat_id < 0:
            group = self._groups.setdefault(chat_id, deque())
            group.append(at)
            while len(group) > limits.group_per_minute:
                group.popleft()
        return at

    def pause(self, seconds: float, now: float, chat_id: int | None = None) -> None:
        """Telegram said 429: nothing (or nothing to that chat) before `retry_after` seconds."""
        until = now + seconds + self.limits.margin_seconds
        if chat_id is None:
            self._paused_until = max(self._paused_until, until)
        else:
            self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)

    def forget_idle(self, now: float) -> None:
        """Drop per-chat state older than the windows (keeps memory flat over long runs)."""
        self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        self._groups = {c: d for c, d in self._groups.items() if d and d[-1] + 60.0 > now}
