"""analyze / compare / quiz on real notes (SilverBullet docs), both engines.

The extractive engine runs on a copy of a few real notes; the LLM engine talks to the fake Ollama
server over real HTTP. Skips with a message when the corpora are absent.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.ollama import FakeOllama

from vault_core.config import LLMConfig, VaultConfig
from vault_core.study.analyze import analyze, render_analysis
from vault_core.study.compare import compare, render_comparison
from vault_core.study.llm import LLMUnavailable
from vault_core.study.options import any_equivalent, is_fragment, same_kind
from vault_core.study.quiz import quiz, render_quiz, supported
from vault_core.study.text import lines_contain
from vault_core.vault import Vault

REPO = Path(__file__).resolve().parents[3]
CORPORA = Path(os.environ.get("NVAULT_CORPORA") or REPO.parent / "shared" / "corpora")
SB = CORPORA / "silverbullet-docs" / "docs"
NOTES = [
    "Template.md",
    "Page Template.md",
    "Slash Templates.md",
    "Space Lua.md",
    "Frontmatter.md",
    "Tag.md",
    "Query.md",
    "Sync.md",
    "Full Text Search.md",
    "Command Palette.md",
]
MODEL = "gemma3:4b"


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    if not SB.is_dir():
        pytest.skip(f"corpus not found at {SB}; set NVAULT_CORPORA to the shared corpora folder")
    root = tmp_path_factory.mktemp("sb")
    for name in NOTES:
        if (SB / name).is_file():
            shutil.copy(SB / name, root / name)
    config = VaultConfig(root=root, llm=LLMConfig(host="http://127.0.0.1:9", engine="auto"))
    v = Vault(config)
    v.sync()
    yield v
    v.close()


def text_of(vault: Vault, path: str) -> str:
    return (vault.root / path).read_text(encoding="utf-8")


def test_analyze_extractive_cites_real_lines(vault: Vault) -> None:
    res = analyze(vault, "Template.md", "extractive", use_cache=False)
    assert res.meta.engine == "extractive"
    text = text_of(vault, res.path)
    assert res.summary and 3 <= len(res.key_points) <= 6
    for point in res.key_points:
        c = point.citation
        assert lines_contain(text, c.start_line, c.end_line, c.quote), c
    assert res.terms and all(t.term for t in res.terms)
    assert all(c.path != res.path for c in res.candidate_links)
    assert "Key points:" in render_analysis(res)


def test_auto_without_ollama_says_why_it_is_extractive(vault: Vault) -> None:
    res = analyze(vault, "Space Lua", use_cache=False)
    assert res.meta.engine == "extractive"
    assert "ollama serve" in res.meta.engine_reason


def test_llm_engine_required_but_unreachable_is_a_clear_error(vault: Vault) -> None:
    with pytest.raises(LLMUnavailable, match="ollama serve"):
        analyze(vault, "Template.md", "llm", use_cache=False)


def test_analyze_cache_hits_until_the_note_changes(vault: Vault) -> None:
    first = analyze(vault, "Tag.md", "extractive")
    again = analyze(vault, "Tag.md", "extractive")
    assert not first.meta.cached and again.meta.cached
    assert again.model_dump(exclude={"meta"}) == first.model_dump(exclude={"meta"})
    cache_dir = vault.config.index_path / "study-cache"
    assert list(cache_dir.glob("*.json")) and not list(cache_dir.glob("*.tmp"))
    note = vault.root / "Tag.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nTags can be nested like a/b.\n", "utf-8")
    vault.sync()
    changed = analyze(vault, "Tag.md", "extractive")
    assert not changed.meta.cached and changed.sha256 != first.sha256


def test_study_cache_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    from pydantic import BaseModel

    from vault_core.study.models import StudyCache

    class Blob(BaseModel):
        text: str

    cache = StudyCache(tmp_path, max_bytes=10_000)
    cache.PRUNE_EVERY = 1
    keys = [StudyCache.key("analyze", [str(i)], "extractive", None, {}) for i in range(40)]
    for n, key in enumerate(keys):
        cache.put(key, Blob(text="x" * 1000))
        os.utime(cache.dir / f"{key}.json", (1000 + n, 1000 + n))  # a clear age order
        if n == 5:
            assert cache.get(keys[0], Blob) is not None  # used: now the newest
    on_disk = {p.stem for p in cache.dir.glob("*.json")}
    assert sum(p.stat().st_size for p in cache.dir.glob("*.json")) <= 10_000
    assert keys[-1] in on_disk and keys[1] not in on_disk  # newest kept, oldest gone
    assert keys[0] in on_disk  # old, but read since: recently used
    assert cache.get(keys[1], Blob) is None  # pruned entries are simply recomputed


def test_compare_with_itself_has_no_differences(vault: Vault) -> None:
    res = compare(vault, "Template.md", "Template.md", engine="extractive", use_cache=False)
    assert res.agreements
    assert not res.differences and not res.only_in_a and not res.only_in_b


def test_compare_two_notes_cites_each_side(vault: Vault) -> None:
    res = compare(
        vault,
        "Template.md",
        "Page Template.md",
        question="How do I create a page template?",
        engine="extractive",
        use_cache=False,
    )
    ta, tb = text_of(vault, res.a), text_of(vault, res.b)
    assert res.only_in_a or res.only_in_b or res.differences
    for d in [*res.agreements, *res.differences]:
        assert d.a.path == res.a and d.b.path == res.b
        assert lines_contain(ta, d.a.start_line, d.a.end_line, d.a.quote)
        assert lines_contain(tb, d.b.start_line, d.b.end_line, d.b.quote)
    for side, text in ((res.only_in_a, ta), (res.only_in_b, tb)):
        for item in side:
            c = item.citation
            assert lines_contain(text, c.start_line, c.end_line, c.quote)
    assert res.answer is not None and res.answer.citations
    assert "Only in" in render_comparison(res)


@pytest.mark.parametrize("scope", ["Template.md", "#glossary", "templates"])
def test_quiz_extractive_answers_are_in_the_cited_source(vault: Vault, scope: str) -> None:
    try:
        res = quiz(vault, scope, n=5, engine="extractive", use_cache=False)
    except ValueError as exc:  # the tag may not exist in this corpus snapshot
        pytest.skip(str(exc))
    assert res.meta.engine == "extractive"
    assert len(res.questions) == 5
    assert {q.type for q in res.questions} == {"mcq", "true_false", "cloze"}
    for q in res.questions:
        text = text_of(vault, q.citation.path)
        c = q.citation
        assert lines_contain(text, c.start_line, c.end_line, c.quote)
        assert 0 <= q.correct_index < len(q.options) and len(set(q.options)) == len(q.options)
        if q.type == "cloze":
            assert q.answer in c.quote and "_____" in q.prompt
            odd = [o for o in q.options if not same_kind(q.answer, o) or is_fragment(o)]
            assert not odd, (q.answer, q.options)
            assert not any_equivalent(q.options)
        assert supported(q, text)
    assert "answer:" in render_quiz(res)


def test_quiz_only_cloze_and_a_bad_type(vault: Vault) -> None:
    res = quiz(vault, "Space Lua.md", n=3, types=["cloze"], engine="extractive", use_cache=False)
    assert [q.type for q in res.questions] == ["cloze"] * len(res.questions) and res.questions
    with pytest.raises(ValueError, match="unknown question types"):
        quiz(vault, "Space Lua.md", types=["essay"])  # type: ignore[list-item]


# ---------------------------------------------------------------- LLM engine via fake Ollama


@pytest.fixture
def llm_vault(vault: Vault) -> Iterator[tuple[Vault, FakeOllama]]:
    with FakeOllama(models=[MODEL]) as fake:
        old = vault.config.llm
        vault.config.llm = LLMConfig(host=fake.url, model=MODEL, timeout_s=10)
        from vault_core.study import context as study_ctx

        study_ctx._contexts.pop(id(vault), None)
        try:
            yield vault, fake
        finally:
            vault.config.llm = old
            study_ctx._contexts.pop(id(vault), None)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def _template_new_line(vault: Vault) -> int:
    """The line of Template.md naming `template.new`: what the scripted replies cite."""
    return _line_of(text_of(vault, "Template.md"), "template.new")


def _cloze(n: int, options: list[str]) -> dict[str, Any]:
    """A cloze question as the LLM returns it, answered by `options[0]` on line `n`."""
    return {
        "type": "cloze",
        "prompt": "Use _____ to create a template function.",
        "options": options,
        "correct_index": 0,
        "explanation": "The note says so.",
        "note": 1,
        "quote": "template.new",
        "start_line": n,
        "end_line": n,
    }


def test_analyze_llm_keeps_verified_points_only(llm_vault: tuple[Vault, FakeOllama]) -> None:
    vault, fake = llm_vault
    n = _template_new_line(vault)
    reply = {
        "summary": "Templates render content.",
        "key_points": [
            {
                "text": "template.new builds a template",
                "quote": "template.new",
                "start_line": n,
                "end_line": n,
            },
            {
                "text": "Invented",
                "quote": "this sentence is not in the note at all",
                "start_line": 1,
                "end_line": 1,
            },
        ],
        "entities": ["Space Lua"],
        "open_questions": [],
        "suggested_tags": ["#Templates"],
    }
    fake.script("```json\n" + json.dumps(reply) + "\n```")
    res = analyze(vault, "Template.md", use_cache=False)
    assert res.meta.engine == "llm" and res.meta.model == MODEL
    assert [p.citation.start_line for p in res.key_points] == [n]
    assert any("could not be found" in w for w in res.meta.warnings)
    assert res.suggested_tags == ["templates"]
    for link in res.candidate_links:  # the LLM engine's links resolve like the extractive ones
        assert vault.graph.candidates(link.link_text, "Template.md")[:1] == [link.path]
    sent = fake.chat_requests()[0]
    assert f"{n}| " in sent["messages"][1]["content"]


def test_auto_falls_back_when_the_llm_returns_garbage(llm_vault: tuple[Vault, FakeOllama]) -> None:
    vault, fake = llm_vault
    fake.script("no", "still no")
    res = analyze(vault, "Sync.md", use_cache=False)
    assert res.meta.engine == "extractive"
    assert any("LLM failed" in w for w in res.meta.warnings)


def test_quiz_llm_drops_questions_not_in_their_source(llm_vault: tuple[Vault, FakeOllama]) -> None:
    vault, fake = llm_vault
    n = _template_new_line(vault)
    good = _cloze(n, ["template.new", "template.each", "select", "render"])
    wrong = _cloze(n, ["render", "template.new"])
    fake.script(json.dumps({"questions": [good, wrong]}))
    res = quiz(vault, "Template.md", n=2, types=["cloze"], use_cache=False)
    assert res.meta.engine == "llm"
    assert [q.answer for q in res.questions] == ["template.new"]
    assert any("only 1 of 2" in w for w in res.meta.warnings)


def test_quiz_llm_drops_repeated_and_fragment_options(
    llm_vault: tuple[Vault, FakeOllama],
) -> None:
    """A small model's typical slips: the same term twice in other words, a cut-off phrase."""
    vault, fake = llm_vault
    n = _template_new_line(vault)
    good = _cloze(n, ["template.new", "space.lua", "widget.new", "query.each"])
    repeated = _cloze(n, ["template.new", "Template.New", "widget.new", "query.each"])
    fragment = _cloze(n, ["template.new", "by the page", "widget.new", "query.each"])
    fake.script(json.dumps({"questions": [repeated, fragment, good]}))
    res = quiz(vault, "Template.md", n=3, types=["cloze"], use_cache=False)
    assert res.meta.engine == "llm"
    assert [q.options for q in res.questions] == [good["options"]]
    assert sum("repeat each other or are fragments" in w for w in res.meta.warnings) == 2


def test_extractive_asks_nothing_of_ollama(llm_vault: tuple[Vault, FakeOllama]) -> None:
    """The editor's hover summaries ask for the extractive engine: no probe of Ollama (a
    reachable one included), so a language server never loads the HTTP client for them."""
    vault, fake = llm_vault
    res = analyze(vault, "Template.md", engine="extractive", use_cache=False)
    assert res.meta.engine == "extractive" and res.meta.engine_reason == "requested"
    assert fake.requests == []
    analyze(vault, "Template.md", use_cache=False)  # `auto` does probe it
    assert fake.requests
