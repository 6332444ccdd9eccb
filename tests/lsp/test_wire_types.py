"""The editor's TypeScript `Hit` (vscode-extension/src/protocol.ts) against the JSON Schema of
the hit the language server sends (vault_core.wire.EditorHit): every field the extension reads
exists, always, with the type it expects, and every field sent is declared (one hit, two
languages: the check runs both ways)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from vault_core.wire import EditorHit

PROTOCOL = Path(__file__).resolve().parents[2] / "vscode-extension" / "src" / "protocol.ts"
PRIMITIVES = {"string": {"string"}, "number": {"number", "integer"}, "boolean": {"boolean"}}


def interface_fields(source: str, name: str) -> dict[str, tuple[str, bool]]:
    """`field -> (TypeScript type, optional)` of `export interface <name> { ... }`."""
    body = re.search(rf"export interface {name} \{{(.*?)^\}}", source, re.S | re.M)
    assert body, f"no interface {name} in {PROTOCOL}"
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", body.group(1), flags=re.S)
    fields = re.findall(r"^\s*(\w+)(\??):\s*([^;]+);", text, re.M)
    assert fields, f"interface {name} has no fields I can read"
    return {field: (ts.strip(), optional == "?") for field, optional, ts in fields}


def ts_matches(ts: str, schema: dict[str, Any]) -> bool:
    """Does a value valid under `schema` fit the TypeScript type `ts`?"""
    ts = ts.strip()
    if "anyOf" in schema:
        return all(ts_matches(ts, option) for option in schema["anyOf"])
    if "|" in ts:
        return any(ts_matches(part, schema) for part in ts.split("|"))
    if ts.endswith("[]"):
        return schema.get("type") == "array" and ts_matches(ts[:-2], schema.get("items", {}))
    if ts.startswith("[") and ts.endswith("]"):
        parts = [p for p in ts[1:-1].split(",") if p.strip()]
        items = schema.get("prefixItems", [])
        return (
            schema.get("type") == "array"
            and len(parts) == len(items) == schema.get("minItems") == schema.get("maxItems")
            and all(ts_matches(p, s) for p, s in zip(parts, items, strict=True))
        )
    if ts == "null":
        return schema.get("type") == "null"
    return schema.get("type") in PRIMITIVES.get(ts, set())


def test_typescript_hit_matches_the_servers_hit() -> None:
    schema = EditorHit.model_json_schema()
    sent, required = schema["properties"], set(schema["required"])
    fields = interface_fields(PROTOCOL.read_text(encoding="utf-8"), "Hit")
    assert "uri" in fields and "start_line" in fields  # the parser read the real interface
    for field, (ts, optional) in fields.items():
        assert field in sent, f"protocol.ts Hit.{field} is not sent by vault-lsp"
        assert optional or field in required, f"Hit.{field} may be absent from what is sent"
        assert ts_matches(ts, sent[field]), f"Hit.{field}: {ts} does not fit {sent[field]}"
    undeclared = set(sent) - set(fields)
    assert not undeclared, f"vault-lsp sends {sorted(undeclared)}, which protocol.ts's Hit lacks"


@pytest.mark.parametrize(
    ("ts", "field", "fits"),
    [
        ("string[]", "heading_path", True),
        ("number", "score", True),
        ("string", "score", False),
        ("[number, number][]", "match_spans", True),
        ("number[]", "match_spans", False),
        ("[number][]", "match_spans", False),
    ],
)
def test_the_type_check_can_fail(ts: str, field: str, fits: bool) -> None:
    """The comparison rejects a wrong type, so the check above can fail."""
    assert ts_matches(ts, EditorHit.model_json_schema()["properties"][field]) is fits
