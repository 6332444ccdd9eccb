"""The study tools' LLM engine through the server, against a fake Ollama on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

from fakes.ollama import FakeOllama, Reply
from mcp_helpers import SyncClient, indexed_vault, server_params, text

ANALYSIS = {
    "summary": "Zebras live in Africa and each has unique stripes.",
    "key_points": [
        {
            "text": "Every zebra's stripe pattern is unique.",
            "quote": "Each zebra has a unique stripe pattern",
            "start_line": 12,
            "end_line": 12,
        }
    ],
    "entities": ["zebra", "quagga"],
    "open_questions": ["Why stripes?"],
    "suggested_tags": ["animals"],
}


def test_analyze_with_the_llm_engine_cites_verified_lines(tmp_path: Path) -> None:
    root = indexed_vault(tmp_path / "vault")
    with FakeOllama(models=["gemma3:4b"]) as fake:
        fake.script(Reply(json.dumps(ANALYSIS)))
        env = {"OLLAMA_HOST": fake.url, "NVAULT_LLM_MODEL": "gemma3:4b"}
        with SyncClient(server_params(root, env=env)) as client:
            out = client.ok("analyze", {"note": "Zebra Facts", "engine": "llm"})
            assert out["meta"]["engine"] == "llm" and out["meta"]["model"] == "gemma3:4b"
            point = out["key_points"][0]
            assert point["citation"]["path"] == "animals/zebra.md"
            assert point["citation"]["start_line"] == 12
            sent = json.dumps(fake.chat_requests())
            assert "quagga names an extinct subspecies" in sent  # the note went to the model
            fake.script(Reply("this is not json"), Reply("still not json"))
            broken = client.call_tool(
                "compare", {"note_a": "Coffee", "note_b": "Tea", "engine": "llm"}
            )
            assert broken.is_error and "Traceback" not in text(broken)
            assert "engine='extractive'" in text(broken)  # says what to do instead
