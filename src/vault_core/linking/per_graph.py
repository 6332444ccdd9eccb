"""`PerGraph`: one value per open vault, rebuilt when its catalog version changes.

A new catalog version is a new `LinkGraph` object, so "is this still current?" is an identity
check. Several linking structures (the mention trie, the link habits) are costly to build and
asked for on every keystroke pause: each keeps one of these instead of its own cache and lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from vault_core.index.link_graph import LinkGraph
    from vault_core.read_model import ReadModel

T = TypeVar("T")


class PerGraph(Generic[T]):
    """`build(graph)` once per vault and catalog version; the vault is held weakly."""

    def __init__(
        self,
        build: Callable[[LinkGraph], T],
        update: Callable[[T, LinkGraph], T] | None = None,
        first: Callable[[ReadModel, LinkGraph], T] | None = None,
    ) -> None:
        """`update(old value, new graph)`, when given, derives the new version's value from
        the last one (a save changes a few notes; a build walks every note). `first(vault,
        graph)`, when given, makes a process's first value (from what the writer stored)."""
        self._build = build
        self._update = update
        self._first = first
        self._cache: WeakKeyDictionary[Any, tuple[LinkGraph, T]] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, vault: ReadModel) -> T:
        """The value for the vault's current graph (built under the lock: once, not per caller)."""
        graph = vault.graph
        with self._lock:
            cached = self._cache.get(vault)
            if cached is None or cached[0] is not graph:
                if cached is not None and self._update is not None:
                    cached = (graph, self._update(cached[1], graph))
                elif cached is None and self._first is not None:
                    cached = (graph, self._first(vault, graph))
                else:
                    cached = (graph, self._build(graph))
                self._cache[vault] = cached
            return cached[1]
