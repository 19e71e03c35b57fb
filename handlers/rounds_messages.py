"""What rounds send through the outbox, for each member in their language and zone, with what it reveals
(the questions' or the compilation's label), so the sender holds it from whoever may no longer read it."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.model import Member
from bot.domain.outbox import STORED_FILE, OutboxKind, Outgoing
from bot.domain.posting import protected
from bot.domain.reveals import Reveals
from bot.domain.rounds import Compiled, Outcome, Reply, Round, RoundKind, Stage
from bot.domain.splitting import split_html
from bot.services.round_documents import DocumentLabels
from bot.services.rounds import answers_label, questions_label
from handlers.keyboards import button, keyboard
from handlers.rounds_buttons import RoundShow
from handlers.rounds_render import card, compilation_text, stage_text, when
from handlers.texts import t


def _open_button(lang: str, rnd: Round) -> dict[str, object] | None:
    markup = keyboard([button(t(lang, "rounds.open_button"), RoundShow(rnd.id))])
    return markup.to_dict() if markup else None


class RoundMessenger:
    """bot.services.rounds.RoundMessages: the messages of rounds, one outbox row per member."""

    def __init__(self) -> None:
        # A compilation's text is the same for every reader with one language and zone: made once each
        # (for the compilation in hand only).
        self._compiled: Compiled | None = None
        self._texts: dict[tuple[str, str], list[str]] = {}

    def _compilation_text(self, compiled: Compiled, lang: str, zone: str) -> list[str]:
        if self._compiled is not compiled:
            self._compiled, self._texts = compiled, {}
        if (lang, zone) not in self._texts:
            self._texts[(lang, zone)] = compilation_text(lang, zone, compiled)
        return self._texts[(lang, zone)]

    def _asking(self, member: Member, rnd: Round, key: str, text: str, *, attach: bool = False) -> Outgoing:
        lang = member.language
        file_id = rnd.attachment_file_id if attach else None
        return Outgoing(
            chat_id=member.telegram_user_id,
            kind=OutboxKind.ROUND,
            dedupe_key=f"{rnd.job}:{key}:{member.id}",
            parts=tuple(split_html(text)),
            job=rnd.job,
            member_id=member.id,
            protect=protected(rnd.question_tlp),
            markup=_open_button(lang, rnd),
            attachment=("document", file_id) if file_id else None,
            reveals=Reveals(labelled=questions_label(rnd)),
        )

    def opened(self, member: Member, rnd: Round) -> Outgoing:
        lang, zone = member.language, member.time_zone
        text = f"{t(lang, f'rounds.opened_{rnd.kind.value}')}\n\n{card(lang, zone, rnd)}"
        return self._asking(member, rnd, "open", text, attach=True)

    def reminder(self, member: Member, rnd: Round, stage: Stage) -> Outgoing:
        text = stage_text(member.language, member.time_zone, rnd, stage)
        return self._asking(member, rnd, f"remind:{stage.value}:{rnd.deadline:%Y%m%d%H%M}", text)

    def extended(self, member: Member, rnd: Round) -> Outgoing:
        lang = member.language
        text = t(
            lang, "rounds.extended", id=rnd.id, title=rnd.title, deadline=when(rnd.deadline, member.time_zone)
        )
        return self._asking(member, rnd, f"extend:{rnd.deadline:%Y%m%d%H%M}", text)

    def compilation(self, member: Member, compiled: Compiled, files: Sequence[int]) -> list[Outgoing]:
        """The message with the spreadsheet attached, then the word-processor document."""
        rnd = compiled.round
        lang = member.language
        reveals = Reveals(labelled=answers_label(rnd))
        common = {
            "chat_id": member.telegram_user_id,
            "kind": OutboxKind.ROUND,
            "job": rnd.job,
            "member_id": member.id,
            "protect": protected(rnd.answer_tlp),
            "reveals": reveals,
        }
        rows = [
            Outgoing(
                dedupe_key=f"{rnd.job}:compiled:{member.id}",
                parts=tuple(self._compilation_text(compiled, lang, member.time_zone)),
                attachment=(STORED_FILE, str(files[0])),
                **common,  # type: ignore[arg-type]
            )
        ]
        rows += [
            Outgoing(
                dedupe_key=f"{rnd.job}:compiled:{member.id}:{n}",
                parts=(),
                attachment=(STORED_FILE, str(file_id)),
                **common,  # type: ignore[arg-type]
            )
            for n, file_id in enumerate(files[1:], start=2)
        ]
        return rows


def document_labels(rnd: Round, lang: str) -> DocumentLabels:
    """The words of a round's documents, in the launcher's language."""
    return DocumentLabels(
        delegation=t(lang, "rounds.doc.delegation"),
        reply=t(lang, "rounds.doc.reply"),
        background=t(lang, "rounds.doc.background"),
        questions=t(lang, "rounds.doc.questions"),
        answers=t(lang, "rounds.doc.answers"),
        deadline=t(lang, "rounds.doc.deadline"),
        label=t(lang, "rounds.doc.label"),
        outcome=t(lang, "rounds.doc.outcome"),
        question=t(lang, "rounds.doc.question", n="{n}"),
        replies={r: t(lang, f"rounds.reply.{r.value}") for r in Reply}
        | (
            {Reply.SILENCE: t(lang, "rounds.reply.silence_agrees")}
            if rnd.kind is RoundKind.CONSULTATION
            else {}
        ),
        choices={c: t(lang, f"rounds.choice.{c}") for c in ("yes", "no", "partly")},
        outcomes={o.value: t(lang, f"rounds.outcome_word.{o.value}") for o in Outcome},
    )
