"""One indexed template vault per session; each test gets its own copy to break."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from faults import nvault, write_vault


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("template") / "vault"
    root.mkdir()
    tokens = write_vault(root)
    done = nvault(root, "index")
    assert done.returncode == 0, done.stderr
    return root, tokens


@pytest.fixture
def indexed(
    template: tuple[Path, dict[str, str]], tmp_path: Path
) -> Callable[[], tuple[Path, dict[str, str]]]:
    def copy() -> tuple[Path, dict[str, str]]:
        root, tokens = template
        dest = tmp_path / "vault"
        shutil.copytree(root, dest, ignore=shutil.ignore_patterns("writer.lock"))
        return dest, dict(tokens)

    return copy
