#!/usr/bin/env python
"""The TF-confirmed mutation suite: single edits of the corpus scripts, run under real TF, scored.

Each mutant of ``tests/corpus/*.py`` (see ``tests/mutation/mutate.py``) is executed under real
TensorFlow (verdicts cached per mutant text in ``.oracle-cache/mutation/``) and analysed by the
engine. Prints a table per mutation operator (mutants, TF-rejected, flagged, detection %,
TF-accepted, false alarms, timeouts), the totals, every false alarm, and the missed rejected
mutants grouped by TF's message.

    python scripts/mutation_report.py                 # table, summary, false alarms, misses
    python scripts/mutation_report.py --no-misses     # table, summary and false alarms only
    python scripts/mutation_report.py --list-flagged  # also every flagged mutant
    python scripts/mutation_report.py -v              # progress while TF runs
    python scripts/mutation_report.py --json          # totals as JSON
    python scripts/mutation_report.py mnist_cnn_sequential.py resnet_block.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO / "tests"))

from mutation import mutate, runner  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scripts", nargs="*", help="corpus script names or paths (default: all)")
    ap.add_argument("--no-cache", action="store_true", help="re-run TF even when a verdict is cached")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="TF worker processes (default 2)")
    ap.add_argument("--timeout", type=float, default=runner.MUTANT_TIMEOUT, help="seconds per mutant")
    ap.add_argument("--no-misses", action="store_true", help="leave out the list of missed mutants")
    ap.add_argument("--list-flagged", action="store_true", help="also list every flagged mutant")
    ap.add_argument("--json", action="store_true", help="print the totals as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="progress on stderr while TF runs")
    args = ap.parse_args(argv)

    paths = None
    if args.scripts:
        paths = []
        for s in args.scripts:
            p = Path(s)
            if not p.is_file():
                p = mutate.CORPUS_DIR / s
            if not p.is_file():
                print(f"mutation_report: no such script: {s}", file=sys.stderr)
                return 2
            paths.append(p.resolve())

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    suite = runner.run_suite(
        paths,
        workers=args.jobs,
        use_cache=not args.no_cache,
        timeout=args.timeout,
        progress=progress if args.verbose else None,
    )
    if args.json:
        print(json.dumps(runner.totals_json(suite), indent=1))
        return 0
    print(runner.format_report(suite, misses=not args.no_misses))
    if args.list_flagged:
        print()
        print("Flagged TF-rejected mutants:")
        for r in suite.flagged:
            e = next(e for e in r.errors if r.near(e))
            print(f"  {r.id:<48} {r.description}")
            print(f"      engine line {e.line} [{e.code}] {e.message[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
