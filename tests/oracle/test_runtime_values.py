"""Differential tests, against real TensorFlow/Keras, of what the engine knows about values that
exist at run time but that no literal spells out:

- the batches iterating a dataset gives (``for x in ds.take(1)``, ``next(iter(ds))``): the
  element spec says None for the batch axis, the tensors have the real size;
- Python scalars of known type but unknown value (``enumerate`` indices, dict values,
  ``random.randrange``, ``len`` of something of unknown length, f-strings), so that
  ``np.array([lookup[w] for w in words])`` keeps its length and dtype;
- ``isinstance`` on values whose Python type is certain;
- a functional model that is one straight chain: ``model.layers[i]`` is the i-th layer;
- a subclass's ``train_step``/``call`` run by ``fit``: traced on batches of ``batch_size`` when
  every batch has that size.
"""

from __future__ import annotations

import pytest

from oracle.harness import run_engine
from oracle.op_cases import agree

DATASETS = [
    # (source rows, batch call, iteration, whether every batch seen has the same rows)
    ("64", ".batch(16)", "for x in ds.take(1):\n    pass\n", True),
    ("64", ".batch(16)", "for x in ds:\n    pass\n", True),
    ("70", ".batch(16)", "for x in ds:\n    pass\n", False),
    ("70", ".batch(16)", "for x in ds.take(2):\n    pass\n", True),
    ("70", ".batch(16)", "for x in ds.skip(4):\n    pass\n", True),
    ("70", ".batch(16)", "for x in ds.skip(2).take(1):\n    pass\n", True),
    ("10", ".batch(16)", "x = next(iter(ds))\n", True),
    ("70", ".batch(16, drop_remainder=True)", "for x in ds:\n    pass\n", True),
    ("64", ".shuffle(8).batch(16).prefetch(2).repeat()", "for x in ds.take(3):\n    pass\n", True),
    ("64", ".batch(16).map(lambda t: t * 2.0)", "for x in ds.take(1):\n    pass\n", False),
    ("64", ".batch(16)", "x = list(ds)[0]\n", True),
    ("64", ".batch(16)", "x = next(ds.as_numpy_iterator())\n", True),
    ("64", ".batch(16).enumerate()", "for i, x in ds.take(1):\n    pass\n", True),
    ("64", ".batch(8).unbatch().batch(32)", "for x in ds.take(1):\n    pass\n", False),
]


@pytest.mark.parametrize(("rows", "chain", "loop", "uniform"), DATASETS)
def test_iterating_a_batched_dataset(rows: str, chain: str, loop: str, uniform: bool) -> None:
    src = (
        f"data = np.zeros(({rows}, 3), dtype=np.float32)\n"
        f"ds = tf.data.Dataset.from_tensor_slices(data){chain}\n" + loop
    )
    # the engine must know the rows where every batch has them (a map may change the rows,
    # and after unbatch the count is not followed: there it may stay unknown)
    agree(src, ["x"], exact=uniform)


def test_a_dataset_map_function_sees_the_spec_not_the_batches() -> None:
    src = (
        "seen = []\n"
        "def f(t):\n"
        "    seen.append(t.shape[0])\n"
        "    return tf.reshape(t, (-1,))\n"
        "ds = tf.data.Dataset.from_tensor_slices(np.zeros((64, 3), np.float32)).batch(16).map(f)\n"
        "spec = ds.element_spec\n"
        "for x in ds.take(1):\n"
        "    pass\n"
    )
    agree(src, ["x"], exact=False)


def test_typed_unknown_scalars_keep_array_lengths_and_dtypes() -> None:
    src = (
        "import random\n"
        "ids = np.random.randint(1000, 1020, size=64)\n"
        "uniq = list(dict.fromkeys(ids.tolist()))\n"
        "encode = {x: i for i, x in enumerate(uniq)}\n"
        "col = np.array([encode[u] for u in ids])\n"
        "n = len(encode)\n"
        "names = [f'item{i}' for i in range(n)]\n"
        "labels = np.array([''.join(random.choice('abc') for _ in range(3)) for _ in range(12)])\n"
        "row = np.zeros((8, 5))[random.randrange(8)]\n"
        "scaled = np.array([float(v) * 0.5 for v in ids])\n"
        "counts = np.array([len(w) for w in ['a', 'bb'] * int(np.random.rand() * 3 + 1)])\n"
        "half = np.zeros((64, 2))[: int(0.5 * col.shape[0])]\n"
    )
    agree(src, ["col", "labels", "row", "scaled", "half"])
    agree(src, ["counts"], exact=False)


def test_isinstance_on_certain_types() -> None:
    src = (
        "t = tf.zeros((4, 3))\n"
        "pair = (t, t)\n"
        "a = t[0] if isinstance(t, tuple) else t\n"
        "b = pair[0] if isinstance(pair, tuple) else pair\n"
        "c = t if isinstance(3, (int, float)) else None\n"
        "d = tf.zeros((2,)) if isinstance(np.float64(1.0), float) else tf.zeros((5,))\n"
    )
    agree(src, ["a", "b", "c"])
    # numpy's float64 scalars are Python floats, which the engine does not tell from 0-d arrays
    agree(src, ["d"], exact=False)


def test_model_layers_of_a_straight_chain() -> None:
    src = (
        "inp = keras.Input((12, 12, 3))\n"
        "h = keras.layers.Conv2D(8, 3)(inp)\n"
        "h = keras.layers.Conv2D(4, 3, padding='same')(h)\n"
        "h = keras.layers.Flatten()(h)\n"
        "out = keras.layers.Dense(2)(h)\n"
        "model = keras.Model(inp, out)\n"
        "img = np.zeros((1, 12, 12, 3), np.float32)\n"
        "first = model.layers[1](img)\n"
        "second = model.layers[-3](model.layers[-4](img))\n"
        "count = len(model.layers)\n"
    )
    agree(src, ["first", "second"])


def test_model_layers_skip_the_ops_between_layers() -> None:
    # Keras lists layers only: x[:, 0], x * 2.0 and keras.ops calls between them are no entries
    src = (
        "inp = keras.Input((5, 4))\n"
        "h = keras.layers.Dense(3)(inp)\n"
        "h = keras.layers.LayerNormalization()(h * 2.0)\n"
        "cls = h[:, 0]\n"
        "out = keras.ops.relu(keras.layers.Dense(2)(cls))\n"
        "model = keras.Model(inp, out)\n"
        "normed = model.layers[2].output\n"
        "head = model.layers[3].output\n"
        "embed = keras.Model(model.input, model.layers[2].output)\n"
        "tokens = embed(np.zeros((4, 5, 4), np.float32))\n"
    )
    agree(src, ["normed", "head", "tokens"])
    branching = (
        "inp = keras.Input((5, 4))\n"
        "h = keras.layers.Dense(3)(inp)\n"
        "g = keras.layers.Dense(3)(inp)\n"
        "out = keras.layers.Dense(2)(h + g)\n"
        "model = keras.Model(inp, out)\n"
        "third = model.layers[2].output\n"
    )
    agree(branching, ["third"], exact=False)


def test_model_layers_of_a_branching_graph_are_not_guessed() -> None:
    src = (
        "inp = keras.Input((6,))\n"
        "a = keras.layers.Dense(4)(inp)\n"
        "b = keras.layers.Dense(5)(inp)\n"
        "out = keras.layers.Concatenate()([a, b])\n"
        "model = keras.Model(inp, out)\n"
        "third = model.layers[2](np.zeros((2, 6), np.float32))\n"
    )
    agree(src, ["third"], exact=False)


@pytest.mark.parametrize(
    ("rows", "batch", "how"),
    [(64, 16, "array"), (70, 16, "array"), (12, 32, "array"), (64, 16, "dataset"), (48, None, "array")],
)
def test_subclass_call_sees_the_fit_batches(rows: int, batch: int | None, how: str) -> None:
    size = "" if batch is None else f", batch_size={batch}"
    data = (
        f"x = np.zeros(({rows}, 3), np.float32)\ny = np.zeros(({rows}, 1), np.float32)\n"
        if how == "array"
        else f"ds = tf.data.Dataset.from_tensor_slices((np.zeros(({rows}, 3), np.float32), "
        f"np.zeros(({rows}, 1), np.float32))).batch({batch})\n"
    )
    fit = f"net.fit(x, y, epochs=1, verbose=0{size})\n" if how == "array" else "net.fit(ds, epochs=1, verbose=0)\n"
    src = (
        "seen = {}\n"
        "class Net(keras.Model):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.body = keras.layers.Dense(1)\n"
        "    def call(self, inputs):\n"
        "        return self.body(inputs)\n"
        "    def train_step(self, data):\n"
        "        if isinstance(data, tuple):\n"
        "            data = data[0]\n"
        "        global stepped\n"
        "        stepped = self(data, training=True)\n"
        "        return {'out': tf.reduce_mean(stepped)}\n"
        "net = Net()\n"
        "net.compile(optimizer='adam', loss='mse')\n" + data + fit
    )
    agree(src, ["stepped"], exact=False)


def _gan_with_its_own_compile(compile_body: str) -> str:
    return (
        "class GAN(keras.Model):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.d = keras.layers.Dense(1)\n"
        "    def call(self, x):\n"
        "        return self.d(x)\n"
        "    def compile(self, d_optimizer):\n"
        + compile_body +
        "        self.d_optimizer = d_optimizer\n"
        "    def train_step(self, data):\n"
        "        return {'out': tf.reduce_mean(self(data))}\n"
        "gan = GAN()\n"
        "gan.compile(d_optimizer=keras.optimizers.Adam())\n"
        "gan.fit(np.zeros((8, 3), np.float32), epochs=1, verbose=0)\n"
        "done = tf.zeros((1,))\n"
    )


def test_super_compile_in_an_overridden_compile_is_a_compile() -> None:
    agree(_gan_with_its_own_compile("        super().compile()\n"), ["done"])


def test_an_overridden_compile_without_super_compile_is_caught() -> None:
    agree(_gan_with_its_own_compile(""), [])


def test_single_element_input_and_output_lists() -> None:
    """`Model(inputs=[x], outputs=[y])`, the U-Net tutorials' spelling: calls and predict take a
    bare array and give a single tensor (Keras 3)."""
    src = (
        "inputs = keras.Input((4,))\n"
        "outputs = layers.Dense(2)(inputs)\n"
        "model = keras.Model(inputs=[inputs], outputs=[outputs])\n"
        "p = model.predict(np.zeros((3, 4)), verbose=0)\n"
        "q = model(np.zeros((5, 4)))\n"
        "r = model([np.zeros((2, 4))])\n"
        "model.compile(optimizer='adam', loss='mse')\n"
        "model.fit(np.zeros((8, 4)), np.zeros((8, 2)), epochs=1, verbose=0)\n"
    )
    agree(src, ["p", "q", "r"])


ASSERTS = [
    # (statement, whether TF raises AssertionError)
    ("assert gen.output_shape == (None, 7, 7, 128)", True),
    ("assert gen.output_shape == (None, 11, 11, 128)", False),
    ("assert x.shape == (4, 3)", False),
    ("assert x.shape[0] == 5", True),
    ("assert len(x.shape) == 2", False),
    ("assert x.ndim == 3", True),
    ("assert e.shape[0] == 2", False),  # unknown: silent whatever it is
    # an eager tensor's unknown dim is an int however its shape is read, never None
    ("assert e.shape[0] is not None", False),
    ("assert keras.ops.shape(e)[0] is not None", False),
    ("assert np.shape(e)[0] is not None", False),
    ("if np.random.rand() > 2:\n    assert x.shape[0] == 5", False),
    ("def never():\n    assert x.shape[0] == 5", False),
    ("for n in range(int(np.random.rand())):\n    assert x.shape[1] == 4", False),
]


@pytest.mark.parametrize(("stmt", "fails"), ASSERTS)
def test_shape_assertions(stmt: str, fails: bool) -> None:
    """A shape assert that certainly fails is reported (assert-shape); one that holds, one the
    engine cannot decide, and one on a path that may not run stay quiet."""
    src = (
        "gen = keras.Sequential([keras.Input((100,)), layers.Dense(7 * 7 * 256), layers.Reshape((7, 7, 256)),\n"
        "                        layers.Conv2DTranspose(128, 5, padding='valid')])\n"
        "x = tf.zeros((4, 3))\n"
        "e = tf.constant(np.random.rand(int(np.random.rand() * 5), 3))\n" + stmt + "\n"
        "done = tf.zeros((1,))\n"
    )
    # `e` has a random length: TF may or may not raise, the engine must stay quiet either way
    random = "e.shape[0] ==" in stmt
    agree(src, [] if fails or random else ["done"], exact=False, catch=not random)
    from oracle.harness import run_engine

    flagged = any("assertion fails" in m for m in run_engine(src).errors)
    assert flagged == fails, run_engine(src).errors


def test_a_sequential_also_run_on_unseen_data_claims_no_batch_size() -> None:
    """A Sequential's layer line is where Keras runs its layers: when one of the runs is on
    data the engine cannot see (read from a file), the line must
    not claim the batch size of the runs it saw (it was (500, 8) here, while TF also ran it on
    other batch sizes)."""
    from oracle.harness import PREAMBLE, run_real
    from shapelens.core.analysis import analyze_source

    src = (
        "import os, tempfile\n"
        "mlp = keras.Sequential([layers.Dense(8)])\n"
        "path = os.path.join(tempfile.mkdtemp(), 'rows.npy')\n"
        "np.save(path, np.zeros((7, 1), np.float32))\n"
        "a = mlp(np.load(path))\n"
        "b = mlp.predict(np.zeros((500, 1), np.float32), batch_size=512, verbose=0)\n"
    )
    assert run_real(src).error is None
    line = PREAMBLE.count("\n") + 2
    facts = [f for f in analyze_source(PREAMBLE + src).facts if f.kind == "layer" and f.span.line == line]
    assert facts and all(f.shape.dims in (None, (None, 8)) for f in facts), facts
    known_order = (
        "import os, tempfile\n"
        "mlp = keras.Sequential([layers.Dense(8)])\n"
        "b = mlp.predict(np.zeros((500, 1), np.float32), batch_size=512, verbose=0)\n"
        "path = os.path.join(tempfile.mkdtemp(), 'rows.npy')\n"
        "np.save(path, np.zeros((7, 1), np.float32))\n"
        "a = mlp(np.load(path))\n"
    )
    facts = [f for f in analyze_source(PREAMBLE + known_order).facts if f.kind == "layer" and f.span.line == line]
    assert facts and all(f.shape.dims in (None, (None, 8)) for f in facts), facts


def test_predict_runs_an_overridden_predict_step() -> None:
    """A subclass whose ``predict_step`` gathers rows of a fixed graph by index (the graph
    attention network pattern): predict calls the step with the index batches, never ``call``
    with them (calling ``call`` on the indices was a false alarm). One step: its own result;
    several: the row count depends on the step."""
    agree(
        """
        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.table = tf.constant(np.random.rand(60, 5).astype("float32"))
                self.head = layers.Dense(3)

            def call(self, x):
                return self.head(x)

            def predict_step(self, data):
                return tf.gather(self(self.table), data)

        net = Net()
        p = net.predict(np.arange(20), verbose=0)
        q = net.predict(np.arange(50), batch_size=16, verbose=0)
        """,
        ["p", "q"],
        exact=False,
    )
    from oracle.harness import run_engine

    values = run_engine(
        "class Net(keras.Model):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.table = tf.zeros((60, 5))\n"
        "        self.head = layers.Dense(3)\n"
        "    def call(self, x):\n"
        "        return self.head(x)\n"
        "    def predict_step(self, data):\n"
        "        return tf.gather(self(self.table), data)\n"
        "p = Net().predict(np.arange(20), verbose=0)\n"
    ).values
    assert values["p"].shape == (20, 3)


def test_a_callback_sees_the_model_fit_trains() -> None:
    """Keras gives a callback its model (``self.model``) and calls its hooks during fit: the
    shapes computed there are the model's own."""
    agree(
        """
        model = keras.Sequential([keras.Input((6, 3)), layers.LSTM(4, return_sequences=True), layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        seen = {}

        class Peek(keras.callbacks.Callback):
            def __init__(self, probe):
                super().__init__()
                self.probe = probe

            def on_epoch_end(self, epoch, logs=None):
                seen["pred"] = self.model(self.probe, training=False)
                seen["epoch"] = epoch

        model.fit(np.zeros((8, 6, 3)), np.zeros((8, 6, 1)), epochs=1, verbose=0,
                  callbacks=[Peek(np.zeros((2, 6, 3), "float32")), keras.callbacks.EarlyStopping(patience=1)])
        pred = seen["pred"]
        """,
        ["pred"],
    )


def test_a_callback_s_hooks_run_once_per_batch() -> None:
    """Snapshot ensembles: a callback counts steps on ``self`` and keeps weights every few
    batches. Keras calls the hook once per batch, so the snapshots list is not the empty one a
    single call leaves; stacking what it collected is no error."""
    src = """
        model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
        model.compile(optimizer="sgd", loss="mse")

        class Snapshots(keras.callbacks.Callback):
            def __init__(self, every):
                super().__init__()
                self.every = every
                self.step = 0
                self.kept = []

            def on_train_batch_end(self, batch, logs=None):
                self.step += 1
                if self.step % self.every == 0:
                    self.kept.append(self.model.get_weights()[0])

        cb = Snapshots(4)
        model.fit(np.zeros((64, 3)), np.zeros((64, 2)), batch_size=8, epochs=1, verbose=0, callbacks=[cb])
        outs = [model(np.zeros((5, 3), "float32")).numpy() for _ in cb.kept]
        stacked = np.stack(outs)
        kernels = np.stack(cb.kept)
        """
    agree(src, ["stacked", "kernels"], exact=False)
    assert not run_engine(src).errors


def test_callback_hooks_per_train_epoch_and_batch() -> None:
    """A review's counter-examples: state reset in ``on_train_begin`` and filled per epoch
    (the LossHistory pattern), the ``epoch``/``batch`` index a hook is given, and ``epochs=0``
    (no epoch hook runs)."""
    src = """
        m = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
        m.compile(optimizer="sgd", loss="mse")

        class LossHistory(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.losses = []
                self.last = 0

            def on_epoch_end(self, epoch, logs=None):
                self.losses.append(logs["loss"])
                self.last = epoch

        class Flag(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.flag = 0

            def on_epoch_end(self, epoch, logs=None):
                self.flag = 3

        hist, flag = LossHistory(), Flag()
        m.fit(np.zeros((8, 4)), np.zeros((8, 2)), epochs=4, verbose=0, callbacks=[hist])
        m.fit(np.zeros((8, 4)), np.zeros((8, 2)), epochs=0, verbose=0, callbacks=[flag])
        grid = np.array(hist.losses).reshape(2, 2)
        seen = np.zeros(hist.last + 1)
        none = np.zeros(flag.flag).reshape(0, 5)
        """
    agree(src, ["grid", "seen", "none"], exact=False)
    assert not run_engine(src).errors


def test_vocabularies_built_in_loops_keep_lookup_types() -> None:
    """``w2i[w] = len(w2i)`` over words read at run time: the keys are unknown, the values are
    ints, so ``np.array([w2i[w] for w in known_words])`` keeps its length."""
    agree(
        """
        text = " ".join(np.random.choice(["a", "b", "c", "d"], size=20).tolist())
        w2i = {"<pad>": 0}
        for w in sorted(set(text.split())):
            if w not in w2i:
                w2i[w] = len(w2i)
        ids = np.array([w2i[w] for w in text.split()[:5]], dtype="int32")
        size = np.zeros((len(w2i), 2))
        """,
        ["ids", "size"],
        exact=False,
    )
    from oracle.harness import run_engine

    values = run_engine(
        "w2i = {}\n"
        "for w in open('words.txt').read().split():\n"
        "    w2i[w] = len(w2i)\n"
        "ids = np.array([w2i[w] for w in ['a', 'b']], dtype='int32')\n"
    ).values
    assert values["ids"].shape == (2,)


@pytest.mark.parametrize(
    ("src", "names", "exact"),
    [
        # windows at random offsets that always fit: each is W long
        ("rng = np.random.default_rng(0)\nseries = np.zeros((300, 2), np.float32)\n"
         "starts = rng.integers(5, 300 - 24, size=40)\n"
         "X = np.stack([series[s:s + 16] for s in starts])\n"
         "Y = np.stack([series[s + 16:s + 24, 0] for s in starts])\n", ["X", "Y"], True),
        ("series = np.zeros((100,))\nidx = np.random.randint(0, 90, 30)\ntr = idx[:20]\n"
         "out = []\nfor i in tr:\n    out.append(series[i:i + 10])\nX = np.array(out)\n", ["X"], True),
        ("rng = np.random.default_rng(1)\nseries = np.zeros((50,))\n"
         "X = np.stack([series[s - 5:s] for s in rng.integers(5, 51, 8)])\n", ["X"], True),
        ("series = np.zeros((64, 3))\nX = np.stack([series[i:i + 4] for i in np.random.permutation(60)[:10]])\n"
         "Y = np.stack([series[j:j + 5] for j in np.random.choice(59, 6, replace=False)])\n", ["X", "Y"], True),
        # window starts from np.arange (with a step, reversed, shuffled): every value is known
        ("x = np.zeros((1000,))\nidx = np.arange(0, len(x) - 48 - 8 + 1, 2)\n"
         "X = np.stack([x[i:i + 48] for i in idx])[..., None]\n"
         "Y = np.stack([x[i + 48:i + 48 + 8] for i in idx])\n"
         "R = np.stack([x[i:i + 3] for i in np.arange(997, -1, -7)])\n"
         "P = np.stack([x[i:i + 5] for i in np.random.permutation(np.arange(990))[:12]])\n",
         ["X", "Y", "R", "P"], True),
        ("x = np.zeros((100,))\nX = [x[i:i + 10] for i in np.arange(0, 95, 5)]\nlast = X[-1]\n", ["last"], False),
        # a window that may run past the end is not claimed
        ("rng = np.random.default_rng(0)\nseries = np.zeros((300, 2), np.float32)\n"
         "starts = rng.integers(0, 295, size=40)\n"
         "X = [series[s:s + 16] for s in starts]\nfirst = X[0]\n", ["first"], False),
        # the loop variable used as a number too keeps its numpy type
        ("series = np.zeros((100,), np.float32)\nidx = np.random.randint(0, 90, 30)\n"
         "X = np.stack([series[i:i + 10] * i for i in idx])\n", ["X"], False),
    ],
)
def test_windows_at_random_offsets(src: str, names: list[str], exact: bool) -> None:
    """``series[s:s + W]`` for ``s`` drawn by ``integers(lo, hi)``: W long when ``hi + W`` stays
    inside the series; no claim otherwise, and no change to what ``s`` is elsewhere."""
    agree(src, names, exact=exact)
