#!/usr/bin/env bash
# `npm run package`: a production build packaged as ebpf-workbench-<version>.vsix with @vscode/vsce.
# vsce needs Node 22+, so it runs on the project's Node 24 and lives in .tools/vsce (pinned, not a
# devDependency: it is large and only this script needs it). .vscodeignore decides what goes in.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

VSCE_VERSION=4.1.0
KOFFI_ARCHES=(x64 arm64)

bash scripts/install-vscode.sh --node-only
export PATH="$repo/.tools/node24/bin:$PATH"

vsce_dir="$repo/.tools/vsce"
if [ -f "$vsce_dir/.installed-$VSCE_VERSION" ]; then
  echo "package: @vscode/vsce $VSCE_VERSION already in .tools/vsce"
else
  echo "package: installing @vscode/vsce $VSCE_VERSION into .tools/vsce"
  rm -rf "$vsce_dir"
  mkdir -p "$vsce_dir"
  npm install --prefix "$vsce_dir" --no-save --no-audit --no-fund --loglevel=error "@vscode/vsce@$VSCE_VERSION" >/dev/null
  touch "$vsce_dir/.installed-$VSCE_VERSION"
fi

# npm installs koffi's native build for this machine only; the .vsix carries Linux x64 and arm64,
# so a desktop on either can run it on a Linux target.
koffi_version="$(node -p 'require("./node_modules/koffi/package.json").version')"
for arch in "${KOFFI_ARCHES[@]}"; do
  dir="node_modules/@koromix/koffi-linux-$arch"
  if [ "$(node -p "try { require('./$dir/package.json').version } catch { '' }")" != "$koffi_version" ]; then
    echo "package: fetching koffi's linux-$arch native build ($koffi_version)"
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "@koromix/koffi-linux-$arch@$koffi_version" >/dev/null)
    rm -rf "$dir"
    mkdir -p "$dir"
    tar -xzf "$tmp"/*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
done

echo "package: production build"
node esbuild.mjs --production >/dev/null

version="$(node -p 'require("./package.json").version')"
out="ebpf-workbench-$version.vsix"
args=(package --out "$out")
# vsce would stop and ask when there is no license file.
ls LICENSE LICENSE.md LICENSE.txt >/dev/null 2>&1 || { echo "package: warning: no LICENSE file, packaging without one"; args+=(--skip-license); }
echo "package: vsce ${args[*]}"
"$vsce_dir/node_modules/.bin/vsce" "${args[@]}"
echo "package: wrote $out ($(du -h "$out" | cut -f1)); install it with: code --install-extension $out"
