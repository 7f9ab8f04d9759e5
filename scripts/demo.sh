#!/usr/bin/env bash
# The demo: deploy the stack into a local systemd container and show that it answers.
#   scripts/demo.sh up     start (or reuse) the container, deploy, print URL and checks
#   scripts/demo.sh down   remove the container
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NAME=webstack-demo
PORT="${WEBSTACK_DEMO_PORT:-8080}"
STATE="$here/.cache/demo"

down() {
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  log "demo container removed"
}

up() {
  mkdir -p "$STATE" dist
  write_demo_secrets "$STATE/secrets.yml"
  log "building the demo release archive"
  DIST_DIR="$here/dist" bash examples/demo_project/build_release.sh demo >/dev/null
  local running
  running="$(docker inspect --format '{{ index .Config.Labels "webstack.platform" }} {{ .Config.Image }}' "$NAME" 2>/dev/null || true)"
  if [ -n "$running" ] && [ "$running" != "$PLATFORM $IMAGE" ]; then
    log "the demo container runs ${running% *} (${running#* }); replacing it with $PLATFORM ($IMAGE)"
    down
  fi
  if ! docker inspect "$NAME" >/dev/null 2>&1; then
    log "starting container $NAME from $IMAGE (http://127.0.0.1:$PORT)"
  fi
  start_systemd_container "$NAME" -p "127.0.0.1:$PORT:80"
  log "deploying with playbooks/site.yml"
  ansible-playbook -i inventories/demo playbooks/site.yml -e "@$STATE/secrets.yml"
  local healthz static celery plan failed=0
  healthz="$(curl -sS --max-time 10 "http://127.0.0.1:$PORT/healthz" 2>&1)" || failed=1
  static="$(curl -sS -o /dev/null -w '%{http_code} %{content_type}' \
    "http://127.0.0.1:$PORT/static/demo/site.css" 2>&1)" || failed=1
  celery="$(docker exec "$NAME" /srv/demo/bin/manage celery_roundtrip --timeout 60 2>&1)" || failed=1
  # What the host runs, setting by setting, against what playbooks/plan.yml prints for it.
  plan="$(python3 scripts/plan_check.py --inventory inventories/demo --host "$NAME" --container "$NAME" \
    -e "@$STATE/secrets.yml" 2>&1)" || failed=1
  case "$static" in 200\ *) ;; *) failed=1 ;; esac
  echo
  echo "Platform:  $PLATFORM ($(docker exec "$NAME" sh -c '. /etc/os-release && echo "$PRETTY_NAME"'), image $IMAGE)"
  echo "Demo URL:  http://127.0.0.1:$PORT/"
  printf '/healthz:  %s\n' "$healthz"
  printf 'static:    %s\n' "$static"
  printf 'Celery:    %s\n' "$(tail -n 1 <<<"$celery")"
  printf 'Plan:      %s\n' "$plan"
  echo "Tear down: make demo-down"
  if [ "$failed" != 0 ]; then
    echo "A check failed (see above)." >&2
    return 1
  fi
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 [up|down]" >&2; exit 2 ;;
esac
