#!/usr/bin/env bash
# Prepare this machine for the demo and the tests, from nothing:
#   - a Python virtualenv (.venv) from the controller/test lock (requirements/controller.txt), every
#     package pinned with its hash and installed by uv with --require-hashes (make lock writes the
#     locks);
#   - docker.io, debootstrap, gpg, wrk and shellcheck (for ansible-test sanity) when missing;
#   - a Docker engine, started when none answers;
#   - the systemd base image of the selected platform (`images`: of every tested platform),
#     built when missing (scripts/build-image.sh).
# Safe to run again: every step is skipped when its result is already there.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

VENV="${WEBSTACK_VENV:-$here/.venv}"
PYTHON="${PYTHON:-python3}"

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The installer of every lock: uv (parallel downloads; seconds where pip takes minutes), in a
# virtualenv of its own (.cache/uv), put there by pip from its entry in requirements/controller.txt
# with its hashes, so that it is pinned once, like every other package, and no lock's virtualenv
# holds it only to install itself.
UV_VENV="$here/.cache/uv"
uv_installer() {
  local entry want
  entry="$(awk '/^uv==/ { found = 1 } found { print } found && !/\\$/ { exit }' requirements/controller.txt)"
  [ -n "$entry" ] || { echo "requirements/controller.txt names no uv" >&2; exit 2; }
  want="$(printf '%s\n' "$entry" | sha256sum | cut -d' ' -f1)"
  if [ ! -x "$UV_VENV/bin/uv" ] || [ "$(cat "$UV_VENV/.lock.sha256" 2>/dev/null)" != "$want" ]; then
    "$PYTHON" -m venv --clear "$UV_VENV"
    printf '%s\n' "$entry" > "$UV_VENV/uv.txt"
    "$UV_VENV/bin/python" -m pip install --quiet --require-hashes --no-deps -r "$UV_VENV/uv.txt"
    echo "$want" > "$UV_VENV/.lock.sha256"
  fi
}

# Every package of a lock into a virtualenv, each checked against the lock's hashes.
install_lock() {
  local venv="$1" lock="$2"
  uv_installer
  "$UV_VENV/bin/uv" pip install --quiet --require-hashes --no-deps --python "$venv/bin/python" -r "$lock"
  "$venv/bin/python" -m pip check >/dev/null || { "$venv/bin/python" -m pip check >&2; exit 1; }
}

# A virtualenv from a lock, with --require-hashes: made anew (--clear) when the lock changed, so
# that nothing an earlier lock installed stays behind. Its stamp is the lock's digest.
locked_venv() {
  local venv="$1" lock="$2" stamp want
  stamp="$venv/.lock.sha256"
  want="$(sha256sum < "$lock" | cut -d' ' -f1)"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    log "virtualenv $venv is up to date ($lock)"
    return
  fi
  log "creating virtualenv $venv from $lock"
  "$PYTHON" -m venv --clear "$venv"
  install_lock "$venv" "$lock"
  echo "$want" > "$stamp"
}

setup_venv() {
  locked_venv "$VENV" requirements/controller.txt
}

# The demo project's own virtualenv, for its Django test suite on the controller.
setup_demo_venv() {
  locked_venv "${WEBSTACK_DEMO_VENV:-$here/.venv-demo}" examples/demo_project/requirements.txt
}

# The benchmark extras (make bench: plots, Mitogen), into the same virtualenv from their lock,
# which keeps controller.txt's versions of what both hold.
setup_bench() {
  local stamp="$VENV/.lock-bench.sha256"
  local want
  want="$(cat requirements/controller.txt requirements/bench.txt | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    log "benchmark requirements are up to date (requirements/bench.txt)"
    return
  fi
  log "installing the benchmark requirements (requirements/bench.txt)"
  install_lock "$VENV" requirements/bench.txt
  echo "$want" > "$stamp"
}

setup_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v gpg >/dev/null 2>&1 || missing+=(gpg)
  command -v gpgv >/dev/null 2>&1 || missing+=(gpgv)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

setup_docker() {
  if docker info >/dev/null 2>&1; then
    log "docker engine answers"
    return
  fi
  log "starting dockerd"
  as_root mkdir -p /var/log
  as_root sh -c 'nohup dockerd >/var/log/webstack-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
      log "docker engine is up"
      return
    fi
    sleep 1
  done
  echo "dockerd did not come up; see /var/log/webstack-dockerd.log" >&2
  tail -n 30 /var/log/webstack-dockerd.log >&2 || true
  exit 1
}

# The selected platform's base image (WEBSTACK_PLATFORM), or with "all" every tested platform's.
setup_image() {
  "$here/scripts/build-image.sh" "$@"
}

case "${1:-all}" in
  locked-venv) shift; locked_venv "$@" ;;
  venv) setup_venv; setup_demo_venv ;;
  docker) setup_packages; setup_docker ;;
  image) setup_packages; setup_docker; setup_image ;;
  images) setup_packages; setup_docker; setup_image all ;;
  all) setup_venv; setup_demo_venv; setup_packages; setup_docker; setup_image ;;
  bench) setup_venv; setup_bench ;;
  *) echo "usage: $0 [all|venv|docker|image|images|bench]" >&2; exit 2 ;;
esac
