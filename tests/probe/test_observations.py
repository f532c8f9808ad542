"""A real kernel with real TensorFlow: what the probe observes on realistic code."""

from __future__ import annotations

from pathlib import Path

import pytest

from shapelens.core.analysis import analyze_file
from shapelens.core.shapes import dims_conflict
from shapelens.probe.runner import Prober

from .conftest import ROOT, SCENARIOS, dims, facts_by_name, probe_file, probe_text

pytestmark = pytest.mark.tf


def test_every_tensor_line_of_the_cnn_example(prober: Prober) -> None:
    [outcome] = probe_file(prober, ROOT / "examples" / "cnn.py")
    assert outcome.status == "ok", outcome.message
    got = {(f.span.line, f.name): f for f in outcome.facts}
    assert dims(got[(11, "inputs")]) == [None, 32, 32, 3]
    assert [v.to_json() for v in got[(14, "x")].variants] == [[None, 32, 32, 32], [None, 16, 16, 64]]
    assert dims(got[(20, "outputs")]) == [None, 10]
    assert dims(got[(24, "images")]) == [64, 32, 32, 3] and got[(24, "images")].dtype == "float32"
    assert dims(got[(25, "labels")]) == [64] and got[(25, "labels")].dtype == "int64"
    assert dims(got[(27, "probs")]) == [8, 10] and got[(27, "probs")].device.startswith("CPU")
    assert dims(got[(28, "best")]) == [8]
    model = got[(21, "model")]
    assert model.kind == "model" and model.table is not None
    table = model.table.to_markdown()
    assert "| dense (Dense) | `(None, 10) float32` | 1,290 |" in table
    # the static table (no code run) says what the live model says
    static = next(f for f in analyze_file(ROOT / "examples" / "cnn.py").facts if f.kind == "model" and f.span.line == 21)
    static_table = static.model_table()
    assert static_table is not None
    assert (static_table.total, static_table.trainable) == (model.table.total, model.table.trainable) == (94_922, 94_730)
    assert [(r.class_name, r.params) for r in static_table.rows] == [(r.class_name, r.params) for r in model.table.rows]


@pytest.mark.parametrize(
    "script",
    ["mnist_cnn_sequential.py", "tfdata_pipeline.py", "resnet_block.py", "text_conv1d.py", "rw_numpy_data_prep.py"],
)
def test_runtime_agrees_with_static_on_corpus_scripts(prober: Prober, script: str) -> None:
    """Every fully known static shape is what TF produced (None in static stands for any)."""
    path = ROOT / "tests" / "corpus" / script
    outcomes = probe_file(prober, path, timeout=300)
    assert outcomes[-1].status == "ok", outcomes[-1].message
    runtime = {(f.span.line, f.name, f.kind): f for o in outcomes for f in o.facts}
    compared = 0
    for s in analyze_file(str(path)).facts:
        r = runtime.get((s.span.line, s.name, s.kind))
        if r is None or s.shape.dims is None or r.shape.dims is None or s.variants or r.variants:
            continue
        assert len(s.shape.dims) == len(r.shape.dims), (s, r)
        assert not any(dims_conflict(a, b) for a, b in zip(s.shape.dims, r.shape.dims)), (s, r)
        compared += 1
    assert compared >= 2


def test_layers_inside_sequential_are_observed_at_their_lines(prober: Prober) -> None:
    [outcome] = probe_file(prober, SCENARIOS / "s000_1_fixed.py")
    assert outcome.status == "ok", outcome.message
    layers = [(f.span.line, f.name) for f in outcome.facts if f.kind == "layer"]
    static_layers = [(f.span.line, f.name) for f in analyze_file(str(SCENARIOS / "s000_1_fixed.py")).facts if f.kind == "layer"]
    assert static_layers and set(static_layers) <= set(layers)


def test_nonfinite_counts_before_and_after_cleaning(prober: Prober) -> None:
    [outcome] = probe_file(prober, SCENARIOS / "s004_3_masked_nan.py")
    got = facts_by_name(outcome)
    assert got["values"].nonfinite == 2
    assert got["masked"].nonfinite == 0  # the two are masked out
    assert got["cleaned"].nonfinite == 0
    assert got["tensor"].nonfinite == 0 and got["tensor"].dtype == "float32"
    assert [i.code for i in outcome.issues] == ["nonfinite-values"] and outcome.issues[0].span.line == 4


def test_dataset_element_spec_and_loop_variables(prober: Prober) -> None:
    [outcome] = probe_file(prober, SCENARIOS / "s002_3_dataset_pipeline.py")
    got = facts_by_name(outcome)
    assert got["ds"].kind == "dataset"
    assert got["ds"].detail == "tuple((None, 28, 28, 3) float32, (None,) int32)"
    assert dims(got["batch_pics"]) == [32, 28, 28, 3] and dims(got["batch_tags"]) == [32]


def test_custom_loop_model_output(prober: Prober) -> None:
    [outcome] = probe_file(prober, SCENARIOS / "s002_2_custom_loop.py")
    assert outcome.status == "ok"
    got = {(f.span.line, f.name): f for f in outcome.facts}
    assert dims(got[(25, "x")]) == [100, 10]
    layers = {(f.span.line, f.name): f for f in outcome.facts if f.kind == "layer"}
    # the Dense layers built inside make_model's Sequential, called by Keras from `model(x)`
    assert dims(layers[(7, "Dense")]) in ([100, 10], [100, 1])


def test_containers_numpy_torchless_and_expressions(prober: Prober) -> None:
    code = (
        "import numpy as np\n"
        "pair = (np.zeros((2, 3)), np.ones((4,), dtype=np.int32))\n"
        "table = {'a': np.zeros((1, 1), dtype=np.float16)}\n"
        "np.arange(6).reshape(2, 3)\n"
    )
    outcome = probe_text(prober, code)
    got = facts_by_name(outcome)
    assert got["pair"].detail == "tuple((2, 3) float64 on CPU, (4,) int32 on CPU)"
    assert got["table"].detail == "{'a': (1, 1) float16 on CPU}"
    expr = next(f for f in outcome.facts if f.kind == "expr")
    assert dims(expr) == [2, 3] and expr.span.line == 4


def test_cells_build_on_each_other_and_lines_are_document_lines(prober: Prober) -> None:
    probe_text(prober, "import numpy as np\nbase = np.zeros((5, 2))\n", name="/virtual/two.py", first_line=1)
    outcome = probe_text(prober, "doubled = np.concatenate([base, base])\n", name="/virtual/two.py", first_line=40)
    [fact] = outcome.facts
    assert fact.span.line == 40 and dims(fact) == [10, 2]


def test_user_output_is_forwarded_not_mixed_with_results(prober: Prober, recorder) -> None:  # type: ignore[no-untyped-def]
    before = len(recorder.text)
    outcome = probe_text(prober, "import numpy as np\nprint('hello from the cell')\nz = np.ones(3)\n")
    assert "hello from the cell" in recorder.text[before:]
    assert [f.name for f in outcome.facts] == ["z"]


def test_probe_does_not_leave_names_in_the_user_namespace(prober: Prober) -> None:
    outcome = probe_text(prober, "leaked = [n for n in dir() if 'shapelens' in n]\nassert not leaked, leaked\n")
    assert outcome.status == "ok", outcome.issues


def test_tf_function_and_custom_layer_bodies_are_not_rewritten(prober: Prober) -> None:
    code = (
        "import tensorflow as tf\n"
        "@tf.function\n"
        "def double(t):\n"
        "    y = t * 2\n"
        "    return y\n"
        "out = double(tf.ones((3, 4)))\n"
    )
    outcome = probe_text(prober, code)
    assert outcome.status == "ok"
    assert [(f.span.line, f.name, dims(f)) for f in outcome.facts] == [(6, "out", [3, 4])]


def test_syntax_probe_file_path_is_unchanged(tmp_path: Path, prober: Prober) -> None:
    """The document's own file is never written; the kernel keeps its working directory."""
    target = tmp_path / "keep.py"
    target.write_text("import numpy as np\nq = np.zeros(2)\n")
    before = target.read_text()
    [outcome] = probe_file(prober, target)
    assert outcome.status == "ok" and target.read_text() == before


def test_ragged_sparse_variables_and_keras_tensors(prober: Prober) -> None:
    code = (
        "import tensorflow as tf\n"
        "import keras\n"
        "rag = tf.ragged.constant([[1.0, 2.0], [3.0]])\n"
        "sp = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, float('nan')], dense_shape=[3, 4])\n"
        "var = tf.Variable(tf.zeros((2, 5)))\n"
        "sym = keras.Input(shape=(7,), dtype='int32')\n"
    )
    outcome = probe_text(prober, code)
    got = facts_by_name(outcome)
    assert dims(got["rag"]) == [2, None] and got["rag"].dtype == "float32"
    assert dims(got["sp"]) == [3, 4] and got["sp"].nonfinite == 1
    assert dims(got["var"]) == [2, 5] and got["var"].nonfinite == 0
    assert dims(got["sym"]) == [None, 7] and got["sym"].dtype == "int32" and "symbolic" in got["sym"].detail
