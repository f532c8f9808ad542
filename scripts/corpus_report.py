#!/usr/bin/env python
"""Report how well the static engine knows the layer outputs of the realistic corpus.

Runs every script of ``tests/corpus/`` under real TensorFlow (cached per script content in
``.oracle-cache/corpus/``) and the engine on the same file, then prints a per-script table and
the overall exact / covered / wrong percentages.

    python scripts/corpus_report.py              # table + totals
    python scripts/corpus_report.py --details    # also every non-exact line and grouped misses
    python scripts/corpus_report.py --no-cache -j 2 mnist_cnn_sequential.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO / "tests"))

from oracle import corpus_oracle as co  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scripts", nargs="*", help="corpus script names or paths (default: all)")
    ap.add_argument("--details", action="store_true", help="list every non-exact line and group the misses")
    ap.add_argument("--globals", action="store_true", help="with --details: module-level arrays/tensors too")
    ap.add_argument("--no-cache", action="store_true", help="re-run TF even when cached")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="TF worker processes (default 2)")
    ap.add_argument("--json", action="store_true", help="print the totals as JSON")
    args = ap.parse_args(argv)

    if args.scripts:
        paths = []
        for s in args.scripts:
            p = Path(s)
            if not p.is_file():
                p = co.CORPUS_DIR / s
            if not p.is_file():
                print(f"corpus_report: no such script: {s}", file=sys.stderr)
                return 2
            paths.append(p.resolve())
    else:
        paths = co.corpus_scripts()

    reports = co.run_oracle(paths, jobs=args.jobs, use_cache=not args.no_cache)
    if args.json:
        t = co.totals(reports)
        print(
            json.dumps(
                {
                    **t.__dict__,
                    "exact_pct": round(t.exact_pct, 2),
                    "covered_pct": round(t.covered_pct, 2),
                    "wrong_pct": round(t.wrong_pct, 2),
                },
                indent=1,
            )
        )
        return 0
    print(co.format_table(reports))
    print()
    print(co.format_summary(reports))
    if args.details:
        show = ["wrong", "unknown", "covered"] + (["globals"] if args.globals else [])
        print()
        print("Non-exact lines:")
        print(co.format_details(reports, show=show))
        print()
        print("Misses grouped by layer:")
        print(co.format_misses(reports))
        verdicts = co.model_count_verdicts(reports)
        if verdicts["wrong"] or verdicts["unknown"]:
            print()
            print("Model parameter counts not known exactly:")
            for verdict in ("wrong", "unknown"):
                for where in verdicts[verdict]:
                    print(f"  {verdict:8} {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
