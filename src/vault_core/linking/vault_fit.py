"""The per-vault link model's stored decision: which model `related()` uses on this vault.

`vault_fitting.py` fits the shipped logistic link model again on a vault's own links and keeps it
only when it recovers more held-out links there than the shipped model does. The decision, the
figures behind it and (if chosen) the model live in the index folder as `link_fit.json`: derived
data, like the rest of the index, so deleting the folder loses nothing. No stored file, or one
from another version of the features: the shipped model, exactly as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal
from weakref import WeakKeyDictionary

from pydantic import BaseModel, ConfigDict, Field

from vault_core.linking.link_model import LinkModel

if TYPE_CHECKING:
    from vault_core.read_model import ReadModel

FIT_FILE = "link_fit.json"
# vault -> (index generation, its model): related() runs on every keystroke pause in an editor,
# and the index may be in an object store, so the file is read again only after an index change
_loaded: WeakKeyDictionary[ReadModel, tuple[int, LinkModel | None]] = WeakKeyDictionary()


class LinkScore(BaseModel):
    """Link recovery of one model on a set of notes (their links hidden, as bench/linking.py)."""

    model_config = ConfigDict(frozen=True)

    notes: int
    recall_at_10: float
    mrr: float


class VaultFit(BaseModel):
    """What the per-vault fit decided for one vault, and the held-out figures behind it."""

    model_config = ConfigDict(extra="forbid")

    chosen: Literal["default", "vault"]
    reason: str
    labelled_notes: int
    default: LinkScore | None = Field(None, description="the shipped model, two folds' notes")
    fitted: LinkScore | None = Field(None, description="two-fold held out, the same notes")
    model: LinkModel | None = Field(None, description="fitted on every labelled note, if chosen")
    seconds: float = 0.0

    def active_model(self) -> LinkModel | None:
        return self.model if self.chosen == "vault" else None


def save_fit(vault: ReadModel, result: VaultFit) -> None:
    """Store the decision in the index folder (local or object store)."""
    vault.location.files().write_text(FIT_FILE, result.model_dump_json(indent=2) + "\n")
    _loaded.pop(vault, None)


def load_fit(vault: ReadModel) -> VaultFit | None:
    """The stored decision, or None (never fitted, or written by another version: ignored)."""
    text = vault.location.files().read_text(FIT_FILE)
    if text is None:
        return None
    try:
        return VaultFit.model_validate_json(text)
    except ValueError:
        return None


def vault_model(vault: ReadModel) -> LinkModel | None:
    """The vault's own link model if a stored fit chose it, else None (use the shipped one)."""
    cached = _loaded.get(vault)
    if cached is not None and cached[0] == vault.generation:
        return cached[1]
    fit = load_fit(vault)
    model = fit.active_model() if fit else None
    _loaded[vault] = (vault.generation, model)
    return model
