"""scripts/molecule.sh: each scenario on its platform, stop or report, a table of wall times."""

import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FAKE = """#!/bin/sh
echo "$WEBSTACK_PLATFORM $3" >> "$CALLS"
echo "output of $3"
# "waits" runs until "other" has started (at most 20 s): only a second lane can start it.
if [ "$3" = waits ]; then
  for i in $(seq 1 200); do grep -q " other$" "$CALLS" && break; sleep 0.1; done
  grep -q " other$" "$CALLS" || exit 1
fi
echo "end of $3"
[ "$3" != broken ]
"""

FAKE_IMAGE = """#!/bin/sh
echo "image $1" >> "$CALLS"
[ "$1" != debian12 ] || [ -z "$NO_DEBIAN_IMAGE" ]
"""


def run(tmp_path, *args, **extra):
    fake = tmp_path / "molecule"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    image = tmp_path / "build-image"
    image.write_text(FAKE_IMAGE)
    image.chmod(0o755)
    calls = tmp_path / "calls"
    env = dict(os.environ, MOLECULE=str(fake), WEBSTACK_BUILD_IMAGE=str(image), CALLS=str(calls),
               WEBSTACK_MOLECULE_LOCK=str(tmp_path / "lock"),
               WEBSTACK_MOLECULE_LOGS=str(tmp_path / "logs"), **extra)
    env.pop("WEBSTACK_PLATFORM", None)
    result = subprocess.run(["bash", os.path.join(ROOT, "scripts", "molecule.sh"), *args], env=env,
                            capture_output=True, text=True, check=False, timeout=60)
    return result.returncode, result.stdout, calls.read_text().split("\n")[:-1] if calls.exists() else []


def test_each_scenario_runs_on_its_platform_and_a_bare_name_on_the_default(tmp_path):
    rc, _ignored, calls = run(tmp_path, "nginx:debian12", "stack:ubuntu2204", "celery")
    assert rc == 0
    assert calls == ["image debian12", "debian12 nginx", "image ubuntu2204", "ubuntu2204 stack",
                     "image ubuntu2404", "ubuntu2404 celery"]


def test_the_first_failure_stops_the_run(tmp_path):
    rc, out, calls = run(tmp_path, "nginx:debian12", "broken:debian12", "stack:debian12")
    assert rc == 1
    assert calls == ["image debian12", "debian12 nginx", "image debian12", "debian12 broken"]
    assert "broken on debian12: FAILED" in out


def test_a_report_runs_everything_and_tables_platform_by_scenario(tmp_path):
    report = tmp_path / "table.md"
    rc, _ignored, calls = run(tmp_path, "--report", str(report), "nginx:ubuntu2404",
                              "broken:ubuntu2404", "nginx:debian12")
    assert rc == 1
    assert len([call for call in calls if not call.startswith("image ")]) == 3
    lines = report.read_text().splitlines()
    assert lines[0] == "| scenario | ubuntu2404 | ubuntu2204 | debian12 |"
    assert re.fullmatch(r"\| `nginx` \| ✓ 0:0\d \| – \| ✓ 0:0\d \|", lines[2]), lines[2]
    assert lines[3].startswith("| `broken` | ✗ failed 0:0")


def test_a_report_names_its_date_and_commit_and_writes_each_run_to_a_csv_beside_it(tmp_path):
    report = tmp_path / "table.md"
    rc, _ignored, _calls = run(tmp_path, "--report", str(report), "nginx:ubuntu2404", "broken:debian12")
    assert rc == 1
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip() or "unknown"
    assert re.search(r"^Started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, at commit " + commit,
                     report.read_text(), re.M), report.read_text()
    lines = (tmp_path / "table.csv").read_text().splitlines()
    assert lines[0] == "date,commit,scenario,platform,result,seconds"
    assert len(lines) == 3
    rows = {line.split(",")[2]: line.split(",") for line in lines[1:]}
    assert rows["nginx"][1].startswith(commit)
    assert rows["nginx"][3:5] == ["ubuntu2404", "passed"]
    assert rows["broken"][3:5] == ["debian12", "FAILED"]
    assert rows["broken"][5].isdigit()


def test_an_unknown_platform_stops_before_any_run(tmp_path):
    rc, _ignored, calls = run(tmp_path, "nginx:centos9")
    assert rc != 0
    assert calls == []


def test_a_scenario_whose_image_cannot_be_had_fails_without_running(tmp_path):
    rc, out, calls = run(tmp_path, "nginx:ubuntu2204", "nginx:debian12", NO_DEBIAN_IMAGE="1")
    assert rc == 1
    assert calls == ["image ubuntu2204", "ubuntu2204 nginx", "image debian12"]
    assert "nginx on debian12: FAILED" in out


def test_two_lanes_run_scenarios_side_by_side_each_log_printed_whole(tmp_path):
    rc, out, calls = run(tmp_path, "--jobs", "2", "waits:debian12", "other:debian12", "nginx:ubuntu2204")
    assert rc == 0, out
    assert sorted(call for call in calls if not call.startswith("image ")) == [
        "debian12 other", "debian12 waits", "ubuntu2204 nginx"]
    lines = out.splitlines()
    for name in ("waits", "other", "nginx"):
        first = lines.index(next(line for line in lines if line.startswith(f"==> molecule test -s {name} ")))
        last = lines.index(next(line for line in lines if line.startswith(f"==> {name} on ")))
        assert all(name in line or "image" in line for line in lines[first:last + 1]), lines[first:last + 1]
        assert f"==> {name} on " in lines[last] and ": passed in " in lines[last]


def test_in_lanes_no_scenario_starts_after_a_failure(tmp_path):
    rc, out, calls = run(tmp_path, "--jobs", "2", "broken:debian12", "nginx:debian12", "stack:debian12",
                         "celery:debian12")
    assert rc == 1
    ran = [call for call in calls if not call.startswith("image ")]
    assert "debian12 broken" in ran and len(ran) < 4
    assert "broken on debian12: FAILED" in out
    assert "==> not started after the failure:" in out


def test_jobs_must_be_a_positive_number(tmp_path):
    for value in ("0", "two", ""):
        rc, _ignored, calls = run(tmp_path, "--jobs", value, "nginx:debian12")
        assert rc == 2 and calls == []


def test_a_lane_never_starts_a_scenario_another_lane_runs(tmp_path):
    # Lane 2 passes over waits:ubuntu2204 (waits runs in lane 1: same instance names) and starts
    # other, which lets waits end; waits then runs on ubuntu2204 once lane 1 is free.
    rc, out, calls = run(tmp_path, "--jobs", "2", "waits:debian12", "waits:ubuntu2204", "other:debian12")
    assert rc == 0, out
    assert [call for call in calls if not call.startswith("image ")] == [
        "debian12 waits", "debian12 other", "ubuntu2204 waits"]
