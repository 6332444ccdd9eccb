"""The light way to find a vault's index folder (places.py, what a search answered by a
watcher uses) agrees with the validated config, whatever the flags and the user config say."""

from __future__ import annotations

from pathlib import Path

import pytest

from vault_core.config import VaultConfig
from vault_core.places import USER_CONFIG_ENV, index_state_dir

USER_CONFIGS = {
    "none": None,
    "global index": 'index = "{elsewhere}/global"\n',
    "vault table": '[vaults."{root}"]\nindex_dir = "{elsewhere}/by-vault"\n',
    "remote": '[vaults."{root}"]\nindex = "s3://bucket/notes/"\nendpoint_url = "http://minio:9000"\n',
    "other vault": '[vaults."/somewhere/else"]\nindex = "{elsewhere}/not-this"\n',
}


@pytest.mark.parametrize("user", list(USER_CONFIGS))
@pytest.mark.parametrize("flag", [None, "flagged"])
def test_the_light_index_folder_is_the_validated_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user: str, flag: str | None
) -> None:
    root, elsewhere = tmp_path / "vault", tmp_path / "elsewhere"
    root.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    config_file = tmp_path / "user.toml"
    monkeypatch.setenv(USER_CONFIG_ENV, str(config_file))
    text = USER_CONFIGS[user]
    if text is not None:
        config_file.write_text(text.format(root=root, elsewhere=elsewhere), encoding="utf-8")
    index = str(tmp_path / flag) if flag else None
    expected = VaultConfig.load(root, index=index).index_path
    assert index_state_dir(root, index=index) == expected
    if user == "remote" and not flag:
        assert expected.is_relative_to(tmp_path / "cache"), "a remote index's state is local"


def test_a_broken_user_config_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "user.toml"
    config_file.write_text("index = [unclosed\n", encoding="utf-8")
    monkeypatch.setenv(USER_CONFIG_ENV, str(config_file))
    with pytest.raises(ValueError, match=r"user\.toml"):
        index_state_dir(tmp_path)
