#!/usr/bin/env bash
# Builds the WebAssembly package and the playground page:
#   pkg/   wasm-bindgen's output (what the page imports; also the npm package's content)
#   dist/  the static page (index.html, main.js, style.css, fg_wasm_bg.wasm), the npm
#          tarball fgc-wasm-VERSION.tgz and size.txt
# Installs what is missing: the wasm32 target, the wasm-bindgen CLI of the version in
# Cargo.lock (under ~/.cache/fgc/tools) and the npm packages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fgc/target}"
tools="$HOME/.cache/fgc/tools"
target=wasm32-unknown-unknown

if ! rustup target list --installed | grep -qx "$target"; then
  rustup target add "$target"
fi

# The CLI must be exactly the version of the wasm-bindgen crate the build links.
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")
bindgen="$tools/bin/wasm-bindgen"
if [ "$("$bindgen" --version 2>/dev/null | awk '{ print $2 }')" != "$version" ]; then
  echo "build: installing wasm-bindgen-cli $version"
  # Without CI's RUSTFLAGS (-D warnings is for our code, not the tool's), and without
  # --locked when the registry lacks a locked dependency's exact version.
  env -u RUSTFLAGS cargo install wasm-bindgen-cli --version "=$version" --locked --root "$tools" ||
    env -u RUSTFLAGS cargo install wasm-bindgen-cli --version "=$version" --root "$tools"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund
fi

cargo build --quiet -p fg-wasm --target "$target" --profile wasm
rm -rf pkg dist
"$bindgen" --target web --out-dir pkg "$CARGO_TARGET_DIR/$target/wasm/fg_wasm.wasm"

# binaryen's wasm-opt (from npm) shrinks what LLVM left by about a tenth. The features
# are those rustc enables by default for this target.
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-reference-types \
  pkg/fg_wasm_bg.wasm -o pkg/fg_wasm_bg.wasm

# The seed examples, by name, for the menu.
node -e '
  const fs = require("fs"), path = require("path");
  const dir = process.argv[1], out = {};
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".fg")).sort())
    out[path.basename(f, ".fg")] = fs.readFileSync(path.join(dir, f), "utf8");
  fs.writeFileSync("pkg/examples.json", JSON.stringify(out));
' "$root/examples"

mkdir -p dist
node_modules/.bin/esbuild src/main.ts --bundle --format=esm --minify --target=es2022 \
  --log-level=warning --outfile=dist/main.js
cp src/index.html src/style.css pkg/fg_wasm_bg.wasm dist/

# The npm package: wasm-bindgen's output, its types, and a package.json.
mkdir -p dist/npm
cp pkg/fg_wasm.js pkg/fg_wasm.d.ts pkg/fg_wasm_bg.wasm pkg/fg_wasm_bg.wasm.d.ts \
  "$root/crates/fg-wasm/npm/package.json" "$root/crates/fg-wasm/npm/README.md" dist/npm/
(cd dist && npm pack --silent ./npm >/dev/null)

raw=$(wc -c < dist/fg_wasm_bg.wasm)
gz=$(gzip -9 -c dist/fg_wasm_bg.wasm | wc -c)
printf 'fg_wasm_bg.wasm: %d bytes, %d bytes gzipped (target: under 2 MB gzipped)\n' "$raw" "$gz" | tee dist/size.txt
if [ "$gz" -ge $((2 * 1024 * 1024)) ]; then
  echo "build: the WebAssembly module is over 2 MB gzipped" >&2
  exit 1
fi
