#!/usr/bin/env bash
# make test: every test, in the least wall time this 2-core machine allows.
#
#   bash scripts/test.sh SCENARIO:PLATFORM...      (make test passes TEST_MATRIX)
#
# The controller-side gates (lint, unit, integration, sanity) need no container: they run in the
# background, into dist/test-gates.log, while the base images are built and the molecule
# scenarios run one at a time. Their log is printed when both are done; the run fails when either
# failed. The gates' pytest runs keep their temporary files apart from the scenarios' testinfra
# runs, outside the checkout (a test of a project "outside git" must not find this repository
# above it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
[ "$#" -gt 0 ] || { echo "usage: $0 SCENARIO:PLATFORM..." >&2; exit 2; }

log="dist/test-gates.log"
images_log="dist/test-images.log"
gates_tmp="${TMPDIR:-/tmp}/webstack-pytest-gates"
mkdir -p dist "$gates_tmp"
molecule_status=0
images=""
gates=""
trap 'kill ${gates:+"$gates"} ${images:+"$images"} 2>/dev/null || true' INT TERM

# The base images build in the background first (minutes on a new machine, spent waiting on the
# archive), in the order the scenarios first need them, while the virtualenvs are made; each
# scenario waits for its own image only (scripts/molecule.sh), so the first scenarios run while
# the other images are built.
docker_ok=true
bash scripts/setup.sh docker || { molecule_status=$?; docker_ok=false; }
if "$docker_ok"; then
  mapfile -t platforms < <(for item in "$@"; do bash scripts/platform.sh of "$item"; done | awk '!seen[$0]++')
  echo "==> base images ${platforms[*]} in the background (log: $images_log)"
  "${WEBSTACK_BUILD_IMAGE:-scripts/build-image.sh}" "${platforms[@]}" > "$images_log" 2>&1 &
  images=$!
fi
bash scripts/setup.sh venv || { status=$?; kill ${images:+"$images"} 2>/dev/null || true; exit "$status"; }

# The gates run at the lowest CPU priority: the scenarios are the run's critical path, and the
# gates (about 13 minutes of CPU) fit in what the scenarios leave idle (waits on services, the
# archive, containers). Plain nice is not enough: the kernel shares CPU between sessions
# (autogroups) first, so gates kept busy in the scenarios' session took half the CPU from the
# containers' work (dockerd's session) and a scenario step took up to 2.5 times as long. They run
# in a session of their own whose autogroup has nice 19.
echo "==> lint, unit, integration and sanity in the background, at the lowest priority (log: $log)"
# shellcheck disable=SC2016  # $1 is the inner shell's
PYTEST_DEBUG_TEMPROOT="$gates_tmp" setsid --wait bash -c \
  'echo 19 > /proc/self/autogroup 2>/dev/null || true; exec nice -n 19 make --no-print-directory -C "$1" lint unit integration sanity' \
  gates "$here" > "$log" 2>&1 &
gates=$!

if "$docker_ok"; then
  bash scripts/molecule.sh "$@" || molecule_status=$?
  wait "$images" || { molecule_status=1; echo "==> building the base images failed:"; tail -n 30 "$images_log"; }
fi

gates_status=0
wait "$gates" || gates_status=$?
echo "==> lint, unit, integration and sanity ($log):"
cat "$log"
echo "==> lint, unit, integration, sanity: $([ "$gates_status" = 0 ] && echo passed || echo "FAILED (rc $gates_status)")"
echo "==> images and molecule scenarios: $([ "$molecule_status" = 0 ] && echo passed || echo "FAILED (rc $molecule_status)")"
[ "$gates_status" = 0 ] && [ "$molecule_status" = 0 ]
