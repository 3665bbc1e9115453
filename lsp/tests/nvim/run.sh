#!/usr/bin/env bash
# Runs the Neovim client test against `fgc lsp` (installs neovim if it is missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
if ! command -v nvim >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq neovim) >/dev/null
fi
fgc=${FGC:-$root/target/debug/fgc}
[ -x "$fgc" ] || { echo "lsp nvim test: $fgc not built" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The seed 002 example, unformatted in one place and with one mistake: 256 CPU with 4GiB.
sed -e 's/cidr  = 10.0.0.0\/16/cidr = 10.0.0.0\/16/' -e 's/memory = 1GiB/memory = 4GiB/' \
  "$root/examples/two-services-path-routing.fg" > "$work/stack.fg"
FGC="$fgc" FG_FILE="$work/stack.fg" timeout 120 nvim --headless -u NONE -i NONE -n \
  -c "luafile $here/client.lua" 2>&1
