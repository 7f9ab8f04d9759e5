# shellcheck shell=bash
# Sourced by scripts/demo.sh, scripts/bench.sh and scripts/bundle.sh: the checkout's root as $here
# (and the working directory), its virtualenv and collections, the platform and its base image
# (scripts/platform.sh: WEBSTACK_PLATFORM or WEBSTACK_IMAGE), and the helpers below.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
export PATH="$here/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$here/.collections"
PLATFORM="$(bash "$here/scripts/platform.sh" name)"
IMAGE="$(bash "$here/scripts/platform.sh" image)"
export WEBSTACK_PLATFORM="$PLATFORM" WEBSTACK_IMAGE="$IMAGE"

log() { printf '==> %s\n' "$*" >&2; }

# start_systemd_container NAME [docker run arguments...]: start NAME (hostname NAME) from
# $IMAGE unless it exists, then wait until systemd has booted. The flags are the ones that run
# systemd here without --privileged (see docs/testing.md). A new container is a new machine:
# the facts Ansible cached under its name (ansible.cfg's fact cache) are dropped.
start_systemd_container() {
  local name="$1"
  shift
  if ! docker inspect "$name" >/dev/null 2>&1; then
    rm -f "$here/.cache/facts/$name"
    docker run -d --name "$name" --hostname "$name" --label "webstack.platform=$PLATFORM" \
      --cap-add SYS_ADMIN --cap-add NET_ADMIN \
      --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      -v /sys/fs/cgroup:/sys/fs/cgroup:rw --cgroupns host \
      --tmpfs /run --tmpfs /run/lock --tmpfs /tmp --stop-signal SIGRTMIN+3 \
      "$@" "$IMAGE" /lib/systemd/systemd >/dev/null
  fi
  local state
  for _ in $(seq 1 30); do
    state="$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)"
    case "$state" in running|degraded) return 0 ;; esac
    sleep 1
  done
}

# write_demo_secrets FILE: generate the demo's secrets (Django SECRET_KEY, broker password,
# Erlang cookie) into FILE, readable by its owner only, unless FILE already has them.
write_demo_secrets() {
  local file="$1"
  if grep -qs demo_broker_password "$file"; then
    return 0
  fi
  mkdir -p "$(dirname "$file")"
  (
    umask 077
    python3 - > "$file" <<'PY'
import secrets
print(f'django_app_secret_key: "{secrets.token_urlsafe(50)}"')
print(f'demo_broker_password: "{secrets.token_urlsafe(24)}"')
print(f'rabbitmq_erlang_cookie: "{secrets.token_hex(20).upper()}"')
PY
  )
}
