"""Smoke test through Neovim's built-in LSP client: hover on a link shows the target's summary.

Uses `vim.lsp.start_client` + `buf_attach_client` (present from Neovim 0.5 to 0.11), so it runs on
Debian's 0.7 as well as current releases. Skipped where `nvim` is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# the first test of a session also builds the shared index (minutes on a busy 2-core box)
pytestmark = pytest.mark.timeout(900)

LUA = r"""
local root, file, out = _G.arg_root, _G.arg_file, _G.arg_out
local cmd = { _G.arg_python, '-m', 'vault_lsp', '--root', root }
local client_id = vim.lsp.start_client({ name = 'vault-lsp', cmd = cmd, root_dir = root })
vim.cmd('edit ' .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buf, client_id)
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
local f = io.open(out, 'w')
f:write(vim.fn.json_encode(result))
f:close()
vim.lsp.stop_client(client_id)
vim.cmd('qall!')
"""


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
