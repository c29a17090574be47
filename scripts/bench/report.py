#!/usr/bin/env python3
"""Turn the benchmark's measured runs into a results section and append it to the results page.

The input is a tab-separated file with one line per timed run: tool, accounts,
round, wall seconds, peak RSS in KiB as /usr/bin/time -v reports it, the tool's
CPU seconds and the demo server's CPU seconds during the run. This script takes
medians, compares them with the targets and writes a Markdown section. The
section is printed and appended to the results page, which is created with an
introduction when missing. Earlier sections are kept.
"""

import argparse
import csv
import statistics
import sys
from pathlib import Path

PAGE_INTRO = """# Benchmarks

Speed and memory of `devrev-accounts-export export --all` against two
yardsticks, measured by `scripts/bench.sh`:

- **floor**: `scripts/bench/fetch_floor.py` fetches the same pages of 500
  accounts from `accounts.list` over one keep-alive HTTP connection and
  discards them. It finds `next_cursor` with a regular expression on the raw
  bytes and never parses the accounts, so its time is close to transfer plus
  server time alone.
- **Python reference**: `scripts/bench/reference_export.py` pages through the
  same endpoint with `requests` and writes the same columns with `openpyxl` in
  write-only mode, with `lxml` installed so openpyxl serializes through it. It
  fits no column widths, so it does slightly less work than the product. It
  runs at the smaller account count only.

Every tool talks to the product's own demo server on 127.0.0.1, started from
the release binary with the default seed. The server runs on the same machine
and competes with the client for CPU, so all three times include the
server's work of generating and serializing the accounts. Times are wall-clock
medians of the runs from `/usr/bin/time -v`, process start to exit. CPU is the
tool's user plus system time from the same report, and server CPU is what the
demo server used during the run (from `/proc/PID/stat`). Peak memory is the
"Maximum resident set size" that `time` reports, converted from KiB to MB
(10^6 bytes).

Each section below is one run of the benchmark, and new runs are appended.
"""

TOOLS = ("floor", "export", "python")
TOOL_NAMES = {
    "floor": "fetch-only floor",
    "export": "product `export --all`",
    "python": "Python reference",
}


class Run:
    """One timed run of one tool."""

    def __init__(self, seconds, rss_kib, cpu_seconds, server_cpu_seconds):
        self.seconds = float(seconds)
        self.rss_mb = int(rss_kib) * 1024 / 1e6
        self.cpu_seconds = float(cpu_seconds)
        self.server_cpu_seconds = float(server_cpu_seconds)


def read_runs(path):
    """Return {(tool, accounts): [Run, ...]} from the runs file."""
    runs = {}
    with open(path, newline="") as handle:
        for tool, accounts, _round, *measured in csv.reader(handle, delimiter="\t"):
            runs.setdefault((tool, int(accounts)), []).append(Run(*measured))
    return runs


def median(measured, field):
    return statistics.median(getattr(run, field) for run in measured)


def verdict(met):
    return "met" if met else "**not met**"


def format_times(values):
    return ", ".join(f"{value:.2f}" for value in values)


def build_section(args, runs):
    """Return the Markdown section for this benchmark run."""
    small, large = args.small, args.large
    lines = [f"## {args.date}", ""]

    lines += [
        "| tool | accounts | runs | median wall time (s) | all wall times (s) | median CPU (s) "
        "| median server CPU (s) | median peak RSS (MB) |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for accounts in (small, large):
        for tool in TOOLS:
            measured = runs.get((tool, accounts))
            if not measured:
                continue
            lines.append(
                f"| {TOOL_NAMES[tool]} | {accounts:,} | {len(measured)} "
                f"| {median(measured, 'seconds'):.2f} | {format_times(run.seconds for run in measured)} "
                f"| {median(measured, 'cpu_seconds'):.2f} | {median(measured, 'server_cpu_seconds'):.2f} "
                f"| {median(measured, 'rss_mb'):.1f} |"
            )
    lines.append("")

    def median_time(tool, accounts):
        return median(runs[(tool, accounts)], "seconds")

    def median_rss(tool, accounts):
        return median(runs[(tool, accounts)], "rss_mb")

    export_over_floor = median_time("export", small) / median_time("floor", small)
    python_over_export = median_time("python", small) / median_time("export", small)
    rss_small = median_rss("export", small)
    rss_large = median_rss("export", large)
    rss_growth = rss_large - rss_small
    lines += [
        "| measure | value | target | result |",
        "| --- | ---: | ---: | --- |",
        f"| export time ÷ floor time, {small:,} accounts | {export_over_floor:.2f} | ≤ 1.25 | {verdict(export_over_floor <= 1.25)} |",
        f"| Python time ÷ export time, {small:,} accounts | {python_over_export:.1f} | ≥ 5 | {verdict(python_over_export >= 5)} |",
        f"| export peak RSS, {small:,} accounts | {rss_small:.1f} MB | ≤ 150 MB | {verdict(rss_small <= 150)} |",
        f"| export peak RSS at {large:,} − at {small:,} accounts | {rss_growth:+.1f} MB | ≤ 20 MB | {verdict(rss_growth <= 20)} |",
    ]
    if ("floor", large) in runs and ("export", large) in runs:
        ratio_large = median_time("export", large) / median_time("floor", large)
        lines.append(f"| export time ÷ floor time, {large:,} accounts (no target) | {ratio_large:.2f} | | |")
    lines.append("")

    lines += [
        f"- machine: {args.machine}",
        f"- load average (1 minute) of the machine: {args.load}. Other work on the machine slows every tool.",
        f"- Python side: {args.software}",
        f"- commit: {args.commit}",
        f"- command: `{args.command}`",
        f"- runs: {args.rounds} rounds per size, each running the tools in a different order "
        f"({args.orders}), after one untimed warm-up fetch per server",
        f"- checks: every product workbook had exactly the expected data rows, and "
        f"the reference workbook's header and first {args.compare_rows} data rows equal the product's",
        f"- whole benchmark, including the build and checks: {args.total_seconds / 60:.1f} minutes",
    ]
    if args.notes:
        lines.append(f"- note: {args.notes}")
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", help="tab-separated runs file")
    parser.add_argument("--results-page", required=True, help="Markdown file the section is appended to")
    parser.add_argument("--small", type=int, required=True, help="account count of the speed comparison")
    parser.add_argument("--large", type=int, required=True, help="account count of the second memory measurement")
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--orders", required=True, help="the tool orders used, for the record")
    parser.add_argument("--compare-rows", type=int, required=True)
    parser.add_argument("--date", required=True)
    parser.add_argument("--machine", required=True)
    parser.add_argument("--load", required=True, help="load averages before and after, for the record")
    parser.add_argument("--software", required=True, help="versions of Python and its packages")
    parser.add_argument("--commit", required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--total-seconds", type=float, required=True)
    parser.add_argument("--notes", default="")
    args = parser.parse_args()

    section = build_section(args, read_runs(args.runs))
    print(section)

    page = Path(args.results_page)
    if not page.exists():
        page.write_text(PAGE_INTRO)
    with page.open("a") as handle:
        handle.write("\n" + section)
    print(f"Appended the results to {page}.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
