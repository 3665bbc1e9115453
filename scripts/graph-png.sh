#!/usr/bin/env bash
# Renders the architecture diagram of an example (seed 002 by default) to PNG with
# headless Chromium: `fgc graph` writes the SVG, Chromium screenshots it at its own size.
#   scripts/graph-png.sh [FILE.fg] [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."

input="${1:-examples/two-services-path-routing.fg}"
out="${2:-docs/architecture-seed-002.png}"

command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null
cargo build -q -p fgc
fgc="${CARGO_TARGET_DIR:-target}/debug/fgc"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$fgc" graph "$input" --format svg --level architecture -o "$work/graph.svg"

# The window is the SVG's own size, so the screenshot has no scroll bars or margins.
width=$(sed -n 's/^<svg [^>]*width="\([0-9]*\)".*/\1/p' "$work/graph.svg" | head -1)
height=$(sed -n 's/^<svg [^>]*height="\([0-9]*\)".*/\1/p' "$work/graph.svg" | head -1)
cat > "$work/page.html" <<HTML
<!doctype html><html><head><meta charset="utf-8">
<style>html,body{margin:0;padding:0;background:#fff;overflow:hidden}</style></head>
<body><img src="graph.svg" width="$width" height="$height" style="display:block"></body></html>
HTML

mkdir -p "$(dirname "$out")"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run \
  --user-data-dir="$work/profile" --hide-scrollbars --force-device-scale-factor=1 \
  --window-size="$width,$height" --screenshot="$work/shot.png" "file://$work/page.html" >/dev/null 2>&1
mv "$work/shot.png" "$out"
echo "wrote $out (${width}x${height})"
