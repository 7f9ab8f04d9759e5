#!/usr/bin/env bash
# Run molecule scenarios, each on its platform, one at a time or in parallel lanes.
#
#   molecule.sh nginx stack                 on the selected platform (WEBSTACK_PLATFORM)
#   molecule.sh nginx:ubuntu2204 stack:debian12
#   molecule.sh --jobs 2 a:p b:q ...        two lanes: each takes the next scenario of the list
#                                           when its last one is done (list the longest first),
#                                           skipping over a scenario another lane runs (on
#                                           another platform: its instances' names are fixed)
#   molecule.sh --report FILE a:p b:q ...   run them all even after a failure, then write a
#                                           platform x scenario table of results and wall times
#                                           to FILE (markdown, with the date and the commits) and
#                                           each run as a row to FILE's .csv beside it (date,
#                                           commit, scenario, platform, result, seconds)
# Stops starting scenarios at the first failure unless --report is given; exits non-zero when
# any run failed. With one lane a scenario's output streams as it runs; with more, each
# scenario's output goes to <logs>/<scenario>-<platform>.log (WEBSTACK_MOLECULE_LOGS, default
# dist/molecule) and is printed whole when the scenario ends, so lanes never interleave. Each scenario first gets its platform's base
# image (scripts/build-image.sh: present, built, or waited for while another process builds it).
# Lane N holds a machine-wide lock (lane 1: the lock file itself, lane N: <lock>.N) for the
# whole of its scenario, so separate invocations never run more scenarios at once than the
# most lanes either asked for. MOLECULE (default: molecule), WEBSTACK_BUILD_IMAGE (default:
# scripts/build-image.sh) and WEBSTACK_MOLECULE_LOCK (default /tmp/webstack-molecule.lock) name
# the commands and the lock file.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
export PATH="$here/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$here/.collections"
MOLECULE="${MOLECULE:-molecule}"
BUILD_IMAGE="${WEBSTACK_BUILD_IMAGE:-$here/scripts/build-image.sh}"
LOCK="${WEBSTACK_MOLECULE_LOCK:-/tmp/webstack-molecule.lock}"
LOGS="${WEBSTACK_MOLECULE_LOGS:-$here/dist/molecule}"

report=""
jobs=1
while [ "$#" -gt 0 ]; do
  case "$1" in
    --report) report="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    *) break ;;
  esac
done
[ "$#" -gt 0 ] || { echo "usage: $0 [--jobs N] [--report FILE] SCENARIO[:PLATFORM]..." >&2; exit 2; }
case "$jobs" in
  '' | *[!0-9]* | 0) echo "--jobs takes a positive number, not '$jobs'" >&2; exit 2 ;;
esac
for item in "$@"; do
  bash scripts/platform.sh of "$item" >/dev/null || exit 2
done

# stamp START: prefix each line with the time since START (epoch seconds: when the scenario
# started) as m:ss, so a log shows where a scenario spends its minutes.
stamp() {
  local start="$1" line now
  while IFS= read -r line; do
    printf -v now '%(%s)T' -1
    now=$((now - start))
    printf '%d:%02d %s\n' $((now / 60)) $((now % 60)) "$line"
  done
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
results="$work/results"
queue="$work/queue"
stopped="$work/stopped"
mutex="$work/mutex"  # taken for the queue, the results and printing a lane's log
: > "$results"
printf '%s\n' "$@" > "$queue"

running="$work/running"  # the scenarios a lane runs now, one a line
: > "$running"

# The next item of the queue whose scenario no other lane runs (its instances have fixed names),
# taken off it; "" when the queue is empty or a failure stopped the run. While every item left
# is a scenario another lane runs, waits for that lane.
next_item() {
  local item
  while true; do
    [ -z "$report" ] && [ -e "$stopped" ] && return 0
    # shellcheck disable=SC2016  # $1 and $2 are the inner shell's
    item="$(flock "$mutex" bash -c '
      [ -s "$1" ] || exit 0
      n=0
      while IFS= read -r line; do
        n=$((n + 1))
        if ! grep -qxF "${line%%:*}" "$2"; then
          sed -i "${n}d" "$1"
          printf "%s\n" "${line%%:*}" >> "$2"
          printf "%s\n" "$line"
          exit 0
        fi
      done < "$1"
      echo wait' next "$queue" "$running")"
    [ "$item" = wait ] || { printf '%s\n' "$item"; return 0; }
    sleep 5
  done
}

# done_item SCENARIO: no lane runs it any more.
done_item() {
  # shellcheck disable=SC2016  # $1 and $2 are the inner shell's
  flock "$mutex" bash -c 'grep -vxF "$1" "$2" > "$2.new"; mv "$2.new" "$2"' finished "$1" "$running"
}

# run_one ITEM LANE: one scenario on its platform, holding the lane's lock.
run_one() {
  local item="$1" lane="$2" scenario platform start status seconds lock out commit
  scenario="${item%%:*}"
  platform="$(bash scripts/platform.sh of "$item")"
  lock="$LOCK"
  [ "$lane" = 1 ] || lock="$LOCK.$lane"
  out=/dev/stdout
  if [ "$jobs" -gt 1 ]; then
    mkdir -p "$LOGS"
    out="$LOGS/$scenario-$platform.log"
    echo "==> lane $lane: molecule test -s $scenario on $platform started (log: $out)"
  fi
  start=$(date +%s)
  # The commit the scenario runs at ("-dirty": with uncommitted changes to what it tests).
  commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  [ -z "$(git status --porcelain -- roles plugins playbooks molecule requirements meta galaxy.yml 2>/dev/null)" ] ||
    commit="$commit-dirty"
  if { echo "==> molecule test -s $scenario on $platform ($(bash scripts/platform.sh image "$platform"))"
       "$BUILD_IMAGE" "$platform" &&
       WEBSTACK_PLATFORM="$platform" flock "$lock" "$MOLECULE" test -s "$scenario" 2>&1 | stamp "$start"
     } > "$out" 2>&1; then
    status=passed
  else
    status=FAILED
    touch "$stopped"
  fi
  seconds=$(( $(date +%s) - start ))
  echo "==> $scenario on $platform: $status in $((seconds / 60)) min $((seconds % 60)) s" >> "$out"
  if [ "$jobs" -gt 1 ]; then
    # The whole log at once, under the mutex, so that the lanes' logs do not interleave.
    flock "$mutex" cat "$out"
  fi
  flock "$mutex" printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$platform" "$status" "$seconds" \
    "$(date -u -d "@$start" +%Y-%m-%dT%H:%M:%SZ)" "$commit" >> "$results"
  done_item "$scenario"
}

lane() {
  local item
  while item="$(next_item)" && [ -n "$item" ]; do
    run_one "$item" "$1"
  done
}

lanes=()
for n in $(seq 1 "$jobs"); do
  lane "$n" &
  lanes+=("$!")
  sleep 1
done
for pid in "${lanes[@]}"; do
  wait "$pid" || true
done
if [ -s "$queue" ]; then
  echo "==> not started after the failure: $(tr '\n' ' ' < "$queue")"
fi
failed=0
grep -q $'\tFAILED\t' "$results" && failed=1
[ "$(wc -l < "$results")" = "$#" ] || failed=1

echo "==> molecule runs:"
cut -f1-4 "$results" | column -t -s $'\t' || cut -f1-4 "$results"
if [ -n "$report" ]; then
  mkdir -p "$(dirname "$report")"
  python3 - "$results" "$(bash scripts/platform.sh list)" "${report%.md}.csv" > "$report" <<'PY'
import csv
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
platforms = sys.argv[2].split()
with open(sys.argv[3], "w", newline="") as out:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "commit", "scenario", "platform", "result", "seconds"])
    for r in sorted(rows, key=lambda r: r[4]):
        writer.writerow([r[4], r[5], r[0], r[1], r[2], r[3]])
scenarios = list(dict.fromkeys(r[0] for r in rows))
cell = {(r[0], r[1]): f"{'✓' if r[2] == 'passed' else '✗ failed'} {int(r[3]) // 60}:{int(r[3]) % 60:02d}" for r in rows}
print("| scenario | " + " | ".join(platforms) + " |")
print("| --- |" + " --- |" * len(platforms))
for s in scenarios:
    print(f"| `{s}` | " + " | ".join(cell.get((s, p), "–") for p in platforms) + " |")
total = {p: sum(int(r[3]) for r in rows if r[1] == p) for p in platforms}
print("| all | " + " | ".join(f"{t // 60} min" for t in total.values()) + " |")
print()
print(f"Started {min(r[4] for r in rows)}, at commit {', '.join(dict.fromkeys(r[5] for r in rows))}"
      f" (`git rev-parse --short HEAD` when each scenario started; -dirty: with uncommitted changes"
      f" to what it tests); each run's result, seconds and commit in {sys.argv[3].rsplit('/', 1)[-1]}.")
PY
  echo "==> table written to $report, the runs to ${report%.md}.csv"
  cat "$report"
fi
exit "$failed"
