#!/usr/bin/env bash
# Headless tests of the Neovim plugin: filetype, settings, highlighting, indentation and
# the LSP client (against a stub server, and against `fgc lsp` when fgc has it).
#
#   editors/nvim/test/run.sh            # FGC=/path/to/fgc to choose the binary
#   FG_REQUIRE_LSP=1 editors/nvim/test/run.sh   # fail, not skip, without `fgc lsp`
#
# Installs neovim with apt-get when nvim is missing. The last line is
# "N passed, N failed, N skipped"; the exit status is non-zero when a check failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
plugin="$(dirname "$here")"
repo="$(cd "$plugin/../.." && pwd)"

if ! command -v nvim >/dev/null 2>&1; then
  echo "nvim not found: installing neovim with apt-get"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq neovim >/dev/null
fi

export FG_PLUGIN="$plugin"
export FG_REPO="$repo"
export FGC="${FGC:-$repo/target/debug/fgc}"
results="$(mktemp)"
log="$(mktemp)"
trap 'rm -f "$results" "$log"' EXIT
export FG_RESULTS="$results"

status=0
# --clean: no user configuration or plugins. The plugin goes first on the runtimepath
# before startup, so that its ftdetect script is sourced with the built-in ones.
timeout 180 nvim --headless --clean -i NONE \
  --cmd "set runtimepath^=$plugin" \
  -c "luafile $here/check.lua" >"$log" 2>&1 </dev/null || status=$?
# Neovim writes its messages with terminal control sequences; keep the text.
sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r$//' "$log" | grep -v '^[[:space:]]*$' | grep -vxF "$(cat "$results" 2>/dev/null || true)" || true

if [ ! -s "$results" ]; then
  echo "FAIL    the checks did not finish (nvim exited with status $status)"
  echo "0 passed, 1 failed"
  exit 1
fi
cat "$results"
if [ "$status" -ne 0 ]; then
  exit 1
fi
