"""``python -m benchmarks run --quick | --full``: run, print the table, write JSON."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from . import report, runner
from .profiles import PROFILES, override
from .targets import TARGETS, VARIANTS

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so every ``finally`` stops its servers and workers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the benchmark suite")
    mode = run.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true", help="small numbers, under 2 minutes")
    mode.add_argument("--full", action="store_true", help="the full run for docs/performance.md")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON file ({DEFAULT_OUT})")
    run.add_argument(
        "--targets",
        default=",".join(TARGETS),
        help="comma-separated, of: " + ", ".join(TARGETS + VARIANTS),
    )
    run.add_argument(
        "--workloads", default=",".join(runner.WORKLOADS), help="comma-separated: W1,W2,W3,W4"
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="change a number of the profile, e.g. --set w1_connections=5000",
    )
    show = sub.add_parser("report", help="print the table of a results JSON again")
    show.add_argument("path", type=Path, nargs="?", default=DEFAULT_OUT)
    show.add_argument("--markdown", action="store_true", help="as Markdown (for the docs)")
    args = parser.parse_args(argv)
    if args.command == "report":
        doc = json.loads(args.path.read_text())
        print(report.markdown(doc) if args.markdown else report.render(doc))
        return 0
    targets = tuple(t for t in args.targets.split(",") if t)
    workloads = tuple(w.upper() for w in args.workloads.split(",") if w)
    unknown = set(targets) - set(TARGETS + VARIANTS) | set(workloads) - set(runner.WORKLOADS)
    if unknown:
        parser.error(f"unknown targets or workloads: {', '.join(sorted(unknown))}")
    try:
        profile = override(PROFILES["quick" if args.quick else "full"], args.set)
    except ValueError as exc:
        parser.error(str(exc))
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        doc = runner.run(profile, targets=targets, workloads=workloads, out=args.out)
    except KeyboardInterrupt:
        print("interrupted; servers and load generators stopped", file=sys.stderr)
        return 130
    print(report.render(doc))
    print(f"\nJSON: {args.out}")
    return 0
