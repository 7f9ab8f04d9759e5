#!/usr/bin/env bash
# Run molecule scenarios one at a time (machine-wide lock: 2 cores), each on its platform.
#
#   molecule.sh nginx stack                 on the selected platform (WEBSTACK_PLATFORM)
#   molecule.sh nginx:ubuntu2204 stack:debian12
#   molecule.sh --report FILE a:p b:q ...   run them all even after a failure, then write a
#                                           platform x scenario table of results and wall times
# Stops at the first failure unless --report is given; exits non-zero when any run failed.
# Each scenario first gets its platform's base image (scripts/build-image.sh: present, built, or
# waited for while another process builds it). MOLECULE (default: molecule), WEBSTACK_BUILD_IMAGE
# (default: scripts/build-image.sh) and WEBSTACK_MOLECULE_LOCK (default
# /tmp/webstack-molecule.lock) name the commands and the lock file.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
export PATH="$here/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$here/.collections"
MOLECULE="${MOLECULE:-molecule}"
BUILD_IMAGE="${WEBSTACK_BUILD_IMAGE:-$here/scripts/build-image.sh}"
LOCK="${WEBSTACK_MOLECULE_LOCK:-/tmp/webstack-molecule.lock}"

report=""
if [ "${1:-}" = --report ]; then
  report="$2"
  shift 2
fi
[ "$#" -gt 0 ] || { echo "usage: $0 [--report FILE] SCENARIO[:PLATFORM]..." >&2; exit 2; }

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

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
failed=0
for item in "$@"; do
  scenario="${item%%:*}"
  platform="$(bash scripts/platform.sh of "$item")"
  echo "==> molecule test -s $scenario on $platform ($(bash scripts/platform.sh image "$platform"))"
  start=$(date +%s)
  if "$BUILD_IMAGE" "$platform" &&
     WEBSTACK_PLATFORM="$platform" flock "$LOCK" "$MOLECULE" test -s "$scenario" 2>&1 | stamp "$start"; then
    status=passed
  else
    status=FAILED
    failed=1
  fi
  seconds=$(( $(date +%s) - start ))
  printf '%s\t%s\t%s\t%s\n' "$scenario" "$platform" "$status" "$seconds" >> "$results"
  echo "==> $scenario on $platform: $status in $((seconds / 60)) min $((seconds % 60)) s"
  if [ "$failed" = 1 ] && [ -z "$report" ]; then
    break
  fi
done

echo "==> molecule runs:"
column -t -s $'\t' "$results" || cat "$results"
if [ -n "$report" ]; then
  mkdir -p "$(dirname "$report")"
  python3 - "$results" "$(bash scripts/platform.sh list)" > "$report" <<'PY'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
platforms = sys.argv[2].split()
scenarios = list(dict.fromkeys(r[0] for r in rows))
cell = {(r[0], r[1]): f"{'✓' if r[2] == 'passed' else '✗ failed'} {int(r[3]) // 60}:{int(r[3]) % 60:02d}" for r in rows}
print("| scenario | " + " | ".join(platforms) + " |")
print("| --- |" + " --- |" * len(platforms))
for s in scenarios:
    print(f"| `{s}` | " + " | ".join(cell.get((s, p), "–") for p in platforms) + " |")
total = {p: sum(int(r[3]) for r in rows if r[1] == p) for p in platforms}
print("| all | " + " | ".join(f"{t // 60} min" for t in total.values()) + " |")
PY
  echo "==> table written to $report"
  cat "$report"
fi
exit "$failed"
