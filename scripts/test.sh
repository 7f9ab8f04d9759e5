#!/usr/bin/env bash
# make test: every test, in the least wall time this 2-core machine allows.
#
#   bash scripts/test.sh [--jobs N] SCENARIO:PLATFORM...   (make test passes TEST_JOBS, TEST_MATRIX)
#
# The controller-side gates (lint, integration, sanity with the unit tests) need no container: they run in the
# background, into dist/test-gates.log, while the base images are built and the molecule
# scenarios run in N lanes (scripts/molecule.sh --jobs). Their log is printed when both are done; the run fails when either
# failed. The gates' pytest runs keep their temporary files apart from the scenarios' testinfra
# runs, outside the checkout (a test of a project "outside git" must not find this repository
# above it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
jobs=1
if [ "${1:-}" = --jobs ]; then
  jobs="$2"
  shift 2
fi
[ "$#" -gt 0 ] || { echo "usage: $0 [--jobs N] SCENARIO:PLATFORM..." >&2; exit 2; }

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
# The benchmark extras too (matplotlib): the unit tests draw the benchmark plots.
for part in venv bench; do
  bash scripts/setup.sh "$part" || { status=$?; kill ${images:+"$images"} 2>/dev/null || true; exit "$status"; }
done

# The gates run in a session of their own. The kernel shares the CPU between sessions
# (autogroups) before it looks at nice values, so the gates (about 13 minutes of CPU) get an
# equal share beside the lanes' work and are done early in the run. At the lowest priority
# (autogroup nice 19) they got only what the scenarios left idle: enough beside one lane, but two
# lanes keep both cores busy and the gates would be left to run alone at the end.
# The unit tests run once, under `ansible-test units` (make sanity), with the same files as make
# unit; the benchmark report tests need the bench extras (matplotlib, mitogen) that its virtualenv
# lacks (it skips them): make unit-bench runs those in .venv.
echo "==> lint, integration, sanity (with the unit tests) and unit-bench in the background (log: $log)"
PYTEST_DEBUG_TEMPROOT="$gates_tmp" setsid --wait make --no-print-directory -C "$here" lint integration sanity unit-bench \
  > "$log" 2>&1 &
gates=$!

molecule_log="dist/test-molecule.log"
if "$docker_ok"; then
  bash scripts/molecule.sh --jobs "$jobs" "$@" 2>&1 | tee "$molecule_log" || molecule_status=$?
  wait "$images" || { molecule_status=1; echo "==> building the base images failed:"; tail -n 30 "$images_log"; }
fi

gates_status=0
wait "$gates" || gates_status=$?
echo "==> lint, integration, sanity and unit-bench ($log):"
cat "$log"
# The molecule verdict again, after the gates' log, so that the end of the output (all a CI page
# may keep) names the scenario that failed and shows where: its runs table, and the last lines of
# each failed scenario's log up to its failure.
if [ "$molecule_status" != 0 ] && [ -s "$molecule_log" ]; then
  echo "==> molecule, again ($molecule_log):"
  sed -n '/^==> molecule runs:/,$p' "$molecule_log"
  sed -n 's/^==> \([^ ]*\) on \([^ ]*\): FAILED in .*/\1-\2/p' "$molecule_log" | while IFS= read -r failed; do
    echo "==> $failed, its failure (${WEBSTACK_MOLECULE_LOGS:-dist/molecule}/$failed.log):"
    grep -nE 'FAILED|fatal:|Error|failed=[1-9]|AssertionError|^E ' "${WEBSTACK_MOLECULE_LOGS:-dist/molecule}/$failed.log" 2>/dev/null |
      tail -n 40 || true
  done
fi
echo "==> lint, integration, sanity, unit-bench: $([ "$gates_status" = 0 ] && echo passed || echo "FAILED (rc $gates_status)")"
echo "==> images and molecule scenarios: $([ "$molecule_status" = 0 ] && echo passed || echo "FAILED (rc $molecule_status)")"
[ "$gates_status" = 0 ] && [ "$molecule_status" = 0 ]
