"""Writes the demo vault's attachments (src/vault_core/assets/demo/attachments/).

The demo's notes are the committed Markdown files themselves (edit them in place); only the PDF
and DOCX are generated, with pymupdf and python-docx, so that no binary is written by hand. Run
it again only to change them: `python bench/assets/make_demo_vault.py`.
"""

from __future__ import annotations

from pathlib import Path

import docx
import pymupdf

OUT = Path(__file__).resolve().parents[2] / "src" / "vault_core" / "assets" / "demo"


PDF_PAGES = [
    (
        "Memory research summary",
        "A two-page summary of findings used in this vault.\n\n"
        "1. Retrieval practice. In a classic study, students who took a practice test after "
        "reading a text recalled about 50% more a week later than students who re-read the "
        "text twice. Practice tests help even without feedback.\n\n"
        "2. Spacing. Across hundreds of experiments, spaced study beats massed study for "
        "retention measured after a day or more. The optimal gap is roughly 10-20% of the "
        "time until the test.",
    ),
    (
        "Sleep and consolidation",
        "3. Sleep. Participants who slept between learning and testing kept more word pairs "
        "than those who stayed awake for the same time. Slow-wave sleep predicts the gain "
        "for facts.\n\n"
        "4. Interleaving. Students who practised mixed geometry problems scored 43% higher on "
        "a delayed test than students who practised the same problems in blocks, although "
        "they did worse during practice.",
    ),
]

DOCX_PARAGRAPHS = [
    ("Study plan: spring term", "Title"),
    ("Weekly rhythm", "Heading 1"),
    (
        "Monday to Friday: 20 minutes of Anki reviews in the morning, one hour of new "
        "material in the evening, then sleep. Saturday: a mixed practice test on everything "
        "so far. Sunday: off.",
        None,
    ),
    ("Rules", "Heading 1"),
    (
        "Never re-read a chapter without closing the book and writing down what I remember "
        "first. Turn every heading into a question. Explain one hard idea a week to a friend, "
        "Feynman style.",
        None,
    ),
]


def write_pdf(path: Path) -> None:
    doc = pymupdf.open()
    for title, text in PDF_PAGES:
        page = doc.new_page(width=420, height=595)
        page.insert_text((36, 50), title, fontsize=15)
        page.insert_textbox(pymupdf.Rect(36, 70, 384, 560), text, fontsize=10)
    doc.set_metadata({"title": "Memory research summary", "author": "nvault demo"})
    doc.save(path, garbage=4, deflate=True)


def write_docx(path: Path) -> None:
    document = docx.Document()
    for text, style in DOCX_PARAGRAPHS:
        if style == "Title":
            document.add_heading(text, level=0)
        elif style:
            document.add_heading(text, level=1)
        else:
            document.add_paragraph(text)
    document.core_properties.title = "Study plan: spring term"
    document.save(str(path))


def main() -> None:
    (OUT / "attachments").mkdir(parents=True, exist_ok=True)
    write_pdf(OUT / "attachments" / "memory-research-summary.pdf")
    write_docx(OUT / "attachments" / "study-plan.docx")
    notes = sum(1 for _ in OUT.rglob("*.md"))
    print(f"a PDF and a DOCX beside {notes} notes in {OUT}")


if __name__ == "__main__":
    main()
