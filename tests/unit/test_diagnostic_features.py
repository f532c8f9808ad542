"""Diagnostics beyond the rules: suppression comments, information notes, call-site reports
for custom layers, and quick fixes (as CLI JSON lists them)."""

from __future__ import annotations

import textwrap

from shapelens.core.analysis import analyze_source


def issues(src: str) -> list:
    return analyze_source(textwrap.dedent(src)).issues


def test_ignore_comment_silences_one_line_by_code() -> None:
    found = issues(
        """
        import tensorflow as tf
        a = tf.zeros((2, 3)) + tf.zeros((4, 3))  # shapelens: ignore[broadcast]
        b = tf.zeros((2, 3)) + tf.zeros((4, 3))  # shapelens: ignore[other-code]
        c = tf.zeros((2, 3)) + tf.zeros((4, 3))  # shapelens: ignore
        """
    )
    assert [i.span.line for i in found] == [4]


def test_float64_and_int_data_get_information_not_errors() -> None:
    found = issues(
        """
        import numpy as np
        import keras
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.random.rand(8, 4), np.zeros((8, 1)))
        model.predict(np.arange(8).reshape(2, 4))
        model.predict(np.zeros((2, 4), dtype="float32"))
        """
    )
    assert [(i.span.line, i.severity, i.code) for i in found] == [
        (6, "information", "dtype-cast"),
        (7, "information", "dtype-cast"),
    ]


def test_single_sample_gets_a_batch_axis_fix() -> None:
    src = textwrap.dedent(
        """
        import numpy as np
        import keras
        inp = keras.Input(shape=(32, 32, 3))
        model = keras.Model(inp, keras.layers.Flatten()(inp))
        image = np.zeros((32, 32, 3), dtype="float32")
        model.predict(image)
        """
    )
    [err] = [i for i in analyze_source(src).issues if i.severity == "error"]
    assert err.code == "missing-batch-axis" and "single sample" in err.message
    [fix] = err.fixes
    [edit] = fix.edits
    line = src.splitlines()[edit.span.line - 1]
    fixed = line[: edit.span.column] + edit.new_text + line[edit.span.end_column :]
    assert fixed == "model.predict(image[None, ...])"
    # the fixed program is quiet
    fixed_src = src.replace("model.predict(image)", fixed)
    assert not [i for i in analyze_source(fixed_src).issues if i.severity == "error"]


def test_sequential_single_sample_is_explained() -> None:
    found = issues(
        """
        import numpy as np
        import keras
        model = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(3)])
        model.predict(np.zeros((10,), dtype="float32"))
        """
    )
    errs = [i for i in found if i.severity == "error"]
    assert errs and errs[-1].code == "missing-batch-axis"


def test_loss_twin_fix() -> None:
    src = textwrap.dedent(
        """
        import numpy as np
        import keras
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        model.fit(np.zeros((8, 4), dtype="float32"), np.zeros((8,), dtype="int64"))
        """
    )
    [err] = [i for i in analyze_source(src).issues if i.severity == "error"]
    [edit] = err.fixes[0].edits
    line = src.splitlines()[edit.span.line - 1]
    fixed = line[: edit.span.column] + edit.new_text + line[edit.span.end_column :]
    assert 'loss="sparse_categorical_crossentropy"' in fixed
    assert not [i for i in analyze_source(src.replace(line, fixed)).issues if i.severity == "error"]


def _apply(src: str, fix) -> str:
    lines = src.splitlines()
    for edit in sorted(fix.edits, key=lambda e: (e.span.line, e.span.column), reverse=True):
        line = lines[edit.span.line - 1]
        lines[edit.span.line - 1] = line[: edit.span.column] + edit.new_text + line[edit.span.end_column :]
    return "\n".join(lines) + "\n"


def test_cast_fix_for_mixed_tf_dtypes() -> None:
    src = textwrap.dedent(
        """
        import tensorflow as tf
        a = tf.zeros((2,), tf.float32)
        b = tf.zeros((2,), tf.float64)
        c = a + b
        """
    )
    [err] = [i for i in analyze_source(src).issues if i.severity == "error"]
    fixed = _apply(src, err.fixes[0])
    assert "c = a + tf.cast(b, tf.float32)" in fixed
    assert not [i for i in analyze_source(fixed).issues if i.severity == "error"]


def test_input_shape_fix_for_sequential() -> None:
    src = textwrap.dedent(
        """
        import numpy as np
        import keras
        model = keras.Sequential([keras.layers.Dense(8, input_shape=(10,)), keras.layers.Dense(1)])
        model.predict(np.zeros((16, 5), dtype="float32"))
        """
    )
    [err] = [i for i in analyze_source(src).issues if i.severity == "error"]
    fixed = _apply(src, err.fixes[0])
    assert "input_shape=(5,)" in fixed
    assert not [i for i in analyze_source(fixed).issues if i.severity == "error"]


def test_failures_inside_a_try_that_catches_them_are_information() -> None:
    found = issues(
        """
        import numpy as np
        import tensorflow as tf
        a = np.zeros((2, 3))
        try:
            b = a @ np.zeros((4, 5))
        except ValueError as e:
            print(e)
        try:
            c = a @ np.zeros((4, 5))
        except KeyError:
            pass
        try:
            d = tf.reshape(tf.zeros(6), (4, 2))
        except (KeyError, tf.errors.InvalidArgumentError):
            pass
        """
    )
    by_line = {i.span.line: i for i in found}
    assert by_line[6].severity == "information" and "caught by the except at line 7" in by_line[6].message
    assert by_line[10].severity == "error"
    assert by_line[14].severity == "information"
