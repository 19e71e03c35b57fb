"""The buttons of consultation rounds: one typed kind each (prefixes 'rnd:' for a round, 'rnl:' for the
launch flow)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.domain.rounds import QuestionKind, Reply, RoundKind, Scope
from bot.domain.vocab import Tlp
from handlers.callback_data import CallbackData


@dataclass(frozen=True)
class RoundShow(CallbackData, prefix="rnd:v"):
    """Open one round."""

    round: int


@dataclass(frozen=True)
class RoundList(CallbackData, prefix="rnd:list"):
    """Back to /rounds."""


@dataclass(frozen=True)
class RoundAnswer(CallbackData, prefix="rnd:ans"):
    """Answer (or change the answer to) a query, question by question."""

    round: int


@dataclass(frozen=True)
class RoundTap(CallbackData, prefix="rnd:tap"):
    """One tap: 'no information' or 'not applicable' (query); 'agree' (consultation)."""

    round: int
    reply: Reply


@dataclass(frozen=True)
class RoundVerdict(CallbackData, prefix="rnd:vd"):
    """A consultation's 'comments' or 'objection': the text follows."""

    round: int
    reply: Reply


@dataclass(frozen=True)
class RoundYesNo(CallbackData, prefix="rnd:yn"):
    """Yes, no or partly."""

    choice: Literal["yes", "no", "partly"]


@dataclass(frozen=True)
class RoundOption(CallbackData, prefix="rnd:opt"):
    """One of a choice question's options, by position."""

    index: int


@dataclass(frozen=True)
class RoundNoComment(CallbackData, prefix="rnd:nocom"):
    """No comment after yes/no/partly."""


@dataclass(frozen=True)
class RoundSubmit(CallbackData, prefix="rnd:sub"):
    """Submit the delegation's answer."""

    round: int


@dataclass(frozen=True)
class RoundStatusView(CallbackData, prefix="rnd:st"):
    """Live status and the submitted answers (launcher and admins)."""

    round: int


@dataclass(frozen=True)
class RoundDocuments(CallbackData, prefix="rnd:docs"):
    """A compiled round's spreadsheet and document again."""

    round: int


@dataclass(frozen=True)
class RoundAttached(CallbackData, prefix="rnd:att"):
    """The document a delegation attached to its answer."""

    round: int
    code: str


@dataclass(frozen=True)
class RoundHistory(CallbackData, prefix="rnd:hist"):
    """Every version of a delegation's answer."""

    round: int
    code: str


@dataclass(frozen=True)
class RoundExtend(CallbackData, prefix="rnd:ext"):
    """Set a later deadline."""

    round: int


@dataclass(frozen=True)
class RoundClose(CallbackData, prefix="rnd:close"):
    """Close early: asks to confirm."""

    round: int


@dataclass(frozen=True)
class RoundCloseYes(CallbackData, prefix="rnd:closeok"):
    """Close early, confirmed."""

    round: int


@dataclass(frozen=True)
class RoundNew(CallbackData, prefix="rnl:new"):
    """Launch a round of this kind."""

    kind: RoundKind


@dataclass(frozen=True)
class LaunchQuestionKind(CallbackData, prefix="rnl:qk"):
    """How the question just typed is answered."""

    kind: QuestionKind


@dataclass(frozen=True)
class LaunchMore(CallbackData, prefix="rnl:more"):
    """Add another question (True) or go on (False)."""

    more: bool


@dataclass(frozen=True)
class LaunchScope(CallbackData, prefix="rnl:scope"):
    """Which delegations to ask."""

    scope: Scope


@dataclass(frozen=True)
class LaunchPick(CallbackData, prefix="rnl:pick"):
    """Tick or untick a delegation."""

    code: str


@dataclass(frozen=True)
class LaunchPicked(CallbackData, prefix="rnl:picked"):
    """Delegations chosen."""


@dataclass(frozen=True)
class LaunchQuestionLabel(CallbackData, prefix="rnl:qtlp"):
    """The questions' label."""

    tlp: Tlp


@dataclass(frozen=True)
class LaunchAnswerLabel(CallbackData, prefix="rnl:atlp"):
    """The compiled answers' label."""

    tlp: Tlp


@dataclass(frozen=True)
class LaunchDays(CallbackData, prefix="rnl:days"):
    """A deadline this many days ahead at 17:00 in the launcher's zone."""

    days: int


@dataclass(frozen=True)
class LaunchNoFile(CallbackData, prefix="rnl:nofile"):
    """A consultation without a document."""


@dataclass(frozen=True)
class LaunchConfirm(CallbackData, prefix="rnl:ok"):
    """Launch: the draft's key, so a second tap finds it launched."""

    key: str
