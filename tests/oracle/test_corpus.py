"""The realistic corpus (tests/corpus/) under real TensorFlow versus the static engine.

Every script must run under TF; on those correct scripts the engine must never claim a wrong
dim for a layer output and never report an error; the share of layer outputs it knows exactly
must not fall below ``EXACT_THRESHOLD`` (the level reached when this guard was last raised).
``pytest -s tests/oracle/test_corpus.py`` prints the table. TF observations are cached per
script content in ``.oracle-cache/corpus/`` and committed in ``tests/records/corpus_tf.jsonl``
(a daily sample of which is re-run under live TF here; see ``tf_records.py``);
``scripts/corpus_report.py --details`` lists misses.
"""

from __future__ import annotations

import importlib.util

import pytest

from oracle import corpus_oracle as co
from oracle import tf_records

pytestmark = [
    pytest.mark.tf,
    pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow"),
]

# Percent of TF-observed layer outputs the engine knows exactly; raise it as the engine improves.
# (97.20 %, 11,786 of 12,126, with the 1,039 scripts of 2026-11-25 after the rw134-rw145 rounds
# joined at 96.4 % after their fixes (93.6 % as written); their misses are vocabulary sizes
# adapted on generated text and keras.applications surgery (a VGG16's layers re-applied to a
# new input, MobileNetV3's `layers[-4]`, clone_model with a clone_function). With only rw134-rw141
# joined it was 97.14 % and the guard stood at 97.1 for one commit.
# Before them: 97.17 %, 11,053 of 11,375, with the 955 scripts of 2026-11-25 after the rw129-rw133 rounds
# joined at 94.5 % after their fixes (91.4 % as written); their misses are an answer vocabulary
# and a class count read from random data, a graph count taken from the data's largest id.
# Before them: 97.17 %, 10,679 of 10,990, with the 920 scripts of 2026-11-25 after the rw125-rw128 rounds
# joined at 91.6 % after their fixes; 97.27 % with the 895 before them, every one run under live
# TF. It was 97.26 until then: the new rounds' misses are sizes read from data (an adapted
# Discretization's bin count, lookups' vocabularies, a key/value cache grown in a decoding loop)
# and a model called only inside a tf.Module's exported signatures; three of the round's scripts,
# built from tf.Module and tf.Variable with no Keras layer, were left out. Older misses: batch sizes a
# generator or a merged graph batch decides at run time, a slice `x[t:t + 1]` over a loop to a
# run-time length, a subclassed model reloaded from a file.)
EXACT_THRESHOLD = 97.15
MIN_SCRIPTS = 32
# Share of built module-level models whose parameter counts the engine knows exactly (973 of
# 1,158 on 2026-11-25 with rw134-rw145, 888 of 1,055 with rw129-rw133, 859 of 1,020 with rw125-rw128, 835 of 994 with rw121-rw124, 812 of 967 with rw117-rw120, 783 of 936 before them; 736 of 877 before the rw111-rw116
# rounds joined, whose new misses are models over vocabularies built from randomly generated
# text and a MobileNetV2 frozen layer by layer; raise it as the engine improves). Custom layers, keras.Model subclasses and applications are
# counted. Ops between layers are graph nodes, so graphs with `x + pos` are counted too;
# `isinstance(layer, layers.BatchNormalization)` in a freezing loop keeps the trainable split.
MODEL_COUNT_EXACT_THRESHOLD = 0.835


@pytest.fixture(scope="module")
def reports() -> list[co.ScriptReport]:
    reps = co.run_oracle(jobs=2)
    print()
    print(co.format_table(reps))
    print()
    print(co.format_summary(reps))
    return reps


def test_corpus_is_large_enough() -> None:
    assert len(co.corpus_scripts()) >= MIN_SCRIPTS


def test_every_script_runs_under_tf(reports: list[co.ScriptReport]) -> None:
    failed = {r.name: r.error for r in reports if not r.ran}
    assert not failed, f"corpus scripts that TF rejects: {failed}"
    hook_trouble = {r.name: r.hook_errors for r in reports if r.hook_errors}
    assert not hook_trouble, f"the recording hooks failed: {hook_trouble}"
    silent = [r.name for r in reports if r.observed == 0]
    assert not silent, f"scripts where no layer output was recorded: {silent}"


def test_no_wrong_shapes(reports: list[co.ScriptReport]) -> None:
    t = co.totals(reports)
    assert t.wrong == 0, "engine claims dims that TF contradicts:\n" + co.format_details(
        reports, show=("wrong",)
    )


def test_no_dtype_mismatches(reports: list[co.ScriptReport]) -> None:
    t = co.totals(reports)
    assert t.dtype_mismatches == 0, "engine dtypes that TF contradicts:\n" + co.format_details(
        reports, show=()
    )


def test_no_false_alarms(reports: list[co.ScriptReport]) -> None:
    alarms = {r.name: r.engine_errors for r in reports if r.engine_errors}
    assert not alarms, f"engine errors on scripts that run fine under TF: {alarms}"


def test_exact_share_does_not_regress(reports: list[co.ScriptReport]) -> None:
    t = co.totals(reports)
    assert t.exact_pct >= EXACT_THRESHOLD, (
        f"exact {t.exact_pct:.1f}% < {EXACT_THRESHOLD}%\n" + co.format_misses(reports)
    )


def test_model_parameter_counts(reports: list[co.ScriptReport]) -> None:
    """Every built module-level model's static table total is Keras' count_params() (and the
    trainable split), or unknown; never a wrong number."""
    verdicts = co.model_count_verdicts(reports)
    assert not verdicts["wrong"], "\n".join(verdicts["wrong"])
    counted = sum(len(v) for v in verdicts.values())
    assert counted >= 100 and len(verdicts["exact"]) >= MODEL_COUNT_EXACT_THRESHOLD * counted, co.format_model_counts(reports)


# ----------------------------------------------------------------------------------------------
# the committed records are what TF does


def test_every_script_has_a_current_record() -> None:
    """A script edited or added without re-recording runs under TF live in every test run
    (slow, though still correct); ``scripts/write_records.py`` records it."""
    if tf_records.live_only():
        pytest.skip("records switched off (SHAPELENS_ORACLE_LIVE)")
    stale = [p.name for p in co.corpus_scripts() if co.recorded(p) is None]
    assert not stale, f"corpus scripts without a current TF record: {stale}"


def test_records_agree_with_live_tensorflow() -> None:
    """Re-run a sample of the recorded scripts under TF now: the same observations, exactly."""
    scripts = [p for p in co.corpus_scripts() if co.recorded(p) is not None]
    picked, seed = tf_records.live_check_sample(scripts, "scripts", tf_records.sample_size())
    live = co.collect_real(picked, jobs=2, use_cache=False, use_records=False)
    differ = {}
    for p in picked:
        record = co.recorded(p)
        assert record is not None
        fields = co.record_mismatch(record, live[p])
        if fields:
            differ[p.name] = fields
    assert not differ, (
        f"committed TF records no longer match live TensorFlow (seed {seed}): {differ}; "
        "re-record with scripts/write_records.py"
    )


# ----------------------------------------------------------------------------------------------
# the instrument itself

PROBE = """\
import numpy as np
import keras
from keras import layers

inputs = keras.Input(shape=(6,))
h = layers.Dense(
    4,
    activation="relu",
)(inputs)
shared = layers.Dense(3)
a = shared(h)
seq = keras.Sequential(
    [
        keras.Input(shape=(5, 2)),
        layers.Bidirectional(layers.LSTM(4)),
        layers.Dense(7),
    ]
)
model = keras.Model(inputs, a)
model.compile(loss="mse")
model.fit(np.zeros((8, 6)), np.zeros((8, 3)), epochs=1, verbose=0)
y = seq(np.zeros((2, 5, 2)))
"""


def test_recorder_attributes_lines(tmp_path) -> None:
    path = tmp_path / "attribution_probe.py"
    path.write_text(PROBE)
    real = co.collect_real([path], jobs=1)[path]
    assert real["ok"], real["error"]
    got = {int(k): (tuple(v["shape"]), v["names"]) for k, v in real["layers"].items()}
    assert got == {
        6: ((None, 4), ["Dense"]),  # a multi-line call: its first line
        11: ((None, 3), ["Dense"]),  # a shared layer at its call, not where it was built
        15: ((None, 8), ["Bidirectional"]),  # layers in a Sequential: their constructor line,
        16: ((None, 7), ["Dense"]),  # joined over build and the eager call; no wrapped LSTM
        22: ((2, 7), ["Sequential"]),  # a model called from the script
    }


def test_verdicts() -> None:
    real = co.Obs((None, 8, 3), "float32")
    assert co.verdict(co.Obs((None, 8, 3), "float32"), real) == "exact"
    assert co.verdict(co.Obs((None, "n", 3), "float32"), real) == "covered"
    assert co.verdict(co.Obs((None, 8, 4), "float32"), real) == "wrong"
    assert co.verdict(co.Obs((None, 8), "float32"), real) == "wrong"
    assert co.verdict(co.Obs(None, None), real) == "unknown"
    assert co.verdict(None, real) == "unknown"
    assert co.verdict(None, co.Obs(None, None)) == "ambiguous"
    joined = co.join_obs(co.Obs((None, 8, 3), "float32"), co.Obs((2, 8, 5), "float32"))
    assert joined.shape == (None, 8, None) and joined.dtype == "float32"
    assert co.join_obs(joined, co.Obs((1, 2), "int32")).shape is None
