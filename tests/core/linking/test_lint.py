"""Wiki lint (issue 29) on a hand-made vault with one planted case of every kind: each finding
is found where it was planted, its fix plan names the write tool with exact arguments (applying
the plan by hand gives the fixed note), and lint changes no byte of any file."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from vault_core.linking.index_note import BEGIN, END, plan_index_note
from vault_core.linking.lint import KINDS, lint
from vault_core.linking.lint_models import LintContext, LintFinding
from vault_core.vault import Vault

ESSAY = " ".join(
    f"Paragraph {i}: the fermentation of rye dough depends on temperature, hydration and the "
    f"age of the culture, and every baker learns to read the bubbles before shaping loaf {i}."
    for i in range(12)
)
FILES = {
    "Sourdough Starter.md": (
        "# Sourdough Starter\n\nA culture of wild yeast and lactic acid bacteria in flour and "
        "water. See [[Rye Bread]] and [[Kombucha]].\n\n"
        "A sourdough starter needs daily feeding when it is kept at room temperature.\n"
    ),
    "Rye Bread.md": (
        "# Rye Bread\n\nDense bread from rye flour, leavened by a sourdough starter. "
        "Bake it with [[Sourdough Starter]] and [[Sourdough Startr]]; read [[Kombucha]].\n\n"
        "A sourdough starter never needs daily feeding when it is kept at room temperature.\n"
    ),
    "Fermentation log.md": (
        "# Fermentation log\n\nSee [[Kombucha]] and [[Rye Bread]].\n\n"
        "Fed the sourdough starter with rye flour this morning; the sourdough starter doubled "
        "by noon, so I baked.\n"
    ),
    "Lonely.md": "# Lonely\n\nA note about lighthouse keepers on remote islands.\n",
    "Dead end.md": "# Dead end\n\nLinked from the index, links nowhere itself.\n",
    "Long essay.md": f"# Long essay\n\n{ESSAY}\n",
    "Long essay copy.md": f"# Long essay copy\n\n{ESSAY.replace('Paragraph 3:', 'Para 3:')}\n",
    "recipes/index.md": "# Recipes\n\n- [[Pancakes]]\n- [[Waffles]]\n- [[Dead end]]\n",
    "recipes/Pancakes.md": "# Pancakes\n\nFlour, eggs and milk.\n",
    "recipes/Waffles.md": "# Waffles\n\nLike pancakes, in a waffle iron.\n",
    "recipes/Crepes.md": "# Crepes\n\nThin pancakes.\n",
    "Summary.md": (
        "---\nsources: [raw/data.csv, raw/gone.csv]\n---\n# Summary\n\nNumbers from the "
        "data file. See [[Rye Bread]].\n"
    ),
    "raw/data.csv": "a,b\n1,2\n",
}


@pytest.fixture
def vault(make_vault: Callable[..., Vault]) -> Vault:
    v = make_vault(FILES)
    later = time.time() + 120  # the source changed after the summary was written
    os.utime(v.root / "raw/data.csv", (later, later))
    return v


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".nvault" not in p.parts
    }


def _by_kind(findings: list[LintFinding]) -> dict[str, list[LintFinding]]:
    out: dict[str, list[LintFinding]] = {k: [] for k in KINDS}
    for f in findings:
        out[f.kind].append(f)
    return out


def _apply_replace(root: Path, args: dict[str, object]) -> str:
    """What replace_text would do: the precondition holds and `old` occurs `expected_count` times."""
    raw = (root / str(args["path"])).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == args["version"]
    text = raw.decode("utf-8")
    assert text.count(str(args["old"])) == args["expected_count"]
    return text.replace(str(args["old"]), str(args["new"]))


def test_every_kind_is_found_with_its_fix_and_nothing_is_written(vault: Vault) -> None:
    before = _snapshot(vault.root)
    report = lint(vault)
    kinds = _by_kind(report.findings)
    assert _snapshot(vault.root) == before  # read-only
    assert all(f.fix is None or f.fix.arguments["dry_run"] is True for f in report.findings)
    assert report.counts == {k: len(v) for k, v in kinds.items()}

    typo = next(f for f in kinds["broken_link"] if "Startr" in f.message)
    assert typo.note == "Rye Bread.md" and typo.fix and typo.fix.tool == "replace_text"
    fixed = _apply_replace(vault.root, typo.fix.arguments)
    assert "[[Sourdough Starter]] and [[Sourdough Starter]]" in fixed

    (missing,) = kinds["missing_page"]
    assert "[[Kombucha]]" in missing.message and missing.fix
    assert missing.fix.model_dump() == {
        "tool": "create_note",
        "arguments": {"path": "Kombucha.md", "content": "# Kombucha\n", "dry_run": True},
    }
    assert len(missing.related) == 2

    orphans = {f.note: f for f in kinds["orphan"]}
    assert "Lonely.md" in orphans
    plan = orphans["Lonely.md"].fix
    assert plan and plan.tool == "add_link" and plan.arguments["target"] == "Lonely"
    linker = str(plan.arguments["path"])
    assert (
        plan.arguments["version"] == hashlib.sha256((vault.root / linker).read_bytes()).hexdigest()
    )

    dead = {f.note: f for f in kinds["no_outgoing_links"]}
    assert "Dead end.md" in dead and "Lonely.md" not in dead
    assert dead["Dead end.md"].fix and dead["Dead end.md"].fix.tool == "add_link"

    (dup,) = kinds["duplicate"]
    assert {dup.note, *dup.related} == {"Long essay.md", "Long essay copy.md"}
    assert dup.fix and dup.fix.tool == "delete_note" and dup.fix.arguments["force"] is False

    (drift,) = kinds["index_drift"]
    assert drift.note == "recipes/index.md" and drift.related == ["recipes/Crepes.md"]
    assert drift.fix and drift.fix.model_dump()["arguments"] == {
        "path": "recipes/index.md",
        "content": "- [[Crepes]]\n",
        "heading": None,
        "dry_run": True,
    }

    assert len(kinds["stale_sources"]) == 2
    newer = next(f for f in kinds["stale_sources"] if "older than" in f.message)
    assert newer.note == "Summary.md" and newer.fix and newer.fix.tool == "append"
    gone = next(f for f in kinds["stale_sources"] if "'raw/gone.csv'" in f.message)
    assert gone.fix is None and "not in the vault" in gone.message

    mention = next(f for f in kinds["unlinked_mention"] if f.note == "Fermentation log.md")
    assert mention.related == ["Sourdough Starter.md"] and mention.location
    assert mention.fix and mention.fix.tool == "replace_text"
    after = _apply_replace(vault.root, mention.fix.arguments)
    assert "Fed the [[sourdough starter]] with rye flour" in after
    assert "; the sourdough starter doubled" in after  # the first occurrence only
    assert "1 more (line:col 5:" in mention.message  # the second one is listed, not suggested

    (claim,) = kinds["contradiction_candidate"]
    assert {claim.note, *claim.related} == {"Sourdough Starter.md", "Rye Bread.md"}
    assert claim.message.startswith("candidate to judge")
    assert "never needs daily feeding" in claim.message and "needs daily feeding" in claim.message


def test_scope_and_kind_filters(vault: Vault) -> None:
    report = lint(vault, "recipes", ["index_drift", "orphan"])
    assert report.kinds == ["index_drift", "orphan"]
    assert all(f.note.startswith("recipes/") for f in report.findings)
    assert report.counts["index_drift"] == 1
    assert report.notes_checked == 4
    one = lint(vault, "Summary.md")
    assert {f.note for f in one.findings} == {"Summary.md"}
    with pytest.raises(ValueError, match="unknown lint kinds"):
        lint(vault, kinds=["spelling"])


def test_index_note_is_planned_by_code(vault: Vault) -> None:
    plan = plan_index_note(LintContext(vault, None), "recipes")
    assert plan.path == "recipes/index.md" and plan.exists and plan.notes == 3
    assert plan.block.splitlines() == [
        BEGIN,
        "- [[Crepes]]",
        "- [[Pancakes]]",
        "- [[Waffles]]",
        END,
    ]
    assert plan.fix.tool == "append" and plan.fix.arguments["content"].endswith(END + "\n")
    # once the block is there, regenerating replaces exactly the block
    index = vault.root / "recipes/index.md"
    index.write_text(index.read_text() + "\n" + plan.block + "\nMy own words stay.\n")
    (vault.root / "recipes/Blini.md").write_text("# Blini\n\nSmall pancakes.\n")
    vault.sync()
    again = plan_index_note(LintContext(vault, None), "recipes")
    assert again.fix.tool == "replace_text"
    after = _apply_replace(vault.root, again.fix.arguments)
    assert "- [[Blini]]" in after and after.endswith("\nMy own words stay.\n")
    fresh = plan_index_note(LintContext(vault, None), "")  # the root has no index note yet
    assert fresh.fix.tool == "create_note" and fresh.path == "index.md"
    assert "- [[recipes/index|recipes/]]" in fresh.block and "- [[Lonely]]" in fresh.block
    assert "[[Crepes]]" not in fresh.block  # a subfolder's notes are its index's business
    with pytest.raises(ValueError, match="no notes under"):
        plan_index_note(LintContext(vault, None), "nowhere")


def test_cli_lint_json_text_and_write_index(
    vault: Vault, capsys: pytest.CaptureFixture[str]
) -> None:
    from vault_cli.main import main

    root = str(vault.root)
    before = _snapshot(vault.root)
    vault.close()  # the CLI opens its own writer
    assert main(["--root", root, "lint", "--json", "--kind", "missing_page"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == {"missing_page": 1}
    assert data["findings"][0]["fix"]["tool"] == "create_note"
    assert main(["--root", root, "lint", "recipes"]) == 0
    out = capsys.readouterr().out
    assert "[index_drift]" in out and '"tool": "append"' in out
    assert main(["--root", root, "lint", "--kind", "typo"]) == 2
    assert "unknown --kind typo" in capsys.readouterr().err
    assert main(["--root", root, "lint", "--write-index", "recipes"]) == 0
    out = capsys.readouterr().out
    assert "nothing written (dry run" in out and "- [[Crepes]]" in out
    assert _snapshot(Path(root)) == before
    # --apply writes the planned index through the write path; `nvault undo` takes it back
    assert main(["--root", root, "lint", "--write-index", "recipes", "--apply", "--json"]) == 0
    receipt = json.loads(capsys.readouterr().out)
    written = _snapshot(Path(root))
    assert set(written) - set(before) == set() and written != before
    assert "[[Crepes]]" in written[receipt["files"][0]["path"]].decode()
    assert main(["--root", root, "lint", "recipes", "--kind", "index_drift", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"].get("index_drift", 0) == 0
    assert main(["--root", root, "undo", receipt["write_id"]]) == 0
    capsys.readouterr()
    assert _snapshot(Path(root)) == before


def test_a_changed_vault_is_linted_afresh(vault: Vault) -> None:
    """Findings are kept per catalog version: asked again they are the same; after an edit they
    follow the edit."""
    first = lint(vault, kinds=["unlinked_mention"])
    assert lint(vault, kinds=["unlinked_mention"]).findings == first.findings
    assert any(f.note == "Fermentation log.md" for f in first.findings)
    log = vault.root / "Fermentation log.md"
    log.write_text(log.read_text().replace("Fed the sourdough", "Fed the [[sourdough starter]]"))
    vault.sync()
    again = lint(vault, kinds=["unlinked_mention"])
    assert not any(f.note == "Fermentation log.md" for f in again.findings)
