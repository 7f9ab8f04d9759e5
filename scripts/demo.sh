#!/usr/bin/env bash
# The demo: deploy the stack into a local systemd container and show that it answers.
#   scripts/demo.sh up     start (or reuse) the container, deploy, print URL and checks
#   scripts/demo.sh down   remove the container
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
export PATH="$here/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$here/.collections"
IMAGE="${WEBSTACK_IMAGE:-webstack/debian12-systemd:latest}"
NAME=webstack-demo
PORT="${WEBSTACK_DEMO_PORT:-8080}"
STATE="$here/.cache/demo"

log() { printf '==> %s\n' "$*" >&2; }

down() {
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  log "demo container removed"
}

up() {
  mkdir -p "$STATE" dist
  if ! grep -qs demo_broker_password "$STATE/secrets.yml"; then
    umask 077
    python3 - > "$STATE/secrets.yml" <<'PY'
import secrets
print(f'django_app_secret_key: "{secrets.token_urlsafe(50)}"')
print(f'demo_broker_password: "{secrets.token_urlsafe(24)}"')
print(f'rabbitmq_erlang_cookie: "{secrets.token_hex(20).upper()}"')
PY
  fi
  log "building the demo release archive"
  DIST_DIR="$here/dist" bash examples/demo_project/build_release.sh demo >/dev/null
  if ! docker inspect "$NAME" >/dev/null 2>&1; then
    log "starting container $NAME from $IMAGE (http://127.0.0.1:$PORT)"
    docker run -d --name "$NAME" --hostname "$NAME" \
      --cap-add SYS_ADMIN --cap-add NET_ADMIN \
      --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      -v /sys/fs/cgroup:/sys/fs/cgroup:rw --cgroupns host \
      --tmpfs /run --tmpfs /run/lock --tmpfs /tmp --stop-signal SIGRTMIN+3 \
      -p "127.0.0.1:$PORT:80" "$IMAGE" /lib/systemd/systemd >/dev/null
  fi
  for _ in $(seq 1 30); do
    state="$(docker exec "$NAME" systemctl is-system-running 2>/dev/null || true)"
    case "$state" in running|degraded) break ;; esac
    sleep 1
  done
  log "deploying with playbooks/site.yml"
  ansible-playbook -i inventories/demo playbooks/site.yml -e "@$STATE/secrets.yml"
  echo
  echo "Demo URL:  http://127.0.0.1:$PORT/"
  printf '/healthz:  %s\n' "$(curl -sS --max-time 10 "http://127.0.0.1:$PORT/healthz")"
  printf 'static:    %s\n' "$(curl -sS -o /dev/null -w '%{http_code} %{content_type}' \
    "http://127.0.0.1:$PORT/static/demo/site.css")"
  printf 'Celery:    %s\n' "$(docker exec "$NAME" /srv/demo/bin/manage celery_roundtrip --timeout 60 2>&1 | tail -n 1)"
  echo "Tear down: make demo-down"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 [up|down]" >&2; exit 2 ;;
esac
