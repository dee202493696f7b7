#!/usr/bin/env bash
# Compile cost per operation of aliyun-vod and vod-cli, each built as a crate
# alone (after its dependencies, after `cargo clean -p`), debug and release:
# once with the real spec and once with EXTRA synthetic operations, copies of
# the real spec files under new names. Both trees are scratch copies of the
# committed tree (HEAD), so the checked-in spec and generated code are never
# touched and uncommitted edits do not leak into the figures.
# Run ../shared/bench/compile-anchor/measure.sh in the same session and
# compare per-operation figures (these machines are noisy).
#
# Usage: xtask/compile-cost.sh [EXTRA] [WORK_DIR]   (EXTRA defaults to 100)
set -euo pipefail
# Build as a dependency is built: Cargo compiles a crate from a registry (the
# anchor, and ours for a user) without incremental compilation, but a
# workspace member's debug build with it, which costs about a third more.
export CARGO_INCREMENTAL=0
root=$(cd "$(dirname "$0")/.." && pwd)
extra=${1:-100}
work=${2:-$(mktemp -d -t vod-compile-cost.XXXXXX)}
mkdir -p "$work"
spec=spec/vod/2017-03-21

copy_tree() { # DEST
  mkdir -p "$1"
  git -C "$root" archive HEAD | (cd "$1" && tar -xf -)
}

real="$work/real"
synthetic="$work/synthetic"
copy_tree "$real"
copy_tree "$synthetic"
# EXTRA operations: the real operation files in turn, each under a new name.
mapfile -t files < <(cd "$synthetic/$spec" && ls ./*.json | grep -v product.json)
for i in $(seq 1 "$extra"); do
  f=${files[$(((i - 1) % ${#files[@]}))]}
  name=$(basename "$f" .json)
  sed "s/\"name\": \"$name\"/\"name\": \"${name}Copy$i\"/" "$synthetic/$spec/$f" \
    >"$synthetic/$spec/${name}Copy$i.json"
done
(cd "$synthetic" && CARGO_TARGET_DIR="$synthetic/target" cargo run -q -p xtask -- codegen >/dev/null)

ops() { ls "$1/$spec"/*.json | grep -vc product.json; }
gen_lines() { cat "$1"/crates/aliyun-vod/src/generated/*.rs "$1"/crates/vod-cli/src/generated/*.rs | wc -l; }
echo "operations: real $(ops "$real"), synthetic $(ops "$synthetic")"
echo "generated lines (SDK + CLI): real $(gen_lines "$real"), synthetic $(gen_lines "$synthetic")"

# One target directory per tree: cargo's artifact names do not depend on a
# workspace's path, so two trees sharing one would overwrite each other.
cargo_in() { # TREE ARGS...
  local tree=$1
  shift
  (cd "$tree" && CARGO_TARGET_DIR="$tree/target" cargo "$@")
}

time_build() { # TREE PROFILE CRATE -> seconds
  local flag=""
  [ "$2" = release ] && flag=--release
  # As the anchor's measure.sh does: build once (dependencies, with the
  # features this crate alone selects), clean the crate, time its build.
  cargo_in "$1" build -q $flag -p "$3"
  cargo_in "$1" clean -q $flag -p "$3"
  local t0 t1
  t0=$(date +%s.%N)
  cargo_in "$1" build -q $flag -p "$3"
  t1=$(date +%s.%N)
  python3 -c "print(f'{float(\"$t1\") - float(\"$t0\"):.2f}')"
}

for profile in dev release; do
  flag=""
  [ "$profile" = release ] && flag=--release
  for crate in aliyun-vod vod-cli; do
    a=$(time_build "$real" "$profile" "$crate")
    b=$(time_build "$synthetic" "$profile" "$crate")
    python3 -c "
a, b, n, r = $a, $b, $extra, $(ops "$real")
print(f'$crate crate alone ($profile): real spec {a:.1f} s ({a / r * 1000:.0f} ms per operation, fixed cost included); '
      f'+{n} operations {b:.1f} s: {(b - a) / n * 1000:.0f} ms per added operation')"
  done
done
ls -l "$real/target/release/vod" | awk '{printf "release vod binary (real spec): %.1f MB\n", $5/1048576}'
