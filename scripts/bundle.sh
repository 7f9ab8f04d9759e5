#!/usr/bin/env bash
# The offline bundle for air-gapped hosts, built in a builder container of the targets' platform
# (WEBSTACK_PLATFORM: ubuntu2404 by default, ubuntu2204, debian12; or WEBSTACK_IMAGE).
#   scripts/bundle.sh build    build dist/bundle/<platform>/webstack-bundle/ and its .tar.gz
#   scripts/bundle.sh report   a cold build (fresh builder, empty caches), then a warm one; prints
#                              both times and the bundle's size, and adds them as a row (date,
#                              commit, platform, ...) to WEBSTACK_BUNDLE_REPORT (default
#                              docs/benchmarks/bundle.csv, the file docs/offline.md cites)
#   scripts/bundle.sh down     remove the builder container
# The builder container (webstack-bundle-builder-<platform>) is kept between builds, and its
# cache (downloaded .debs, pip's cache, the wheel builder) lives in .cache/bundle/<platform>, so
# a second build with the same input downloads nothing.
# The bundle is signed with the armored secret key file WEBSTACK_BUNDLE_SIGNING_KEY (its passphrase,
# if any, in WEBSTACK_BUNDLE_SIGNING_PASSPHRASE), or else with a throwaway key generated for the
# build; the public key is written beside the tarball (<name>.pub.asc).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NAME="${WEBSTACK_BUNDLE_BUILDER:-webstack-bundle-builder-$PLATFORM}"
CACHE="$here/.cache/bundle/$PLATFORM"
OUT="${WEBSTACK_BUNDLE_OUTPUT:-$here/dist/bundle/$PLATFORM}"
RELEASE_VERSION="${WEBSTACK_BUNDLE_RELEASE:-demo}"
REPORT="${WEBSTACK_BUNDLE_REPORT:-$here/docs/benchmarks/bundle.csv}"

down() {
  docker rm -f "$NAME" >/dev/null 2>&1 || true
}

start() {
  mkdir -p "$CACHE/builder"
  if ! docker inspect "$NAME" >/dev/null 2>&1; then
    log "starting builder container $NAME from $IMAGE"
  fi
  start_systemd_container "$NAME" -v "$CACHE/builder:/var/cache/webstack-bundle"
  cat > "$CACHE/inventory.yml" <<YAML
builder:
  hosts:
    $NAME:
      ansible_connection: community.docker.docker
      ansible_python_interpreter: /usr/bin/python3
YAML
}

build() {
  start
  log "building the release archive of the demo project"
  mkdir -p "$OUT"
  DIST_DIR="$CACHE/release" bash examples/demo_project/build_release.sh "$RELEASE_VERSION" >/dev/null
  log "building the bundle on $NAME"
  ansible-playbook -i "$CACHE/inventory.yml" playbooks/bundle.yml \
    -e "webstack_bundle_release_archive=$CACHE/release/demo_project-$RELEASE_VERSION.tar.gz" \
    -e "webstack_bundle_output_dir=$OUT" "$@"
}

report() {
  log "cold build: new builder container, empty caches"
  down
  rm -rf "$CACHE/builder" "$OUT"
  mkdir -p "$CACHE"
  local t0 t1 t2
  t0=$(date +%s.%N)
  build >"$CACHE/cold.log" 2>&1 || { tail -n 40 "$CACHE/cold.log"; exit 1; }
  t1=$(date +%s.%N)
  log "warm build: same builder and caches, same input"
  build >"$CACHE/warm.log" 2>&1 || { tail -n 40 "$CACHE/warm.log"; exit 1; }
  t2=$(date +%s.%N)
  local tarball="$OUT/webstack-bundle.tar.gz"
  local dir="$OUT/webstack-bundle"
  awk -v cold="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" \
      -v warm="$(awk -v a="$t1" -v b="$t2" 'BEGIN{print b-a}')" \
      -v tar="$(stat -c %s "$tarball")" -v dir="$(du -sb "$dir" | cut -f1)" \
      -v files="$(find "$dir" -type f | wc -l)" -v debs="$(find "$dir/debs" -name '*.deb' | wc -l)" \
      -v wheels="$(find "$dir/wheelhouse" -name '*.whl' | wc -l)" -v path="$tarball" 'BEGIN {
    printf "\nOffline bundle %s\n", path
    printf "  cold build   %6.1f s\n", cold
    printf "  warm build   %6.1f s\n", warm
    printf "  tarball      %6.1f MiB\n", tar / 1048576
    printf "  directory    %6.1f MiB (%d files: %d .deb, %d wheels)\n", dir / 1048576, files, debs, wheels
  }'
  printf '  sha256       %s\n' "$(cut -d' ' -f1 "$tarball.sha256")"
  # One row per report; the commit is the one the bundle was built from, "-dirty" when the
  # paths it is built from had uncommitted changes then (the row describes no commit exactly).
  local commit
  commit="$(git rev-parse --short HEAD)"
  [ -z "$(git status --porcelain -- roles plugins playbooks examples requirements scripts galaxy.yml)" ] ||
    commit="$commit-dirty"
  mkdir -p "$(dirname "$REPORT")"
  [ -s "$REPORT" ] ||
    echo 'date,commit,platform,cold_s,warm_s,size_bytes,dir_bytes,wheels,debs' > "$REPORT"
  printf '%s,%s,%s,%.1f,%.1f,%s,%s,%s,%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$commit" "$PLATFORM" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$(awk -v a="$t1" -v b="$t2" 'BEGIN{print b-a}')" \
    "$(stat -c %s "$tarball")" "$(du -sb "$dir" | cut -f1)" \
    "$(find "$dir/wheelhouse" -name '*.whl' | wc -l)" "$(find "$dir/debs" -name '*.deb' | wc -l)" >> "$REPORT"
  log "row added to $REPORT"
}

case "${1:-build}" in
  build) shift || true; build "$@" ;;
  report) report ;;
  down) down ;;
  *) echo "usage: $0 [build|report|down]" >&2; exit 2 ;;
esac
