#!/usr/bin/env bash
# Benchmarks of the demo stack in a fresh local systemd container (docs/benchmarks.md):
#   scripts/bench.sh [all|provision|sizing|plots]
#
#   provision  wall time of a cold converge of playbooks/site.yml, of the idempotent second
#              run (with the project's Ansible settings and with Ansible's defaults), of a
#              new-release playbooks/deploy.yml, and the time per role and the slowest tasks
#              (ansible.posix.profile_roles / profile_tasks)
#   sizing     W/C calibration (playbooks/calibrate.yml) of /cpu and /io, then the uWSGI
#              processes x threads sweep with wrk through nginx, against the worker_counts
#              plans and the common static defaults
#   plots      the PNG figures from the JSON reports
#   all        all three in a fresh container (the default)
#
# Environment: BENCH_MODE=full|quick (grid, repetitions, durations; default full),
# BENCH_OUT (default dist/bench), BENCH_KEEP=1 keeps the container afterwards.
# Loads only the project's own container, for a bounded time.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NAME=webstack-bench
STATE="$here/.cache/bench"
OUT="${BENCH_OUT:-$here/dist/bench}"
MODE="${BENCH_MODE:-full}"

# The demo inventory with the bench container as its one host; group_vars are the demo's.
prepare() {
  mkdir -p "$STATE/inventory" "$OUT"
  write_demo_secrets "$STATE/secrets.yml"
  ln -sfn "$here/inventories/demo/group_vars" "$STATE/inventory/group_vars"
  sed "s/webstack-demo:/$NAME:/" inventories/demo/hosts.yml > "$STATE/inventory/hosts.yml"
  log "building the demo release archives (demo, bench2)"
  for id in demo bench2; do
    DIST_DIR="$here/dist" bash examples/demo_project/build_release.sh "$id" >/dev/null
  done
}

fresh_container() {
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  rm -rf "$STATE/facts"
  log "starting a fresh container $NAME from $IMAGE"
  start_systemd_container "$NAME"
}

cleanup() {
  if [ "${BENCH_KEEP:-0}" != 1 ]; then
    docker rm -f "$NAME" >/dev/null 2>&1 || true
  fi
}

bench_args=(--container "$NAME" --inventory "$STATE/inventory" --secrets "$STATE/secrets.yml"
            --out "$OUT" --mode "$MODE")
export ANSIBLE_CACHE_PLUGIN_CONNECTION="$STATE/facts"

case "${1:-all}" in
  all)
    prepare
    trap cleanup EXIT
    fresh_container
    python benchmarks/provision.py "${bench_args[@]}"
    python benchmarks/sizing.py "${bench_args[@]}"
    python benchmarks/plots.py --out "$OUT"
    python benchmarks/report.py --out "$OUT"
    ;;
  provision)
    prepare
    trap cleanup EXIT
    fresh_container
    python benchmarks/provision.py "${bench_args[@]}"
    ;;
  sizing)
    prepare
    trap cleanup EXIT
    if ! docker exec "$NAME" test -e /srv/demo/current 2>/dev/null; then
      fresh_container
      log "deploying the demo stack"
      ansible-playbook -i "$STATE/inventory" playbooks/site.yml -e "@$STATE/secrets.yml" >/dev/null
    fi
    python benchmarks/sizing.py "${bench_args[@]}"
    python benchmarks/plots.py --out "$OUT"
    python benchmarks/report.py --out "$OUT"
    ;;
  plots)
    python benchmarks/plots.py --out "$OUT"
    python benchmarks/report.py --out "$OUT"
    ;;
  *) echo "usage: $0 [all|provision|sizing|plots]" >&2; exit 2 ;;
esac
log "reports in $OUT"
