"""Writes the demo vault that `nvault demo` ships (src/vault_core/assets/demo/).

The notes are written here once and committed as files; the PDF and DOCX are generated with
pymupdf and python-docx. Run it again only to change the demo:
`python bench/assets/make_demo_vault.py`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pymupdf

OUT = Path(__file__).resolve().parents[2] / "src" / "vault_core" / "assets" / "demo"


def fm(tags: list[str], aliases: list[str] | None = None) -> str:
    lines = ["---", f"tags: [{', '.join(tags)}]"]
    if aliases:
        lines.append(f"aliases: [{', '.join(aliases)}]")
    return "\n".join(lines) + "\n---\n"


NOTES: dict[str, str] = {
    "Start Here.md": """# Start Here

This is a small Zettelkasten about how people learn and remember. It is the demo vault of
nvault: every note is short, most notes link to others, and a few mention a note without
linking it (nvault finds those).

- Memory itself: [[Forgetting Curve]], [[Working Memory]], [[Long-Term Memory]], [[Consolidation]]
- What makes learning stick: [[Spacing Effect]], [[Testing Effect]], [[Desirable Difficulties]]
- Techniques: [[Spaced Repetition]], [[Active Recall]], [[Feynman Technique]], [[Memory Palace]]
- The note system: [[Zettelkasten Method]], [[Atomic Notes]], [[Linking Notes]]
- People: [[Hermann Ebbinghaus]], [[Robert Bjork]], [[Niklas Luhmann]]
- Books: [[Make It Stick]], [[How We Learn]], [[How to Take Smart Notes]]
- A learning log: [[2025-03-02 Spanish log]]

The folder `attachments/` holds a PDF (a research summary) and a Word document (a study plan).
""",
    # -- concepts -------------------------------------------------------------------------
    "concepts/Forgetting Curve.md": fm(["memory"], ["Ebbinghaus curve"])
    + """# Forgetting Curve

Without review, memory of new material drops steeply in the first day and then levels off.
[[Hermann Ebbinghaus]] measured it on himself in 1885 with nonsense syllables: after about
twenty minutes he had lost close to half of a list, after a day about two thirds.

Each review flattens the curve: the next drop is slower. That is the whole argument for the
[[Spacing Effect]] and for scheduling reviews with [[Spaced Repetition]].

Meaningful material is forgotten more slowly than nonsense syllables, because it attaches to a
[[Schema]] you already have.
""",
    "concepts/Spacing Effect.md": fm(["memory", "evidence"], ["distributed practice"])
    + """# Spacing Effect

Study sessions spread out over time beat the same total time massed into one session.
Cramming feels productive because recall during the session is high, but the material fades
within days (see [[Forgetting Curve]]).

The best gap grows with how long you want to remember: for an exam in a week, review after a
day; for a year, review after weeks. Spacing is one of the [[Desirable Difficulties]] described
by [[Robert Bjork]].
""",
    "concepts/Testing Effect.md": fm(["memory", "evidence"], ["retrieval practice effect"])
    + """# Testing Effect

Trying to recall something strengthens the memory more than reading it again. A practice test
is not just a measurement; it is a learning event.

The effect holds even when no feedback is given, and it is larger when the recall is effortful.
In practice this means [[Active Recall]] and [[Flashcards]], not re-reading and highlighting.
[[Make It Stick]] builds its first chapters on this finding.
""",
    "concepts/Working Memory.md": fm(["memory"])
    + """# Working Memory

The small workspace where we hold and manipulate information right now. [[George Miller]]
famously put its span at "seven, plus or minus two" items; later work suggests about four
chunks for most people.

Its limits are the reason for [[Cognitive Load]] theory and the reason [[Chunking]] helps:
a chunk counts as one item no matter how much it contains.
""",
    "concepts/Long-Term Memory.md": fm(["memory"])
    + """# Long-Term Memory

Storage that is, for practical purposes, unlimited. The bottleneck is not storing but
retrieving: a memory you cannot reach when you need it might as well be gone.

Good [[Encoding]] and repeated retrieval (the [[Testing Effect]]) make memories reachable
from more cues. [[Consolidation]] during sleep moves fresh memories into long-term storage.
""",
    "concepts/Encoding.md": fm(["memory"])
    + """# Encoding

How information is turned into a memory trace in the first place. Deep processing, thinking
about what something means and how it connects, produces stronger traces than shallow
processing such as noticing how a word looks.

[[Elaboration]] and [[Dual Coding]] are two ways to encode more deeply.
""",
    "concepts/Consolidation.md": fm(["memory", "sleep"])
    + """# Consolidation

After learning, memories are fragile for hours. Consolidation stabilises them, largely
during sleep, when the hippocampus replays the day's experiences and the cortex slowly takes
them over.

See [[Sleep and Memory]] for what this means for when to study.
""",
    "concepts/Sleep and Memory.md": fm(["memory", "sleep"])
    + """# Sleep and Memory

A night of sleep after studying protects what was learned; a night without sleep before
studying makes new learning harder. Deep slow-wave sleep seems to matter most for facts, REM
sleep for skills and emotional memories.

Practical rule: study in the evening, sleep, review in the morning. Pulling an all-nighter
before an exam trades tomorrow's recall for tonight's hours.
""",
    "concepts/Interference.md": fm(["memory"])
    + """# Interference

Similar memories compete. Learning Spanish vocabulary right after Italian vocabulary makes
both harder to recall: new learning disrupts old (retroactive) and old disrupts new
(proactive).

Interference, not decay, explains much of everyday forgetting. Interleaving similar topics on
purpose can help you learn to tell them apart.
""",
    "concepts/Desirable Difficulties.md": fm(["memory", "evidence"])
    + """# Desirable Difficulties

Conditions that make learning feel slower and harder while improving long-term retention.
The term is [[Robert Bjork]]'s. The main ones:

- spacing study sessions ([[Spacing Effect]])
- testing yourself instead of re-reading ([[Testing Effect]])
- mixing problem types ([[Interleaving]])
- producing an answer before seeing it ([[Generation Effect]])

A difficulty is only desirable if the learner can eventually overcome it.
""",
    "concepts/Interleaving.md": fm(["memory", "technique"])
    + """# Interleaving

Mixing different kinds of problems in one practice session instead of practising one kind in
a block. Blocked practice feels smoother; interleaved practice teaches you to choose the right
method, which is what a real exam or a real job asks for.

It is one of the [[Desirable Difficulties]] and works best for material that is easy to
confuse.
""",
    "concepts/Elaboration.md": fm(["memory", "technique"])
    + """# Elaboration

Explaining new material in your own words and connecting it to what you already know. Asking
"why is this true?" and "how does this relate to X?" gives the memory more hooks.

The [[Feynman Technique]] is elaboration with a test built in: if you cannot explain it
simply, you have found the gap.
""",
    "concepts/Dual Coding.md": fm(["memory", "technique"])
    + """# Dual Coding

Combining words with pictures, diagrams or timelines. Two representations give two routes to
the memory. A [[Concept Mapping|concept map]] is dual coding for relationships; a
[[Memory Palace]] is dual coding with places.
""",
    "concepts/Cognitive Load.md": fm(["memory"])
    + """# Cognitive Load

Working memory is small, so instruction should not waste it. Cognitive load theory splits the
load into intrinsic (the material's own complexity), extraneous (bad presentation) and germane
(the effort that builds understanding).

Worked examples reduce extraneous load for beginners. For experts the same examples become
redundant, which is called the expertise reversal effect.
""",
    "concepts/Chunking.md": fm(["memory"])
    + """# Chunking

Grouping items into meaningful units so that [[Working Memory]] holds more. A chess master
sees "a castled king" where a novice sees five pieces; a phone number is remembered as three
groups, not ten digits.

Expertise is, to a large degree, a large library of chunks built by [[Deliberate Practice]].
""",
    "concepts/Metacognition.md": fm(["learning"])
    + """# Metacognition

Knowing what you know and what you do not. Learners are poor judges of their own learning:
re-reading produces familiarity, which feels like mastery (the [[Illusion of Competence]]).

Self-testing is the cheapest cure, because a failed recall is honest feedback.
""",
    "concepts/Illusion of Competence.md": fm(["learning"], ["fluency illusion"])
    + """# Illusion of Competence

The feeling that you know something because it looks familiar. Highlighted text, a re-read
chapter and a lecture that made sense all produce it.

Test it: close the book and write down what you remember. The gap between what you
recognise and what you can recall is the illusion. [[Active Recall]] closes it.
""",
    "concepts/Generation Effect.md": fm(["memory", "evidence"])
    + """# Generation Effect

Information you produce yourself is remembered better than information you read. Filling in
a missing word beats reading the full sentence; attempting a problem before being taught the
solution helps, even when the attempt fails.

It is one reason why writing [[Permanent Notes]] in your own words works.
""",
    "concepts/Transfer of Learning.md": fm(["learning"])
    + """# Transfer of Learning

Using what you learned in one setting in another. Near transfer (a similar problem) is
common; far transfer (a different field) is rare and needs deliberate abstraction: naming the
principle, not just remembering the example.

[[Interleaving]] and varied practice help, because they force you to recognise the principle
under different surfaces.
""",
    "concepts/Deliberate Practice.md": fm(["learning", "skill"])
    + """# Deliberate Practice

Practice aimed at a specific weakness, just beyond current ability, with immediate feedback
and full concentration. It is not the same as playing the piece again from the top.

Anders Ericsson described it studying violinists; the "10,000 hours" popularisation dropped
the word deliberate.
""",
    "concepts/Schema.md": fm(["learning"])
    + """# Schema

An organised pattern of knowledge that new information attaches to. Experts learn new facts
in their field quickly because the schema is already there.

Building the schema first, with an overview or a structure note such as [[Start Here]],
makes later details easier to keep. See also [[Chunking]].
""",
    # -- techniques -----------------------------------------------------------------------
    "techniques/Spaced Repetition.md": fm(["technique", "memory"], ["SRS", "spaced review"])
    + """# Spaced Repetition

Review each item just before you would forget it, with growing gaps: one day, three days, a
week, a month. A system does the scheduling, so you only review what is due.

It puts the [[Spacing Effect]] and the [[Testing Effect]] to work together: each review is a
recall attempt, and the gaps follow the [[Forgetting Curve]]. [[Piotr Wozniak]]'s SuperMemo
algorithm started the software side; [[Anki Setup]] describes the deck I use.
""",
    "techniques/Active Recall.md": fm(["technique"], ["retrieval practice"])
    + """# Active Recall

Close the source and produce the answer from memory: write a summary, answer questions, draw
the diagram. It is the practical side of the [[Testing Effect]].

Quick forms: cover the page and say the main points aloud; turn headings into questions;
use [[Flashcards]]. It feels harder than re-reading, which is the point.
""",
    "techniques/Feynman Technique.md": fm(["technique"])
    + """# Feynman Technique

1. Pick a concept and write its name at the top of a page.
2. Explain it in plain language, as if to a twelve-year-old.
3. Where you get stuck or reach for jargon, go back to the source.
4. Simplify and use an analogy.

It combines [[Elaboration]] with honest self-testing.
""",
    "techniques/Memory Palace.md": fm(["technique", "memory"], ["method of loci"])
    + """# Memory Palace

Place vivid images of the items to remember along a route through a familiar building, then
walk the route in your mind to recall them in order. Memory champions use it for decks of
cards and long numbers.

It works because spatial memory is strong and because bizarre images are distinctive. It is
[[Dual Coding]] taken to an extreme.
""",
    "techniques/Flashcards.md": fm(["technique"])
    + """# Flashcards

A question on the front, the answer on the back. Useful only if you try to answer before
turning the card over ([[Active Recall]]), and best when scheduled with spaced repetition.

Rules of thumb from [[Writing Good Prompts]]: one idea per card, no lists, ask for
understanding as well as facts.
""",
    "techniques/Anki Setup.md": fm(["technique", "tools"])
    + """# Anki Setup

My settings: new cards 15 a day, maximum reviews 200, learning steps 10m 1d, desired
retention 0.9 with the FSRS scheduler. Reviews happen first thing in the morning with coffee.

Decks: Spanish vocabulary, anatomy, and a small deck of ideas from my notes. Cards from notes
link back to the note they came from.

Review checklist: do the due cards first, suspend cards you keep failing and rewrite them,
never add cards you do not understand.
""",
    "techniques/Cornell Notes.md": fm(["technique", "note-taking"])
    + """# Cornell Notes

A page split into a narrow cue column, a wide notes column and a summary at the bottom.
During the lecture, take notes on the right; afterwards, write questions in the cue column and
a summary below.

Covering the notes and answering the cue questions turns the page into a self-test.
""",
    "techniques/Pomodoro Technique.md": fm(["technique", "focus"])
    + """# Pomodoro Technique

Work for 25 minutes on one task, then take a 5-minute break; after four rounds, a longer
break. The timer protects attention and makes starting easier.

It has no direct effect on memory, but focused sessions keep [[Cognitive Load]] on the
material instead of on distractions.
""",
    "techniques/Concept Mapping.md": fm(["technique"])
    + """# Concept Mapping

Draw concepts as boxes and label the arrows between them with the relationship ("causes",
"is part of", "contradicts"). The labels are the valuable part: they force you to say how
things relate.

A concept map drawn from memory is also a good retrieval exercise.
""",
    "techniques/Self-Explanation.md": fm(["technique"])
    + """# Self-Explanation

While studying a worked example, explain each step to yourself: why this step, what rule does
it use. Learners who self-explain learn more from the same examples.

A close relative of [[Elaboration]].
""",
    "techniques/Writing Good Prompts.md": fm(["technique"])
    + """# Writing Good Prompts

A flashcard is a prompt for a retrieval. Good prompts are focused (one detail), precise (one
right answer), consistent (the same answer every time) and effortful (no hint in the
question).

Write cards that ask why and how, not only what. A card you cannot answer after a month
usually asks for too much at once.
""",
    "techniques/Progressive Summarization.md": fm(["technique", "note-taking"])
    + """# Progressive Summarization

Highlight a note in layers: bold the important passages, then highlight the best of the bold,
then write a short summary at the top. Each layer is added only when the note is used again.

Useful for finding things later; on its own it is not a learning technique, because
highlighting is not recall.
""",
    # -- zettelkasten ---------------------------------------------------------------------
    "zettelkasten/Zettelkasten Method.md": fm(["zettelkasten"], ["slip-box"])
    + """# Zettelkasten Method

A slip-box of small notes, each holding one idea, linked to each other. [[Niklas Luhmann]]
wrote about 90,000 such slips and credited them with most of his 70 books.

The method has three kinds of notes: [[Fleeting Notes]], [[Literature Notes]] and
[[Permanent Notes]]. Its power comes from [[Linking Notes]]: a new note is placed next to
the notes it talks to.
""",
    "zettelkasten/Atomic Notes.md": fm(["zettelkasten"])
    + """# Atomic Notes

One idea per note, stated in a title that is a claim ("Spacing beats cramming"), not a topic
("Memory"). Small notes can be linked precisely and reused in many contexts.

A note that needs headings is often several notes.
""",
    "zettelkasten/Linking Notes.md": fm(["zettelkasten"])
    + """# Linking Notes

When you write a note, ask: which existing notes does this continue, contradict or support?
Link them and say why in a sentence. A link without a reason is hard to follow later.

Unlinked mentions are missed links: a note that names another note in plain text should
usually link it. nvault lists them (`nvault mentions`).
""",
    "zettelkasten/Fleeting Notes.md": fm(["zettelkasten"])
    + """# Fleeting Notes

Quick captures: an idea in the shower, a sentence from a conversation. They are reminders,
not knowledge, and should be processed within a day or two into permanent notes or deleted.
""",
    "zettelkasten/Literature Notes.md": fm(["zettelkasten"])
    + """# Literature Notes

Short notes on what a source says, in your own words, with the page number. Never copy
paragraphs: rewriting is where the [[Generation Effect]] works for you.

Example: my notes on [[Make It Stick]].
""",
    "zettelkasten/Permanent Notes.md": fm(["zettelkasten"], ["evergreen notes"])
    + """# Permanent Notes

A permanent note states one idea in full sentences so that it makes sense years later
without the source. It is written for your future self as a stranger.

Each permanent note links to at least one other note; an unlinked one is an orphan and will
not be found again.
""",
    # -- people ---------------------------------------------------------------------------
    "people/Hermann Ebbinghaus.md": fm(["person"])
    + """# Hermann Ebbinghaus

German psychologist (1850-1909), the first to study memory experimentally. He memorised lists
of nonsense syllables and measured how many repetitions he needed to relearn them after
different delays.

He discovered the forgetting curve and the spacing effect, and described the learning curve.
""",
    "people/Robert Bjork.md": fm(["person"])
    + """# Robert Bjork

Cognitive psychologist at UCLA who coined "desirable difficulties" with Elizabeth Bjork. Their
"new theory of disuse" separates storage strength (how well something is learned) from
retrieval strength (how easily it comes to mind now).

Forgetting a little before a review is useful: a harder retrieval raises storage strength more.
""",
    "people/Niklas Luhmann.md": fm(["person"])
    + """# Niklas Luhmann

German sociologist (1927-1998) who kept a slip-box of about 90,000 index cards with a
numbering scheme that allowed branching. He called it his communication partner.

His method became the [[Zettelkasten Method]] as people describe it today.
""",
    "people/George Miller.md": fm(["person"])
    + """# George Miller

American psychologist whose 1956 paper "The Magical Number Seven, Plus or Minus Two" argued
that short-term memory holds about seven items. He also introduced the idea of chunking.
""",
    "people/Piotr Wozniak.md": fm(["person"])
    + """# Piotr Wozniak

Polish researcher who wrote SuperMemo in 1987, the first spaced repetition software. His
algorithm SM-2 still schedules reviews in Anki's classic mode.
""",
    # -- sources --------------------------------------------------------------------------
    "sources/Make It Stick.md": fm(["source", "book"])
    + """# Make It Stick

*Make It Stick: The Science of Successful Learning*, by Peter Brown, Henry Roediger and Mark
McDaniel (2014).

- Retrieval practice beats re-reading ([[Testing Effect]]).
- Space it out and interleave it ([[Spacing Effect]], [[Interleaving]]).
- Struggling with a problem before the solution helps ([[Generation Effect]]).
- Learners misjudge their learning ([[Illusion of Competence]]).
""",
    "sources/How We Learn.md": fm(["source", "book"])
    + """# How We Learn

*How We Learn*, by Benedict Carey (2014). A journalist's tour of memory research: forgetting
as a friend of learning, the value of changing study locations, sleep, and interleaving.

Best chapter: the one on [[Sleep and Memory]], with the advice to sleep on it before an exam.
""",
    "sources/How to Take Smart Notes.md": fm(["source", "book"])
    + """# How to Take Smart Notes

*How to Take Smart Notes*, by Sönke Ahrens (2017). Explains Luhmann's slip-box for students and
writers: write permanent notes in your own words, link them, and let topics emerge from the
links instead of planning a structure up front.

See [[Zettelkasten Method]].
""",
    # -- journal --------------------------------------------------------------------------
    "journal/2025-03-02 Spanish log.md": fm(["journal", "spanish"])
    + """# 2025-03-02 Spanish log

Started the Spanish deck: 15 new words a day with spaced repetition in Anki. Reviewed in the
morning, before coffee got cold.

Noticed that reading the word list feels easy but the Illusion of Competence is real: I could
recognise 40 words and recall 12.

Review checklist: do the due cards first, suspend cards you keep failing and rewrite them,
never add cards you do not understand.
""",
    "journal/2025-03-09 Spanish log.md": fm(["journal", "spanish"])
    + """# 2025-03-09 Spanish log

One week in. Mixing verbs and nouns in one session (interleaving, really) made the reviews
slower but I confuse fewer words. Tried the Memory Palace for the days of the week: the
kitchen route works.

Slept badly on Thursday and Friday's new words did not stick at all.

Review checklist: do the due cards first, suspend cards you keep failing and rewrite them,
never add cards you do not understand.
""",
    "journal/2025-04-12 exam week.md": fm(["journal"])
    + """# 2025-04-12 exam week

Anatomy exam on Friday. Instead of re-reading the chapters I am doing practice questions
every evening and sleeping eight hours. Active Recall is tiring; the Feynman Technique found
two gaps in what I thought I understood about the rotator cuff.

Plan: one mixed practice test a day, review the mistakes the next morning.
""",
    "journal/2025-05-20 note review.md": fm(["journal", "zettelkasten"])
    + """# 2025-05-20 note review

Went through the slip-box. Three orphans with no links at all, so I linked them. Many notes
mention Working Memory and Cognitive Load in plain text without a link; the Zettelkasten only
works if those become real links.

Wrote a new permanent note on desirable difficulties from the Bjork paper.
""",
}

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
    if OUT.exists():
        shutil.rmtree(OUT)
    for rel, text in NOTES.items():
        path = OUT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (OUT / "attachments").mkdir()
    write_pdf(OUT / "attachments" / "memory-research-summary.pdf")
    write_docx(OUT / "attachments" / "study-plan.docx")
    print(f"{len(NOTES)} notes, a PDF and a DOCX in {OUT}")


if __name__ == "__main__":
    main()
