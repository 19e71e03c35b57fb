"""A compilation's documents: a spreadsheet (one row a delegation, one column a question) made with
openpyxl, and a word-processor document laid out as EMN compilations are (background, questions, then the
answers delegation by delegation) made with python-docx."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from docx import Document
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from bot.domain.rounds import Answer, Compiled, Reply, RoundKind

# Characters XML 1.0 cannot hold (both file formats are XML): typed text never has them, but be safe.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX = "xlsx"
DOCX = "docx"


@dataclass(frozen=True, slots=True)
class DocumentLabels:
    """The words the documents use, in the launcher's language."""

    delegation: str
    reply: str
    background: str
    questions: str
    answers: str
    deadline: str
    label: str
    outcome: str
    question: str  # "Question {n}"
    replies: dict[Reply, str]
    choices: dict[str, str]  # yes / no / partly
    outcomes: dict[str, str]


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _text(paragraph: Any, text: str, *, bold: bool = False) -> None:
    """Add a run of text as is (python-docx's own run text walks it character by character)."""
    run = paragraph.add_run()
    run.bold = bold or None
    run._r.add_t(_clean(text))


def _value(value: str, labels: DocumentLabels) -> str:
    choice, newline, comment = value.partition("\n")
    if newline and choice in labels.choices:
        return f"{labels.choices[choice]} — {comment}"
    return labels.choices.get(value, value)


def _cells(answer: Answer | None, count: int, labels: DocumentLabels) -> list[str]:
    """What a delegation's row shows under each question."""
    if answer is None:
        return [labels.replies[Reply.SILENCE]] * max(count, 1)
    if answer.reply is Reply.ANSWERED:
        return [_value(v, labels) for v in answer.values]
    if answer.values:  # a consultation's comments or objection
        return [f"{labels.replies[answer.reply]} — {answer.values[0]}"]
    return [labels.replies[answer.reply]] * max(count, 1)


def filename(compiled: Compiled, kind: str) -> str:
    return f"round-{compiled.round.id}-compilation.{kind}"


def spreadsheet(compiled: Compiled, labels: DocumentLabels) -> bytes:
    """One row a delegation, one column a question (a consultation: its verdict and text)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Compilation"
    rnd = compiled.round
    count = len(rnd.questions)
    heads = [f"{labels.question.format(n=i + 1)}: {q.text}" for i, q in enumerate(rnd.questions)]
    if rnd.kind is RoundKind.CONSULTATION:
        heads = [labels.answers]
    sheet.append([labels.delegation, labels.reply, *(_clean(h) for h in heads)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for code in rnd.asked:
        answer = compiled.answers.get(code)
        reply = answer.reply if answer else Reply.SILENCE
        cells = _cells(answer, count, labels) if rnd.kind is RoundKind.QUERY else _cells(answer, 1, labels)
        sheet.append([code, labels.replies[reply], *(_clean(c) for c in cells)])
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 18
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def document(compiled: Compiled, labels: DocumentLabels) -> bytes:
    """Title and label, background, the questions, then each delegation's answers in turn."""
    rnd = compiled.round
    doc = Document()
    doc.add_heading(_clean(rnd.title), level=0)
    doc.add_paragraph(
        f"{labels.label}: {rnd.answer_tlp.value} · {labels.deadline}: {rnd.deadline:%Y-%m-%d %H:%M} UTC"
    )
    if compiled.outcome is not None:
        doc.add_paragraph(f"{labels.outcome}: {labels.outcomes[compiled.outcome.value]}")
    doc.add_heading(labels.background, level=1)
    _text(doc.add_paragraph(), rnd.background)
    if rnd.questions:
        doc.add_heading(labels.questions, level=1)
        for i, question in enumerate(rnd.questions):
            _text(doc.add_paragraph(), f"{labels.question.format(n=i + 1)}: {question.text}")
    doc.add_heading(labels.answers, level=1)
    for code in rnd.asked:
        answer = compiled.answers.get(code)
        doc.add_heading(code, level=2)
        reply = answer.reply if answer else Reply.SILENCE
        if answer is not None and answer.reply is Reply.ANSWERED:
            for i, value in enumerate(answer.values):
                para = doc.add_paragraph()
                _text(para, f"{labels.question.format(n=i + 1)}: ", bold=True)
                _text(para, _value(value, labels))
        elif answer is not None and answer.values:
            _text(doc.add_paragraph(), f"{labels.replies[reply]} — {answer.values[0]}")
        else:
            doc.add_paragraph(labels.replies[reply])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
