"""The per-vault link model: fitted on the vault's own links, used only when it wins there.

Real vaults in tmp_path, the real embedder and LanceDB; no figure of merit is asserted, only the
decision rule (fall back to the shipped model unless the vault's own model wins) and that
related() follows the stored decision.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import nvault
from vault_files import write_files

from vault_core.linking.link_model import FEATURES, LinkModel, default_model
from vault_core.linking.related import related
from vault_core.linking.vault_fit import FIT_FILE, VaultFit, load_fit, save_fit, vault_model
from vault_core.linking.vault_fitting import fit_vault, fold, labelled_notes
from vault_core.vault import Vault

TOPICS = [
    ("sourdough", "sourdough starter levain flour dough ferment bread"),
    ("tomatoes", "tomato seedlings frost stake water garden roots"),
    ("rust", "rust ownership borrow checker references lifetime compiler"),
    ("espresso", "espresso grind crema portafilter tamp extraction coffee"),
    ("sailing", "sailing tack jib mainsail wind heel boat"),
    ("chess", "chess opening gambit pawn endgame rook bishop"),
    ("glaciers", "glacier ice moraine crevasse meltwater valley retreat"),
    ("violin", "violin bow rosin strings intonation vibrato scales"),
    ("bees", "bees hive honey queen pollen comb swarm"),
    ("tides", "tides moon gravity spring neap coast harbour"),
    ("pottery", "pottery clay wheel kiln glaze throwing bisque"),
    ("cycling", "cycling cadence gears saddle climb descent tyres"),
]


def _web() -> dict[str, str]:
    """24 notes, two per topic; each links its twin and the next two topics' first notes by a
    label that names them (so the strict protocol, which keeps labels, can find them)."""
    files: dict[str, str] = {}
    n = len(TOPICS)
    for t, (topic, words) in enumerate(TOPICS):
        for part in (1, 2):
            name = f"{topic}-{part}"
            twin = f"{topic}-{3 - part}"
            nxt = [TOPICS[(t + d) % n][0] + "-1" for d in (1, 2)]
            links = " ".join(f"[[{p}|{p.replace('-', ' ')}]]" for p in [twin, *nxt])
            files[f"{name}.md"] = (
                f"# {name.replace('-', ' ').title()}\n\nNotes on {topic} ({part}): {words}. "
                f"More about {words.split()[1]} and {words.split()[2]}. See {links}.\n"
            )
    return files


@pytest.fixture
def web(make_vault: Callable[..., Vault]) -> Vault:
    return make_vault(_web())


def test_too_few_labelled_notes_keeps_the_shipped_model(make_vault: Callable[..., Vault]) -> None:
    files = {k: v for k, v in list(_web().items())[:6]}
    vault = make_vault(files)
    result = fit_vault(vault)
    assert result.chosen == "default"
    assert result.model is None and result.active_model() is None
    assert "needed to fit" in result.reason


def test_fit_falls_back_to_the_shipped_model_when_it_does_not_win(web: Vault) -> None:
    assert len(labelled_notes(web)) == 24
    assert {fold(p) for p, _ in labelled_notes(web)} == {0, 1}, "both folds have notes"
    # a margin no recall can clear: the vault's own model cannot win, whatever it scores
    result = fit_vault(web, margin=1.0)
    assert result.chosen == "default" and result.model is None
    assert result.default is not None and result.fitted is not None
    assert result.default.notes == result.fitted.notes == 24  # the same notes, both held out
    assert "did not beat" in result.reason


def test_fit_is_chosen_only_when_it_wins_and_is_deterministic(web: Vault) -> None:
    first = fit_vault(web, margin=-1.0)  # any figure clears it: the vault's model is chosen
    assert first.chosen == "vault" and first.model is not None
    assert first.model.features == list(FEATURES)
    again = fit_vault(web, margin=-1.0)
    assert again.model == first.model and again.fitted == first.fitted
    strict = fit_vault(web)  # the real rule: chosen iff it beats the shipped model by MARGIN
    assert strict.default is not None and strict.fitted is not None
    wins = strict.fitted.recall_at_10 > strict.default.recall_at_10 + 0.005
    assert (strict.chosen == "vault") == wins


def _popularity_only() -> LinkModel:
    """A model that ranks candidates by in-degree alone: its order is known in advance."""
    weights = [0.0] * len(FEATURES)
    weights[FEATURES.index("log_in_degree")] = 1.0
    return LinkModel(features=list(FEATURES), weights=weights, bias=0.0)


def test_related_follows_the_stored_decision(web: Vault) -> None:
    shipped = [h.path for h in related(web, "chess-1.md", 8)]
    assert load_fit(web) is None and vault_model(web) is None

    model = _popularity_only()
    save_fit(web, VaultFit(chosen="default", reason="test", labelled_notes=24, model=model))
    assert (web.config.index_path / FIT_FILE).is_file()
    assert [h.path for h in related(web, "chess-1.md", 8)] == shipped, "default: unchanged"

    save_fit(web, VaultFit(chosen="vault", reason="test", labelled_notes=24, model=model))
    assert vault_model(web) == model
    own = related(web, "chess-1.md", 8)
    assert [h.path for h in own] == [h.path for h in related(web, "chess-1.md", 8, model=model)]
    # in-degree alone: every `*-1` note is linked 5 times, every `*-2` once
    degrees = [int(h.path.endswith("-1.md")) for h in own]
    assert degrees == sorted(degrees, reverse=True)
    assert [h.path for h in related(web, "chess-1.md", 8, model=default_model())] == shipped


def test_a_stored_fit_from_another_version_is_ignored(web: Vault) -> None:
    (web.config.index_path / FIT_FILE).write_text('{"chosen": "vault", "model": {"x": 1}}')
    assert load_fit(web) is None and vault_model(web) is None


def test_nvault_eval_measures_and_saves_only_when_asked(tmp_path: Path) -> None:
    write_files(tmp_path, _web())
    assert nvault(tmp_path, "index", "--json").returncode == 0
    measured = nvault(tmp_path, "eval", "--json")
    assert measured.returncode == 0, measured.stderr
    report = json.loads(measured.stdout)
    assert report["labelled_notes"] == 24 and report["saved"] is False
    assert report["chosen"] in ("default", "vault") and report["default"]["notes"] == 24
    assert not (tmp_path / ".nvault" / FIT_FILE).exists(), "measuring writes nothing"

    saved = nvault(tmp_path, "eval", "--save")
    assert saved.returncode == 0, saved.stderr
    assert "labelled notes (>= 3 links): 24" in saved.stdout and "saved:" in saved.stdout
    with Vault.open(tmp_path, writer=False) as vault:
        stored = load_fit(vault)
    assert stored is not None and stored.chosen == report["chosen"]
    assert (stored.model is not None) == (stored.chosen == "vault")
