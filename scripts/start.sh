#!/usr/bin/env bash
# README command #1: installs what is missing, builds the extension, and starts a real VS Code
# (code-server on 127.0.0.1) with eBPF Workbench and the example workspace bpf/examples/ open.
# Stays in the foreground; Ctrl-C stops code-server and everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
port="${PORT:-8080}"

bash scripts/setup.sh --vscode
echo "start: building the extension"
npm run --silent build

# Refuse a taken port up front: code-server's own error for it is easy to miss in its log.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "start: port $port on 127.0.0.1 is already in use; stop what runs there or choose another: PORT=9000 bash scripts/start.sh" >&2
  exit 1
fi

# Everything code-server writes stays in .tools/run/ (not ~/.config or ~/.local/share).
run="$repo/.tools/run"
mkdir -p "$run/user-data/User" "$run/extensions" "$run/config" "$run/data" "$run/cache"
settings="$run/user-data/User/settings.json"
if [ ! -f "$settings" ]; then
  cat >"$settings" <<'EOF'
{
  "workbench.startupEditor": "none",
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "security.workspace.trust.enabled": false,
  "extensions.autoCheckUpdates": false,
  "telemetry.telemetryLevel": "off"
}
EOF
fi

# The extension is this repo, linked into the extensions folder under its installed name, so
# `npm run watch` (or a rebuild) plus "Developer: Reload Window" picks up changes.
ext_name="$(node -p 'const p = require("./package.json"); `${p.publisher}.${p.name}-${p.version}`')"
for old in "$run/extensions"/*; do
  [ -L "$old" ] && [ "$(basename "$old")" != "$ext_name" ] && rm -f "$old"
done
ln -sfn "$repo" "$run/extensions/$ext_name"

log="$run/code-server.log"
echo "start: starting code-server on 127.0.0.1:$port (log: .tools/run/code-server.log)"
# setsid: code-server and its extension hosts get their own process group, which we kill on exit.
XDG_CONFIG_HOME="$run/config" XDG_DATA_HOME="$run/data" XDG_CACHE_HOME="$run/cache" \
  setsid "$repo/.tools/node24/bin/node" "$repo/.tools/code-server/node_modules/code-server/out/node/entry.js" \
    --auth none \
    --bind-addr "127.0.0.1:$port" \
    --user-data-dir "$run/user-data" \
    --extensions-dir "$run/extensions" \
    --disable-telemetry \
    --disable-update-check \
    --disable-workspace-trust \
    --disable-getting-started-override \
    >"$log" 2>&1 &
pid=$!
stop() {
  trap - INT TERM EXIT
  kill -TERM -- "-$pid" 2>/dev/null || true
  echo
  echo "start: code-server stopped"
}
trap stop INT TERM EXIT

for _ in $(seq 1 150); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start: code-server exited; last lines of .tools/run/code-server.log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
       "http://127.0.0.1:$port/healthz"; then
    echo
    echo "  eBPF Workbench is running in VS Code: http://127.0.0.1:$port/?folder=$repo/bpf/examples"
    echo
    echo "  Logs: .tools/run/code-server.log, and in VS Code: eBPF: Show Output. Ctrl-C stops it."
    wait "$pid"
    exit $?
  fi
  sleep 0.2
done
echo "start: code-server did not answer http://127.0.0.1:$port/healthz within 30 s; see .tools/run/code-server.log" >&2
exit 1
