"""tf.data rules without TensorFlow: element structures, cardinality, what stays unknown, the
mistakes reported, and the kinds of tensors that iterating a dataset gives. (The differential
tests in tests/oracle/test_data.py check the same rules against real ``ds.element_spec``.)"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from shapelens.core.analysis import analyze_source
from shapelens.core.data import spec_structure
from shapelens.core.interpreter import Interpreter
from shapelens.core.source import parse
from shapelens.core.values import DatasetVal, Seq, Tensor, Unknown, Value

HEADER = "import tensorflow as tf\n"


def run(src: str) -> tuple[dict[str, Value], list[tuple[str, str]]]:
    text = HEADER + textwrap.dedent(src)
    interp = Interpreter(text.splitlines())
    interp.run_module(parse(text).tree)
    issues = [(i.code, i.message) for i in interp.issues.values() if i.severity == "error"]
    return interp.module_env.vars, issues


def ds_of(src: str, name: str = "ds") -> DatasetVal:
    env, issues = run(src)
    assert not issues, issues
    v = env[name]
    assert isinstance(v, DatasetVal), v
    return v


def spec(src: str, name: str = "ds") -> Any:
    return spec_structure(ds_of(src, name))


def error_codes(src: str) -> list[str]:
    return [code for code, _ in run(src)[1]]


# ---------------------------------------------------------------------------------------------
# sources


def test_literal_lists_use_tensorflow_default_dtypes() -> None:
    ds = ds_of("ds = tf.data.Dataset.from_tensor_slices(([1, 2, 3], [0.5, 1.5, 2.5], ['a', 'b', 'c']))")
    assert spec_structure(ds) == (((), "int32"), ((), "float32"), ((), "string"))
    assert ds.cardinality == 3


def test_mixed_and_wide_literals() -> None:
    assert spec("ds = tf.data.Dataset.from_tensor_slices([1, 2.5])") == ((), "float32")
    assert spec("ds = tf.data.Dataset.from_tensor_slices([1, 2 ** 40])") == ((), "int64")
    assert spec("ds = tf.data.Dataset.from_tensor_slices([True, False])") == ((), "bool")
    assert spec("ds = tf.data.Dataset.from_tensor_slices([[1, 2], [3, 4]])") == ((2,), "int32")


def test_dict_and_nested_structures_keep_their_shape() -> None:
    got = spec("ds = tf.data.Dataset.from_tensor_slices(({'a': [[1.0, 2.0]], 'b': ['x']}, [7]))")
    assert got == ({"a": ((2,), "float32"), "b": ((), "string")}, ((), "int32"))


def test_from_tensors_keeps_the_whole_value() -> None:
    ds = ds_of("ds = tf.data.Dataset.from_tensors(([1, 2], 3.0))")
    assert spec_structure(ds) == (((2,), "int32"), ((), "float32"))
    assert ds.cardinality == 1


def test_range_and_its_cardinality() -> None:
    ds = ds_of("ds = tf.data.Dataset.range(2, 11, 3)")
    assert spec_structure(ds) == ((), "int64")
    assert ds.cardinality == 3
    assert spec("ds = tf.data.Dataset.range(4, output_type=tf.int32)") == ((), "int32")


def test_generator_legacy_arguments() -> None:
    got = spec(
        """
        def gen():
            yield 1
        ds = tf.data.Dataset.from_generator(gen, output_types=(tf.float32, tf.int64), output_shapes=((None, 3), ()))
        """
    )
    assert got == (((None, 3), "float32"), ((), "int64"))
    got = spec(
        """
        def gen():
            yield 1
        ds = tf.data.Dataset.from_generator(gen, tf.string)
        """
    )
    assert got == (None, "string")


def test_generator_with_unknown_signature_is_unknown() -> None:
    ds = ds_of(
        """
        def gen():
            yield 1
        ds = tf.data.Dataset.from_generator(gen, output_signature=make_signature())
        """
    )
    assert isinstance(ds.element, Unknown)


def test_file_readers_give_string_scalars() -> None:
    for expr in (
        "tf.data.TFRecordDataset(['a.tfrecord'])",
        "tf.data.TextLineDataset('a.txt')",
        "tf.data.Dataset.list_files('*.png')",
    ):
        ds = ds_of(f"ds = {expr}")
        assert spec_structure(ds) == ((), "string")
        assert ds.cardinality is None


def test_other_import_spellings() -> None:
    assert spec("from tensorflow.data import Dataset\nds = Dataset.from_tensor_slices([1, 2])") == ((), "int32")
    assert spec("import tensorflow\nds = tensorflow.data.Dataset.range(3)") == ((), "int64")


# ---------------------------------------------------------------------------------------------
# methods


def test_batch_dim_is_known_only_with_drop_remainder() -> None:
    src = "src = tf.data.Dataset.from_tensor_slices([[1.0, 2.0]] * 10)\n"
    b = ds_of(src + "ds = src.batch(4)")
    assert spec_structure(b) == ((None, 2), "float32")
    assert b.cardinality == 3
    d = ds_of(src + "ds = src.batch(4, drop_remainder=True)")
    assert spec_structure(d) == ((4, 2), "float32")
    assert d.cardinality == 2


def test_symbolic_batch_size_with_drop_remainder() -> None:
    env, issues = run(
        """
        def make(batch_size):
            ds = tf.data.Dataset.from_tensor_slices([1, 2, 3]).batch(batch_size, drop_remainder=True)
            return ds
        out = make(n)
        """
    )
    assert not issues
    assert spec_structure(env["out"]) == (("n",), "int32")  # the caller's name for the size


def test_unknown_drop_remainder_gives_unknown_batch_dim() -> None:
    assert spec("ds = tf.data.Dataset.range(9).batch(3, drop_remainder=flag)") == ((None,), "int64")


def test_map_calls_the_function_with_tuple_components() -> None:
    got = spec(
        """
        src = tf.data.Dataset.from_tensor_slices(([[1.0, 2.0]], [3]))
        ds = src.map(lambda x, y: {'features': x, 'label': y, 'w': 1.0})
        """
    )
    assert got == {"features": ((2,), "float32"), "label": ((), "int32"), "w": ((), "float32")}


def test_map_result_list_becomes_a_tuple_but_nested_lists_are_tensors() -> None:
    got = spec("ds = tf.data.Dataset.range(3).map(lambda x: [x, [1, 2]])")
    assert got == (((), "int64"), ((2,), "int32"))


def test_map_with_unknown_function_is_unknown_but_keeps_cardinality() -> None:
    ds = ds_of("ds = tf.data.Dataset.range(5).map(some_library.transform)")
    assert isinstance(ds.element, Unknown)
    assert ds.cardinality == 5


def test_map_result_parts_that_are_unknown_stay_unknown() -> None:
    got = spec("ds = tf.data.Dataset.range(5).map(lambda x: (mystery(x), x))")
    assert got == (None, ((), "int64"))


def test_map_function_sees_eager_tensors() -> None:
    env, _ = run(
        """
        class Box:
            pass
        box = Box()
        def f(x):
            box.seen = x
            return x
        ds = tf.data.Dataset.range(3).map(f)
        """
    )
    seen = env["box"].attrs["seen"]  # type: ignore[attr-defined]
    assert isinstance(seen, Tensor) and seen.kind == "tf" and seen.dtype == "int64"
    ds = env["ds"]
    assert isinstance(ds, DatasetVal) and isinstance(ds.element, Tensor)
    assert ds.element.kind == "spec"


def test_unknown_source_stays_unknown_through_a_pipeline() -> None:
    ds = ds_of("ds = tf.data.Dataset.from_tensor_slices(load()).shuffle(10).batch(32).prefetch(1)")
    assert isinstance(ds.element, Unknown)


def test_padded_batch_and_unbatch() -> None:
    src = "src = tf.data.Dataset.from_tensor_slices([[1, 2, 3]] * 8)\n"
    assert spec(src + "ds = src.padded_batch(2, padded_shapes=[5])") == ((None, 5), "int32")
    assert spec(src + "ds = src.padded_batch(2, padded_shapes=[-1])") == ((None, None), "int32")
    assert spec(src + "ds = src.batch(2).unbatch()") == ((3,), "int32")


def test_cardinality_arithmetic() -> None:
    src = "src = tf.data.Dataset.range(10)\n"
    cases = {
        "src.take(3)": 3,
        "src.take(30)": 10,
        "src.skip(4)": 6,
        "src.skip(40)": 0,
        "src.repeat(3)": 30,
        "src.repeat()": None,
        "src.filter(lambda x: x > 2)": None,
        "src.shard(3, 1)": 3,
        "src.concatenate(src.take(2))": 12,
        "src.enumerate()": 10,
        "src.batch(4).unbatch()": None,
    }
    for expr, card in cases.items():
        assert ds_of(src + f"ds = {expr}").cardinality == card, expr


def test_enumerate_and_zip() -> None:
    assert spec("ds = tf.data.Dataset.range(3).enumerate()") == (((), "int64"), ((), "int64"))
    got = spec("ds = tf.data.Dataset.zip({'a': tf.data.Dataset.range(3), 'b': tf.data.Dataset.from_tensors('s')})")
    assert got == {"a": ((), "int64"), "b": ((), "string")}


def test_concatenate_joins_differing_dims() -> None:
    got = spec(
        """
        a = tf.data.Dataset.from_tensor_slices([[1, 2, 3]])
        b = tf.data.Dataset.from_tensor_slices([[1, 2]])
        ds = a.concatenate(b)
        """
    )
    assert got == ((None,), "int32")


def test_flat_map_returning_a_dataset() -> None:
    got = spec("ds = tf.data.Dataset.from_tensors([[1.0, 2.0], [3.0, 4.0]]).flat_map(tf.data.Dataset.from_tensor_slices)")
    assert got == ((2,), "float32")


def test_element_spec_attribute_gives_specs() -> None:
    env, _ = run("ds = tf.data.Dataset.from_tensor_slices(([1.0], [2]))\nspec = ds.element_spec")
    spec_value = env["spec"]
    assert isinstance(spec_value, Seq) and spec_value.items is not None
    assert all(isinstance(t, Tensor) and t.kind == "spec" for t in spec_value.items)


def test_as_numpy_iterator_gives_numpy_arrays() -> None:
    env, _ = run(
        "ds = tf.data.Dataset.from_tensor_slices(([[1.0, 2.0]], ['s']))\n"
        "x, s = next(ds.as_numpy_iterator())\n"
    )
    x = env["x"]
    assert isinstance(x, Tensor) and x.kind == "np" and x.shape.dims == (2,) and x.dtype == "float32"
    assert isinstance(env["s"], Unknown)  # bytes, not an array


def test_iterating_gives_eager_tensors() -> None:
    env, _ = run(
        """
        ds = tf.data.Dataset.from_tensor_slices(([[1.0, 2.0]], [3])).batch(1)
        for x, y in ds.take(1):
            pass
        first = next(iter(ds))
        """
    )
    for name in ("x", "y"):
        t = env[name]
        assert isinstance(t, Tensor) and t.kind == "tf", (name, t)
    first = env["first"]
    assert isinstance(first, Seq) and first.items is not None
    assert all(isinstance(t, Tensor) and t.kind == "tf" for t in first.items)


def test_dataset_fact_detail() -> None:
    analysis = analyze_source(HEADER + "ds = tf.data.Dataset.from_tensor_slices(([[1.0, 2.0]], [3])).batch(8)\n")
    facts = [f for f in analysis.facts if f.kind == "dataset" and f.name == "ds"]
    assert facts and facts[0].detail == "((None, 2) float32, (None,) int32)"


# ---------------------------------------------------------------------------------------------
# mistakes TF rejects


@pytest.mark.parametrize(
    ("src", "code"),
    [
        ("ds = tf.data.Dataset.from_tensor_slices(([1, 2, 3], [1, 2]))", "dataset-slices"),
        ("ds = tf.data.Dataset.from_tensor_slices(5)", "dataset-slices"),
        ("ds = tf.data.Dataset.range(4).unbatch()", "dataset-unbatch"),
        ("ds = tf.data.Dataset.range(4).batch(0)", "dataset-batch"),
        ("ds = tf.data.Dataset.range(4).concatenate(tf.data.Dataset.from_tensors(1.0))", "dataset-structure"),
        ("ds = tf.data.Dataset.from_tensor_slices([[1, 2, 3]]).padded_batch(2, padded_shapes=[2])", "dataset-padded-shape"),
        ("ds = tf.data.Dataset.from_tensor_slices(([1], [2])).map(lambda pair: pair)", "dataset-map-arity"),
        ("ds = tf.data.Dataset.from_tensor_slices({'a': [1]}).map(lambda a, b: a)", "dataset-map-arity"),
    ],
)
def test_errors(src: str, code: str) -> None:
    assert error_codes(src) == [code]


def test_arity_message_explains_tuple_spreading() -> None:
    _, issues = run("ds = tf.data.Dataset.from_tensor_slices(([1], [2])).map(lambda pair: pair[0])")
    assert issues and "separate arguments" in issues[0][1]


def test_no_false_alarms_on_unknown_shapes() -> None:
    for src in (
        "ds = tf.data.Dataset.from_tensor_slices((load_x(), load_y()))",
        "ds = tf.data.Dataset.range(n).batch(k)",
        "ds = tf.data.Dataset.from_tensor_slices(([[1, 2]], load_y())).map(lambda *a: a).unbatch()",
        "ds = tf.data.Dataset.range(4).map(f).concatenate(tf.data.Dataset.range(3))",
        "ds = tf.data.Dataset.range(4).map(lambda x, y=2: x)",
    ):
        assert error_codes(src) == [], src
