#!/usr/bin/env bash
# Regenerates link/livewatch.order: the functions the static binary runs, which `make build` asks lld to lay
# out first (--symbol-ordering-file), so that the code a daemon keeps running sits in a few megabytes instead
# of being spread over the whole text (the kernel maps code in 64 KB windows around each page touched).
#
# It traces the binary under callgrind: `livewatch --version`, then `livewatch run` on the steady workload
# (livewatch-bench steady: four vendors at 1 s against the simulator, 120 s), and lists every function that
# ran and is defined in the binary (scripts/order-functions.py), in the order callgrind first names them.
#
#   make order        (needs valgrind, binutils, python3, and the release benchmark)
#
# Run it after changes that add or rename much of what the daemon runs; functions it does not list are still
# linked, after the listed ones.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${BINARY:-.build-static/release/livewatch}
# lld's map of that binary (-Map), to lay out first the sections that hold little besides what ran.
MAP=${MAP:-}
bench=${BENCH:-.build/release/livewatch-bench}
out=${OUT:-link/livewatch.order}
for tool in valgrind objcopy nm python3; do
  command -v "$tool" >/dev/null || { echo "order-file: needs $tool"; exit 1; }
done
[ -x "$binary" ] || { echo "order-file: no $binary (make build)"; exit 1; }
[ -x "$bench" ] || { echo "order-file: no $bench (swift build -c release --product livewatch-bench)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Valgrind 3.19 cannot read the DWARF 5 the toolchain writes; the symbol table is enough.
objcopy --strip-debug "$binary" "$work/livewatch"
trace="valgrind --tool=callgrind --demangle=no --dump-instr=yes"
$trace --callgrind-out-file="$work/version.out" "$work/livewatch" --version >/dev/null 2>"$work/version.log"
"$bench" steady --seconds "${SECONDS_TRACED:-120}" --livewatch "$work/livewatch" \
  --wrapper "$trace --callgrind-out-file=$work/steady.out" >"$work/steady.log" 2>&1 \
  || { cat "$work/steady.log"; exit 1; }
python3 scripts/order-functions.py ${MAP:+--map "$MAP"} "$work/livewatch" "$work/version.out" "$work/steady.out" >"$out"
# The order is an input lld does not track: relink on the next build.
rm -f "$binary"
echo "order-file: $(wc -l <"$out") functions in $out"
