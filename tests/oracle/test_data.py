"""Differential tests for tf.data: the engine's dataset element structure against real
``ds.element_spec`` (and ``ds.cardinality()``), for each source crossed with each method, the
scenarios users write, and the mistakes TF rejects.

A snippet binds ``ds``; it runs under real TF (with the harness preamble) and through the
engine's interpreter. The contract: every dim and dtype the engine claims equals TF's, the
structure (tuple / dict / tensor) is TF's, a known cardinality is TF's; by default the engine
must also know the whole element exactly (and the cardinality whenever TF knows it).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import pytest

from oracle.harness import PREAMBLE, assert_agrees, run_engine
from shapelens.core import registry
from shapelens.core.interpreter import Interpreter
from shapelens.core.source import parse
from shapelens.core.values import UNKNOWN, DatasetVal, DictVal, Seq, Tensor, Value

pytestmark = pytest.mark.tf

# ---------------------------------------------------------------------------------------------
# both sides as comparable trees


@dataclass(frozen=True)
class Leaf:
    dims: tuple[Any, ...] | None
    dtype: str | None


def real_tree(spec: Any) -> Any:
    import tensorflow as tf

    if isinstance(spec, tf.TensorSpec):
        dims = None if spec.shape.rank is None else tuple(spec.shape.as_list())
        return Leaf(dims, spec.dtype.name)
    if isinstance(spec, tuple):
        return tuple(real_tree(s) for s in spec)
    if isinstance(spec, dict):
        return {k: real_tree(s) for k, s in spec.items()}
    return ("other", type(spec).__name__)


def engine_tree(v: Value) -> Any:
    if isinstance(v, Tensor):
        return Leaf(None if v.shape.dims is None else tuple(v.shape.dims), v.dtype)
    if isinstance(v, Seq) and v.items is not None:
        return tuple(engine_tree(i) for i in v.items)
    if isinstance(v, DictVal):
        return {k: engine_tree(i) for k, i in v.items.items()}
    return None  # unknown


def run_real_ds(snippet: str) -> tuple[Any, int | None, BaseException | None]:
    ns: dict[str, Any] = {"__name__": "__snippet__"}
    try:
        exec(compile(PREAMBLE + snippet, "<snippet>", "exec"), ns)
    except Exception as err:
        return None, None, err
    ds = ns["ds"]
    card = int(ds.cardinality())
    return real_tree(ds.element_spec), (card if card >= 0 else None), None


def run_engine_ds(snippet: str) -> tuple[Value, list[str]]:
    text = PREAMBLE + snippet
    interp = Interpreter(text.splitlines())
    interp.run_module(parse(text).tree)
    errors = [i.message for i in interp.issues.values() if i.severity == "error"]
    return interp.module_env.vars.get("ds", UNKNOWN), errors


def tree_problems(e: Any, r: Any, path: str, out: list[str]) -> bool:
    """Record where the engine contradicts TF; return whether it was exact."""
    if e is None:
        return False
    if isinstance(r, Leaf):
        if not isinstance(e, Leaf):
            out.append(f"{path}: engine structure {e!r} but TF has a tensor {r}")
            return False
        exact = e == r
        if e.dims is not None:
            if r.dims is None or len(e.dims) != len(r.dims):
                out.append(f"{path}: engine shape {e.dims} vs TF {r.dims}")
                return False
            for a, b in zip(e.dims, r.dims):
                if isinstance(a, int) and a != b:
                    out.append(f"{path}: engine shape {e.dims} vs TF {r.dims}")
                    return False
        if e.dtype is not None and e.dtype != r.dtype:
            out.append(f"{path}: engine dtype {e.dtype} vs TF {r.dtype}")
            return False
        return exact
    if isinstance(r, tuple):
        if not isinstance(e, tuple) or len(e) != len(r):
            out.append(f"{path}: engine {e!r} vs TF tuple {r!r}")
            return False
        results = [tree_problems(x, y, f"{path}[{i}]", out) for i, (x, y) in enumerate(zip(e, r))]
        return all(results)
    if isinstance(r, dict):
        if not isinstance(e, dict) or set(e) != set(r):
            out.append(f"{path}: engine {e!r} vs TF dict {r!r}")
            return False
        results = [tree_problems(e[k], r[k], f"{path}[{k!r}]", out) for k in r]
        return all(results)
    out.append(f"{path}: TF element {r!r} is not modelled but the engine claims {e!r}")
    return False


def check_dataset(snippet: str, exact: bool = True, card_exact: bool = True) -> None:
    snippet = textwrap.dedent(snippet)
    real, real_card, err = run_real_ds(snippet)
    ds, errors = run_engine_ds(snippet)
    where = f"\n--- snippet ---\n{snippet}"
    assert err is None, f"snippet failed under TF: {err!r}{where}"
    assert not errors, f"false alarm: engine reported {errors}{where}"
    assert isinstance(ds, DatasetVal), f"engine has no dataset for ds: {ds!r}{where}"
    problems: list[str] = []
    was_exact = tree_problems(engine_tree(ds.element), real, "element", problems)
    if ds.cardinality is not None and ds.cardinality != real_card:
        problems.append(f"cardinality: engine {ds.cardinality} vs TF {real_card}")
    assert not problems, "; ".join(problems) + where
    if exact:
        assert was_exact, f"engine not exact: {engine_tree(ds.element)!r} vs TF {real!r}{where}"
    if card_exact and real_card is not None:
        assert ds.cardinality == real_card, f"cardinality: engine {ds.cardinality} vs TF {real_card}{where}"


def check_rejected(snippet: str) -> None:
    """TF raises on this snippet; the engine must report an error too, and claim no dataset
    where TF made none."""
    snippet = textwrap.dedent(snippet)
    _, _, err = run_real_ds(snippet)
    assert err is not None, f"TF accepted the snippet:\n{snippet}"
    _, errors = run_engine_ds(snippet)
    assert errors, f"engine missed the error TF raised ({err!r}):\n{snippet}"


# ---------------------------------------------------------------------------------------------
# sources x methods

GEN = "def gen():\n    yield None\n"

SOURCES: dict[str, str] = {
    "array_f32": "src = tf.data.Dataset.from_tensor_slices(np.zeros((20, 5), dtype=np.float32))\n",
    "tuple_f64_i64": (
        "src = tf.data.Dataset.from_tensor_slices("
        "(np.zeros((20, 4, 4, 3)), np.zeros((20,), dtype=np.int64)))\n"
    ),
    "dict_with_list": (
        "src = tf.data.Dataset.from_tensor_slices({'a': np.zeros((20, 3), dtype=np.float32), 'b': [1] * 20})\n"
    ),
    "literal_lists": "src = tf.data.Dataset.from_tensor_slices(([[1, 2], [3, 4]] * 10, [0.5] * 20))\n",
    "strings": "src = tf.data.Dataset.from_tensor_slices(['a', 'b', 'c', 'd', 'e', 'f'])\n",
    "from_tensors": "src = tf.data.Dataset.from_tensors((np.zeros((3, 2)), 7))\n",
    "range": "src = tf.data.Dataset.range(20)\n",
    "range_step": "src = tf.data.Dataset.range(3, 23, 2)\n",
    "generator_signature": GEN + (
        "src = tf.data.Dataset.from_generator(gen, output_signature=("
        "tf.TensorSpec(shape=(8,), dtype=tf.float32), tf.TensorSpec(shape=(), dtype=tf.int32)))\n"
    ),
    "generator_legacy": GEN + (
        "src = tf.data.Dataset.from_generator(gen, output_types=(tf.float32, tf.int64), "
        "output_shapes=((None, 3), ()))\n"
    ),
    "zip": (
        "src = tf.data.Dataset.zip((tf.data.Dataset.range(20), "
        "tf.data.Dataset.from_tensor_slices(np.zeros((20, 2), dtype=np.float32))))\n"
    ),
    "text_lines": "src = tf.data.TextLineDataset(['lines.txt'])\n",
}

METHODS: dict[str, str] = {
    "identity": "ds = src\n",
    "batch": "ds = src.batch(4)\n",
    "batch_drop": "ds = src.batch(4, drop_remainder=True)\n",
    "pipeline": "ds = src.shuffle(10).batch(3).prefetch(tf.data.AUTOTUNE)\n",
    "repeat_take": "ds = src.repeat(2).take(5)\n",
    "repeat_forever": "ds = src.repeat()\n",
    "skip_cache": "ds = src.skip(3).cache()\n",
    "enumerate": "ds = src.enumerate()\n",
    "unbatch": "ds = src.batch(4).unbatch()\n",
    "padded_batch": "ds = src.padded_batch(2)\n",
    "padded_batch_drop": "ds = src.padded_batch(3, drop_remainder=True)\n",
    "map_identity_args": "ds = src.map(lambda *args: args)\n",
    "map_first_or_self": "def first(*args):\n    return args[0]\nds = src.map(first)\n",
    "filter": "ds = src.filter(lambda *args: True)\n",
    "rebatch": "ds = src.batch(4).rebatch(2)\n",
    "rebatch_drop": "ds = src.batch(4).rebatch(2, drop_remainder=True)\n",
    "concatenate": "ds = src.take(2).concatenate(src.skip(18))\n",
    "concatenate_batched": "ds = src.batch(2).concatenate(src.batch(3, drop_remainder=True))\n",
    "apply": "ds = src.apply(lambda d: d.batch(2))\n",
    "shard": "ds = src.shard(3, 1)\n",
    "unique_or_ignore_errors": "ds = src.ignore_errors()\n",
    "with_options": "ds = src.with_options(tf.data.Options())\n",
    "take_all": "ds = src.take(-1)\n",
    "zip_self": "ds = tf.data.Dataset.zip(src, src.batch(2))\n",
    "flat_map_tensors": "ds = src.flat_map(lambda *args: tf.data.Dataset.from_tensors(args))\n",
    "interleave": "ds = src.interleave(lambda *args: tf.data.Dataset.from_tensors(args[0]), cycle_length=2)\n",
}


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("source", list(SOURCES))
def test_source_method(source: str, method: str) -> None:
    check_dataset(SOURCES[source] + METHODS[method])


# ---------------------------------------------------------------------------------------------
# random pipelines: chains of methods on varied sources. The engine may miss an error TF raises
# (silence is allowed) but must never report one TF does not raise, nor contradict TF's element
# structure, dims, dtypes or cardinality.

RANDOM_SOURCES = [
    "tf.data.Dataset.from_tensor_slices((np.zeros((12, 3), dtype=np.float32), [1] * 12))",
    "tf.data.Dataset.from_tensor_slices({'a': np.zeros((12, 2, 2)), 'b': ['s'] * 12})",
    "tf.data.Dataset.range(12)",
    "tf.data.Dataset.from_tensors((np.zeros((4, 3)), 2.5))",
    "tf.data.Dataset.from_tensor_slices(np.zeros((12, 5), dtype=np.int32))",
    "tf.data.Dataset.zip((tf.data.Dataset.range(12), tf.data.Dataset.from_tensor_slices([[1.0, 2.0]] * 12)))",
    "tf.data.TextLineDataset(['f.txt'])",
    "tf.data.Dataset.from_generator(gen, output_signature=(tf.TensorSpec((None, 3), tf.float32), "
    "tf.TensorSpec((), tf.int64)))",
    "tf.data.Dataset.from_tensor_slices([[1, 2], [3, 4]] * 6)",
]
RANDOM_METHODS = [
    "batch({n})", "batch({n}, drop_remainder=True)", "batch({n}, True)", "unbatch()", "shuffle(5)",
    "prefetch(tf.data.AUTOTUNE)", "cache()", "repeat({n})", "repeat()", "take({m})", "skip({m})",
    "enumerate()", "enumerate(5)", "padded_batch({n})", "padded_batch({n}, drop_remainder=True)",
    "map(lambda *a: a)", "map(lambda *a: a[0])", "map(lambda *a: [a[-1], 1])", "map(lambda x: x)",
    "map(lambda x, y: (y, x))", "map(lambda d: d)", "map(lambda *a: {{'k': a[0], 'z': 0.5}})",
    "map(lambda *a: tf.cast(a[0], tf.float32))", "map(lambda *a: (tf.cast(a[0], tf.float32) / 255.0, a[-1]))",
    "map(lambda *a: tf.one_hot(tf.cast(a[-1], tf.int32), 4))", "filter(lambda *a: True)",
    "take_while(lambda *a: True)", "rebatch({n})", "concatenate(src)", "concatenate(src.batch(2))",
    "shard({n}, 0)", "apply(lambda d: d.take({n}))",
    "flat_map(lambda *a: tf.data.Dataset.from_tensors(a[0]))", "ignore_errors()", "unique()",
]


def random_pipeline(seed: int) -> str:
    import random

    rng = random.Random(seed)
    expr = "src"
    for _ in range(rng.randint(1, 4)):
        expr += "." + rng.choice(RANDOM_METHODS).format(n=rng.choice([1, 3, 4, 5]), m=rng.choice([-1, 0, 2, 7, 30]))
    return GEN + f"src = {rng.choice(RANDOM_SOURCES)}\nds = {expr}\n"


@pytest.mark.parametrize("seed", range(200))
def test_random_pipeline(seed: int) -> None:
    snippet = random_pipeline(seed)
    real, real_card, err = run_real_ds(snippet)
    ds, errors = run_engine_ds(snippet)
    where = f"\n--- snippet ---\n{snippet}"
    if err is not None:
        return  # TF rejected it: the engine may or may not have seen why
    assert not errors, f"false alarm: {errors}{where}"
    assert isinstance(ds, DatasetVal), f"engine has no dataset: {ds!r}{where}"
    problems: list[str] = []
    tree_problems(engine_tree(ds.element), real, "element", problems)
    if ds.cardinality is not None and ds.cardinality != real_card:
        problems.append(f"cardinality: engine {ds.cardinality} vs TF {real_card}")
    assert not problems, "; ".join(problems) + where


# ---------------------------------------------------------------------------------------------
# conversions of from_tensor_slices / from_tensors arguments


@pytest.mark.parametrize(
    "arg",
    [
        "[1, 2, 3]",
        "[1.0, 2.5]",
        "[1, 2.5]",
        "[1, True, 2.5]",
        "[[1], [True]]",
        "[1j, 1]",
        "[1, 2 ** 40, True]",
        "[True, False]",
        "[1, 2 ** 40]",
        "['a', 'b']",
        "[['a', 'b'], ['c', 'd']]",
        "[[1, 2], [3, 4], [5, 6]]",
        "[]",
        "np.zeros((7, 2, 2), dtype=np.uint8)",
        "np.ones((4, 3))",
        "np.random.rand(6, 5)",
        "np.random.randint(0, 10, size=(9,))",
        "[np.zeros((3,)), np.zeros((3,))]",
        "(np.zeros((5, 2)),)",
        "((np.zeros((5, 2)), [1, 2, 3, 4, 5]), np.zeros((5,), dtype=np.int32))",
        "{'x': np.zeros((4, 6), dtype=np.float32), 'y': {'z': ['p', 'q', 'r', 's']}}",
        "(np.zeros((6, 2)), ['a'] * 6, [0.5] * 6, [[1, 2]] * 6)",
    ],
)
def test_from_tensor_slices_conversions(arg: str) -> None:
    check_dataset(f"ds = tf.data.Dataset.from_tensor_slices({arg})\n")


@pytest.mark.parametrize(
    "arg",
    [
        "7",
        "2.5",
        "'text'",
        "[1, 2]",
        "(np.zeros((3, 2)), [1.0, 2.0], 'x')",
        "{'a': 1, 'b': np.zeros((2,), dtype=np.int16)}",
    ],
)
def test_from_tensors_conversions(arg: str) -> None:
    check_dataset(f"ds = tf.data.Dataset.from_tensors({arg})\n")


@pytest.mark.parametrize(
    "args",
    [
        "output_signature=tf.TensorSpec(shape=(224, 224, 3), dtype=tf.float32)",
        "output_signature={'a': tf.TensorSpec(shape=(3,), dtype=tf.string)}",
        "output_signature=(tf.TensorSpec(shape=(None, 4), dtype=tf.float32), "
        "{'l': tf.TensorSpec(shape=(), dtype=tf.int64)})",
        "output_types=tf.float32",
        "output_types=tf.float32, output_shapes=(2, 3)",
        "output_types=(tf.int32, tf.string), output_shapes=([None], [])",
        "output_types={'k': tf.float64}, output_shapes={'k': (5,)}",
    ],
)
def test_from_generator(args: str) -> None:
    check_dataset(GEN + f"ds = tf.data.Dataset.from_generator(gen, {args})\n")


@pytest.mark.parametrize(
    "args", ["10", "0", "2, 10, 3", "10, 2", "5, output_type=tf.int32", "-4, 9, 5"]
)
def test_range(args: str) -> None:
    check_dataset(f"ds = tf.data.Dataset.range({args})\n")


@pytest.mark.parametrize(
    "expr",
    [
        "tf.data.Dataset.zip((a, b))",
        "tf.data.Dataset.zip(a, b)",
        "tf.data.Dataset.zip({'p': a, 'q': b})",
        "tf.data.Dataset.zip((a, (b, a.batch(2))))",
        "tf.data.Dataset.sample_from_datasets([a, a.skip(1)])",
        "tf.data.Dataset.choose_from_datasets([a, a], tf.data.Dataset.range(2))",
        "tf.data.Dataset.list_files('/*', shuffle=False)",
        "tf.data.TFRecordDataset(['data.tfrecord'])",
        "tf.data.Dataset.random(seed=4)",
        "tf.data.Dataset.counter(0, 1, tf.int32)",
        "a.unique()",
        "tf.data.Dataset.from_tensor_slices(['x', 'y', 'x']).unique()",
        "tf.data.Dataset.zip((a,)).unique()",
        "a.window(3)",
    ],
)
def test_combinators(expr: str) -> None:
    snippet = (
        "a = tf.data.Dataset.range(7)\n"
        "b = tf.data.Dataset.from_tensor_slices(np.zeros((5, 3), dtype=np.float32))\n"
        f"ds = {expr}\n"
    )
    # list_files counts files at run time; window's element (datasets) is not modelled
    check_dataset(snippet, exact="window" not in expr, card_exact=not any(w in expr for w in ("list_files", "window")))


def test_window_flat_map_pipeline() -> None:
    """The time-series tutorial's windows: ``window`` gives datasets, ``flat_map`` batches each
    into one tensor (its length unknown to the spec), ``map`` splits inputs from labels."""
    assert_agrees(
        """
        series = np.zeros((100, 4), "float32")
        ds = tf.data.Dataset.from_tensor_slices(series)
        ds = ds.window(36, shift=1, drop_remainder=True)
        ds = ds.flat_map(lambda w: w.batch(36))
        ds = ds.map(lambda w: (w[:24, :], w[24:, :])).batch(32)
        model = keras.Sequential([layers.Lambda(lambda x: x[:, -1:, :]), layers.Dense(4)])
        model.compile(loss="mse")
        model.fit(ds, epochs=1, verbose=0, steps_per_epoch=1)
        out = model.predict(np.zeros((3, 24, 4), "float32"), verbose=0)
        pairs = tf.data.Dataset.from_tensor_slices((np.zeros((10, 2), "float32"), np.arange(10)))
        nested = pairs.window(4, drop_remainder=True).flat_map(
            lambda a, b: tf.data.Dataset.zip((a.batch(4), b.batch(4))))
        n = len(list(pairs.window(4, shift=2, drop_remainder=True)))
        count = np.zeros((n,))
        """,
        ["out", "count"],
    )


@pytest.mark.parametrize(
    "padded",
    [
        "(6,)",
        "[None]",
        "[-1]",
        "tf.TensorShape([8])",
    ],
)
def test_padded_shapes(padded: str) -> None:
    check_dataset(
        "ds = tf.data.Dataset.from_tensor_slices(np.zeros((10, 3))).padded_batch(4, padded_shapes="
        + padded
        + ")\n",
        exact="TensorShape" not in padded or "tf.TensorShape" in registry.FUNCTIONS,
    )


def test_padded_shapes_structure() -> None:
    check_dataset(
        """
        src = tf.data.Dataset.from_tensor_slices({'a': np.zeros((10, 3)), 'b': np.zeros((10,), dtype=np.int32)})
        ds = src.padded_batch(2, padded_shapes={'a': [4], 'b': []})
        """
    )
    check_dataset(
        """
        src = tf.data.Dataset.from_tensor_slices((np.zeros((10, 3)), np.zeros((10,), dtype=np.int32)))
        ds = src.padded_batch(2, padded_shapes=([None], []), drop_remainder=True)
        """
    )


@pytest.mark.parametrize(
    "body",
    [
        "lambda x, y: (x, y)",
        "lambda x, y: [x, y]",
        "lambda x, y: {'features': x, 'label': y}",
        "lambda x, y: (x, 1, 2.0, 'tag')",
        "lambda x, y: (x, [1, 2])",
        "lambda x, y: x",
        "lambda x, y, z=3: (y, x)",
        "lambda *xs: xs[1]",
    ],
)
def test_map_results(body: str) -> None:
    check_dataset(
        "src = tf.data.Dataset.from_tensor_slices((np.zeros((10, 3)), np.zeros((10,), dtype=np.int32)))\n"
        f"ds = src.map({body})\n"
    )


def test_map_dict_element_is_one_argument() -> None:
    check_dataset(
        """
        src = tf.data.Dataset.from_tensor_slices({'a': np.zeros((10, 3)), 'b': [1] * 10})
        ds = src.map(lambda d: (d['a'], d['b']))
        """
    )


def test_map_user_function_and_method() -> None:
    check_dataset(
        """
        def split(features, label):
            return {'x': features}, label

        class Pre:
            def __call__(self, a, b):
                return b, a

            def swap(self, a, b):
                return b, a

        src = tf.data.Dataset.from_tensor_slices((np.zeros((10, 3)), np.zeros((10,), dtype=np.int32)))
        p = Pre()
        ds = src.map(split).map(lambda f, l: (f['x'], l)).map(p.swap).map(p)
        """
    )


def test_map_of_a_partial_function() -> None:
    snippet = """
        import functools
        def scale(x, k):
            return x * k
        src = tf.data.Dataset.from_tensor_slices(np.zeros((10, 3)))
        ds = src.map(functools.partial(scale, k=2.0)).batch(2)
        """
    real, _, err = run_real_ds(textwrap.dedent(snippet))
    assert err is None and real is not None
    ds, errors = run_engine_ds(textwrap.dedent(snippet))
    assert not errors
    assert isinstance(ds, DatasetVal)
    check_dataset(snippet)


# ---------------------------------------------------------------------------------------------
# Keras dataset utilities, on small real directories


@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Directories of small PNGs and text files: three classes, and two for binary labels."""
    import tensorflow as tf

    root = tmp_path_factory.mktemp("datasets")
    png = tf.io.encode_png(tf.zeros((10, 12, 3), tf.uint8)).numpy()
    out: dict[str, str] = {}
    for kind, ext, payload in (("images", "png", png), ("texts", "txt", b"some text")):
        for name, classes in ((kind, ("cat", "dog", "fox")), (kind + "2", ("neg", "pos"))):
            for cls in classes:
                folder = root / name / cls
                folder.mkdir(parents=True)
                for i in range(3):
                    (folder / f"{i}.{ext}").write_bytes(payload)
            out[name] = str(root / name)
    return out


# (directory, extra arguments, whether the engine can know the whole element: the number of
# classes of categorical labels comes from the directory unless class_names is given)
IMAGE_CASES = [
    ("images", "", True),
    ("images", ", label_mode='categorical', image_size=(64, 32)", False),
    ("images2", ", label_mode='binary', color_mode='grayscale'", True),
    ("images", ", labels=None, color_mode='rgba', batch_size=None", True),
    ("images", ", label_mode='categorical', class_names=['cat', 'dog', 'fox'], batch_size=4", True),
    ("images", ", data_format='channels_first', image_size=(20, 30)", True),
    ("images", ", label_mode=None", True),
    ("images", ", validation_split=0.5, subset='training', seed=1", True),
]


@pytest.mark.parametrize(("folder", "args", "exact"), IMAGE_CASES)
def test_image_dataset_from_directory(folder: str, args: str, exact: bool, data_dirs: dict[str, str]) -> None:
    check_dataset(
        f"ds = keras.utils.image_dataset_from_directory({data_dirs[folder]!r}{args})\n",
        exact=exact,
        card_exact=False,
    )


def test_image_dataset_from_directory_both_subsets(data_dirs: dict[str, str]) -> None:
    check_dataset(
        f"train, val = tf.keras.utils.image_dataset_from_directory({data_dirs['images']!r}, "
        "validation_split=0.3, subset='both', seed=3, image_size=(32, 32))\n"
        "ds = val\n",
        card_exact=False,
    )


@pytest.mark.parametrize(
    ("folder", "args", "exact"),
    [
        ("texts", "", True),
        ("texts", ", label_mode='categorical', batch_size=None", False),
        ("texts", ", label_mode='categorical', class_names=['cat', 'dog', 'fox'], batch_size=None", True),
        ("texts2", ", label_mode='binary'", True),
        ("texts", ", labels=None", True),
    ],
)
def test_text_dataset_from_directory(folder: str, args: str, exact: bool, data_dirs: dict[str, str]) -> None:
    check_dataset(
        f"ds = keras.utils.text_dataset_from_directory({data_dirs[folder]!r}{args})\n",
        exact=exact,
        card_exact=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        "np.zeros((100, 3)), np.zeros((100,)), sequence_length=10",
        "np.zeros((100, 3), dtype=np.float32), None, sequence_length=10, batch_size=16",
        "np.zeros((50,), dtype=np.int64), np.zeros((50, 2), dtype=np.int32), 5, batch_size=None",
        "[1.0, 2.0, 3.0, 4.0], None, 2",
        "data=np.zeros((30, 4, 2)), targets=[1] * 30, sequence_length=3, sequence_stride=2",
    ],
)
def test_timeseries_dataset_from_array(args: str) -> None:
    check_dataset(f"ds = keras.utils.timeseries_dataset_from_array({args})\n", card_exact=False)


# ---------------------------------------------------------------------------------------------
# scenarios from user code


def test_scenario_image_classifier_pipeline() -> None:
    check_dataset(
        """
        images = np.zeros((100, 28, 28, 3), dtype=np.float32)
        labels = np.zeros((100,), dtype=np.int32)
        ds = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(100).batch(32).prefetch(tf.data.AUTOTUNE)
        """
    )


def test_scenario_dict_inputs_keyed_by_input_names() -> None:
    check_dataset(
        """
        N = 50
        x_img = np.zeros((N, 64, 64, 3), dtype=np.float32)
        x_aux = np.zeros((N, 10), dtype=np.float32)
        y = np.zeros((N, 1), dtype=np.float32)
        ds = tf.data.Dataset.from_tensor_slices(({'image_input': x_img, 'aux_input': x_aux}, y)).batch(32)
        """
    )


def test_scenario_generator_then_batch() -> None:
    check_dataset(
        """
        def data_gen():
            for _ in range(10):
                yield np.zeros((224, 224, 3), dtype=np.float32)

        ds = tf.data.Dataset.from_generator(
            data_gen, output_signature=tf.TensorSpec(shape=(224, 224, 3), dtype=tf.float32)
        ).batch(8)
        """
    )


def test_scenario_map_cast_one_hot() -> None:
    snippet = """
        x = np.zeros((60, 28, 28), dtype=np.uint8)
        y = np.zeros((60,), dtype=np.int64)
        ds = tf.data.Dataset.from_tensor_slices((x, y)).map(
            lambda x, y: (tf.cast(x, tf.float32) / 255.0, tf.one_hot(y, 10))
        ).batch(16, drop_remainder=True)
        """
    check_dataset(snippet)


# ---------------------------------------------------------------------------------------------
# iterating, element_spec, as_numpy_iterator: tensor names through the standard harness


def test_iteration_gives_element_tensors() -> None:
    assert_agrees(
        """
        ds = tf.data.Dataset.from_tensor_slices((np.zeros((10, 4, 4)), np.zeros((10,), dtype=np.int32))).batch(5, drop_remainder=True)
        for xb, yb in ds.take(1):
            pass
        first_x = xb
        first_y = yb
        pair = next(iter(ds))
        px = pair[0]
        spec_x = ds.element_spec[0]
        spec_y = ds.element_spec[1]
        arr = next(ds.as_numpy_iterator())[0]
        single = tf.data.Dataset.from_tensors(np.zeros((2, 3), dtype=np.float32)).get_single_element()
        """,
        ["first_x", "first_y", "px", "spec_x", "spec_y", "arr", "single"],
    )


def test_iteration_unbatched_pipeline_and_dicts() -> None:
    assert_agrees(
        """
        ds = tf.data.Dataset.from_tensor_slices({'a': np.zeros((6, 3), dtype=np.float32), 'b': ['s'] * 6}).batch(4)
        for batch in ds:
            pass
        a = batch['a']
        b = batch['b']
        card = ds.cardinality()
        """,
        ["a", "b", "card"],
        require_exact=False,  # the last real batch is (2, 3): the engine rightly says (None, 3)
    )


# ---------------------------------------------------------------------------------------------
# what TF rejects: the engine reports it


@pytest.mark.parametrize(
    "snippet",
    [
        "ds = tf.data.Dataset.from_tensor_slices((np.zeros((10, 3)), np.zeros((5,))))\n",
        "ds = tf.data.Dataset.from_tensor_slices({'a': np.zeros((4, 2)), 'b': [1, 2, 3]})\n",
        "ds = tf.data.Dataset.from_tensor_slices(3)\n",
        "ds = tf.data.Dataset.from_tensor_slices((np.zeros((3, 2)), 1.0))\n",
        "ds = tf.data.Dataset.range(3).unbatch()\n",
        "ds = tf.data.Dataset.range(3).batch(0)\n",
        "ds = tf.data.Dataset.from_tensor_slices(np.zeros((10, 3))).concatenate("
        "tf.data.Dataset.from_tensor_slices(np.zeros((4, 3), dtype=np.float32)))\n",
        "ds = tf.data.Dataset.range(3).concatenate(tf.data.Dataset.zip((tf.data.Dataset.range(3), "
        "tf.data.Dataset.range(3))))\n",
        "ds = tf.data.Dataset.from_tensor_slices(np.zeros((10, 3))).padded_batch(4, padded_shapes=(2,))\n",
        "ds = tf.data.Dataset.from_tensor_slices(np.zeros((10, 3))).padded_batch(4, padded_shapes=[3, 3])\n",
        "ds = tf.data.Dataset.from_tensor_slices((np.zeros((10, 3)), np.zeros((10,)))).map(lambda t: t[0])\n",
        "ds = tf.data.Dataset.from_tensor_slices(np.zeros((10, 3))).map(lambda x, y: x)\n",
        "ds = tf.data.Dataset.from_tensor_slices({'a': np.zeros((10, 3))}).map(lambda x, y: x)\n",
        "def keep(x, y):\n    return True\nds = tf.data.Dataset.range(4).filter(keep)\n",
        "ds = tf.data.Dataset.range(3).map(lambda x: x * 2.5)\n",
        "ds = tf.data.Dataset.zip([tf.data.Dataset.range(3), tf.data.Dataset.range(3)])\n",
        "def gen():\n    yield 1\n"
        "ds = tf.data.Dataset.from_generator(gen, output_signature=[tf.TensorSpec((2,)), tf.TensorSpec(())])\n",
        "ds = tf.data.Dataset.from_tensor_slices([True, 1])\n",
        "ds = tf.data.Dataset.from_tensor_slices(np.zeros((4,), dtype=np.float32)).unique()\n",
        "ds = tf.data.Dataset.range(4).enumerate().unique()\n",
        "ds = tf.data.Dataset.range(4).batch(2).rebatch(1).unbatch().unbatch()\n",
        "ds = tf.data.Dataset.range(4).rebatch(2)\n",
        "ds = tf.data.Dataset.from_tensor_slices([[True], [1.5]])\n",
        "ds = tf.data.Dataset.from_tensor_slices([1, 'a'])\n",
        "ds = tf.data.Dataset.from_tensors(('a', ['b', 2]))\n",
    ],
)
def test_rejected(snippet: str) -> None:
    check_rejected(snippet)


def test_unknown_inputs_claim_nothing() -> None:
    snippet = """
        data = getattr(np, 'zeros')((10, 3))
        ds = tf.data.Dataset.from_tensor_slices((data, data)).batch(2)
        """
    check_dataset(snippet, exact=False, card_exact=False)


def test_text_read_from_a_file_into_a_character_pipeline() -> None:
    """The text-generation tutorial: a file read (bytes, decoded), split into characters,
    looked up, windowed; ``Dataset.apply(assert_cardinality(n))`` keeps the element spec and
    makes the batch sizes of a generator's dataset known."""
    source = """
        import os, tempfile
        path = os.path.join(tempfile.mkdtemp(), "corpus.txt")
        with open(path, "w") as f:
            f.write("hello world, hello keras")
        text = open(path, "rb").read().decode(encoding="utf-8")
        with open(path) as f:
            lines = f.readlines()
            whole = f.read()
        chars = tf.strings.unicode_split(text, "UTF-8")
        words = tf.strings.split(whole.lower())
        lookup = layers.StringLookup(vocabulary=list("helowrd ,kas"), mask_token=None)
        ids = lookup(chars)
        unk = lookup(["[UNK]"])[:, None]
        batch = lookup(tf.strings.unicode_split(tf.constant(["ab", "cde"]), "UTF-8")).to_tensor()
        padded = lookup(tf.strings.unicode_split(tf.constant(["ab", "c"]), "UTF-8")).to_tensor(shape=[2, 5])
        gen = tf.data.Dataset.from_generator(
            lambda: iter([np.zeros(3, "float32")] * 12), output_signature=tf.TensorSpec((3,), tf.float32))
        known = gen.apply(tf.data.experimental.assert_cardinality(12)).batch(5)
        for step in known.take(1):
            first = step
        """
    assert_agrees(
        source,
        ["chars", "words", "ids", "unk", "batch", "padded", "first"],
        require_exact=False,  # the text's length is read at run time
    )
    known = run_engine(textwrap.dedent(source)).values
    assert {n: known[n].shape for n in ("chars", "ids", "unk", "batch", "padded", "first")} == {
        "chars": (None,), "ids": (None,), "unk": (1, 1), "batch": (2, None), "padded": (2, 5),
        "first": (5, 3),
    }


def test_ragged_constant_rows_slice_into_dense_elements() -> None:
    """tf.ragged.constant: rows, then an unknown axis per ragged dimension; a 2-D ragged tensor
    slices into dense rows of unknown length, which map() sees as plain tensors."""
    assert_agrees(
        """
        clips = [np.zeros(n, dtype=np.float32) for n in (5, 9, 7)]
        r = tf.ragged.constant(clips)
        r64 = tf.ragged.constant([np.zeros(3), np.zeros(4)])
        ints = tf.ragged.constant([[1, 2], [3]])
        deep = tf.ragged.constant([[[1.0]], [[2.0], [3.0, 4.0]]])
        words = tf.ragged.constant([["a"], ["b", "c"]])
        flat = tf.ragged.constant([1, 2, 3])
        dense = r.to_tensor()
        ds = tf.data.Dataset.from_tensor_slices((r, np.arange(3)))
        ds = ds.map(lambda w, y: (tf.concat([w, tf.zeros([9]) [:9 - tf.shape(w)[0]]], 0), y))
        for w, y in ds.take(1):
            pass
        batched = ds.batch(2)
        for bw, by in batched.take(1):
            pass
        """,
        ["r", "r64", "ints", "deep", "words", "flat", "dense", "w", "y", "by"],
        require_exact=False,
    )
    v = run_engine(
        """
        r = tf.ragged.constant([np.zeros(n, dtype=np.float32) for n in (5, 9, 7)])
        first = next(iter(tf.data.Dataset.from_tensor_slices(r)))
        """
    ).values
    assert v["r"].shape == (3, None) and v["r"].dtype == "float32"
    assert v["first"].shape == (None,) and v["first"].dtype == "float32"


def test_ragged_constant_of_arrays_with_a_ragged_rank_keeps_their_inner_axes() -> None:
    """Molecules as (atoms, features) arrays: ``ragged_rank=1`` makes the atom axis ragged and
    keeps the feature axis, whose size every array shares; arrays that disagree there (which TF
    refuses) or ragged ranks past the arrays' are left unknown."""
    assert_agrees(
        """
        mols = [np.zeros((n, 15), np.float32) for n in (5, 9, 7)]
        atoms = tf.ragged.constant(mols, ragged_rank=1)
        pairs = tf.ragged.constant([np.zeros((n, 2), np.int64) for n in (4, 8)], dtype=tf.int64, ragged_rank=1)
        feats = tf.ragged.constant([np.zeros((2, 3, 4)), np.zeros((5, 3, 4))], ragged_rank=1)
        inner = tf.ragged.constant([np.zeros((2, 3, 4)), np.zeros((5, 6, 4))], ragged_rank=2)
        """,
        ["atoms", "pairs", "feats", "inner"],
    )
    assert_agrees(
        """
        n = int(np.random.randint(3, 9))
        grown = tf.ragged.constant([np.zeros((n, 15), np.float32) for _ in range(int(np.random.randint(2, 5)))], ragged_rank=1)
        """,
        ["grown"],
        require_exact=False,
    )
    assert run_engine("g = tf.ragged.constant([np.zeros((2, 3)), np.zeros((5, 4))], ragged_rank=1)\n").values.get("g") is None


def test_a_generator_of_ready_made_batches_gives_its_rows_when_iterated() -> None:
    """``from_generator`` with a ``(None, ...)`` signature over a generator that always yields 32
    rows: iterating gives 32-row tensors (what a ``tf.function`` step is traced with); ``map``
    still sees the signature. A generator whose last batch is smaller claims no rows."""
    src = """
        BATCH = 32

        def make_batches(n_batches=3):
            def gen():
                for _ in range(n_batches):
                    x = np.random.rand(BATCH, 6, 4).astype("float32")
                    yield {"past": x, "id": np.zeros(BATCH, "int32")}, x[:, -2:, 0]
            return gen

        spec = ({"past": tf.TensorSpec((None, 6, 4), tf.float32), "id": tf.TensorSpec((None,), tf.int32)},
                tf.TensorSpec((None, 2), tf.float32))
        ds = tf.data.Dataset.from_generator(make_batches(), output_signature=spec).prefetch(2)
        feats, target = next(iter(ds))
        past = feats["past"]
        ids = feats["id"]
        mapped = ds.map(lambda f, t: f["past"])
        m = next(iter(mapped))

        def ragged_gen():
            for n in (32, 32, 5):
                yield np.zeros((n, 3), "float32")

        ds2 = tf.data.Dataset.from_generator(ragged_gen, output_signature=tf.TensorSpec((None, 3), tf.float32))
        last = next(iter(ds2))
        """
    assert_agrees(src, ["past", "ids", "target", "last"], require_exact=False)
    values = run_engine(src).values
    assert values["past"].shape == (32, 6, 4) and values["target"].shape == (32, 2)
    assert values["ids"].shape == (32,)
    assert values["last"].shape == (None, 3)


def test_first_batch_and_set_shape_in_a_window_pipeline() -> None:
    """``timeseries_dataset_from_array``'s spec leaves the window length unknown (a traced
    ``map`` sees None; the tutorial's ``split_window`` restores it with ``set_shape``), but every
    window iterating it gives has ``sequence_length`` rows; ``next(iter(ds))`` is the first
    batch, full although the last one is smaller."""
    src = """
        data = np.zeros((3500, 6), "float32")

        def split(features):
            inputs = features[:, slice(0, 36), :]
            labels = features[:, slice(36, None), :]
            inputs.set_shape([None, 36, None])
            labels.set_shape([None, 12, None])
            return inputs, labels

        windows = keras.utils.timeseries_dataset_from_array(data, None, 48, batch_size=32)
        raw = next(iter(windows))
        ds = windows.map(split)
        x, y = next(iter(ds))
        tail = next(iter(tf.data.Dataset.from_tensor_slices(np.zeros((10, 3))).batch(4)))
        strided = keras.utils.timeseries_dataset_from_array(
            np.zeros((100, 2)), np.zeros(90), 10, sequence_stride=3, sampling_rate=2, batch_size=8)
        first_x, first_y = next(iter(strided))
        for last_x, last_y in strided:
            pass
        single = next(iter(keras.utils.timeseries_dataset_from_array(
            np.zeros((20, 3)), None, 5, batch_size=None).skip(2).shuffle(4)))
        mx, my = next(iter(windows.map(lambda w: (w, w[:, -1])).prefetch(2)))
        ranged = keras.utils.timeseries_dataset_from_array(
            np.zeros((100, 2)), np.zeros(100), 10, sampling_rate=2, batch_size=16, start_index=5, end_index=80)
        for end_x, end_y in ranged:
            pass
        empty = keras.utils.timeseries_dataset_from_array(np.zeros((100, 2)), None, 10, batch_size=8, end_index=0)
        n_empty = np.zeros((len(empty),))
        """
    names = ["raw", "x", "y", "tail", "first_x", "first_y", "last_x", "single", "mx", "my", "end_x", "end_y", "n_empty"]
    assert_agrees(src, names, require_exact=False)
    values = run_engine(src).values
    assert values["x"].shape == (None, 36, 6) and values["y"].shape == (None, 12, 6)
    assert values["raw"].shape == (32, 48, 6) and values["tail"].shape == (4, 3)
    # 28 windows in batches of 8, 8, 8, 4: the first is full, a loop sees both sizes
    assert values["first_x"].shape == (8, 10, 2) and values["first_y"].shape == (8,)
    assert values["last_x"].shape == (None, 10, 2)
    assert values["single"].shape == (5, 3)
    # a map that passes the windows on keeps their length
    assert values["mx"].shape == (32, 48, 6) and values["my"].shape == (32, 6)
    # rows 5..79, 10 rows 2 apart: 57 windows, batches of 16, 16, 16, 9
    assert values["end_x"].shape == (None, 10, 2) and values["end_y"].shape == (None,)


def test_review_counter_examples_of_first_batches_and_generators() -> None:
    """Confirmed by review under TF 2.21: batches shuffled after batching may put the smaller
    one first; a program's own ``iter`` is not the builtin; a generator reads its globals when
    the dataset is read, not when it is made."""
    src = """
        import builtins

        ds = tf.data.Dataset.from_tensor_slices(np.zeros((5, 3), np.float32)).batch(4)
        shuffled = next(iter(ds.shuffle(2, seed=0)))

        BATCH = 4

        def gen():
            for _ in range(3):
                yield np.zeros((BATCH, 3), np.float32)

        g = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec((None, 3), tf.float32))
        BATCH = 8
        late = next(iter(g))

        def iter(d):
            it = builtins.iter(d)
            next(it)
            return it

        second = next(iter(ds))
        """
    assert_agrees(src, ["shuffled", "late", "second"], require_exact=False)
    values = run_engine(src).values
    assert values["late"].shape == (8, 3)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 5, 8])
def test_batches_shuffled_then_taken_skipped_or_repeated_may_start_with_the_small_one(seed: int) -> None:
    """Found in the corpus (``rw2_eng_spa_translation``): 36 rows in batches of 16 shuffled
    after batching, then ``take(1)`` gave the 4-row batch under TF; the engine had claimed 16.
    Taking, skipping, repeating, enumerating and mapping keep the batches' order, so the first
    of them may be the small one (the seeds make TF show both)."""
    src = f"""
        a = np.zeros((36, 20), np.int64)
        base = tf.data.Dataset.from_tensor_slices(a).batch(16)
        mixed = base.map(lambda x: (x[:, :-1], x[:, 1:])).shuffle(64, seed={seed}).prefetch(4).cache()
        for taken, _ in mixed.take(1):
            pass
        for later in base.shuffle(8, seed={seed}).skip(1).take(1):
            pass
        again = next(iter(base.shuffle(8, seed={seed}).repeat(2)))
        _, counted = next(iter(base.shuffle(8, seed={seed}).enumerate()))
        everything = next(iter(base.shuffle(8, seed={seed}).take(5)))
        unshuffled = next(iter(base.take(1)))
        """
    names = ["taken", "later", "again", "counted", "everything", "unshuffled"]
    assert_agrees(src, names, require_exact=False)
    values = run_engine(src).values
    assert values["unshuffled"].shape == (16, 20)


def test_tfrecord_examples_parse_into_their_feature_specs() -> None:
    """A TFRecord pipeline's parse step: fixed-length features are dense tensors of their
    shape, variable-length ones sparse vectors; ``parse_example`` on a batch puts it first."""
    src = """
        import os
        import tempfile

        def example(i):
            return tf.train.Example(features=tf.train.Features(feature={
                "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"ab"])),
                "box": tf.train.Feature(float_list=tf.train.FloatList(value=[0.0] * 4)),
                "ids": tf.train.Feature(int64_list=tf.train.Int64List(value=list(range(i + 1)))),
            })).SerializeToString()

        path = os.path.join(tempfile.mkdtemp(), "data.tfrecord")
        with tf.io.TFRecordWriter(path) as writer:
            for i in range(3):
                writer.write(example(i))
        SPEC = {
            "text": tf.io.FixedLenFeature([], tf.string),
            "box": tf.io.FixedLenFeature([4], tf.float32),
            "ids": tf.io.VarLenFeature(tf.int64),
        }
        record = next(iter(tf.data.TFRecordDataset(path)))
        feats = tf.io.parse_single_example(record, SPEC)
        text, box = feats["text"], feats["box"]
        chars = tf.strings.bytes_split(text)
        ids = tf.sparse.to_dense(feats["ids"])
        records = next(iter(tf.data.TFRecordDataset(path).batch(3)))
        batch = tf.io.parse_example(records, SPEC)
        boxes, texts = batch["box"], batch["text"]
        """
    assert_agrees(src, ["text", "box"])
    assert_agrees(src, ["chars", "boxes", "texts", "ids"], require_exact=False)  # run-time lengths
    v = run_engine(src).values
    assert v["boxes"].shape == (None, 4) and v["texts"].shape == (None,) and v["chars"].shape == (None,)


def test_molecules_batched_as_ragged_tensors() -> None:
    """Keras' MPNN example: molecules as ragged (molecules, atoms, features) tensors sliced by
    ``from_tensor_slices``, batched, then merged into one graph with ``row_lengths`` and
    ``merge_dims`` in ``map``."""
    src = """
        atoms = tf.ragged.constant([np.zeros((n, 15), np.float32) for n in (5, 9, 7, 4)], ragged_rank=1)
        pairs = tf.ragged.constant([np.zeros((n, 2), np.int64) for n in (6, 8, 10, 3)], ragged_rank=1)
        y = np.zeros(4, np.float32)

        def merge(x, target):
            a, p = x
            num_atoms = a.row_lengths()
            count = a.nrows()
            flat = a.merge_dims(outer_axis=0, inner_axis=1)
            flat_pairs = p.merge_dims(0, 1)
            ids = tf.repeat(tf.range(tf.shape(num_atoms)[0]), num_atoms)
            return (flat, flat_pairs, ids), target

        ds = tf.data.Dataset.from_tensor_slices(((atoms, pairs), y)).batch(2).map(merge)
        (flat, flat_pairs, ids), t = next(iter(ds))
        lengths = atoms.row_lengths()
        merged = atoms.merge_dims(0, 1)
        values = atoms.flat_values
        """
    assert_agrees(src, ["lengths", "merged", "values"], require_exact=False)
    assert_agrees(src, ["flat", "flat_pairs", "ids", "t"], require_exact=False)
    v = run_engine(src).values
    assert v["lengths"].shape == (4,) and v["values"].shape == (None, 15)
    assert v["flat"].shape == (None, 15) and v["flat_pairs"].shape == (None, 2)


def test_ragged_dtypes_and_row_counts_follow_tf() -> None:
    """A review's counter-examples: complex64 arrays become complex128, a list mixing Python
    numbers and float16 arrays takes the first one's dtype; ``nrows(out_type=...)`` and
    int32 row splits are not claimed int64."""
    src = """
        c = tf.ragged.constant([np.ones(2, np.complex64), np.ones(1, np.complex64)])
        mixed = tf.ragged.constant([[0.5], np.array([2.0, 3.0], np.float16)])
        f32 = tf.ragged.constant([np.zeros(3, np.float32), np.zeros(1, np.float32)])
        rt = tf.ragged.constant([[1.0, 2.0], [3.0]], row_splits_dtype=tf.int32)
        n = rt.nrows(out_type=tf.int32)
        total = n + tf.shape(rt.flat_values)[0]
        lengths = rt.row_lengths()
        scaled = c * tf.constant(1j)
        doubled = mixed * tf.constant(2.0)
        """
    assert_agrees(src, ["f32", "n", "total"], require_exact=False)
    v = run_engine(src).values
    assert not run_engine(src).errors
    assert v["f32"].dtype == "float32" and v["n"].dtype == "int32"
    assert v["c"].dtype is None and v["mixed"].dtype is None and v["lengths"].dtype is None


def test_a_map_over_full_batches_keeps_their_rows() -> None:
    """Iterating a batched dataset gives batches of the real size; a ``map`` after ``batch``
    keeps that size when the function keeps the batch axis, and not when it folds it away."""
    src = """
        x = np.zeros((544, 3), np.float32)
        texts = ["a b", "c"] * 272
        def tokenize(s, t):
            return (tf.strings.length(s), tf.strings.length(t)), tf.strings.length(t)
        pairs = (tf.data.Dataset.from_tensor_slices((texts, texts)).shuffle(544).batch(32)
                 .map(tokenize).prefetch(2))
        for (a, b), y in pairs:
            pass
        scaled = tf.data.Dataset.from_tensor_slices(x).batch(32).map(lambda v: v * 2.0)
        first = next(iter(scaled))
        for last in scaled:
            pass
        flat = tf.data.Dataset.from_tensor_slices(x).batch(32).map(lambda v: tf.reshape(v, [-1]))
        for f in flat:
            pass
        ragged = tf.data.Dataset.from_tensor_slices(np.zeros((50, 3))).batch(32).map(lambda v: (v, v[:, 0]))
        head, col = next(iter(ragged))
        for tail, tail_col in ragged:
            pass
        """
    names = ["a", "b", "y", "first", "last", "f", "head", "col", "tail", "tail_col"]
    assert_agrees(src, names, require_exact=False)
    values = run_engine(src).values
    assert values["a"].shape == (32,) and values["y"].shape == (32,)
    assert values["first"].shape == (32, 3) and values["last"].shape == (32, 3)
    assert values["f"].shape == (None,)
    assert values["head"].shape == (32, 3) and values["col"].shape == (32,)
    assert values["tail"].shape == (None, 3)
