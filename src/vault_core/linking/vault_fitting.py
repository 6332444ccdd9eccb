"""Fit the link model on one vault's own links; keep it only if it beats the shipped one there.

A vault's existing links are free labels: hide a note's links, ask `related()` for it, and the
notes it really links are the right answers. The shipped model (assets/link_model.json) is fitted
on other people's vaults. Here the same logistic model is refitted on the user's vault, pulled
toward the shipped weights (L2 around them, so a small vault cannot wander far), and it is chosen
only if it recovers more held-out links than the shipped model: notes are split in two folds by a
hash of their path, each fold is scored by a model fitted on the other, and both models are
compared on exactly the same notes. Deterministic: no random numbers, fixed iterations.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from vault_core.linking.link_model import FEATURES, LinkModel, default_model
from vault_core.linking.related import Candidates, link_candidates
from vault_core.linking.vault_fit import LinkScore, VaultFit

if TYPE_CHECKING:
    from vault_core.read_model import ReadModel

MIN_LINKS = 3  # a note needs this many distinct links to other notes to be a labelled example
MIN_NOTES = 20  # fewer labelled notes than this: too little to judge a fit, keep the default
MARGIN = 0.005  # the vault's own model must win held-out recall@10 by more than this
K = 10
L2 = 0.1
UNWRAPPED_WEIGHT = 0.25  # as in bench/fit_link_model.py: strict rows 1, unwrapped rows 0.25
ITERATIONS = 1500


@dataclass
class Example:
    """One labelled note: its candidates, their feature rows and which ones it really links."""

    path: str
    found: Candidates
    x: np.ndarray
    y: np.ndarray
    targets: set[str]
    weight: float = 1.0


def labelled_notes(vault: ReadModel, min_links: int = MIN_LINKS) -> list[tuple[str, set[str]]]:
    """Notes with >= `min_links` distinct links to other existing notes, and those targets."""
    catalog = vault.catalog
    found = []
    for path, note in sorted(catalog.items()):
        if note.kind != "note":
            continue
        targets = {
            r.target
            for r in vault.graph.outgoing(path)
            if r.target and r.target != path and catalog[r.target].kind == "note"
        }
        if len(targets) >= min_links:
            found.append((path, targets))
    return found


def collect(
    vault: ReadModel,
    notes: Sequence[tuple[str, set[str]]],
    keep_link_words: bool = False,
    weight: float = 1.0,
    reembed: bool = True,
) -> list[Example]:
    """Candidates and labels for each note, its links hidden (strict, or `keep_link_words`).

    `reembed=False` keeps the note's stored chunk vectors (their text still has the links) instead
    of embedding it again without them: no model call, so a vault is fitted in seconds, and those
    are the vectors related() itself uses."""
    examples = []
    for path, targets in notes:
        found = link_candidates(
            vault,
            path,
            exclude_links=False,
            hide_links_of=path,
            strip_query_links=reembed,
            keep_link_words=keep_link_words,
        )
        if found is None or not found.ranks:
            continue
        order = list(found.ranks)
        y = np.array([found.index.paths[i] in targets for i in order], np.float64)
        examples.append(Example(path, found, found.feature_matrix(order), y, targets, weight))
    return examples


def descend(
    x: np.ndarray,
    y: np.ndarray,
    row_weights: np.ndarray,
    *,
    l2: float = L2,
    iterations: int = ITERATIONS,
    prior: tuple[np.ndarray, float] | None = None,
    bias: float = 0.0,
    offset: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, float]:
    """The one class-balanced logistic regression (gradient descent on standardised features)
    behind every link-model fit: (weights, bias) on the raw features. `prior` (weights, bias):
    start there and let L2 pull toward it instead of toward zero; `bias`: the starting bias
    without a prior; `offset`: a fixed logit per row added to the model's (a stagewise fit)."""
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    xs = (x - mu) / sd
    sample_w = np.where(y > 0, (len(y) - y.sum()) / max(y.sum(), 1.0), 1.0) * row_weights
    sample_w /= sample_w.mean()
    w0 = np.zeros(x.shape[1])
    b = bias
    if prior is not None:
        w0 = prior[0] * sd
        b = prior[1] + float((mu * prior[0]).sum())
    w = w0.copy()
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(offset + xs @ w + b)))
        g = (p - y) * sample_w
        w -= 0.5 * (xs.T @ g / len(y) + l2 * (w - w0))
        b -= 0.5 * float(g.mean())
    weights = w / sd
    return weights, b - float((mu * weights).sum())


def fit(
    examples: Sequence[Example],
    l2: float = L2,
    trained_on: Sequence[str] = (),
    prior: LinkModel | None = None,
    iterations: int = ITERATIONS,
) -> LinkModel:
    """Class-balanced logistic regression by gradient descent on standardised features.

    With `prior`, the L2 penalty pulls toward the prior's weights instead of toward zero, and
    the descent starts there, so a fit on a few hundred notes adjusts the shipped model.
    """
    x = np.vstack([e.x for e in examples])
    y = np.concatenate([e.y for e in examples])
    row_weights = np.concatenate([np.full(len(e.y), e.weight) for e in examples])
    weights, bias = descend(
        x,
        y,
        row_weights,
        l2=l2,
        iterations=iterations,
        prior=None if prior is None else (np.asarray(prior.weights, np.float64), prior.bias),
    )
    return LinkModel(
        features=list(FEATURES),
        weights=[round(float(v), 6) for v in weights],
        bias=round(bias, 6),
        trained_on=list(trained_on),
        l2=l2,
    )


def _recovery(example: Example, model: LinkModel) -> tuple[float, float]:
    """(recall@10, reciprocal rank of the first target in the top 10) for one note."""
    paths = example.found.index.paths
    hits = [paths[i] in example.targets for _, i in example.found.ranked(model)[:K]]
    rr = next((1.0 / r for r, h in enumerate(hits, 1) if h), 0.0)
    return sum(hits) / len(example.targets), rr


def score(pairs: Sequence[tuple[Example, LinkModel]]) -> LinkScore:
    """recall@10 and MRR over notes, each ranked by the model paired with it."""
    parts = [_recovery(e, m) for e, m in pairs]
    return LinkScore(
        notes=len(parts),
        recall_at_10=round(statistics.fmean(r for r, _ in parts), 4) if parts else 0.0,
        mrr=round(statistics.fmean(rr for _, rr in parts), 4) if parts else 0.0,
    )


def fold(path: str) -> int:
    """0 or 1, from a hash of the path: the same split on every run and every machine."""
    return hashlib.sha256(path.encode("utf-8")).digest()[0] & 1


def two_fold(
    strict: Sequence[Example],
    unwrapped: Sequence[Example],
    default: LinkModel,
    *,
    l2: float = L2,
    prior: bool = True,
    name: str = "this vault",
) -> tuple[LinkScore, LinkScore]:
    """(shipped, own) recall on the strict examples, each fold ranked by a model fitted on the
    other fold's strict and unwrapped examples (`prior=False`: fitted from zero, not around
    the shipped weights)."""
    shipped: list[tuple[Example, LinkModel]] = []
    own: list[tuple[Example, LinkModel]] = []
    for f in (0, 1):
        train = [e for e in (*strict, *unwrapped) if fold(e.path) != f]
        test = [e for e in strict if fold(e.path) == f]
        if not train or not test:
            continue
        model = fit(train, l2, prior=default if prior else None, trained_on=[name])
        shipped += [(e, default) for e in test]
        own += [(e, model) for e in test]
    return score(shipped), score(own)


def fit_vault(
    vault: ReadModel,
    default: LinkModel | None = None,
    *,
    margin: float = MARGIN,
    min_notes: int = MIN_NOTES,
    name: str = "this vault",
    reembed: bool = False,
) -> VaultFit:
    """Fit on the vault's own links; choose it only if it wins two-fold held-out recall@10.

    `reembed=True` scores under the strict protocol (each note embedded again without its links,
    as bench/linking.py's headline): minutes on a large vault instead of seconds."""
    started = time.perf_counter()
    default = default or default_model()
    notes = labelled_notes(vault)

    def decided(**kw: object) -> VaultFit:
        seconds = round(time.perf_counter() - started, 2)
        return VaultFit.model_validate({"labelled_notes": len(notes), "seconds": seconds, **kw})

    if len(notes) < min_notes:
        return decided(
            chosen="default",
            reason=f"{len(notes)} notes with >= {MIN_LINKS} links; {min_notes} are needed to fit",
        )
    strict = collect(vault, notes, reembed=reembed)
    unwrapped = collect(vault, notes, True, UNWRAPPED_WEIGHT, reembed)
    base, mine = two_fold(strict, unwrapped, default, name=name)
    if mine.recall_at_10 <= base.recall_at_10 + margin:
        return decided(
            chosen="default",
            reason=f"the vault's own model did not beat the shipped one by more than {margin} "
            "recall@10 on held-out links",
            default=base,
            fitted=mine,
        )
    return decided(
        chosen="vault",
        reason="the vault's own model recovers more held-out links than the shipped one",
        default=base,
        fitted=mine,
        model=fit([*strict, *unwrapped], prior=default, trained_on=[name]),
    )
