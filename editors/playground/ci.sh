#!/usr/bin/env bash
# CI for the WebAssembly build and the playground (called by .ci/run). Works from a clean
# clone with empty caches: build.sh installs the wasm32 target, the wasm-bindgen CLI and the
# npm packages; Chromium comes from apt-get when missing. Leaves the working tree as it
# found it (build outputs are ignored). The benchmark (bench.mjs) is not run: benchmarks
# are never timed tests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fgc/target}"
target=wasm32-unknown-unknown

step() { printf '\n== playground: %s\n' "$*"; }

step "build the WebAssembly package and the page (size report)"
bash "$here/build.sh"

step "dependency graph: no wasmtime, tokio or AWS SDK in the WebAssembly build"
# One listing, then a search, so that a failing `cargo tree` fails the step instead of
# passing for "not found".
deps=$(cargo tree -q -p fg-wasm --target "$target" -e normal --prefix none --no-dedupe | awk '{ print $1 }' | sort -u)
grep -qx fg-check <<<"$deps" || { echo "cargo tree did not list fg-wasm's dependencies"; exit 1; }
if forbidden=$(grep -E '^(wasmtime.*|tokio.*|aws-.*|tower-lsp-server)$' <<<"$deps"); then
  echo "fg-wasm depends on: $forbidden"
  for crate in $forbidden; do cargo tree -p fg-wasm --target "$target" -e normal -i "$crate"; done
  exit 1
fi
echo "fg-wasm: $(wc -l <<<"$deps") crates, none of them wasmtime, tokio, tower-lsp-server or aws-*"

step "clippy on the wasm32-only bindings"
cargo clippy -q -p fg-wasm --target "$target" -- -D warnings

step "TypeScript: the page against the generated .d.ts"
(cd "$here" && node_modules/.bin/tsc --noEmit -p .)

step "browser test (headless Chromium)"
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null
fi
(cd "$here" && node test.mjs)

step "size"
cat "$here/dist/size.txt"

step "the working tree is clean"
if [ -n "$(git status --porcelain -- editors/playground crates/fg-wasm docs)" ]; then
  git status --porcelain -- editors/playground crates/fg-wasm docs
  exit 1
fi
