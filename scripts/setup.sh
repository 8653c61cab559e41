#!/usr/bin/env bash
# Installs what eBPF Workbench needs on a Debian 12 / Ubuntu machine (run as root or with sudo):
# Debian packages, npm dependencies, and (with --vscode) Node 24 + code-server in .tools/.
# Idempotent: a second run only checks and returns quickly.
set -euo pipefail
cd "$(dirname "$0")/.."

want_vscode=0
for a in "$@"; do
  case "$a" in
    --vscode) want_vscode=1 ;;
    *) echo "usage: scripts/setup.sh [--vscode]" >&2; exit 2 ;;
  esac
done

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Debian packages: clang/llvm build BPF, libbpf-dev has the headers and libbpf.so.1, bpftool
# cross-checks tests, chromium drives the real VS Code in tests, openssh-server is the SSH target
# for remote tests, build-essential & co. build code-server's native addons, sudo starts the
# helper for non-root users (its kernel test runs as nobody through sudo -n), and a font keeps the
# workbench screenshots legible. iproute2 attaches tc/XDP by hand and makes the tests' veth pairs
# and namespaces; procps has ps and sysctl (a minimal Debian root has neither). clang-format
# rewrites the broken fixtures in other C styles for the verifier tests.
pkgs=(clang llvm clang-format libbpf-dev libbpf1 bpftool chromium openssh-server openssh-client
      build-essential python3 pkg-config libkrb5-dev git ca-certificates sudo fonts-dejavu-core
      iproute2 procps)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies, only when package-lock.json changed since the last install.
stamp=node_modules/.ebpf-workbench-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund
  touch "$stamp"
fi

if [ "$want_vscode" = 1 ]; then
  bash scripts/install-vscode.sh
fi
