"""The interpreter's Python semantics: scopes, calls, loops, branches, classes, error tolerance.
These need no TensorFlow: expected shapes follow from Keras' documented Dense/Input behaviour
(the oracle tests check those rules against real Keras)."""

from __future__ import annotations

import textwrap

import pytest

from shapelens.core.analysis import analyze_source
from shapelens.core.facts import ShapeFact


def facts(src: str) -> dict[str, ShapeFact]:
    """Last assignment fact per name (by position)."""
    analysis = analyze_source(textwrap.dedent(src))
    out: dict[str, ShapeFact] = {}
    for f in sorted(analysis.facts, key=lambda f: f.span):
        if f.kind == "assign":
            out[f.name] = f
    return out


def shape_of(src: str, name: str) -> tuple | None:
    f = facts(src).get(name)
    return None if f is None or f.shape.dims is None else tuple(f.shape.dims)


HEADER = "import keras\nfrom keras import layers\n"


def test_import_spellings_resolve_to_the_same_layer() -> None:
    for imports, dense in [
        ("import tensorflow as tf", "tf.keras.layers.Dense"),
        ("from tensorflow import keras", "keras.layers.Dense"),
        ("from tensorflow.keras import layers", "layers.Dense"),
        ("from tensorflow.keras.layers import Dense as D", "D"),
        ("from keras.layers import Dense", "Dense"),
        ("import keras.layers as kl", "kl.Dense"),
    ]:
        src = f"{imports}\nimport keras\nx = keras.Input(shape=(5,))\ny = {dense}(3)(x)\n"
        assert shape_of(src, "y") == (None, 3), imports


def test_module_constants_and_dim_arithmetic() -> None:
    src = HEADER + textwrap.dedent(
        """
        units = 16
        class_names = ["cat", "dog", "bird"]
        x = keras.Input(shape=(units * 2,))
        y = layers.Dense(len(class_names))(x)
        z = layers.Dense(units // 4 + 1)(x)
        """
    )
    assert shape_of(src, "x") == (None, 32)
    assert shape_of(src, "y") == (None, 3)
    assert shape_of(src, "z") == (None, 5)


def test_user_function_analysed_per_call_site() -> None:
    src = HEADER + textwrap.dedent(
        """
        def block(t, units):
            h = layers.Dense(units)(t)
            return h

        a = block(keras.Input(shape=(4,)), 8)
        b = block(keras.Input(shape=(4,)), 2)
        """
    )
    fs = facts(src)
    assert tuple(fs["a"].shape.dims or ()) == (None, 8)
    assert tuple(fs["b"].shape.dims or ()) == (None, 2)
    # inside the function the two call sites disagree on the last dim: joined to unknown
    assert tuple(fs["h"].shape.dims or ()) == (None, None)


def test_loop_over_known_list_is_unrolled() -> None:
    src = HEADER + textwrap.dedent(
        """
        x = keras.Input(shape=(3,))
        for units in [32, 64, 128]:
            x = layers.Dense(units)(x)
        out = x
        """
    )
    assert shape_of(src, "out") == (None, 128)


def test_loop_over_unknown_range_joins_conservatively() -> None:
    src = HEADER + textwrap.dedent(
        """
        def build(n):
            x = keras.Input(shape=(3,))
            for _ in range(n):
                x = layers.Dense(10)(x)
            return x
        out = build(n_layers)
        """
    )
    # zero iterations leave (None, 3); one or more give (None, 10): the join keeps the rank
    assert shape_of(src, "out") == (None, None)


def test_branches_join_and_known_conditions_pick_one() -> None:
    src = HEADER + textwrap.dedent(
        """
        wide = True
        x = keras.Input(shape=(3,))
        if wide:
            y = layers.Dense(100)(x)
        else:
            y = layers.Dense(10)(x)
        if flag:
            z = layers.Dense(100)(x)
        else:
            z = layers.Dense(10)(x)
        after = z
        """
    )
    assert shape_of(src, "y") == (None, 100)
    assert shape_of(src, "after") == (None, None)


def test_early_return_branch_does_not_pollute() -> None:
    src = HEADER + textwrap.dedent(
        """
        def head(t, units=None):
            if units is None:
                return t
            return layers.Dense(units)(t)

        a = head(keras.Input(shape=(7,)))
        b = head(keras.Input(shape=(7,)), 2)
        """
    )
    assert shape_of(src, "a") == (None, 7)
    assert shape_of(src, "b") == (None, 2)


def test_tuple_unpacking_and_starred() -> None:
    src = HEADER + textwrap.dedent(
        """
        a, b = keras.Input(shape=(1,)), keras.Input(shape=(2,))
        first, *rest = [keras.Input(shape=(3,)), a, b]
        c = rest[-1]
        """
    )
    assert shape_of(src, "a") == (None, 1)
    assert shape_of(src, "first") == (None, 3)
    assert shape_of(src, "c") == (None, 2)


def test_layers_held_in_lists_and_dicts() -> None:
    src = HEADER + textwrap.dedent(
        """
        stack = [layers.Dense(u) for u in (8, 4, 2)]
        heads = {"a": layers.Dense(3), "b": layers.Dense(5)}
        x = keras.Input(shape=(6,))
        for layer in stack:
            x = layer(x)
        out = x
        ya = heads["a"](x)
        yb = heads["b"](x)
        """
    )
    assert shape_of(src, "out") == (None, 2)
    assert shape_of(src, "ya") == (None, 3)
    assert shape_of(src, "yb") == (None, 5)


def test_subclassed_layer_and_model_flow_shapes_from_call_site() -> None:
    src = HEADER + textwrap.dedent(
        """
        class Block(keras.layers.Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units = units
                self.inner = layers.Dense(units)

            def call(self, inputs):
                h = self.inner(inputs)
                return h

        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.b1 = Block(16)
                self.out = layers.Dense(1)

            def call(self, x):
                return self.out(self.b1(x))

        y = Block(4)(keras.Input(shape=(9,)))
        net = Net()
        z = net(keras.Input(shape=(3,)))
        """
    )
    assert shape_of(src, "y") == (None, 4)
    assert shape_of(src, "z") == (None, 1)


def test_sequential_layers_get_facts_at_constructor_lines() -> None:
    src = HEADER + textwrap.dedent(
        """
        model = keras.Sequential([
            layers.Dense(32, input_shape=(10,)),
            layers.Dense(1),
        ])
        other = keras.Sequential()
        other.add(keras.Input(shape=(4,)))
        other.add(layers.Dense(2))
        """
    )
    analysis = analyze_source(src)
    layer_facts = {(f.span.line, tuple(f.shape.dims or ())) for f in analysis.facts if f.kind == "layer"}
    assert (5, (None, 32)) in layer_facts
    assert (6, (None, 1)) in layer_facts
    assert (10, (None, 2)) in layer_facts


def test_sequential_built_on_first_call() -> None:
    src = HEADER + "import numpy as np\n" + textwrap.dedent(
        """
        model = keras.Sequential([layers.Dense(10), layers.Dense(1)])
        y_pred = model(np.zeros((100, 10), dtype="float32"))
        """
    )
    assert shape_of(src, "y_pred") == (100, 1)


def test_unknown_names_and_attributes_stay_silent() -> None:
    src = HEADER + textwrap.dedent(
        """
        x = load_my_data()
        y = x.foo.bar(3)[1:]
        z = layers.Dense(4)(x)
        w = something.weird(layers.Dense)
        """
    )
    analysis = analyze_source(src)
    assert not [i for i in analysis.issues if i.severity == "error"]
    assert shape_of(src, "z") is None


def test_recursion_and_deep_nesting_do_not_crash() -> None:
    src = textwrap.dedent(
        """
        def f(n):
            return f(n - 1) if n else 0
        v = f(10)
        """
    ) + "x = " + "(" * 90 + "1" + ")" * 90 + "\n"
    analyze_source(src)


# Checked on TF 2.21: tf.function traces the step with the batch size when every batch has it
# (64 rows in batches of 32), with an unknown one when the last batch is smaller (70 rows).
@pytest.mark.parametrize(("rows", "seen"), [(64, 32), (70, None), (20, 20)])
def test_custom_train_step_gets_the_fit_batches(rows: int, seen: int | None) -> None:
    src = HEADER + "import numpy as np\n" + textwrap.dedent(
        f"""
        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.body = layers.Dense(4)

            def call(self, x):
                return self.body(x)

            def train_step(self, data):
                x, y = data
                y_pred = self(x, training=True)
                return {{}}

        net = Net()
        net.compile(optimizer="adam", loss="mse")
        net.fit(np.zeros(({rows}, 3), dtype="float32"), np.zeros(({rows}, 4), dtype="float32"))
        """
    )
    assert shape_of(src, "y_pred") == (seen, 4)


def _layer_facts(src: str) -> dict[int, ShapeFact]:
    analysis = analyze_source(textwrap.dedent(src))
    return {f.span.line: f for f in analysis.facts if f.kind == "layer"}


def test_a_place_one_visit_could_not_resolve_claims_no_shape() -> None:
    """``net(x)`` runs once on a model the engine knows and once on one it cannot resolve: the
    second call's output may differ, so that line claims nothing (the known call's own result
    is still known where it is assigned)."""
    src = HEADER + """\
import numpy as np
import some_model_zoo

def make(kind):
    if kind == "small":
        return keras.Sequential([layers.Dense(4)])
    return some_model_zoo.build(kind)

def run(net, x):
    y = net(x)
    return y

a = run(make("small"), np.zeros((2, 3), "float32"))
b = run(make("big"), np.zeros((5, 3), "float32"))
"""
    layer_lines = _layer_facts(src)
    assert 12 in layer_lines and layer_lines[12].shape.dims is None
    analysis = analyze_source(src)
    y_facts = [f for f in analysis.facts if f.kind == "assign" and f.name == "y"]
    assert y_facts and all(f.shape.dims is None for f in y_facts)
    assert shape_of(src, "a") == (2, 4)
    assert shape_of(src, "b") is None


def test_a_functional_models_layer_lines_show_the_graph_not_its_replays() -> None:
    """Running a functional model on data whose spec leaves the length open (windows batched in
    ``flat_map``) replays its graph inside Keras; the layer lines keep the shapes the graph was
    built with."""
    src = HEADER + """\
import numpy as np
import tensorflow as tf
inp = keras.Input((48, 3))
h = layers.Conv1D(8, 3, padding="same")(inp)
out = layers.GlobalMaxPooling1D()(h)
model = keras.Model(inp, out)
ds = tf.data.Dataset.from_tensor_slices(np.zeros((100, 3), "float32"))
ds = ds.window(48, shift=1, drop_remainder=True).flat_map(lambda w: w.batch(48)).batch(4)
p = model.predict(ds)
"""
    layer_lines = _layer_facts(src)
    assert tuple(layer_lines[6].shape.dims or ()) == (None, 48, 8)
    assert shape_of(src, "p") == (None, 8)


def test_a_function_nobody_calls_does_not_blur_what_the_program_showed() -> None:
    """SimSiam's ``call`` is never run (``fit`` runs the custom ``train_step``); analysed on its
    own with unknown arguments it reaches ``embed``, which ``train_step`` ran on the real batch.
    Those lines keep the batch's shapes (checked on TF 2.21 with the corpus oracle,
    tests/corpus/rw78_simsiam_linear_probe.py)."""
    src = HEADER + "import numpy as np\n" + textwrap.dedent(
        """
        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.body = layers.Dense(4)

            def embed(self, x):
                z = self.body(x)
                return z

            def call(self, x):
                return self.embed(x)

            def train_step(self, data):
                x, y = data
                out = self.embed(x)
                return {}

        net = Net()
        net.compile(optimizer="adam", loss="mse")
        net.fit(np.zeros((64, 3), dtype="float32"), np.zeros((64, 4), dtype="float32"), batch_size=32)
        """
    )
    assert shape_of(src, "z") == (32, 4)


def test_model_build_runs_the_subclass_build_not_its_call() -> None:
    """Keras 3's ``model.build(shape)`` runs the subclass's own ``build`` with the shape as given
    and never its ``call`` (checked on TF 2.21): the call's lines show only the real calls."""
    src = HEADER + "import numpy as np\n" + textwrap.dedent(
        """
        class AE(keras.Model):
            def __init__(self):
                super().__init__()
                self.enc = layers.Dense(8)

            def build(self, input_shape):
                self.enc.build(input_shape)
                super().build(input_shape)

            def call(self, x):
                h = self.enc(x)
                return h

        model = AE()
        model.build((None, 16))
        out = model(np.zeros((64, 16), "float32"))
        """
    )
    assert shape_of(src, "h") == (64, 8)
