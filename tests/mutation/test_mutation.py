"""The TF-confirmed mutation suite (see ``runner.py``).

Single edits of the realistic corpus scripts (``mutate.py``) are run under real TensorFlow
(verdicts cached per mutant text in ``.oracle-cache/mutation/`` and committed in
``tests/records/mutants_tf.jsonl``, a daily sample of which is re-run under live TF here; a cold
run of them all takes ~10 minutes on 2 cores) and analysed by the engine. Required: no error diagnostic on any original script or on
any mutant TF accepts, and at least ``DETECTION_THRESHOLD`` % of the mutants TF rejects flagged
by an error within 3 lines of the edit or of where TF raised. ``pytest -s`` prints the table;
``scripts/mutation_report.py`` prints it with every miss. Deselect with ``-m "not mutation"``.
"""

from __future__ import annotations

import importlib.util

import pytest

from mutation import mutate, runner
from oracle import tf_records

pytestmark = [
    pytest.mark.mutation,
    pytest.mark.tf,
    pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow"),
]

# The goal is 90 %. The guard sits just under what the engine reaches now; raise it as the
# engine improves. It was 90 until the mutants were drawn over 56 more blind scripts
# (rw52-rw59): five of their mutants sit on values the engine cannot bound (a vocabulary size
# from a tokenizer, labels from a StringLookup, `X.shape[0]` of data of unknown length), and
# detection went from 91.1 % to 88.8 %. Losses called by hand in custom training loops
# (`bce(y, pred)` in a GradientTape step) are checked now, and sparse labels against every
# axis of the output but its last: 169 of 185, 91.4 %, with the rw103-rw107 scripts in the
# corpus (2026-11-24); 170 of 187, 90.9 %, once rw108-rw110 joined the same day (their new
# mutants include a Normalization adapted on two columns, a Keras-internal mismatch the engine
# does not model); 171 of 188, 91.0 %, with rw111-rw116 (2026-11-25: all 7 mutants of theirs
# that TF rejects are flagged); 172 of 189, 91.0 %, with rw117-rw120 the same day; 169 of 186, 90.9 %, with
# rw121-rw124 (among theirs a SeparableConv2D padding edit that only an SSD's prior-count
# assert catches: a multi-output `output_shape` is read since), and still with rw125-rw128
# (their one miss is a key/value cache concatenated on the wrong axis, whose length the decoding
# loop decides); 172 of 189, 91.0 %, with rw129-rw133 (2026-11-25: their one first miss, a
# 4-channel scratch image filled with 3-value colour tuples, is flagged since a tuple assigned
# into an array slice is checked as the array numpy makes of it); 176 of 191, 92.1 %, with
# rw134-rw145 (2026-11-25). The guard stays at 90 for the draws to come.
DETECTION_THRESHOLD = 90.0
MIN_REJECTED = 100


def test_mutation_suite() -> None:
    suite = runner.run_suite(workers=2)
    report = runner.format_report(suite)
    print()
    print(report)
    assert not suite.broken_originals, "corpus scripts that TF rejects: " + ", ".join(
        f"{r.script}: {r.verdict.message}" for r in suite.broken_originals
    )
    assert not suite.engine_crashes, "the engine raised:\n" + runner.format_false_alarms(suite)
    assert not suite.false_alarms, "engine errors where TF runs fine:\n" + runner.format_false_alarms(suite)
    assert len(suite.rejected) >= MIN_REJECTED, f"only {len(suite.rejected)} mutants are rejected by TF"
    assert suite.detection_pct >= DETECTION_THRESHOLD, (
        f"detection {suite.detection_pct:.1f}% < {DETECTION_THRESHOLD}%\n" + runner.format_misses(suite)
    )


@pytest.fixture(scope="module")
def mutant_jobs() -> list[runner.Job]:
    """The TF jobs of the sampled mutants, built once for the record tests."""
    return runner.build_jobs(mutate.generate(), mutate.corpus_scripts())[1]


def test_every_mutant_has_a_current_record(mutant_jobs: list[runner.Job]) -> None:
    """A new mutant (the corpus changed) without a record runs under TF live in every test run;
    ``scripts/write_records.py`` records it."""
    if tf_records.live_only():
        pytest.skip("records switched off (SHAPELENS_ORACLE_LIVE)")
    stale = [j.meta["id"] for j in mutant_jobs if runner.recorded_verdict(j) is None]
    assert not stale, f"mutants without a TF record: {stale}"


def test_recorded_verdicts_agree_with_live_tensorflow(mutant_jobs: list[runner.Job]) -> None:
    """Re-run a sample of the recorded mutants under TF now: the same verdict (status, exception
    type, line), exactly."""
    recorded = [j for j in mutant_jobs if runner.recorded_verdict(j) is not None]
    picked, seed = tf_records.live_check_sample(recorded, "mutants", tf_records.sample_size() // 2)
    live = runner.run_tf(picked, workers=2, use_cache=False, use_records=False)
    differ = {}
    for j in picked:
        before = runner.recorded_verdict(j)
        assert before is not None
        now = live[j.key]
        if now.status in ("timeout", "crashed"):
            continue  # load on a shared machine, not a verdict
        if not runner.same_verdict(before, now):
            differ[j.meta["id"]] = (before.status, before.exc_type, before.line, now.status, now.exc_type, now.line)
    assert not differ, (
        f"committed mutant verdicts no longer match live TensorFlow (seed {seed}): {differ}; "
        "re-record with scripts/write_records.py"
    )


def test_mutants_are_single_line_preserving_edits() -> None:
    """The generator alone (no TF): deterministic, unique, parseable, one edited line each."""
    import ast

    first = mutate.generate()
    again = mutate.generate()
    assert [m.id for m in first] == [m.id for m in again]
    assert len({m.text for m in first}) == len(first)
    assert {m.operator for m in first} == set(mutate.OPERATORS)
    for m in first:
        ast.parse(m.text)
        orig = (mutate.CORPUS_DIR / m.script).read_text(encoding="utf-8").splitlines()
        new = m.text.splitlines()
        assert len(orig) == len(new), m.id
        changed = [i + 1 for i, (a, b) in enumerate(zip(orig, new)) if a != b]
        assert changed == [m.line], (m.id, changed)
