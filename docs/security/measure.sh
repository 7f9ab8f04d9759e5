#!/usr/bin/env bash
# `systemd-analyze security` of the collection's units on one platform's systemd (docs/security.md):
#
#   WEBSTACK_PLATFORM=debian12 bash docs/security/measure.sh
#
# Starts a systemd container `webstack-security` from the platform's base image (the settings of
# molecule/resources/create.yml, through scripts/lib.sh), creates the apps' users, loads the unit
# files of docs/security/units/before/ (as the templates rendered them before the sandbox), then
# those of units/after/, and writes each unit's report to
# docs/security/rendered/<platform>/<before|after>/<unit>.txt, headed by the systemd version,
# the date and the commit whose templates rendered the units (docs/security/units/commits.csv);
# removes the container; then writes docs/security/exposure.csv from every report there and in
# docs/security/converged/<platform>/ (reports taken on hosts converged by molecule, same header).
set -euo pipefail
security="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh disable=SC1091
. "$security/../../scripts/lib.sh"

name=webstack-security
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
docker rm -f "$name" >/dev/null 2>&1 || true
log "starting $name from $IMAGE"
start_systemd_container "$name"
docker exec "$name" sh -c 'for u in hello demo; do id "$u" >/dev/null 2>&1 || useradd --system --no-create-home -d "/srv/$u" -s /usr/sbin/nologin "$u"; done
  getent group www-data >/dev/null || groupadd --system www-data'
version="$(docker exec "$name" systemctl --version | head -n 1)"
today="$(date -u +%F)"
for which in before after; do
  commit="$(awk -F, -v which="$which" '$1 == which { print $2 }' "$security/units/commits.csv")"
  out="$security/rendered/$PLATFORM/$which"
  rm -rf "$out"
  mkdir -p "$out"
  docker exec "$name" sh -c 'rm -f /etc/systemd/system/uwsgi-hello.service /etc/systemd/system/webstack-uwsgi-measure.service /etc/systemd/system/celery-demo-*.service'
  for unit in "$security/units/$which"/*.service; do
    docker cp "$unit" "$name:/etc/systemd/system/$(basename "$unit")"
  done
  docker exec "$name" systemctl daemon-reload
  for unit in "$security/units/$which"/*.service; do
    unit="$(basename "$unit")"
    { echo "# $version"; echo "# date $today commit $commit"
      docker exec "$name" systemd-analyze security --no-pager "$unit"; } > "$out/$unit.txt"
    log "$PLATFORM $which $unit: $(grep -o 'Overall exposure level.*' "$out/$unit.txt")"
  done
done

# exposure.csv: a row per report: service (the unit), platform, systemd version, state (before or after the
# sandbox), source (rendered units or a converged host), exposure, date and commit.
python3 - "$security" <<'PY'
import csv, pathlib, re, sys
root = pathlib.Path(sys.argv[1])
rows = []
def row(path, platform, state, source):
    text = path.read_text()
    rows.append([path.name[:-4], platform, re.search(r"systemd (\d+)", text).group(1), state, source,
                 re.search(r"Overall exposure level for \S+: (\d+\.\d)", text).group(1),
                 *re.search(r"^# date (\S+) commit (\S+)", text, re.M).groups()])
for platform in sorted((root / "rendered").iterdir()):
    for state in ("before", "after"):
        for path in sorted((platform / state).glob("*.txt")):
            row(path, platform.name, state, "rendered")
for platform in sorted((root / "converged").glob("*")):
    for path in sorted(platform.glob("*.txt")):
        row(path, platform.name, "after", "converged")
with open(root / "exposure.csv", "w", newline="") as out:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["service", "platform", "systemd", "state", "source", "exposure", "date", "commit"])
    writer.writerows(rows)
PY
log "wrote $security/exposure.csv"
