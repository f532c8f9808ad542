"""How Keras 3 checks data against a functional model's inputs (trailing-1 squeeze, rank
adjustment), and that symbolic calls of built models do not re-check inner layers: the engine
must report exactly where TF raises and stay quiet everywhere else."""

import textwrap

import pytest

from oracle.harness import PREAMBLE, assert_agrees, compare, run_engine, run_real
from oracle.op_cases import agree
from shapelens.core.analysis import analyze_source

CASES = [
    ((28, 28, 1), (28, 28, 1)),
    ((28, 28, 1), (4, 28, 28, 2)),
    ((4, 4, 2), (8, 4, 4, 1)),
    ((4, 4, 2), (8, 4, 4, 3)),
    ((10,), (4, 5)),
    ((10,), (4, 10, 1)),
    ((10,), (4, 1, 10)),
    ((10,), (10,)),
    ((10, 1), (4, 10)),
    ((5, 3), (4, 5)),
    ((5, 3), (5, 3)),
    ((5, 3), (2, 5, 3, 1)),
    ((5, 3), (2, 6, 3)),
    ((28, 28, 3), (28, 28, 3)),
]


@pytest.mark.parametrize(("shape", "data"), CASES, ids=[f"{s}-{d}" for s, d in CASES])
@pytest.mark.parametrize("how", ["predict", "call"])
def test_functional_input_check(shape: tuple, data: tuple, how: str) -> None:
    call = "model.predict(x, verbose=0)" if how == "predict" else "model(x)"
    src = f"""
    inp = keras.Input(shape={shape})
    model = keras.Model(inp, layers.Flatten()(inp))
    x = np.zeros({data}, dtype="float32")
    out = {call}
    """
    real = run_real(src, ["out"])
    verdict = compare(src, ["out"], real)
    assert verdict.ok, verdict.detail
    if real.error is not None:
        assert run_engine(src).errors, f"TF raised {real.error!r} but the engine said nothing"


def test_symbolic_call_of_a_built_sequential_is_not_rechecked() -> None:
    src = """
    tower = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(16)])
    emb = tower(keras.Input((28, 28, 2)))
    """
    real = run_real(src, ["emb"])
    assert real.error is None
    assert not run_engine(src).errors


def test_reused_layer_is_checked_symbolically() -> None:
    src = """
    dense = layers.Dense(4)
    a = dense(keras.Input((10,)))
    b = dense(keras.Input((5,)))
    """
    assert run_real(src).error is not None
    assert run_engine(src).errors


def test_a_fixed_batch_size_survives_fit_and_predict() -> None:
    """A stateful model built for batches of 4, trained and run on 8 rows in steps of 4: its
    layers keep batch 4 (the engine used to blur it with the array's 8), predict returns 8."""
    src = """
    model = keras.Sequential([
        keras.Input(batch_shape=(4, 6, 3)),
        layers.LSTM(16, stateful=True, return_sequences=True),
        layers.Dense(1),
    ])
    model.compile(loss="mse", optimizer="adam")
    xs = np.zeros((8, 6, 3), dtype="float32")
    model.fit(xs, np.zeros((8, 6, 1), dtype="float32"), batch_size=4, epochs=1, shuffle=False, verbose=0)
    out = model.predict(xs, batch_size=4, verbose=0)
    """
    assert_agrees(src, ["xs", "out"])
    facts = analyze_source(PREAMBLE + textwrap.dedent(src)).facts
    layer_dims = {f.name: f.shape.dims for f in facts if f.kind == "layer"}
    assert layer_dims == {"LSTM": (4, 6, 16), "Dense": (4, 6, 1)}
    assert not run_engine(src).errors


SEQUENTIALS = {
    "input": "keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(3)])",
    "input_shape": "keras.Sequential([layers.Conv2D(4, 3, input_shape=(28, 28, 1)), layers.Flatten(), layers.Dense(3)])",
    "lazy": "keras.Sequential([layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(3)])",
    "dense": "keras.Sequential([keras.Input(shape=(10,)), layers.Dense(3)])",
}


@pytest.mark.parametrize("how", ["predict", "call"])
@pytest.mark.parametrize("data", ["(8, 28, 28)", "(8, 28, 28, 1)", "(8, 28, 28, 1, 1)", "(8, 784)", "(28, 28, 1)", "(8, 10, 1)", "(8, 5)"])
@pytest.mark.parametrize("model", list(SEQUENTIALS))
def test_sequential_input_rank_adjustment(model: str, data: str, how: str) -> None:
    """Keras 3 runs a Sequential with a known input through a functional model: a trailing
    axis of size 1 is added or dropped to fit; the engine must agree both ways."""
    call = "model.predict(x, verbose=0)" if how == "predict" else "model(x)"
    src = f"""
    model = {SEQUENTIALS[model]}
    x = np.zeros({data}, dtype="float32")
    out = {call}
    """
    verdict = compare(src, ["out"])
    assert verdict.ok, verdict.detail


def test_a_clone_of_a_functional_model_runs_like_the_original() -> None:
    """``clone_model`` of a functional model (an EMA copy in diffusion or mean-teacher code):
    new layers on the same graph, an operator step and a nested Sequential included."""
    assert_agrees(
        """
        img = keras.Input((16, 16, 3))
        t = keras.Input((8,))
        shared = layers.Dense(8)
        a = shared(layers.GlobalAveragePooling2D()(layers.Conv2D(8, 3, padding="same")(img)))
        head = keras.Sequential([layers.Dense(4)])
        net = keras.Model([img, t], [head(layers.Concatenate()([a, shared(t * 2.0)])), a])
        ema = keras.models.clone_model(net)
        y, emb = ema([np.zeros((5, 16, 16, 3), "float32"), np.zeros((5, 8), "float32")])
        sym = ema([keras.Input((16, 16, 3)), keras.Input((8,))])[0]
        """,
        ["y", "emb", "sym"],
    )


def test_a_clone_rebuilds_custom_layers_from_their_config() -> None:
    """``clone_model`` makes each custom layer again as ``cls.from_config(layer.get_config())``
    (blind DDPM script: an EMA copy of a U-Net with a timestep-embedding layer)."""
    assert_agrees(
        """
        class Scale(layers.Layer):
            def call(self, x):
                return x * 2.0

        class Embed(layers.Layer):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.dim = dim
            def call(self, t):
                return ops.repeat(ops.cast(t, "float32")[:, None], self.dim, axis=1)
            def get_config(self):
                cfg = super().get_config()
                cfg.update({"dim": self.dim})
                return cfg

        inp = keras.Input((4,))
        t_in = keras.Input((), dtype="int32")
        net = keras.Model([inp, t_in], layers.Concatenate()([Scale()(layers.Dense(3)(inp)), Embed(5)(t_in)]))
        copy = keras.models.clone_model(net)
        out = copy([np.zeros((2, 4), "float32"), np.zeros((2,), "int32")])
        """,
        ["out"],
    )


def test_a_clone_with_a_clone_function_is_unknown() -> None:
    verdict = assert_agrees(
        """
        inp = keras.Input((4,))
        plain = keras.Model(inp, layers.Dense(2)(inp))
        renamed = keras.models.clone_model(plain, clone_function=lambda layer: layer)
        other = renamed(np.zeros((3, 4), "float32"))
        """,
        ["other"],
        require_exact=False,
    )
    assert not verdict.exact


def test_a_sequential_run_on_unseen_data_claims_only_what_its_weights_fix() -> None:
    """A Sequential checks no input shape of its own: a feed-forward block built on length-5
    sequences runs on length-7 ones too. On data the engine cannot read, its layers' lines and
    its output keep only the sizes the built weights pin down (a Dense's units, the last axis
    a Dense or Conv2D was built for), not the sizes of the first call."""
    source = """
        import os, tempfile
        path = os.path.join(tempfile.mkdtemp(), "x.npy")
        np.save(path, np.zeros((1, 7, 3), "float32"))
        ffn = keras.Sequential([
            layers.Dense(8),
            layers.LayerNormalization(),
        ])
        a = ffn(np.zeros((2, 5, 3), "float32"))
        c = ffn(np.load(path))
        cnn = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(10)])
        np.save(path, np.zeros((2, 8, 8, 1), "float32"))
        q = cnn(np.load(path))
        """
    assert_agrees(source, ["a", "c", "q"], require_exact=False)
    engine = run_engine(source).values
    assert (engine["c"].shape, engine["q"].shape) == ((None, None, 8), (None, 10))
    layer_lines = {
        f.span.line: f.shape.dims
        for f in analyze_source(PREAMBLE + textwrap.dedent(source)).facts
        if f.kind == "layer" and f.name in ("Dense", "LayerNormalization")
    }
    first = PREAMBLE.count("\n") + 6  # the Dense(8) line of the snippet
    assert layer_lines[first] == (None, None, 8)
    assert layer_lines[first + 1] == (None, None, 8)
    flatten = next(f for f in analyze_source(PREAMBLE + textwrap.dedent(source)).facts if f.name == "Flatten")
    assert flatten.shape.dims == (None, 144)  # the Dense after it was built for 144 features


def test_a_model_with_dict_outputs_shows_what_all_its_outputs_share() -> None:
    """Keras may hand a model's dict of outputs back as built or rebuilt in sorted key order,
    so its call shows the join of the first output in each order (a PPO head's ``mean`` and
    ``log_std``, whatever its ``value``). When the keys are built in sorted order, both agree
    and the first output is shown."""
    source = """
        inp = keras.Input((6,))
        decomp = keras.Model(inp, {"trend": layers.Dense(4)(inp), "season": layers.Dense(4)(inp)})
        parts = decomp(np.zeros((3, 6), "float32"))
        trend = parts["trend"]
        mixed = keras.Model(inp, {"b": layers.Dense(4)(inp), "a": layers.Dense(2)(inp)})(np.zeros((3, 6), "float32"))
        ordered = keras.Model(inp, {"a": layers.Dense(4)(inp), "b": layers.Dense(2)(inp)})(np.zeros((3, 6), "float32"))
        first = ordered["a"]
        ppo = keras.Model(inp, {"mean": layers.Dense(2)(inp), "log_std": layers.Dense(2)(inp), "value": layers.Dense(1)(inp)})
        heads = ppo(np.zeros((8, 6), "float32"))
        """
    assert_agrees(source, ["trend", "first"])
    calls = {
        f.span.line - PREAMBLE.count("\n"): f.shape.dims
        for f in analyze_source(PREAMBLE + textwrap.dedent(source)).facts
        if f.kind == "layer" and f.name not in ("Dense",)
    }
    assert calls[4] == (3, 4)
    assert calls[6] == (3, None)
    assert calls[7] == (3, 4)
    assert calls[10] == (8, 2)


def test_a_sequential_with_an_input_checks_symbolic_calls_only() -> None:
    """A Sequential given an Input runs a symbolic call through the functional graph Keras
    built from it, which checks the input spec; an eager call is not checked, and a Sequential
    built on its first call is left alone (Keras checks a later symbolic call against the first
    one's shape; the engine does not claim that)."""
    seq = """
        m = keras.Sequential([layers.Input(shape=(41,)), layers.Embedding(100, 4), layers.GlobalAveragePooling1D(), layers.Dense(1)])
        """
    agree(seq + "y = m(keras.Input((40,)))\n", ["y"])
    agree(seq + "y = keras.Sequential([layers.Input((40,)), m])(np.zeros((2, 40)))\n", ["y"])
    agree(seq + "y = m(np.zeros((4, 40)))\n", ["y"])
    agree(seq + "y = m(keras.Input((None,)))\n", ["y"])
    agree(
        """
        m = keras.Sequential([layers.Embedding(100, 4), layers.GlobalAveragePooling1D(), layers.Dense(1)])
        a = m(keras.Input((41,)))
        y = m(keras.Input((40,)))
        """,
        ["a", "y"],
        exact=False,
        catch=False,  # Keras checks this one too; the engine leaves it to the first call
    )


def test_a_sequential_over_a_built_model_is_built_on_its_input() -> None:
    """Keras builds a Sequential whose first layer is a model with a known input (functional,
    or a Sequential built by a call, batch size and all) once it has a second layer: the layers
    after it run on that input, not on the first data given (the tutorial's
    ``Sequential([model, Softmax()])``). One model alone is built on its first call."""
    agree(
        """
        inp = keras.Input((3,))
        fm = keras.Model(inp, layers.Dense(2)(inp))
        log_layer = layers.Lambda(lambda t: tf.math.log(t + 1e-7))
        wrapped = keras.Sequential([fm, log_layer])
        first = log_layer.output
        out = wrapped(np.ones((2, 3), "float32"))
        s4 = keras.Sequential([layers.Dense(2)])
        y4 = s4(keras.ops.zeros((2, 3)))
        head = layers.Dense(5)
        s5 = keras.Sequential([s4, head])
        built_on = head.output
        out5 = s5(np.zeros((7, 3)))
        s7 = keras.Sequential()
        s7.add(fm)
        tail = layers.Dense(3)
        s7.add(tail)
        tail_out = tail.output
        alone_head = layers.Dense(4)
        alone = keras.Sequential([keras.Sequential([alone_head])])
        o_alone = alone(np.zeros((6, 3)))
        alone_out = alone_head.output
        """,
        ["first", "out", "built_on", "out5", "tail_out", "o_alone", "alone_out"],
    )


def test_models_with_ops_between_layers_replay_them_on_new_data() -> None:
    """keras.ops calls and operators on KerasTensors are graph nodes: calling the model on
    other data re-runs them (a reshape with -1 follows the new length), while a step with
    several outputs makes the call fall back to the batch-size rule."""
    assert_agrees(
        """
        inp = keras.Input((None, 16))
        h = layers.Dense(32)(inp)
        h = h + ops.ones((32,))
        h = ops.mean(h, axis=1)
        model = keras.Model(inp, layers.Dense(3)(h * 2.0))
        y = model(np.zeros((4, 10, 16), "float32"))
        z = model.predict(np.zeros((5, 7, 16), "float32"), verbose=0)
        inp2 = keras.Input((None, 8))
        g = ops.reshape(layers.Dense(8)(inp2), (-1, 4, 2))
        w = keras.Model(inp2, g)(np.zeros((3, 6, 8), "float32"))
        s = keras.Input((12, 4))
        parts = ops.split(s, 2, axis=1)
        q = keras.Model(s, layers.Dense(2)(parts[0] + parts[1]))(np.zeros((2, 12, 4), "float32"))
        """,
        ["y", "z", "w", "q"],
    )


def test_subscripts_of_keras_tensors_are_replayed_too() -> None:
    """``h[:, :3]`` is a node of the graph: a model whose reshape merges the batch with
    another axis before the slice gives the merged length on new data (review case)."""
    assert_agrees(
        """
        inp = keras.Input((4, 6))
        flat = ops.reshape(inp, (-1, 6))
        out = layers.Dense(2)(flat[:, :3])
        model = keras.Model(inp, out)
        y = model(np.ones((2, 4, 6), "float32"))
        p = model.predict(np.ones((3, 4, 6), "float32"), verbose=0)
        seq = keras.Input((5, 4))
        last = layers.Dense(3)(seq)[..., -1]
        firsts = layers.Dense(3)(seq)[0]
        z = keras.Model(seq, [last, firsts])(np.ones((2, 5, 4), "float32"))
        z0, z1 = z
        """,
        ["y", "p", "z0", "z1"],
    )


def test_builds_and_compiles_in_branches_are_not_certain() -> None:
    """A layer shared by functions called from two branches was built by one of them; a model
    compiled differently in two branches has one of two losses. Neither is reported; a
    mismatch with a build that certainly happened still is."""
    quiet = run_engine(
        """
        import os
        head = layers.Dense(5)
        def flat_head(x):
            return head(layers.Flatten()(x))
        def gap_head(x):
            return head(layers.GlobalAveragePooling2D()(x))
        inp = keras.Input((4, 4, 3))
        if os.environ.get("SHAPELENS_NO_SUCH_VAR") == "flat":
            y = flat_head(inp)
        else:
            y = gap_head(inp)
        w = head(keras.Input((3,)))

        model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
        if os.environ.get("SHAPELENS_NO_SUCH_VAR"):
            model.compile("adam", "sparse_categorical_crossentropy")
        else:
            model.compile("adam", "categorical_crossentropy")
        model.fit(np.zeros((16, 4), "float32"), np.zeros((16,), "int32"), epochs=1, verbose=0)
        """
    )
    assert quiet.errors == []
    flagged = run_engine(
        """
        head = layers.Dense(5)
        y = head(keras.Input((48,)))
        w = head(keras.Input((3,)))
        model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
        model.compile("adam", "categorical_crossentropy")
        model.fit(np.zeros((16, 4), "float32"), np.zeros((16,), "int32"), epochs=1, verbose=0)
        """
    )
    assert len(flagged.errors) == 2, flagged.errors


def test_a_subclass_fit_on_a_dataset_sees_its_batches_and_runs_compute_loss() -> None:
    """fit traces a subclass's call on the dataset's element spec, batch size included when
    drop_remainder fixes it, and calls its own compute_loss with x, y, the prediction and the
    sample weights."""
    assert_agrees(
        """
        import tensorflow as tf
        seen = {}

        class Head(keras.Model):
            def __init__(self):
                super().__init__()
                self.body = layers.Dense(4)
                self.teacher = layers.Dense(4)

            def call(self, inputs):
                seen["hidden"] = self.body(inputs["dense"])
                return seen["hidden"]

            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
                seen["teacher"] = self.teacher(x["dense"])
                seen["soft"] = tf.nn.softmax(y_pred / 2.0, axis=-1)
                return keras.ops.mean((y_pred - y) ** 2)

        f = {"dense": np.zeros((64, 13), "float32")}
        y = np.zeros((64, 4), "float32")
        ds = tf.data.Dataset.from_tensor_slices((f, y)).batch(16, drop_remainder=True)
        model = Head()
        model.compile(optimizer="sgd")
        model.fit(ds, epochs=1, verbose=0)
        hidden, teacher, soft = seen["hidden"], seen["teacher"], seen["soft"]
        """,
        ["hidden", "teacher", "soft"],
    )


def test_a_model_subclass_made_functional_through_its_keywords() -> None:
    """A ``keras.Model`` subclass with only a custom ``train_step`` and an ``__init__`` that
    hands ``**kwargs`` on: ``Sub(inputs=..., outputs=...)`` makes it a functional model, so
    calling it (and ``self(x)`` in its steps) runs the graph."""
    source = """
        class Recognizer(keras.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.tracker = keras.metrics.Mean(name="loss")

            def train_step(self, batch):
                x, y = batch
                logits = self(x, training=True)
                return {"loss": 0.0}

        inp = keras.Input((40, 8))
        out = layers.Dense(31)(layers.Dense(16)(inp))
        model = Recognizer(inputs=inp, outputs=out, name="rec")
        y = model(np.zeros((2, 40, 8), "float32"))
        p = model.predict(np.zeros((5, 40, 8), "float32"), verbose=0)
        """
    assert_agrees(source, ["y", "p"])


def test_a_subclass_returning_a_dict_shows_its_first_entry_as_built() -> None:
    """A keras.Model subclass's own ``call`` hands its dict back as it built it, so the call
    shows the first entry (``seg``), not a join with the first in sorted order (``aux``)."""
    source = """
        class Heads(keras.Model):
            def __init__(self):
                super().__init__()
                self.seg = layers.Conv2D(7, 1)
                self.aux = layers.Conv2D(7, 1, strides=8)

            def call(self, x):
                return {"seg": self.seg(x), "aux": self.aux(x)}

        model = Heads()
        outs = model(np.zeros((2, 64, 64, 3), "float32"))
        seg = outs["seg"]
        """
    assert_agrees(source, ["seg"])
    calls = [f for f in analyze_source(PREAMBLE + textwrap.dedent(source)).facts if f.kind == "layer" and f.name == "Heads"]
    assert calls and calls[0].shape.dims == (2, 64, 64, 7)


def test_a_functional_model_keeps_the_structure_of_its_inputs_and_outputs() -> None:
    # Keras 3: `.input`/`.output` are the structures given (a list of one stays a list), while
    # `input_shape`/`output_shape` unwrap a single entry
    assert_agrees(
        """
        a = keras.Input((3,))
        o = layers.Dense(2)(a)
        listed = keras.Model([a], [o])
        i0 = listed.input[0]
        o0 = listed.output[0]
        plain = keras.Model(a, o)
        i = plain.input
        o1 = plain.output
        mixed = keras.Model(a, [o])
        i2 = mixed.input
        o2 = mixed.output[0]
        shape_in = np.zeros(listed.input_shape[1:])
        shape_out = np.zeros(listed.output_shape[1:])
        """,
        ["i0", "o0", "i", "o1", "i2", "o2", "shape_in", "shape_out"],
    )


def test_validation_data_goes_through_the_model_s_own_test_step() -> None:
    # Keras runs the subclass's test_step on the validation batches, not its call on them
    src = textwrap.dedent("""
        class Clipped(keras.Model):
            def __init__(self):
                super().__init__()
                self.dense = layers.Dense(1)

            def call(self, x):
                return self.dense(x)

            def test_step(self, data):
                x, y = data
                return {"mean": ops.mean(self(x[:, :10]))}

        model = Clipped()
        model.compile("adam", "mse")
        model.fit(np.zeros((16, 10), "float32"), np.zeros((16, 1), "float32"), epochs=1, verbose=0,
                  validation_data=(np.zeros((8, 12), "float32"), np.zeros((8, 1), "float32")))
        out = model(np.zeros((2, 10), "float32"))
    """)
    real, eng = run_real(src, ["out"]), run_engine(src)
    assert real.error is None, real.error
    assert not eng.errors, eng.errors
