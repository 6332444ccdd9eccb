"""LLM client against a scripted Ollama HTTP server on 127.0.0.1 (no patched functions)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Literal

import pytest
from fakes.ollama import FakeOllama, Reply
from pydantic import BaseModel, ConfigDict

from vault_core.config import LLMConfig
from vault_core.study.llm import (
    LLMCancelled,
    LLMClient,
    LLMError,
    LLMTimeout,
    LLMUnavailable,
    condense,
)
from vault_core.study.llm_json import extract_json

MODEL = "gemma3:4b"


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    kind: Literal["fact", "idea"]


class Summary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: str
    points: list[Point]


GOOD = {"summary": "S.", "points": [{"text": "a", "kind": "fact"}, {"text": "b", "kind": "idea"}]}


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama(models=[MODEL, "nomic-embed-text:latest"]) as server:
        yield server


def client_for(fake: FakeOllama, **kw: object) -> LLMClient:
    return LLMClient(LLMConfig(host=fake.url, model=kw.pop("model", MODEL), **kw))  # type: ignore[arg-type]


def ask(client: LLMClient, **kw: object):  # type: ignore[no-untyped-def]
    return client.structured(Summary, "You summarise notes.", "Summarise: hello", **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- status / doctor


def test_status_ok_reports_version_and_models(fake: FakeOllama) -> None:
    st = client_for(fake).status()
    assert st.ok and st.reachable and st.model_present
    assert st.version == "0.9.0"
    assert MODEL in st.models and st.fix is None


def test_status_model_missing_says_how_to_fix(fake: FakeOllama) -> None:
    st = client_for(fake, model="qwen2.5:7b").status()
    assert st.reachable and not st.model_present and not st.ok
    assert "ollama pull qwen2.5:7b" in (st.fix or "")


def test_status_untagged_model_matches_latest(fake: FakeOllama) -> None:
    assert client_for(fake, model="nomic-embed-text").status().ok


def test_status_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    st = LLMClient(LLMConfig(host=f"http://127.0.0.1:{port}", model=MODEL)).status()
    assert not st.reachable and not st.ok
    assert "ollama serve" in (st.fix or "")


# ---------------------------------------------------------------- structured replies


def test_valid_json_sends_schema_as_format(fake: FakeOllama) -> None:
    fake.script(json.dumps(GOOD))
    res = ask(client_for(fake))
    assert res.value == Summary.model_validate(GOOD)
    assert res.attempts == 1 and res.dropped == 0
    (req,) = fake.chat_requests()
    assert req["format"] == Summary.model_json_schema()
    assert req["format"]["additionalProperties"] is False
    assert req["stream"] is False


def test_fenced_json_with_prose(fake: FakeOllama) -> None:
    fake.script("Sure! Here is the JSON:\n```json\n" + json.dumps(GOOD, indent=2) + "\n```\nDone.")
    assert ask(client_for(fake)).value.summary == "S."


def test_array_instead_of_object(fake: FakeOllama) -> None:
    fake.script(json.dumps([GOOD]))
    assert len(ask(client_for(fake)).value.points) == 2


def test_object_instead_of_array(fake: FakeOllama) -> None:
    fake.script(json.dumps({"summary": "S.", "points": {"text": "only", "kind": "fact"}}))
    res = ask(client_for(fake))
    assert [p.text for p in res.value.points] == ["only"]


def test_trailing_commas(fake: FakeOllama) -> None:
    fake.script('{"summary": "S, too,", "points": [{"text": "a,]", "kind": "fact",},],}')
    res = ask(client_for(fake))
    assert res.value.summary == "S, too,"
    assert res.value.points[0].text == "a,]"


def test_one_malformed_item_among_five_is_dropped(fake: FakeOllama) -> None:
    items = [{"text": f"p{i}", "kind": "fact"} for i in range(5)]
    items[2] = {"text": "p2", "kind": "opinion"}  # not in the Literal
    fake.script(json.dumps({"summary": "S.", "points": items}))
    res = ask(client_for(fake))
    assert [p.text for p in res.value.points] == ["p0", "p1", "p3", "p4"]
    assert res.dropped == 1 and res.attempts == 1
    assert any("points[2]" in w for w in res.warnings)


def test_unknown_top_level_key_is_ignored(fake: FakeOllama) -> None:
    fake.script(json.dumps({**GOOD, "confidence": 0.9}))
    res = ask(client_for(fake))
    assert res.value.summary == "S."
    assert any("confidence" in w for w in res.warnings)


def test_garbage_then_valid_retries_with_reminder(fake: FakeOllama) -> None:
    fake.script("I cannot do that.", json.dumps(GOOD))
    res = ask(client_for(fake))
    assert res.attempts == 2 and res.value.summary == "S."
    first, second = fake.chat_requests()
    assert len(second["messages"]) == len(first["messages"]) + 2
    assert "ONE JSON object" in second["messages"][-1]["content"]


def test_garbage_twice_is_a_clear_error(fake: FakeOllama) -> None:
    fake.script("lorem ipsum", '{"summary": ')
    with pytest.raises(LLMError, match=r"no usable Summary after 2 attempts"):
        ask(client_for(fake))
    assert len(fake.chat_requests()) == 2


def test_all_items_malformed_counts_as_unusable(fake: FakeOllama) -> None:
    bad = {"summary": "S.", "points": [{"text": 1}, {"kind": "x"}]}
    fake.script(json.dumps(bad), json.dumps(bad))
    with pytest.raises(LLMError, match="every list item was malformed"):
        ask(client_for(fake))


def test_slow_reply_times_out(fake: FakeOllama) -> None:
    fake.script(Reply(json.dumps(GOOD), delay_s=30))
    with pytest.raises(LLMTimeout, match=r"did not answer within 0\.3s"):
        ask(client_for(fake, timeout_s=0.3))


def test_cancellation_aborts_waiting(fake: FakeOllama) -> None:
    fake.script(Reply(json.dumps(GOOD), delay_s=30))
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    with pytest.raises(LLMCancelled):
        ask(client_for(fake, timeout_s=60), cancel=cancel)


def test_model_missing_on_chat(fake: FakeOllama) -> None:
    with pytest.raises(LLMUnavailable, match=r"ollama pull llama9"):
        ask(client_for(fake, model="llama9"))


def test_server_error_is_llm_error(fake: FakeOllama) -> None:
    fake.script(Reply(status=500, error="out of memory"))
    with pytest.raises(LLMError, match="out of memory"):
        ask(client_for(fake))


# ---------------------------------------------------------------- helpers


def test_extract_json_keeps_braces_inside_strings() -> None:
    text = 'noise {"a": "x } y", "b": [1, 2,],} more {"c": 3}'
    assert extract_json(text) == {"a": "x } y", "b": [1, 2]}


def test_extract_json_without_json_raises() -> None:
    with pytest.raises(ValueError):
        extract_json("no json here")


def test_condense_keeps_best_passages_in_document_order() -> None:
    passages = [("alpha " * 10, 0.1), ("beta " * 10, 0.9), ("gamma " * 10, 0.5), ("delta", 0.05)]
    out = condense(passages, max_chars=130, sep="|")
    assert out.split("|") == [passages[1][0], passages[2][0], "delta"]
    assert len(out) <= 130


def test_condense_short_text_is_untouched() -> None:
    assert condense([("a", 0.0), ("b", 1.0)], max_chars=1000, sep=" ") == "a b"


def test_condense_cuts_a_single_oversized_passage() -> None:
    assert condense([("x" * 50, 1.0)], max_chars=10) == "x" * 10
