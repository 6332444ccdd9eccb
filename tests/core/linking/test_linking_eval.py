"""The link-recovery evaluation (bench/measure/linking.py) runs end to end on silverbullet-docs.

Checks that the metrics are computed and well-formed, not their values. The index is the
session's shared silverbullet-docs index (tests/conftest.py: built once, copied per use).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

import bench.fit.link_model as fit_mod
import bench.measure.linking
from vault_core.linking.link_model import FEATURES
from vault_core.linking.related import related
from vault_core.linking.related_index import note_index
from vault_core.linking.vault_fitting import labelled_notes
from vault_core.vault import Vault


@pytest.fixture(scope="session")
def linking() -> ModuleType:
    return bench.measure.linking


@pytest.fixture(scope="session")
def silverbullet(copy_vault: Callable[[], Path]) -> Iterator[Vault]:
    """A copy of the session's indexed silverbullet-docs (shared with the LSP tests)."""
    with Vault.open(copy_vault()) as vault:
        yield vault


@pytest.mark.timeout(1200)
def test_link_recovery_metrics_are_computed(silverbullet: Vault, linking: ModuleType) -> None:
    eligible = labelled_notes(silverbullet)
    assert len(eligible) > 40
    assert all(len(targets) >= 3 and path not in targets for path, targets in eligible)
    result = linking.evaluate(silverbullet, max_notes=30)
    assert result["notes_evaluated"] == 30
    for method in ("semantic", "keyword", "combined", "title_baseline"):
        metrics = result[method]
        assert 0.0 <= metrics["recall@10"] <= 1.0
        assert 0.0 <= metrics["mrr"] <= 1.0
    # something is found: an evaluation that recovers no link at all is measuring a bug
    assert result["combined"]["recall@10"] > 0.0


def test_score_and_subset(linking: ModuleType) -> None:
    assert linking.score(["a", "x", "b"], {"a", "b", "c", "d"}) == (0.5, 1.0)
    assert linking.score(["x", "y", "b"], {"b"}) == (1.0, pytest.approx(1 / 3))
    assert linking.score(["x"], {"b"}) == (0.0, 0.0)
    assert linking.subset(list(range(10)), 5) == [0, 2, 4, 6, 8]
    assert linking.subset([1, 2], None) == [1, 2]


def test_hidden_links_do_not_reach_the_graph_signal(
    silverbullet: Vault, linking: ModuleType
) -> None:

    index = note_index(silverbullet)
    # notes whose only neighbours are their own link targets: hidden, the graph walk has nothing
    closed = [p for p, _ in labelled_notes(silverbullet) if index.inc[p] <= index.out[p]]
    assert closed
    for path in closed[:5]:
        hits = related(
            silverbullet, path, 50, signals={"graph"}, exclude_links=False, hide_links_of=path
        )
        assert all("graph" not in h.ranks for h in hits)
        visible = related(silverbullet, path, 50, signals={"graph"}, exclude_links=False)
        assert any("graph" in h.ranks for h in visible)


def test_link_model_fit_runs_on_a_real_vault(silverbullet: Vault) -> None:
    queries = fit_mod.collect(silverbullet, max_notes=20)
    assert len(queries) == 20
    positives = sum(int(q[2].sum()) for q in queries)
    assert positives > 0, "some true link targets are among the candidates"
    assert all(q[1].shape == (len(q[2]), len(FEATURES)) for q in queries)
    model = fit_mod.fit(queries, l2=0.1, names=["silverbullet-docs"], iters=300)
    assert len(model.weights) == len(FEATURES) and model.trained_on == ["silverbullet-docs"]
    metrics = fit_mod.recall(queries, model)
    assert 0.0 < metrics["recall@10"] <= 1.0 and 0.0 < metrics["mrr"] <= 1.0
