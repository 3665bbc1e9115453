#!/usr/bin/env bash
# Renders editors/screenshot/example.fg, highlighted by the Neovim plugin and with the
# diagnostics of `fgc check --format json`, to editors/screenshot/example.png:
#
#   fgc check --format json  ->  vim.diagnostic.set in headless Neovim  ->  tohtml.lua
#   ->  HTML  ->  headless Chromium --screenshot  ->  PNG
#
#   editors/screenshot/render.sh [FILE.fg [OUT.png]]
#
# FGC chooses the fgc binary (default: target/debug/fgc, built with cargo when missing).
# Installs neovim, chromium and fonts-jetbrains-mono with apt-get when they are missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
input="$(realpath "${1:-$here/example.fg}")"
output="$(realpath -m "${2:-$here/example.png}")"
fgc="${FGC:-$repo/target/debug/fgc}"
scale="${SCALE:-2}"

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
missing=()
command -v nvim >/dev/null 2>&1 || missing+=(neovim)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -i "JetBrains Mono" >/dev/null || missing+=(fonts-jetbrains-mono)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x "$fgc" ]; then
  echo "no fgc at $fgc: building it (cargo build -p fgc)"
  (cd "$repo" && cargo build -q -p fgc)
  fgc="$repo/target/debug/fgc"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. The diagnostics. `fgc check` exits 1 when it finds errors, which is the point here.
(cd "$(dirname "$input")" && NO_COLOR=1 "$fgc" check --format json "$(basename "$input")") >"$work/diagnostics.json" || true
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("fgc check: %d error(s), %d warning(s)" % (d["errors"], d["warnings"]))' "$work/diagnostics.json"

# 2. Highlighted HTML, from headless Neovim with the plugin on the runtimepath.
FG_JSON="$work/diagnostics.json" FG_HTML="$work/example.html" FG_TITLE="$(basename "$input")" \
  timeout 60 nvim --headless --clean -i NONE --cmd "set runtimepath^=$repo/editors/nvim" \
  -c "luafile $here/tohtml.lua" "$input" </dev/null
IFS=, read -r width height <"$work/example.html.size"

# 3. The screenshot, from headless Chromium with a fresh profile and no network chatter.
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --disable-quic --hide-scrollbars \
  --user-data-dir="$work/profile" --force-device-scale-factor="$scale" \
  --window-size="$width,$height" --screenshot="$output" "file://$work/example.html" \
  >"$work/chromium.log" 2>&1 || { cat "$work/chromium.log"; exit 1; }
[ -s "$output" ] || { cat "$work/chromium.log"; echo "no screenshot written"; exit 1; }
echo "wrote $output (${width}x${height} CSS px at ${scale}x)"
