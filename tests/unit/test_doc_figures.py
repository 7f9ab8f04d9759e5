"""Each measured figure in README.md and docs/*.md is read from the committed result file it cites.

A figure carries a marker right after it, an HTML comment that renders as nothing:

    12.4 s<!-- figure: docs/benchmarks/provision-ssh.csv step=second-run-stamps seconds -->

names the file, the row (every `column=value` that is not an option below, quoted when the
value has spaces; exactly one row must match) and the column; the number printed just before
the marker must equal that cell, rounded as printed (`24:22` is a number of seconds as m:ss).
Options: `scale=100` (a ratio printed as a percentage), `unit=min` (seconds printed as minutes),
`unit=MiB` (bytes printed as MiB),
`fit=slope|intercept|<x>` with `x=<column>` (the least-squares line through the matching rows:
its slope, its intercept, or its value at x).

A result file names its date and commit: in `date` and `commit` columns, or, for a file the
benchmark writes without them, in a row of docs/benchmarks/runs.csv (file, date, commit: the last
commit before the run). A document that cites a file names that date and that commit.
"""

import csv
import os
import re
import shlex
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = ["README.md"] + sorted(
    os.path.join("docs", name) for name in os.listdir(os.path.join(ROOT, "docs")) if name.endswith(".md"))
# Each of these cites at least one figure from a result file.
CITING = ["README.md", "docs/benchmarks.md", "docs/performance.md", "docs/offline.md",
          "docs/worker-counts.md"]
RUNS = "docs/benchmarks/runs.csv"
MARKER = re.compile(r"<!-- figure: (?P<spec>[^>]*?) -->")
NUMBER = re.compile(r"(\d+:\d\d(?!\d)|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?!.*\d)")
OPTIONS = ("scale", "unit", "fit", "x")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return handle.read()


def rows_of(path):
    with open(os.path.join(ROOT, path), newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def citations():
    """(doc, line number, printed number, spec) of every marker."""
    found = []
    for doc in DOCS:
        for number, line in enumerate(read(doc).splitlines(), 1):
            for match in MARKER.finditer(line):
                before = MARKER.sub("", line[:match.start()])
                printed = NUMBER.search(before)
                found.append((doc, number, printed.group(1) if printed else None, match.group("spec")))
    return found


CITATIONS = citations()


def parse(spec):
    path, *words = shlex.split(spec)
    where, options, columns = {}, {}, []
    for word in words:
        key, eq, value = word.partition("=")
        if not eq:
            columns.append(word)
        elif key in OPTIONS:
            options[key] = value
        else:
            where[key] = value
    assert len(columns) == 1, f"{spec}: name exactly one column"
    return path, where, options, columns[0]


def value_of(path, where, options, column):
    rows = [row for row in rows_of(path) if all(row.get(k) == v for k, v in where.items())]
    if "fit" in options:
        xs = [float(row[options["x"]]) for row in rows]
        ys = [float(row[column]) for row in rows]
        assert len(rows) >= 2, f"{path} {where}: a line needs two rows, {len(rows)} match"
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        intercept = my - slope * mx
        fit = options["fit"]
        value = slope if fit == "slope" else intercept if fit == "intercept" else intercept + slope * float(fit)
    else:
        assert len(rows) == 1, f"{path} {where}: {len(rows)} rows match, not one"
        value = float(rows[0][column])
    value /= {"min": 60, "MiB": 1048576}.get(options.get("unit"), 1)
    return value * float(options.get("scale", 1)), rows


def printed_value(printed):
    if ":" in printed:
        minutes, seconds = printed.split(":")
        return int(minutes) * 60 + int(seconds), 0
    decimals = len(printed.partition(".")[2])
    return float(printed.replace(",", "")), decimals


def provenance(path, rows):
    """The (date, commit) pairs a cited file names for the rows a figure comes from."""
    if rows and "date" in rows[0] and "commit" in rows[0]:
        return {(row["date"][:10], row["commit"]) for row in rows}
    runs = [row for row in rows_of(RUNS) if row["file"] == path]
    assert runs, f"{path} has no date and commit columns and no row in {RUNS}"
    return {(row["date"][:10], row["commit"]) for row in runs}


def history():
    """True in a clone with history (ansible-test runs on a copy whose git has no commits)."""
    return subprocess.run(["git", "-C", ROOT, "rev-parse", "--verify", "-q", "HEAD~1"],
                          capture_output=True, check=False).returncode == 0


@pytest.mark.parametrize("doc", CITING)
def test_the_document_cites_its_figures(doc):
    assert any(cited[0] == doc for cited in CITATIONS), f"{doc} has no figure marker"


@pytest.mark.parametrize("doc,line,printed,spec", CITATIONS,
                         ids=[f"{c[0]}:{c[1]}" for c in CITATIONS])
def test_a_cited_figure_is_the_value_in_its_file(doc, line, printed, spec):
    path, where, options, column = parse(spec)
    assert os.path.isfile(os.path.join(ROOT, path)), f"{doc}:{line}: {path} is not in the repository"
    assert printed is not None, f"{doc}:{line}: no number before the marker"
    value, rows = value_of(path, where, options, column)
    number, decimals = printed_value(printed)
    assert abs(number - value) <= 0.5 * 10 ** -decimals + 1e-9, (
        f"{doc}:{line} prints {printed}, {path} {where} {column} holds {value:g}")
    text = read(doc)
    for date, commit in provenance(path, rows):
        assert date in text, f"{doc} cites {path} but does not name its date {date}"
        assert commit.removesuffix("-dirty") in text, f"{doc} cites {path} but not its commit {commit}"


def test_every_result_file_names_its_date_and_commit():
    listed = {row["file"] for row in rows_of(RUNS)}
    for folder in ("docs/benchmarks", "docs/results"):
        if not os.path.isdir(os.path.join(ROOT, folder)):
            continue
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            path = f"{folder}/{name}"
            if not name.endswith(".csv") or path == RUNS:
                continue
            rows = rows_of(path)
            if rows and {"date", "commit"} <= set(rows[0]):
                assert all(row["date"] and row["commit"] for row in rows), path
            else:
                assert path in listed, f"{path}: no date and commit columns and no row in {RUNS}"


def test_each_file_of_runs_csv_exists_and_names_a_date_and_a_commit():
    for row in rows_of(RUNS):
        assert os.path.isfile(os.path.join(ROOT, row["file"])), row["file"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", row["date"]), row
        assert re.fullmatch(r"[0-9a-f]{7,40}", row["commit"]), row
    if history():
        for row in rows_of(RUNS):
            assert subprocess.run(["git", "-C", ROOT, "cat-file", "-e", row["commit"] + "^{commit}"],
                                  capture_output=True, check=False).returncode == 0, row


def platform_table():
    text = read("docs/testing.md")
    section = text.split("### Measured: every scenario on every platform", 1)[1].split("\n### ", 1)[0]
    cells = [line for line in section.splitlines() if line.startswith("| `")]
    return section, cells


def test_the_platform_table_cites_its_result_file_or_says_what_it_predates():
    section, cells = platform_table()
    assert cells, "the table of every scenario on every platform is gone"
    times = sum(len(re.findall(r"\d+:\d\d", cell)) for cell in cells)
    cited = sum(line.count("docs/results/test-platforms.csv") for line in cells)
    if cited:
        assert cited == times, "every cell of the platform table cites docs/results/test-platforms.csv"
        return
    # Measured before a result file was kept: the section says so and names the commit it ran at
    # and the commits since that change what it measured.
    assert "predates" in section
    commits = re.findall(r"\b[0-9a-f]{7}\b", section)
    assert len(commits) >= 2, "the commit measured at and the changes since"
    if history():
        for commit in commits:
            assert subprocess.run(["git", "-C", ROOT, "cat-file", "-e", commit + "^{commit}"],
                                  capture_output=True, check=False).returncode == 0, commit
