#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 60), seeded from
# crates/hotfix-fuzzsmoke/corpus/ (read-only: new inputs go to
# $WORK/<target>), two targets at a time, and prints execs per target.
# Needs a nightly toolchain and `cargo install cargo-fuzz`.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET=${1:-60}
WORK=${WORK:-/tmp/hotfix-fuzz}
CORPUS=../crates/hotfix-fuzzsmoke/corpus
declare -A SEEDS=(
  [cab]="cab pkg" [find_cabinet]="pkg cab pe" [package]="pkg" [manifest]="manifest"
  [inf]="inf" [update_inf]="inf" [pe]="pe pkg" [hive]="hive" [journal]="journal" [pfro]="pfro"
  [journal_replay]="journal" [record]="record" [inuse]="inuse"
)
cargo +nightly fuzz build
run() {
  local t=$1 dirs=()
  mkdir -p "$WORK/$t"
  for d in ${SEEDS[$t]}; do dirs+=("$CORPUS/$d"); done
  cargo +nightly fuzz run "$t" "$WORK/$t" "${dirs[@]}" -- \
    -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
    >"$WORK/$t.log" 2>&1 || { echo "$t: FAILED, see $WORK/$t.log"; return 1; }
  echo "$t: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$WORK/$t.log")"
}
targets=(cab find_cabinet package manifest inf update_inf pe hive journal pfro journal_replay record inuse)
status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" & a=$!
  if ((i + 1 < ${#targets[@]})); then run "${targets[i+1]}" & b=$!; wait $b || status=1; fi
  wait $a || status=1
done
exit $status
