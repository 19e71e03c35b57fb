"""Telegram's sending limits as a scheduler: when may the next message to a chat go out."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

IN_FLIGHT_WAIT = 0.5  # seconds a send's answer is waited for before the window stops counting on it
IN_FLIGHT_POLL = 0.005
TRIPS_KEPT = 256  # the latest round trips, whose fastest is taken as the way there and back


class Started:
    """One send: when it started and, once answered, when its answer came (Telegram saw it in between)."""

    __slots__ = ("answered", "chat_id", "start")

    def __init__(self, chat_id: int, start: float) -> None:
        self.chat_id = chat_id
        self.start = start
        self.answered: float | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """Counts per window: overall, per private chat, per group; `margin` (a fraction) absorbs jitter.

    Telegram: about 30 messages a second overall, one a second to a chat, twenty a minute to a group.
    """

    overall: int = 30
    window: float = 1.0
    per_chat_seconds: float = 1.0
    group: int = 20
    group_window: float = 60.0
    margin: float = 0.02

    @property
    def overall_per_second(self) -> float:
        """The overall limit as a rate."""
        return self.overall / self.window

    @property
    def spacing(self) -> float:
        """Seconds between two sends, margin included: evenly spaced, never a burst."""
        return self.window * (1 + self.margin) / self.overall

    def scaled(self, factor: float) -> Limits:
        """The same shape with every window `factor` times shorter (a fake scaled the same way)."""
        return Limits(
            self.overall,
            self.window / factor,
            self.per_chat_seconds / factor,
            self.group,
            self.group_window / factor,
            self.margin,
        )


class RateScheduler:
    """Grants send times so that every window holds at most its limit, with a margin for jitter.

    Unlike a leaky bucket that lets a burst through and then rides the window's edge, grants are spaced
    evenly (`Limits.spacing`) and no rolling window holds more than the overall limit; a chat's own limits
    are waited for before a grant (`ready_at`), so a busy chat never holds the others back.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._overall: deque[float] = deque()
        self._chat_next: dict[int, float] = {}
        self._groups: dict[int, deque[float]] = {}
        self._paused_until = 0.0
        self._started: deque[Started] = deque()  # the latest sends, newest last
        self._trips: deque[float] = deque(maxlen=TRIPS_KEPT)  # start → answer of the latest sends
        self._fastest_trip = 0.0

    def ready_at(self, chat_id: int) -> float:
        """When the chat's own limits (one a second; twenty a minute for a group) next allow a message."""
        limits = self.limits
        at = max(self._chat_next.get(chat_id, 0.0), self._paused_until)
        sent = self._groups.get(chat_id)
        if chat_id < 0 and sent is not None and len(sent) >= limits.group:
            at = max(at, sent[-limits.group] + limits.group_window * (1 + limits.margin))
        return at

    def reserve(self, chat_id: int, now: float) -> float:
        """Grant a start time within the overall limit, after every earlier grant, and record it."""
        limits = self.limits
        window = limits.window * (1 + limits.margin)
        at = max(now, self.ready_at(chat_id), self._overall[-1] + limits.spacing if self._overall else 0.0)
        if len(self._overall) >= limits.overall:
            at = max(at, self._overall[-limits.overall] + window)
        self._overall.append(at)
        while len(self._overall) > limits.overall and self._overall[0] + window <= at:
            self._overall.popleft()
        self._chat_next[chat_id] = at + limits.per_chat_seconds * (1 + limits.margin)
        if chat_id < 0:
            group = self._groups.setdefault(chat_id, deque())
            group.append(at)
            while len(group) > limits.group:
                group.popleft()
        return at

    def gate(self, now: float) -> float:
        """How long to wait before a granted send may really start; zero when it may go now.

        Grants are spaced evenly, but the work between a grant and the send (the store's write) and the
        way to Telegram take varying time, so sends granted a window apart may reach Telegram closer than
        that. Telegram saw a send at the latest when its answer came, less the way back; a send takes at
        least the way there. So the send a whole window of messages later waits for the earlier one's start
        plus the window and margin, and for its answer plus the window and margin less the fastest recent
        round trip (the way there and back): a send held up on its way (a busy event loop, a slow network)
        holds the later one by as much, while a steady round trip costs nothing. The answer is waited for
        briefly if it has not come yet.
        """
        limits = self.limits
        at = self.paused_until  # a 429 since the grant holds this send too
        if len(self._started) >= limits.overall:
            earlier = self._started[-limits.overall]
            at = max(at, earlier.start + limits.window * (1 + limits.margin))
            if (
                earlier.answered is not None
            ):  # the margin too: sends bunched by a stall end exactly a window on
                at = max(at, earlier.answered - self._fastest_trip + limits.window * (1 + limits.margin))
            elif now < earlier.start + limits.window + IN_FLIGHT_WAIT:
                at = max(at, now + IN_FLIGHT_POLL)
        return max(0.0, at - now)

    def starting(self, chat_id: int, now: float) -> Started:
        """A send to the chat starts now (perhaps later than granted): counted in the window, and the
        chat's next message counts from now; call `answered` with what this returns."""
        limits = self.limits
        gap = limits.per_chat_seconds * (1 + limits.margin)
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), now + gap)
        started = Started(chat_id, now)
        self._started.append(started)
        while len(self._started) > limits.overall:
            self._started.popleft()
        return started

    def answered(self, started: Started, now: float) -> None:
        """Telegram answered the send (or it failed): the chat's next message waits a gap from when
        Telegram may have seen this one (the answer, less the fastest round trip)."""
        started.answered = now
        self._trips.append(now - started.start)
        self._fastest_trip = min(self._trips)
        seen = now - self._fastest_trip
        gap = self.limits.per_chat_seconds
        self._chat_next[started.chat_id] = max(self._chat_next.get(started.chat_id, 0.0), seen + gap)

    @property
    def paused_until(self) -> float:
        """Until when a 429 holds every send (loop time; in the past when none does)."""
        return self._paused_until

    def pause(self, seconds: float, now: float, chat_id: int | None = None) -> None:
        """Telegram said 429: nothing (or nothing to that chat) before `retry_after` seconds."""
        until = now + seconds
        if chat_id is None:
            self._paused_until = max(self._paused_until, until)
        else:
            self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)

    def forget_idle(self, now: float) -> None:
        """Drop per-chat state older than the windows (keeps memory flat over long runs)."""
        self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        self._groups = {c: d for c, d in self._groups.items() if d and d[-1] + self.limits.group_window > now}
