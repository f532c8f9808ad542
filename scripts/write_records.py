#!/usr/bin/env python
"""Rewrite the committed TF records (``tests/records/``) from live TensorFlow runs.

Every corpus script and every sampled mutant is taken from the local cache
(``.oracle-cache/``) when it was run on exactly this text, and run under TensorFlow otherwise
(a cold run takes hours on two cores); the records then hold exactly the current corpus and
mutants, nothing older.

    python scripts/write_records.py            # both files
    python scripts/write_records.py --corpus   # tests/records/corpus_tf.jsonl only
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO / "tests"))

from mutation import mutate, runner  # noqa: E402
from oracle import corpus_oracle as co  # noqa: E402


def write_corpus(jobs: int) -> int:
    scripts = co.corpus_scripts()
    real = co.collect_real(scripts, jobs=jobs, use_records=False)
    failed = [p.name for p in scripts if not real[p].get("ok")]
    if failed:
        print(f"write_records: TF rejects these corpus scripts, nothing written: {failed}", file=sys.stderr)
        return 1
    n = co.RECORDS.write((co.as_record(p, real[p]) for p in scripts), sort_by="script")
    print(f"{co.RECORDS.path.relative_to(REPO)}: {n} scripts")
    return 0


def write_mutants(jobs: int) -> int:
    _, mutant_jobs = runner.build_jobs(mutate.generate(), mutate.corpus_scripts())
    verdicts = runner.run_tf(mutant_jobs, workers=jobs, use_records=False, progress=print)
    entries = [
        runner.as_record(j, verdicts[j.key])
        for j in mutant_jobs
        if verdicts[j.key].status in ("accepted", "rejected")
    ]
    left = len(mutant_jobs) - len(entries)
    n = runner.RECORDS.write(entries, sort_by="id")
    print(f"{runner.RECORDS.path.relative_to(REPO)}: {n} mutants ({left} timed out or crashed, not recorded)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", action="store_true", help="only the corpus records")
    ap.add_argument("--mutants", action="store_true", help="only the mutant records")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="TF worker processes (default 2)")
    args = ap.parse_args(argv)
    both = not (args.corpus or args.mutants)
    rc = 0
    if args.corpus or both:
        rc |= write_corpus(args.jobs)
    if args.mutants or both:
        rc |= write_mutants(args.jobs)
    return rc


if __name__ == "__main__":
    sys.exit(main())
