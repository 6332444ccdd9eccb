"""The server's feature registry: every feature object is registered once, found again by its
class, and its handlers are on the server (pygls refuses a method registered twice)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from vault_lsp.features.hover import Hover
from vault_lsp.main import FEATURES, create_server


def test_every_feature_is_found_by_its_class(tmp_path: Path) -> None:
    server = create_server(str(tmp_path))
    for kind in FEATURES:
        feature = server.get_feature(kind)
        assert isinstance(feature, kind) and feature.server is server
    assert len({type(server.get_feature(kind)) for kind in FEATURES}) == len(FEATURES)


def test_a_feature_cannot_be_added_twice(tmp_path: Path) -> None:
    server = create_server(str(tmp_path))
    with pytest.raises(RuntimeError, match="already registered"):
        server.add_feature(Hover(server))


def test_the_registered_methods_are_the_ones_the_features_handle(tmp_path: Path) -> None:
    server = create_server(str(tmp_path))
    methods = set(server.protocol.fm.features)
    assert {
        types.TEXT_DOCUMENT_HOVER,
        types.TEXT_DOCUMENT_COMPLETION,
        types.TEXT_DOCUMENT_DID_SAVE,
        types.TEXT_DOCUMENT_RENAME,
        types.WORKSPACE_WILL_RENAME_FILES,
        "nvault/search",
        "nvault/status",
    } <= methods
    completion = server.protocol.fm.feature_options[types.TEXT_DOCUMENT_COMPLETION]
    assert sorted(completion.trigger_characters) == sorted(["[", "(", "#", "^"])
