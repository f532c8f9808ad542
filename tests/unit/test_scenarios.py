"""Every row of shared/SCENARIOS.md, statically: the shapes the user must see and the
diagnostics (bug flagged on the right line naming both shapes; the correct variant quiet).
The fixtures' truth under real TF is checked by tests/oracle/test_scenario_truth.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from shapelens.core.analysis import Analysis, analyze_file

FIXTURES = Path(__file__).parents[1] / "fixtures" / "scenarios"


def analysis_of(name: str) -> Analysis:
    return analyze_file(FIXTURES / name)


def fact(a: Analysis, name: str, kind: str = "assign") -> tuple[tuple | None, str | None]:
    found = [f for f in a.facts if f.name == name and f.kind == kind]
    assert found, f"no {kind} fact for {name}"
    f = found[-1]
    return (None if f.shape.dims is None else tuple(f.shape.dims)), f.dtype


def errors(a: Analysis) -> list:
    return [i for i in a.issues if i.severity == "error"]


def raise_line(name: str) -> int:
    for i, line in enumerate((FIXTURES / name).read_text().splitlines(), start=1):
        if "# RAISES" in line:
            return i
    raise AssertionError("fixture has no RAISES line")


def assert_single_error(name: str, *fragments: str) -> None:
    a = analysis_of(name)
    errs = errors(a)
    assert len(errs) == 1, [e.message for e in errs]
    err = errs[0]
    assert err.span.line == raise_line(name), (err.span, err.message)
    for frag in fragments:
        assert frag in err.message, (frag, err.message)


QUIET = [
    "s000_1_fixed.py",
    "s000_2_fixed.py",
    "s000_3_float64_slice.py",
    "s001_1_batched_functional.py",
    "s001_2_comprehension_batch.py",
    "s001_3_dataset_dict.py",
    "s002_1_fixed.py",
    "s002_2_custom_loop.py",
    "s002_3_dataset_pipeline.py",
    "s003_2_tfrecord_one_hot.py",
    "s003_3_sparse_labels.py",
    "s004_1_float64_tensor.py",
    "s004_2_fixed.py",
    "s004_3_masked_nan.py",
]


@pytest.mark.parametrize("name", QUIET)
def test_correct_programs_are_quiet(name: str) -> None:
    assert errors(analysis_of(name)) == []


def test_000_1_concat_shape_and_fit_before_compile() -> None:
    a = analysis_of("s000_1_fit_without_compile.py")
    assert fact(a, "features") == ((32, 10), "float32")
    assert_single_error("s000_1_fit_without_compile.py", "compile")


def test_000_2_slice_keeps_float32_and_predict_names_both_shapes() -> None:
    a = analysis_of("s000_2_predict_on_slice.py")
    assert fact(a, "part") == ((16, 5), "float32")
    assert_single_error("s000_2_predict_on_slice.py", "(16, 5)", "10", "Dense")
    assert fact(analysis_of("s000_2_fixed.py"), "scores") == ((16, 1), "float32")


def test_000_3_numpy_float64_is_not_an_error() -> None:
    a = analysis_of("s000_3_float64_slice.py")
    assert fact(a, "head") == ((150, 10), "float64")
    notes = [i for i in a.issues if i.severity != "error"]
    assert all(i.severity in ("information", "hint") for i in notes)


def test_001_1_batched_inputs_are_right() -> None:
    a = analysis_of("s001_1_batched_functional.py")
    assert fact(a, "joined") == ((None, 123024), "float32")
    assert fact(a, "score") == ((None, 1), "float32")
    assert fact(a, "result") == ((32, 1), "float32")


def test_001_2_list_comprehension_batch() -> None:
    a = analysis_of("s001_2_comprehension_batch.py")
    assert fact(a, "image_stack") == ((32, 64, 64, 3), "float64")
    assert fact(a, "aux_stack") == ((32, 10), "float64")


def test_001_3_dataset_dict_spec_and_wrong_key() -> None:
    a = analysis_of("s001_3_dataset_dict.py")
    ds = [f for f in a.facts if f.kind == "dataset" and f.name == "ds"]
    assert ds[-1].detail == (
        "({'image_input': (None, 64, 64, 3) float64, 'aux_input': (None, 10) float64}, (None, 1) int64)"
    )
    assert_single_error("s001_3_wrong_key.py", "'image'")


def test_002_1_error_inside_call_names_both_shapes_and_call_site() -> None:
    name = "s002_1_custom_layer_broadcast.py"
    errs = errors(analysis_of(name))
    call_site = next(
        i for i, line in enumerate((FIXTURES / name).read_text().splitlines(), start=1)
        if "layer(features)" in line
    )
    # on the line inside `call` that fails, with the call site as related information ...
    inner = [e for e in errs if e.span.line == raise_line(name)]
    assert len(inner) == 1
    assert "(32, 5)" in inner[0].message and "(32, 2)" in inner[0].message
    assert call_site in [r.span.line for r in inner[0].related]
    # ... and at the call site too, naming the input that produced them
    outer = [e for e in errs if e.span.line == call_site]
    assert len(outer) == 1 and "(32, 10)" in outer[0].message
    assert len(errs) == 2
    assert fact(analysis_of("s002_1_fixed.py"), "projected") == ((32, 5), "float32")


def test_002_2_model_built_on_first_call() -> None:
    a = analysis_of("s002_2_custom_loop.py")
    assert fact(a, "y_pred") == ((100, 1), "float32")


def test_002_3_dataset_element_spec() -> None:
    a = analysis_of("s002_3_dataset_pipeline.py")
    ds = [f for f in a.facts if f.kind == "dataset" and f.name == "ds"]
    assert ds[-1].detail == "((None, 28, 28, 3) float32, (None,) int32)"
    assert fact(a, "batch_pics") == ((None, 28, 28, 3), "float32")


def test_003_1_generator_without_targets() -> None:
    assert_single_error("s003_1_generator_without_targets.py", "target")


def test_003_3_labels_vs_loss() -> None:
    assert_single_error("s003_3_dense_loss_on_int_labels.py", "(None,)", "(None, 5)", "sparse_categorical_crossentropy")


def test_004_1_dtypes() -> None:
    a = analysis_of("s004_1_float64_tensor.py")
    assert fact(a, "as_tensor") == ((8, 3), "float64")
    assert fact(a, "as_float32") == ((8, 3), "float32")


def test_004_2_predict_with_wrong_last_axis() -> None:
    assert_single_error("s004_2_dense_on_rank3.py", "(2, 2, 3)", "2")
    assert fact(analysis_of("s004_2_fixed.py"), "out") == ((2, 2, 10), "float32")


def test_004_3_masked_arrays_quiet() -> None:
    a = analysis_of("s004_3_masked_nan.py")
    assert fact(a, "tensor") == ((2, 3), "float32")
