"""LanceDB is imported without its REST namespace client's API classes, and nothing is lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def test_lancedb_works_without_loading_the_rest_client_apis(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        import pyarrow as pa
        from vault_core.store.lance import load_lancedb

        lancedb = load_lancedb()
        db = lancedb.connect({str(tmp_path / "lance")!r})
        vectors = pa.array([[0.0, 1.0], [1.0, 0.0]], pa.list_(pa.float32(), 2))
        table = db.create_table("t", pa.table({{"id": [1, 2], "vector": vectors}}))
        assert table.search([0.0, 1.0]).limit(1).to_list()[0]["id"] == 1
        apis = [m for m in sys.modules if m.startswith("lance_namespace_urllib3_client.api")]
        assert apis == [], apis
        import lance_namespace_urllib3_client as client

        assert client.ApiClient.__name__ == "ApiClient"  # the deferred __init__ ran in full
        assert any(m.startswith("lance_namespace_urllib3_client.api.") for m in sys.modules)
        assert client.Configuration is not None and client.models.ListTablesRequest
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
