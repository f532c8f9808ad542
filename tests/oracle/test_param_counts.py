"""Differential tests for the static parameter counts (core/params.py, core/model_summary.py)
against real Keras: every layer is built on a ``keras.Input`` inside a functional model, and the
engine's model table must give exactly the ``count_params()`` and trainable count Keras does."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pytest

from oracle.harness import PREAMBLE, assert_agrees
from shapelens.core.analysis import analyze_source
from shapelens.core.model_table import ModelTable

pytestmark = pytest.mark.tf

# (layer expression, input shapes without batch, how the layer is called)
#   "one": layer(a)   "list": layer([a, b, ...])   "args": layer(a, b, ...)
CASES: list[tuple[str, list[tuple[int, ...]], str]] = [
    ("layers.Dense(7)", [(5,)], "one"),
    ("layers.Dense(3, use_bias=False)", [(4, 6)], "one"),
    ("layers.Dense(units=2, trainable=False)", [(9,)], "one"),
    ("layers.EinsumDense('ab,bc->ac', output_shape=4, bias_axes='c')", [(6,)], "one"),
    ("layers.EinsumDense('abc,cd->abd', output_shape=(None, 8))", [(5, 3)], "one"),
    ("layers.EinsumDense('abc,cde->abde', output_shape=(None, 2, 4), bias_axes='de')", [(5, 3)], "one"),
    ("layers.Embedding(100, 16)", [(12,)], "one"),
    ("layers.Embedding(input_dim=50, output_dim=4, mask_zero=True)", [(3,)], "one"),
    ("layers.Conv1D(8, 3)", [(20, 4)], "one"),
    ("layers.Conv2D(16, (3, 5), use_bias=False)", [(12, 12, 3)], "one"),
    ("layers.Conv2D(6, 3, groups=3)", [(8, 8, 9)], "one"),
    ("layers.Conv2D(4, 1, data_format='channels_first')", [(5, 8, 8)], "one"),
    ("layers.Conv3D(2, 2)", [(4, 4, 4, 3)], "one"),
    ("layers.Conv1DTranspose(5, 4)", [(10, 3)], "one"),
    ("layers.Conv2DTranspose(8, 3, strides=2)", [(6, 6, 4)], "one"),
    ("layers.Conv3DTranspose(2, (1, 2, 3))", [(3, 3, 3, 5)], "one"),
    ("layers.DepthwiseConv1D(3, depth_multiplier=2)", [(10, 4)], "one"),
    ("layers.DepthwiseConv2D(3)", [(8, 8, 6)], "one"),
    ("layers.SeparableConv1D(7, 5)", [(12, 3)], "one"),
    ("layers.SeparableConv2D(4, 3, depth_multiplier=3, use_bias=False)", [(9, 9, 2)], "one"),
    ("layers.BatchNormalization()", [(10,)], "one"),
    ("layers.BatchNormalization(axis=1, scale=False)", [(6, 4, 4)], "one"),
    ("layers.LayerNormalization()", [(7, 5)], "one"),
    ("layers.LayerNormalization(axis=[1, 2], center=False)", [(3, 5)], "one"),
    ("layers.GroupNormalization(groups=2)", [(8, 8, 6)], "one"),
    ("layers.RMSNormalization()", [(4, 6)], "one"),
    ("layers.UnitNormalization()", [(4,)], "one"),
    ("layers.Normalization()", [(5,)], "one"),
    ("layers.Normalization(axis=None)", [(5,)], "one"),
    ("layers.Normalization(mean=2.0, variance=3.0)", [(5,)], "one"),
    ("layers.PReLU()", [(3, 5)], "one"),
    ("layers.PReLU(shared_axes=[1, 2])", [(4, 4, 3)], "one"),
    ("layers.SimpleRNN(6)", [(5, 3)], "one"),
    ("layers.LSTM(8, return_sequences=True)", [(7, 4)], "one"),
    ("layers.LSTM(3, use_bias=False)", [(7, 4)], "one"),
    ("layers.GRU(5)", [(6, 2)], "one"),
    ("layers.GRU(5, reset_after=False)", [(6, 2)], "one"),
    ("layers.RNN(layers.LSTMCell(4))", [(3, 5)], "one"),
    ("layers.RNN([layers.GRUCell(4), layers.SimpleRNNCell(2)])", [(3, 5)], "one"),
    ("layers.RNN(layers.StackedRNNCells([layers.LSTMCell(3), layers.LSTMCell(2)]))", [(3, 5)], "one"),
    ("layers.Bidirectional(layers.LSTM(4))", [(3, 5)], "one"),
    ("layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode='sum')", [(4, 2)], "one"),
    ("layers.TimeDistributed(layers.Dense(4))", [(3, 5)], "one"),
    ("layers.TimeDistributed(layers.Conv2D(2, 3))", [(3, 6, 6, 1)], "one"),
    ("layers.ConvLSTM1D(3, 2)", [(4, 8, 2)], "one"),
    ("layers.ConvLSTM2D(4, 3)", [(2, 8, 8, 3)], "one"),
    ("layers.MultiHeadAttention(2, 3)", [(4, 6), (5, 7)], "args"),
    ("layers.MultiHeadAttention(num_heads=4, key_dim=2, value_dim=5, output_shape=3)", [(4, 6), (5, 7)], "args"),
    ("layers.MultiHeadAttention(2, 4, use_bias=False)", [(4, 6), (4, 6), (4, 8)], "args"),
    ("layers.Attention()", [(3, 4), (3, 4)], "list"),
    ("layers.Attention(use_scale=True, score_mode='concat')", [(3, 4), (5, 4)], "list"),
    ("layers.AdditiveAttention()", [(3, 4), (5, 4)], "list"),
    ("layers.AdditiveAttention(use_scale=False)", [(3, 4), (5, 4)], "list"),
    # layers without weights
    ("layers.Dropout(0.5)", [(4,)], "one"),
    ("layers.SpatialDropout2D(0.1)", [(4, 4, 2)], "one"),
    ("layers.GaussianNoise(0.1)", [(4,)], "one"),
    ("layers.Flatten()", [(3, 4)], "one"),
    ("layers.Reshape((2, 6))", [(3, 4)], "one"),
    ("layers.Permute((2, 1))", [(3, 4)], "one"),
    ("layers.RepeatVector(3)", [(4,)], "one"),
    ("layers.MaxPooling2D()", [(8, 8, 3)], "one"),
    ("layers.GlobalAveragePooling1D()", [(8, 3)], "one"),
    ("layers.UpSampling2D()", [(4, 4, 2)], "one"),
    ("layers.ZeroPadding1D(2)", [(4, 2)], "one"),
    ("layers.Cropping2D(1)", [(6, 6, 2)], "one"),
    ("layers.Activation('relu')", [(4,)], "one"),
    ("layers.LeakyReLU()", [(4,)], "one"),
    ("layers.Softmax()", [(4,)], "one"),
    ("layers.Masking()", [(3, 4)], "one"),
    ("layers.Rescaling(1 / 255)", [(8, 8, 3)], "one"),
    ("layers.Resizing(4, 4)", [(8, 8, 3)], "one"),
    ("layers.RandomFlip()", [(8, 8, 3)], "one"),
    ("layers.RandomRotation(0.1)", [(8, 8, 3)], "one"),
    ("layers.CenterCrop(4, 4)", [(8, 8, 3)], "one"),
    ("layers.Concatenate()", [(3,), (4,)], "list"),
    ("layers.Add()", [(3,), (3,)], "list"),
    ("layers.Dot(axes=1)", [(3,), (3,)], "list"),
    ("layers.Lambda(lambda t: t * 2)", [(3,)], "one"),
]


def _call(shapes: list[tuple[int, ...]], how: str) -> tuple[str, str]:
    inputs = [f"i{n} = keras.Input(shape={shape!r})" for n, shape in enumerate(shapes)]
    names = [f"i{n}" for n in range(len(shapes))]
    args = f"[{', '.join(names)}]" if how == "list" else ", ".join(names)
    model_inputs = names[0] if len(names) == 1 else f"[{', '.join(names)}]"
    return "\n".join(inputs), f"out = lay({args})\nmodel = keras.Model({model_inputs}, out)\n"


def _snippet(expr: str, shapes: list[tuple[int, ...]], how: str) -> str:
    inputs, call = _call(shapes, how)
    return f"{inputs}\nlay = {expr}\n{call}"


def _real_counts(source: str) -> tuple[int, int]:
    ns: dict[str, Any] = {}
    exec(compile(PREAMBLE + source, "<snippet>", "exec"), ns)
    layer = ns["lay"]
    trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    return int(layer.count_params()), trainable


def _model_and_table(source: str) -> tuple[Any, ModelTable]:
    """The real ``model`` of the snippet and the engine's table, whose totals must agree."""
    ns: dict[str, Any] = {}
    exec(compile(PREAMBLE + source, "<snippet>", "exec"), ns)
    model = ns["model"]
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    table = _engine_table(source)
    assert table is not None
    assert (table.total, table.trainable) == (model.count_params(), trainable), table.to_markdown()
    return model, table


def _engine_table(source: str) -> ModelTable | None:
    analysis = analyze_source(PREAMBLE + source)
    models = [f for f in analysis.facts if f.kind == "model" and f.name == "model"]
    assert models, "the engine records the model"
    return models[-1].model_table()


@pytest.mark.parametrize(("expr", "shapes", "how"), CASES, ids=[c[0] for c in CASES])
def test_layer_parameter_count_matches_keras(expr: str, shapes: list[tuple[int, ...]], how: str) -> None:
    source = _snippet(expr, shapes, how)
    total, trainable = _real_counts(source)
    table = _engine_table(source)
    assert table is not None, f"no model table for\n{source}"
    assert (table.total, table.trainable) == (total, trainable), (
        f"engine {table.total} ({table.trainable} trainable) vs Keras {total} ({trainable} trainable)"
        f"\n{table.to_markdown()}\n--- snippet ---\n{source}"
    )


def test_unreadable_config_leaves_the_count_unknown() -> None:
    source = textwrap.dedent(
        """
        import sys
        units = int(sys.argv[0] != "")  # not a constant
        i0 = keras.Input(shape=(5,))
        lay = layers.Dense(units)
        out = lay(i0)
        model = keras.Model(i0, out)
        """
    )
    table = _engine_table(source)
    assert table is None or table.total is None


SEQUENTIAL = """
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3, activation="relu"),
    layers.BatchNormalization(),
    layers.MaxPooling2D(),
    layers.Conv2D(64, 3, activation="relu"),
    layers.GlobalAveragePooling2D(),
    layers.Dropout(0.3),
    layers.Dense(10, activation="softmax"),
])
"""

NESTED = """
encoder = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(4)], name="encoder")
inp = keras.Input(shape=(12,))
shared = layers.Dense(12)
a = shared(inp)
b = shared(layers.Dense(12)(inp))
code = encoder(layers.Add()([a, b]))
model = keras.Model(inp, layers.Dense(1)(code))
"""


@pytest.mark.parametrize("source", [SEQUENTIAL, NESTED], ids=["sequential", "nested-and-shared"])
def test_model_totals_match_keras(source: str) -> None:
    model, table = _model_and_table(source)
    # the same layers (a functional model lists its InputLayer, a Sequential does not)
    names = sorted(type(layer).__name__ for layer in model.layers)
    assert sorted(r.class_name for r in table.rows) == names, table.to_markdown()


FROZEN = """
base = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(3), layers.BatchNormalization()])
base.trainable = False
inp = keras.Input(shape=(8,))
dense = layers.Dense(4)
dense.trainable = False
model = keras.Model(inp, layers.Concatenate()([base(inp), dense(inp), layers.Dense(2, trainable=False)(inp)]))
"""

UNROLLED = """
x = inp = keras.Input(shape=(6,))
for width in (8, 4, 2):
    x = layers.Dense(width)(x)
model = keras.Sequential([keras.Input(shape=(6,))])
for width in [5, 3]:
    model.add(layers.Dense(width))
"""


CLONED = """
student = keras.Sequential([keras.Input(shape=(12, 12, 1)), layers.Conv2D(8, 3, strides=2),
                            layers.LeakyReLU(), layers.Flatten(), layers.Dense(10)])
student.trainable = False
model = keras.models.clone_model(student)
"""

ORIGINAL_OF_A_CLONE = """
model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4), layers.Dense(1)])
scratch = tf.keras.models.clone_model(model)
"""

CLONED_FUNCTIONAL = """
img = keras.Input(shape=(16, 16, 3), name="img")
t = keras.Input(shape=(8,))
shared = layers.Dense(8, name="shared")
a = shared(layers.GlobalAveragePooling2D()(layers.Conv2D(8, 3, padding="same")(img)))
head = keras.Sequential([layers.Dense(4)])
net = keras.Model([img, t], head(layers.Concatenate()([a, shared(layers.Dense(8)(t))])))
net.get_layer("shared").trainable = False
model = keras.models.clone_model(net)
"""

ORIGINAL_OF_A_FUNCTIONAL_CLONE = """
inp = keras.Input(shape=(6,))
model = keras.Model(inp, layers.Dense(2, name="out")(layers.Dense(4)(inp)))
ema = keras.models.clone_model(model)
ema.get_layer("out").trainable = False
"""


CUSTOM_LAYERS = """
class Cross(layers.Layer):
    def build(self, input_shape):
        dim = input_shape[-1]
        self.w = self.add_weight(shape=(dim, dim), initializer="glorot_uniform")
        self.b = self.add_weight(shape=(dim,), initializer="zeros")
        self.steps = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, x):
        return x @ self.w + self.b


class Block(layers.Layer):
    def __init__(self, units, heads=2, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(heads, units)
        self.ffn = keras.Sequential([layers.Dense(units * 2, activation="relu"), layers.Dense(units)])
        self.norms = [layers.LayerNormalization() for _ in range(2)]
        self.drop = layers.Dropout(0.1)
        self.spare = layers.Dropout(0.5)  # never called: no weights either way

    def call(self, x):
        h = self.norms[0](x + self.drop(self.att(x, x)))
        return self.norms[1](h + self.ffn(h))


class Frozen(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.proj = layers.Dense(3)
        self.scale = self.add_weight(shape=(3,), initializer="ones")

    def call(self, x):
        return self.proj(x) * self.scale


inp = keras.Input(shape=(6, 8))
x = Block(8)(Cross()(inp))
frozen = Frozen()
frozen.trainable = False
model = keras.Model(inp, frozen(layers.GlobalAveragePooling1D()(x)))
"""


SUBCLASSED = """
class Tower(keras.Model):
    def __init__(self):
        super().__init__()
        self.user = layers.Embedding(30, 8)
        self.item = layers.Embedding(50, 8)
        self.mlp = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(1)])
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, inputs):
        u, i = inputs["user"], inputs["item"]
        return self.mlp(layers.concatenate([self.user(u), self.item(i)]))


class Pair(keras.Model):
    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b

    def call(self, x):
        return self.a(x) + self.b(x)


model = Tower()
model({"user": np.zeros((2,), "int32"), "item": np.zeros((2,), "int32")})
pair = Pair(layers.Dense(3), layers.Dense(3, trainable=False))
pair(np.zeros((4, 5), "float32"))
"""

PAIR = SUBCLASSED.replace("model = Tower()", "tower = Tower()").replace("model({", "tower({").replace(
    "pair = Pair", "model = Pair").replace("pair(np", "model(np")


TIME_DISTRIBUTED_MODEL = """
encoder = keras.Sequential([keras.Input((12, 12, 3)), layers.Conv2D(8, 3), layers.Flatten(),
                            layers.Dense(16)])
inp = keras.Input((5, 12, 12, 3))
x = layers.TimeDistributed(encoder)(inp)
x = layers.TimeDistributed(layers.Dense(4, trainable=False))(x)
x = layers.Bidirectional(layers.LSTM(3, return_sequences=True, trainable=False))(x)
model = keras.Model(inp, layers.LSTM(8)(x))
"""

# a weightless model inside one whose trainable flags the engine cannot follow: still 0 of 0
ZERO_WEIGHTS_UNDER_UNKNOWN_FREEZING = """
augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
base = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3), layers.Conv2D(4, 3)])
for layer in base.layers[int(np.random.rand() > 2):]:
    layer.trainable = False
inp = keras.Input((16, 16, 3))
model = keras.Model(inp, augment(inp))
"""


@pytest.mark.parametrize(
    "source",
    [FROZEN, UNROLLED, CLONED, ORIGINAL_OF_A_CLONE, CLONED_FUNCTIONAL, ORIGINAL_OF_A_FUNCTIONAL_CLONE,
     CUSTOM_LAYERS, SUBCLASSED, PAIR, TIME_DISTRIBUTED_MODEL, ZERO_WEIGHTS_UNDER_UNKNOWN_FREEZING],
    ids=["frozen", "unrolled-loops", "clone-model", "original-of-a-clone", "clone-functional",
         "original-of-a-functional-clone", "custom-layers",
         "subclassed-model", "subclassed-model-of-given-layers", "time-distributed-model",
         "zero-weights-under-unknown-freezing"],
)
def test_trainable_split_and_loops_match_keras(source: str) -> None:
    _model_and_table(source)


@pytest.mark.parametrize(
    "source",
    [
        # layers added in a loop whose length the engine does not know
        "import sys\nmodel = keras.Sequential([keras.Input(shape=(4,))])\n"
        "for _ in range(len(sys.argv)):\n    model.add(layers.Dense(4))\n",
        # a layer added in one branch only
        "import sys\nmodel = keras.Sequential([keras.Input(shape=(4,))])\n"
        "if sys.argv:\n    model.add(layers.Dense(4))\nmodel.add(layers.Dense(1))\n",
        # pop() removes a layer
        "model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(4), layers.Dense(1)])\nmodel.pop()\n",
        # outputs picked by names the engine cannot read
        "import sys\nbase = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, name='d')])\n"
        "model = keras.Model(base.inputs, [base.get_layer(n).output for n in sys.argv[:0] + ['d']])\n",
    ],
    ids=["unknown-loop", "one-branch", "pop", "unreadable-outputs"],
)
def test_no_total_where_the_layers_are_uncertain(source: str) -> None:
    table = _engine_table(source)
    assert table is None or table.total is None, table.to_markdown()


@pytest.mark.parametrize(
    "source",
    [
        # a sublayer the custom layer keeps is also used on its own: Keras counts it once
        "shared = layers.Dense(4)\n"
        "class Wrap(layers.Layer):\n"
        "    def __init__(self, inner):\n"
        "        super().__init__()\n"
        "        self.inner = inner\n"
        "    def call(self, x):\n"
        "        return self.inner(x)\n"
        "inp = keras.Input(shape=(4,))\n"
        "model = keras.Model(inp, Wrap(shared)(shared(inp)))\n",
        # a weight whose shape the engine cannot read
        "import sys\n"
        "class W(layers.Layer):\n"
        "    def build(self, s):\n"
        "        self.w = self.add_weight(shape=(len(sys.argv), s[-1]))\n"
        "    def call(self, x):\n"
        "        return x\n"
        "inp = keras.Input(shape=(4,))\n"
        "model = keras.Model(inp, W()(inp))\n",
        # a weight added on a path that may not run
        "import sys\n"
        "class M(layers.Layer):\n"
        "    def build(self, s):\n"
        "        if sys.argv[0].endswith('x'):\n"
        "            self.w = self.add_weight(shape=(3,))\n"
        "    def call(self, x):\n"
        "        return x\n"
        "inp = keras.Input(shape=(4,))\n"
        "model = keras.Model(inp, M()(inp))\n",
    ],
    ids=["shared-sublayer", "unreadable-weight-shape", "weight-on-an-uncertain-path"],
)
def test_custom_layer_counts_left_unknown(source: str) -> None:
    """Where Keras' count of a custom layer is not certain, no total is claimed (and the real
    model is checked to build)."""
    ns: dict[str, Any] = {}
    exec(compile(PREAMBLE + source, "<snippet>", "exec"), ns)
    table = _engine_table(source)
    assert table is None or table.total is None, table.to_markdown()


def test_a_sequential_handed_to_unseen_code_has_no_table() -> None:
    source = (
        "import some_unseen_library\n"
        "model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])\n"
        "some_unseen_library.add_head(model)\n"
    )
    table = _engine_table(source)
    assert table is None or table.total is None


VARIABLES_AND_EXPLICIT_BUILD = """
class Scale(layers.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.table = keras.Variable(np.zeros((3, dim)), trainable=False)  # a tracked weight
        self.bias = keras.Variable(np.zeros((dim,)))
        self.plain = tf.Variable(tf.zeros((7,)))  # not tracked by Keras

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(self.dim,), initializer="ones")

    def call(self, x):
        return x * self.gamma + self.bias


class Block(layers.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(dim)
        self.scale = Scale(dim)

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.scale.build(input_shape)  # built here: the call below does not add weights again

    def call(self, x):
        return self.scale(self.dense(x))


inp = keras.Input(shape=(6,))
h = Block(6, name="block")(inp)
pos = layers.Embedding(4, 6)(ops.arange(4))
h = ops.expand_dims(h, 1) + pos  # ops between layers stay in the graph; pos is a constant
model = keras.Model(inp, layers.Dense(2)(h))
again = model.get_layer("block")(keras.Input(shape=(6,)))
"""


def test_keras_variables_explicit_builds_and_ops_between_layers() -> None:
    """A keras.Variable attribute is a weight (trainable or not; a tf.Variable is not), a
    sublayer built explicitly in build() is not built twice, and get_layer finds a layer
    before a keras.ops call or an operator on KerasTensors."""
    model, table = _model_and_table(VARIABLES_AND_EXPLICIT_BUILD)
    assert sorted(r.class_name for r in table.rows) == sorted(type(la).__name__ for la in model.layers)
    assert_agrees(VARIABLES_AND_EXPLICIT_BUILD, ["h", "again"])


ALIASED_AND_SHARED_VARIABLES = [
    """
class Scale(layers.Layer):
    def __init__(self, n):
        super().__init__()
        self.w = keras.Variable(ops.ones((n,)))
        self.w_alias = self.w
    def call(self, x):
        return x * self.w
inp = keras.Input((4,))
model = keras.Model(inp, Scale(4)(inp))
""",
    """
class Proj(layers.Layer):
    def __init__(self, w):
        super().__init__()
        self.w = w
    def call(self, x):
        return ops.matmul(x, self.w)
shared = keras.Variable(ops.ones((4, 4)))
inp = keras.Input((4,))
model = keras.Model(inp, Proj(shared)(Proj(shared)(inp)))
""",
    """
class Multi(layers.Layer):
    def __init__(self, n):
        super().__init__()
        self.ws = [keras.Variable(ops.ones((n,))) for _ in range(3)]
        setattr(self, "extra", keras.Variable(ops.ones((5,))))
        self.scale = keras.Variable(ops.ones((n,)))
    def call(self, x):
        return x * self.ws[0] * self.scale
inp = keras.Input((4,))
model = keras.Model(inp, Multi(4)(inp))
""",
]


@pytest.mark.parametrize("source", ALIASED_AND_SHARED_VARIABLES, ids=["alias", "shared", "containers"])
def test_variables_counted_once_or_left_unknown(source: str) -> None:
    """A variable under two names is one weight; one shared by two layers, or kept in a
    container or through setattr, leaves the count unknown rather than wrong."""
    ns: dict[str, Any] = {}
    exec(compile(PREAMBLE + textwrap.dedent(source), "<snippet>", "exec"), ns)
    table = _engine_table(textwrap.dedent(source))
    assert table is None or table.total is None or table.total == ns["model"].count_params()


BUILTIN_SUBCLASSES = """
class Doubled(layers.Dense):
    def __init__(self, n, **kwargs):
        super().__init__(n * 2, **kwargs)

class Scaled(layers.Dense):
    def call(self, inputs):
        return super().call(inputs) * 2.0

class Tempered(layers.MultiHeadAttention):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tau = keras.Variable(4.0, trainable=True)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        query = keras.ops.multiply(query, 1.0 / self.tau)
        scores = keras.ops.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        return keras.ops.einsum(self._combine_equation, scores, value), scores

inp = keras.Input((12, 32))
a = Doubled(8)(inp)
b = Scaled(5)(inp)
c = Tempered(num_heads=2, key_dim=16)(inp, inp)
model = keras.Model(inp, [a, b, c])
"""


def test_subclasses_of_built_in_layers_use_the_built_in_rule_and_weights() -> None:
    """A subclass of Dense or MultiHeadAttention that keeps the built-in call (or calls it
    through super()) computes what the built-in layer does with the arguments its __init__
    passed on, and has the built-in layer's weights (plus its own)."""
    assert_agrees(BUILTIN_SUBCLASSES, ["a", "b", "c"])
    _model_and_table(BUILTIN_SUBCLASSES)


FROZEN_THROUGH_MODEL_LAYERS = """
inp = keras.Input(shape=(8,), name="features")
h = layers.Dense(16, activation="relu")(inp)
h = layers.BatchNormalization()(h)
encoder = keras.Model(inp, layers.Dense(4)(h))
for layer in encoder.layers:  # the InputLayer comes first: freezing it changes nothing
    layer.trainable = False
encoder.layers[-1].trainable = True
x = keras.Input(shape=(8,))
model = keras.Model(x, layers.Dense(3)(encoder(x)))
"""


def test_freezing_through_model_layers_keeps_the_counts() -> None:
    """``for layer in encoder.layers: layer.trainable = False`` walks the InputLayer first;
    it has no weights, so the trainable count stays exact."""
    _model_and_table(FROZEN_THROUGH_MODEL_LAYERS)


FROM_CONFIG = """
inp = keras.Input(shape=(6,))
base = keras.Model(inp, layers.Dense(2)(layers.Dense(5, activation="relu")(inp)))
model = keras.Model.from_config(base.get_config())
seq = keras.Sequential([keras.Input((3,)), layers.Dense(4)])
twin = keras.Sequential.from_config(seq.get_config())
out = twin(keras.Input((3,)))
"""

EDITED_CONFIG = """
inp = keras.Input(shape=(6,))
base = keras.Model(inp, layers.Dense(2)(inp))
cfg = base.get_config()
cfg["layers"][1]["config"]["units"] = 7
model = keras.Model.from_config(cfg)
out = model(keras.Input((6,)))
"""


def test_model_rebuilt_from_its_config() -> None:
    """``Model.from_config(m.get_config())`` is a fresh copy of ``m``; a config kept in a
    variable may be edited first, so the engine claims nothing about what it builds."""
    _model_and_table(FROM_CONFIG)
    assert_agrees(FROM_CONFIG, ["out"])
    assert_agrees(EDITED_CONFIG, ["out"], require_exact=False)
    analysis = analyze_source(PREAMBLE + EDITED_CONFIG)
    tables = [f.model_table() for f in analysis.facts if f.kind == "model" and f.name == "model"]
    assert all(t is None or t.total is None for t in tables)


SEQUENTIAL_THAT_FAILS_TO_BUILD = """
model = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
try:
    broken = keras.Sequential([keras.Input((28, 28)), layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(2)])
except ValueError:
    broken = None
"""


def test_a_sequential_whose_constructor_raises_records_nothing_after_the_failure() -> None:
    """Keras builds a Sequential with an Input as it is made: a layer that fails there raises in
    the constructor and the layers after it are never built, so the engine shows no outputs for
    them (a join of unknowns would say nothing useful)."""
    _model_and_table(SEQUENTIAL_THAT_FAILS_TO_BUILD)
    analysis = analyze_source(PREAMBLE + SEQUENTIAL_THAT_FAILS_TO_BUILD)
    lines = PREAMBLE.count("\n") + 4
    after = [f for f in analysis.facts if f.kind == "layer" and f.span.line == lines]
    assert all(f.shape.dims is not None for f in after), after
    assert not [i for i in analysis.issues if i.severity == "error"]


MODEL_SUBCLASS_FROM_ITS_CONFIG = """
class Wrapper(keras.Model):
    def __init__(self, backbone, alpha=0.4, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.alpha = alpha

    def call(self, x):
        return self.backbone(x) * self.alpha

    def get_config(self):
        cfg = super().get_config()
        cfg.update(backbone=keras.saving.serialize_keras_object(self.backbone), alpha=self.alpha)
        return cfg

    @classmethod
    def from_config(cls, config):
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)


inp = keras.Input((5,))
original = Wrapper(keras.Model(inp, layers.Dense(3)(layers.Dense(8)(inp))), alpha=0.5)
original(np.zeros((2, 5), "float32"))
model = Wrapper.from_config(original.get_config())
out = model(np.zeros((4, 5), "float32"))
"""


def test_a_model_subclass_rebuilt_from_its_config() -> None:
    """``super().get_config()`` of a keras.Model subclass is the base layer config; a
    serialized functional backbone deserializes to a fresh copy of it."""
    _model_and_table(MODEL_SUBCLASS_FROM_ITS_CONFIG)
    assert_agrees(MODEL_SUBCLASS_FROM_ITS_CONFIG, ["out"])


SHARED_FREEZE = """
inp = keras.Input((28, 28, 1))
x = layers.Conv2D(8, 3, padding="same", name="c1")(inp)
x = layers.MaxPooling2D(name="p1")(x)
x = layers.Conv2D(16, 3, padding="same", name="c2")(x)
x = layers.MaxPooling2D(name="p2")(x)
emb = layers.Dense(32, name="emb")(layers.Flatten()(x))
model = keras.Model(inp, layers.Dense(3, name="head")(emb))
manual = np.zeros((4, 28, 28, 1), "float32")
for name in ["c1", "p1", "c2", "p2"]:
    manual = model.get_layer(name)(manual)
tap = model.get_layer("p2").output
trunk = keras.Model(model.input, tap)
trunk.trainable = {flag}
probe_in = keras.Input((28, 28, 1))
probe = keras.Model(probe_in, layers.Dense(2)(layers.GlobalAveragePooling2D()(trunk(probe_in))))
"""


@pytest.mark.parametrize("flag", ["False", "True"])
def test_freezing_a_model_freezes_the_layers_it_shares(flag: str) -> None:
    """``trunk.trainable = False`` sets the flag on every layer of the trunk, which the full
    model shares: its count moves too. ``layer.output`` is the first symbolic call's output,
    whatever eager calls came after."""
    _model_and_table(SHARED_FREEZE.format(flag=flag))
    for name in ("trunk", "probe"):
        src = SHARED_FREEZE.format(flag=flag) + f"model = {name}\n"
        _model_and_table(src)
    assert_agrees(SHARED_FREEZE.format(flag=flag), ["tap"])
    assert_agrees(SHARED_FREEZE.format(flag=flag), ["manual"], require_exact=False)


NESTED_FREEZE = """
inner = keras.Sequential([keras.Input((3,)), layers.Dense(3), layers.Dense(3)])
outer = keras.Sequential([keras.Input((3,)), inner, layers.Dense(1)])
outer.trainable = False
inner.layers[0].trainable = True
model = inner
"""


def test_freezing_an_outer_model_freezes_a_nested_one() -> None:
    _model_and_table(NESTED_FREEZE)
    _model_and_table(NESTED_FREEZE.replace("model = inner", "model = outer"))


FUNCTIONAL_SUBCLASSES = {
    "train-step-only": """
class Masked(keras.Model):
    def train_step(self, data):
        return {}

inp = keras.Input((18,))
model = Masked(inp, layers.Dense(4)(layers.Dense(64, activation="relu")(inp)), name="q")
""",
    "frozen-then-nested": """
class Masked(keras.Model):
    def test_step(self, data):
        return {}

inp = keras.Input((6,))
base = Masked(inp, layers.Dense(5)(inp))
base.trainable = False
x = keras.Input((6,))
model = keras.Model(x, layers.Dense(2)(base(x)))
""",
    "own-init": """
class Built(keras.Model):
    def __init__(self, **kwargs):
        i = keras.Input((5,))
        super().__init__(inputs=i, outputs=layers.Dense(7)(i), **kwargs)

model = Built()
""",
    "cloned": """
class Masked(keras.Model):
    def train_step(self, data):
        return {}

inp = keras.Input((10,))
h = layers.BatchNormalization()(layers.Dense(8)(inp))
original = Masked(inp, layers.Dense(3)(h))
original.layers[1].trainable = False
model = keras.models.clone_model(original)
""",
}


FUNCTIONAL_SUBCLASSES["graph-layer-kept-too"] = """
class Kept(keras.Model):
    def __init__(self, **kwargs):
        inp = keras.Input((8,))
        first = layers.Dense(4)
        super().__init__(inp, layers.Dense(5)(first(inp)), **kwargs)
        self.first = first

model = Kept()
"""

GRAPH_AND_OTHER_LAYERS = {
    "attribute-layer-outside-the-graph": """
class Extra(keras.Model):
    def __init__(self, **kwargs):
        inp = keras.Input((8,))
        super().__init__(inp, layers.Dense(4)(inp), **kwargs)
        self.aux = layers.Dense(3)
        self.aux.build((None, 8))

model = Extra()
""",
    "layers-in-a-dict-filled-by-a-loop": """
import sys

class Heads(keras.Model):
    def __init__(self, k, **kwargs):
        inp = keras.Input((8,))
        super().__init__(inp, layers.Dense(4)(inp), **kwargs)
        self.heads = {}
        for i in range(k):
            self.heads[f"h{i}"] = layers.Dense(3)
            self.heads[f"h{i}"].build((None, 8))

model = Heads(len(sys.argv))
""",
}


@pytest.mark.parametrize("source", GRAPH_AND_OTHER_LAYERS.values(), ids=GRAPH_AND_OTHER_LAYERS.keys())
def test_a_graph_subclass_with_other_layers_in_attributes_is_not_counted(source: str) -> None:
    """Keras counts the graph's layers and the ones kept only in attributes; the engine does
    not follow which are which there, so it claims no total (before, the attribute walk
    counted the attribute layers alone)."""
    table = _engine_table(source)
    assert table is None or table.total is None, table.to_markdown()


@pytest.mark.parametrize("source", FUNCTIONAL_SUBCLASSES.values(), ids=FUNCTIONAL_SUBCLASSES.keys())
def test_a_model_subclass_made_from_inputs_and_outputs_counts_its_graph(source: str) -> None:
    """``Sub(inputs, outputs)`` of a keras.Model subclass that only overrides steps is a
    functional model: its weights are its graph's, and ``clone_model`` copies that graph."""
    _model_and_table(source)


PASS_THROUGH_CUSTOM_LAYER = """
class AddsKL(layers.Layer):
    def call(self, inputs):
        mu, log_var = inputs
        self.add_loss(ops.mean(ops.exp(log_var) - log_var + ops.square(mu)))
        return mu, log_var

x_in = keras.Input((8,))
mu, log_var = AddsKL()([layers.Dense(6)(x_in), layers.Dense(6)(x_in)])
model = keras.Model(x_in, [mu, log_var])
a, b = model(x_in)
"""


def test_a_custom_layer_that_returns_its_inputs_gives_new_outputs() -> None:
    """A symbolic call of a layer whose ``call`` hands back its inputs still makes new tensors
    (the graph gets the layer as a node); the model keeps the layers before it."""
    _model_and_table(PASS_THROUGH_CUSTOM_LAYER)
    assert_agrees(PASS_THROUGH_CUSTOM_LAYER, ["a", "b"])
    analysis = analyze_source(PREAMBLE + PASS_THROUGH_CUSTOM_LAYER)
    assert not [i for i in analysis.issues if i.code == "analysis-limit"]
