"""How `related()` weighs its signals: a logistic model fitted on links real writers made.

Each candidate note is described by where each signal ranked it (two shapes of the rank, so the
model can learn both "near the top" and "anywhere in the list"), how often other notes link it,
whether it shares this note's folder, how many signals found it at all, and where it sits in the
note's name tree (Dendron's `a.b.c` stems, sub-pages in folders: parent, child, sibling). The weights are
global, fitted by `bench/fit/link_model.py` on link recovery over whole vaults (never per note)
and shipped in `assets/link_model.json`; docs/benchmarks.md reports each vault's recall with a
model that never saw that vault.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from vault_core.linking.related_index import DEPTH
from vault_core.query.fusion import RRF_K

# the rankers whose positions are features, in feature order
RANKERS = (
    "note",
    "passage",
    "keyword",
    "titles",
    "mention",
    "graph",
    "popular",
    "folder",
    "feedback",
    "peers",
)
EXTRA_FEATURES = ("log_in_degree", "same_folder", "signal_share")
# Where the candidate sits in the note's name tree (Dendron's parents link their children). The
# shipped weights of the features above are kept (fitted on the strict protocol); these four are
# fitted on top of them (bench/fit/link_signals.py --stagewise). Held out, stored vectors
# (docs/benchmarks.md): dendron-docs recall@10 0.625 -> 0.656, silverbullet-docs 0.617 -> 0.626,
# vaultofknowledge (flat names) 0.595 -> 0.596.
TREE_FEATURES = ("tree_ancestor", "tree_descendant", "tree_sibling", "tree_shared")
FEATURES = (
    *(f"{name}_{shape}" for name in RANKERS for shape in ("rrf", "log")),
    *EXTRA_FEATURES,
    *TREE_FEATURES,
)
_LOG_DEPTH = math.log(DEPTH + 1)


class LinkModel(BaseModel):
    """Logistic-regression weights over FEATURES; score = bias + weights . features."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    features: list[str]
    weights: list[float]
    bias: float
    trained_on: list[str] = Field(default_factory=list, description="vaults the fit used")
    l2: float = 0.0

    @model_validator(mode="after")
    def _matches_this_version(self) -> LinkModel:
        if list(self.features) != list(FEATURES) or len(self.weights) != len(FEATURES):
            raise ValueError("link model features do not match this version of nvault")
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        """Logits for a (candidates x features) matrix: higher = more likely a link."""
        return x @ np.asarray(self.weights, np.float64) + self.bias


def name_parts(path: str) -> list[str]:
    """A note's place in its vault's name tree: its folders, then its file stem split at dots
    (`docs/Library/Std.md` -> docs, library, std; `dendron.topic.lookup.md` -> dendron, topic,
    lookup), case-folded as Obsidian resolves names."""
    folder, _, name = path.rpartition("/")
    stem = name.rpartition(".")[0] if "." in name else name
    return [p.casefold() for p in (*(folder.split("/") if folder else ()), *stem.split("."))]


def name_tree(me: Sequence[str], other: Sequence[str]) -> list[float]:
    """TREE_FEATURES of `other` seen from `me` (both from `name_parts`): is it an ancestor, a
    descendant, a sibling (same parent), and the shared leading parts' share of the longer."""
    shared = 0
    for a, b in zip(me, other, strict=False):
        if a != b:
            break
        shared += 1
    return [
        float(shared == len(other) < len(me)),
        float(shared == len(me) < len(other)),
        float(len(me) == len(other) and shared == len(me) - 1),
        shared / max(len(me), len(other), 1),
    ]


def features(
    ranks: dict[str, int],
    in_degree: float,
    same_folder: bool,
    tree: Sequence[float] = (0.0, 0.0, 0.0, 0.0),
) -> list[float]:
    """The feature row of one candidate (ranks are 1-based; a missing signal is 0; `tree` from
    `name_tree`)."""
    row: list[float] = []
    for name in RANKERS:
        rank = ranks.get(name)
        if rank is None:
            row += [0.0, 0.0]
        else:
            row += [RRF_K / (RRF_K + rank), max(0.0, _LOG_DEPTH - math.log(rank)) / _LOG_DEPTH]
    row += [math.log1p(max(in_degree, 0.0)), float(same_folder), len(ranks) / len(RANKERS)]
    return row + list(tree)


def probability(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-logit))


@lru_cache(maxsize=1)
def default_model() -> LinkModel:
    text = resources.files("vault_core").joinpath("assets/link_model.json").read_text("utf-8")
    return LinkModel.model_validate(json.loads(text))
