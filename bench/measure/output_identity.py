"""Behaviour-unchanged check for refactors (issue 28): the answers every front end gives stay
byte-identical on the real corpora.

Indexes a fresh copy of each corpus, then asks a real `vault-mcp` over stdio for `search`
(hybrid, keyword, semantic), `related`, `backlinks`, `links`, `read_note`, `analyze`, `compare` and
`quiz` (extractive engine: no LLM is reachable), and the CLI for `nvault search --format json`.
Each answer's text is hashed; fields that measure time are dropped first.

Usage:
    python -m bench.measure.output_identity --record   # write bench/baselines/output_identity.json
    python -m bench.measure.output_identity            # compare with it; exit 1 on any difference
Prints one JSON object (counts, and the first differences with both texts' digests).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from bench.harness import BASELINES, CORPORA, emit, log

BASELINE = BASELINES / "output_identity.json"
TIMING_KEYS = {"elapsed_ms", "took_ms", "seconds", "elapsed", "duration_ms", "timings"}
QUERIES = 12
NOTES = 8
SEED = 2828
NVAULT = str(Path(sys.executable).with_name("nvault"))


def _scrub(value: Any) -> Any:
    """Drop fields that measure time, so only what the user reads is compared."""
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _digest(value: Any) -> str:
    blob = json.dumps(_scrub(value), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NVAULT_ROOT"}
    env.update(
        OLLAMA_HOST="http://127.0.0.1:9",  # closed port: the extractive engine answers
        XDG_CONFIG_HOME=str(home / "config"),
        NO_COLOR="1",
    )
    return env


def _index(corpus: Path, root: Path, env: dict[str, str]) -> None:
    shutil.copytree(corpus, root, ignore=shutil.ignore_patterns(".git", ".nvault"))
    subprocess.run(
        [NVAULT, "index", str(root), "--quiet"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def _picks(root: Path) -> tuple[list[str], list[str]]:
    """Seeded notes and queries (note titles and first words of a body line)."""
    notes = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.md")
        if ".nvault" not in p.parts and not p.name.startswith("_")
    )
    rng = random.Random(SEED)
    chosen = rng.sample(notes, NOTES)
    queries: list[str] = []
    for path in rng.sample(notes, QUERIES):
        lines = [
            ln.strip("# ").strip()
            for ln in (root / path).read_text(errors="replace").splitlines()
            if len(ln.split()) >= 4 and not ln.startswith(("---", "```", "|"))
        ]
        if lines:
            queries.append(" ".join(rng.choice(lines).split()[:6]))
    return chosen, queries


async def _mcp_answers(root: Path, env: dict[str, str]) -> dict[str, Any]:
    notes, queries = _picks(root)
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "vault_mcp", "--root", str(root)], env=env
    )
    out: dict[str, Any] = {}
    async with Client(params) as client:
        for _ in range(600):
            status = (await client.call_tool("status", {})).structured_content or {}
            if status.get("chunks") and not status.get("catching_up"):
                break
            await asyncio.sleep(0.5)

        async def ask(key: str, tool: str, args: dict[str, Any]) -> None:
            result = await client.call_tool(tool, args)
            text = "\n".join(getattr(c, "text", "") for c in result.content)
            payload = result.structured_content if result.structured_content else text
            out[key] = {"error": result.is_error, "answer": payload}

        for q in queries:
            for mode in ("hybrid", "keyword", "semantic"):
                await ask(f"search/{mode}/{q}", "search", {"query": q, "mode": mode})
        for note in notes:
            for tool in ("related", "backlinks", "links", "analyze"):
                await ask(f"{tool}/{note}", tool, {"note": note})
            await ask(f"read_note/{note}", "read_note", {"path_or_title": note})
        for a, b in zip(notes[::2], notes[1::2], strict=False):
            await ask(f"compare/{a}/{b}", "compare", {"note_a": a, "note_b": b})
        await ask(f"quiz/{notes[0]}", "quiz", {"scope": notes[0], "n": 5})
    return out


def _cli_answers(root: Path, env: dict[str, str]) -> dict[str, Any]:
    _, queries = _picks(root)
    out: dict[str, Any] = {}
    for q in queries[:4]:
        done = subprocess.run(
            [NVAULT, "search", str(root), q, "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
        )
        out[f"cli-search/{q}"] = {"code": done.returncode, "answer": done.stdout}
    return out


def collect(corpora: list[str], dump: Path | None = None) -> tuple[dict[str, str], int]:
    """Digests of every answer, and how many answers were errors (a check over errors proves
    little, so the count is printed)."""
    digests: dict[str, str] = {}
    shown: dict[str, Any] = {}
    errors = 0
    with tempfile.TemporaryDirectory(prefix="nvault-identity-") as tmp:
        home = Path(tmp)
        env = _env(home)
        for name in corpora:
            root = home / name
            log(f"indexing {name} ...")
            _index(CORPORA / name, root, env)
            answers = asyncio.run(_mcp_answers(root, env))
            answers.update(_cli_answers(root, env))
            for key, value in answers.items():
                digests[f"{name}:{key}"] = _digest(value)
                shown[f"{name}:{key}"] = _scrub(value)
                errors += bool(value.get("error") or value.get("code"))
            log(f"{name}: {len(answers)} answers")
    if dump:
        dump.write_text(json.dumps(shown, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return digests, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="write the baseline")
    parser.add_argument(
        "--corpus", action="append", help="corpus names (default: both vaults)", default=None
    )
    parser.add_argument(
        "--dump", type=Path, default=None, help="also write every answer (to diff two runs)"
    )
    args = parser.parse_args()
    corpora = args.corpus or ["silverbullet-docs", "vaultofknowledge"]
    digests, errors = collect(corpora, args.dump)
    if args.record:
        BASELINE.parent.mkdir(exist_ok=True)
        BASELINE.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
        emit({"recorded": len(digests), "errors": errors, "baseline": str(BASELINE)})
        return
    baseline = json.loads(BASELINE.read_text())
    wanted = {k: v for k, v in baseline.items() if k.split(":", 1)[0] in corpora}
    differ = sorted(k for k in wanted if digests.get(k) != wanted[k])
    extra = sorted(set(digests) - set(wanted))
    emit(
        {
            "answers": len(digests),
            "errors": errors,
            "identical": not differ and not extra,
            "different": differ[:40],
            "missing_from_baseline": extra[:40],
        }
    )
    sys.exit(0 if not differ and not extra else 1)


if __name__ == "__main__":
    main()
