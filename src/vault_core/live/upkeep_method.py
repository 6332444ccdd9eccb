"""`UpkeepMethod`: a handle's method that is its `Upkeep`'s, forwarded as it stands.

Split from vault_index.py so the forwarding (a descriptor, not a base class) is stated once
and the handle's module holds only what the handle itself answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, Generic, ParamSpec, Protocol, Self, TypeVar, overload

from vault_core.live.upkeep import Upkeep

P = ParamSpec("P")
R = TypeVar("R")


class HasUpkeep(Protocol):
    """A handle holding an `Upkeep` (VaultIndex)."""

    upkeep: Upkeep


class UpkeepMethod(Generic[P, R]):
    """A method of the handle that is its `Upkeep`'s (live/upkeep.py) as it stands: the
    signature and docstring are stated once, there, and the handle forwards the call."""

    def __init__(self, method: Callable[Concatenate[Upkeep, P], R]) -> None:
        self.name = method.__name__
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, index: None, owner: type) -> Self: ...
    @overload
    def __get__(self, index: HasUpkeep, owner: type) -> Callable[P, R]: ...
    def __get__(self, index: HasUpkeep | None, owner: type) -> Self | Callable[P, R]:
        return self if index is None else getattr(index.upkeep, self.name)
