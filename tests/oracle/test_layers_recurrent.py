"""Differential tests for the recurrent layers and wrappers against real Keras."""

from __future__ import annotations

import random
import textwrap

import pytest

from oracle.harness import assert_agrees, run_engine, run_real

SIMPLE = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}
CELLS = {"SimpleRNNCell": 1, "LSTMCell": 2, "GRUCell": 1}


def assert_certain_error(source: str) -> None:
    real = run_real(source)
    assert real.error is not None, f"Keras accepted:\n{source}"
    engine = run_engine(source)
    assert engine.errors, f"engine silent where Keras raised {real.error!r}:\n{source}"


def agrees(source: str, names: list[str], quiet: bool = True) -> None:
    """assert_agrees on ``names``; each is also rebound on its own line (the harness reads only
    the first name of a tuple-unpacking target), and with ``quiet`` no engine error at all."""
    src = textwrap.dedent(source) + "".join(f"{n}_ = {n}\n" for n in names)
    if quiet:
        engine = run_engine(src)
        assert not engine.errors, f"{engine.errors}\n{src}"
    assert_agrees(src, [f"{n}_" for n in names])


def _targets(n_states: int, return_state: bool, prefix: str = "s") -> list[str]:
    return ["y", *(f"{prefix}{i}" for i in range(n_states))] if return_state else ["y"]


# ---------------------------------------------------------------------------------------------
# SimpleRNN / LSTM / GRU


@pytest.mark.parametrize("cls", list(SIMPLE))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_simple_recurrent_flags(cls: str, return_sequences: bool, return_state: bool) -> None:
    names = _targets(SIMPLE[cls], return_state)
    agrees(
        f"""
        x = keras.Input(shape=(7, 3))
        {", ".join(names)} = layers.{cls}(5, return_sequences={return_sequences}, return_state={return_state})(x)
        """,
        names,
    )


@pytest.mark.parametrize("seed", range(12))
def test_simple_recurrent_random(seed: int) -> None:
    rng = random.Random(4000 + seed)
    cls = rng.choice(list(SIMPLE))
    units = rng.randint(1, 9)
    steps = rng.choice([1, 4, 10, None])
    feats = rng.randint(1, 6)
    rs, st = rng.random() < 0.5, rng.random() < 0.5
    dtype = rng.choice(["", ", dtype='float64'", ", dtype='mixed_float16'"])
    idtype = rng.choice(["float32", "float64", "int32"])
    batch = rng.choice(["", ", batch_size=4"])
    names = _targets(SIMPLE[cls], st)
    agrees(
        f"""
        x = keras.Input(shape=({steps}, {feats}), dtype="{idtype}"{batch})
        {", ".join(names)} = layers.{cls}({units}, return_sequences={rs}, return_state={st}{dtype})(x)
        """,
        names,
    )


@pytest.mark.parametrize("cls", list(SIMPLE))
@pytest.mark.parametrize("shape", [(3,), (5, 3, 2)])
def test_simple_recurrent_rank(cls: str, shape: tuple[int, ...]) -> None:
    assert_certain_error(
        f"""
        x = keras.Input(shape={shape!r})
        y = layers.{cls}(4)(x)
        """
    )


@pytest.mark.parametrize("cls", list(SIMPLE))
def test_units_must_be_positive(cls: str) -> None:
    assert_certain_error(
        f"""
        x = keras.Input(shape=(5, 3))
        y = layers.{cls}(0)(x)
        """
    )


def test_undefined_features_not_claimed() -> None:
    src = """
    x = keras.Input(shape=(5, None))
    y = layers.LSTM(4)(x)
    """
    assert run_real(src).error is not None
    engine = run_engine(src)
    assert not engine.errors and (engine.values.get("y") is None or engine.values["y"].shape is None)


def test_stacked_lstm_model() -> None:
    agrees(
        """
        model = keras.Sequential([
            keras.Input(shape=(20, 8)),
            layers.LSTM(32, return_sequences=True),
            layers.GRU(16, return_sequences=True),
            layers.SimpleRNN(8),
            layers.Dense(1),
        ])
        y = model(keras.Input(shape=(20, 8)))
        x = keras.Input(shape=(None, 8))
        enc, h, c = layers.LSTM(16, return_state=True)(x)
        dec = layers.LSTM(16, return_sequences=True)(x, initial_state=[h, c])
        """,
        ["y", "enc", "h", "c", "dec"],
    )


def test_recurrent_eager() -> None:
    agrees(
        """
        y = layers.LSTM(4)(np.ones((2, 5, 3), dtype="int32"))
        z = layers.GRU(4, return_sequences=True)(np.ones((2, 5, 3)))
        """,
        ["y", "z"],
    )


# ---------------------------------------------------------------------------------------------
# RNN over cells


def _rnn_case(seed: int) -> tuple[str, list[str]]:
    rng = random.Random(5000 + seed)
    n = rng.randint(1, 3)
    cells = [(rng.choice(list(CELLS)), rng.randint(1, 6)) for _ in range(n)]
    cell_src = ", ".join(f"layers.{c}({u})" for c, u in cells)
    form = rng.choice(["single", "list", "stacked"]) if n == 1 else rng.choice(["list", "stacked"])
    if form == "single":
        arg = cell_src
        n_states = CELLS[cells[0][0]]
    elif form == "list":
        arg = f"[{cell_src}]"
        n_states = n
    else:
        arg = f"layers.StackedRNNCells([{cell_src}])"
        n_states = n
    rs, st = rng.random() < 0.5, rng.random() < 0.6
    steps = rng.choice([3, None])
    names = _targets(n_states, st)
    src = f"""
    x = keras.Input(shape=({steps}, 4))
    {", ".join(names)} = layers.RNN({arg}, return_sequences={rs}, return_state={st})(x)
    """
    # an LSTMCell inside a stack has a list of two states: bind each
    if st and form != "single":
        for i, (c, _u) in enumerate(cells):
            if c == "LSTMCell":
                src += f"s{i}h, s{i}c = s{i}\n"
                names += [f"s{i}h", f"s{i}c"]
                names.remove(f"s{i}")
    return src, names


@pytest.mark.parametrize("seed", range(12))
def test_rnn_cells_random(seed: int) -> None:
    src, names = _rnn_case(seed)
    agrees(src, names)


def test_rnn_positional_flags() -> None:
    agrees(
        """
        x = keras.Input(shape=(6, 4))
        y, h, c = layers.RNN(layers.LSTMCell(5), True, True)(x)
        """,
        ["y", "h", "c"],
    )


# ---------------------------------------------------------------------------------------------
# Bidirectional


@pytest.mark.parametrize("cls", list(SIMPLE))
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_state", [False, True])
def test_bidirectional_modes(cls: str, merge_mode: str | None, return_state: bool) -> None:
    n_out = 2 if merge_mode is None else 1
    outs = ["y", "y2"][:n_out]
    states = [f"s{i}" for i in range(2 * SIMPLE[cls])] if return_state else []
    names = outs + states
    agrees(
        f"""
        x = keras.Input(shape=(6, 3))
        {", ".join(names)}{"," if len(names) == 1 and merge_mode is None else ""} = layers.Bidirectional(
            layers.{cls}(4, return_sequences=True, return_state={return_state}), merge_mode={merge_mode!r}
        )(x)
        """,
        names,
    )


def test_bidirectional_misc() -> None:
    agrees(
        """
        x = keras.Input(shape=(None, 3))
        a = layers.Bidirectional(layers.LSTM(4))(x)
        b = layers.Bidirectional(layers.GRU(5), "sum")(x)
        c = layers.Bidirectional(layers.RNN(layers.LSTMCell(6)))(x)
        d = layers.Bidirectional(layers.LSTM(4), dtype="float64")(x)
        e = layers.Bidirectional(layers.LSTM(4, dtype="float64"))(x)
        f = layers.Bidirectional(
            layers.LSTM(4, return_sequences=True),
            backward_layer=layers.LSTM(4, return_sequences=True, go_backwards=True),
        )(x)
        g = layers.Bidirectional(layers.ConvLSTM1D(3, 2, return_sequences=True))(keras.Input(shape=(4, 9, 2)))
        """,
        ["a", "b", "c", "d", "e", "f", "g"],
    )


def test_bidirectional_backward_units_symbolic() -> None:
    # Keras computes the symbolic shape from the forward layer only
    agrees(
        """
        x = keras.Input(shape=(5, 3))
        y = layers.Bidirectional(
            layers.LSTM(4, return_sequences=True),
            backward_layer=layers.LSTM(6, return_sequences=True, go_backwards=True),
        )(x)
        """,
        ["y"],
    )


@pytest.mark.parametrize(
    "ctor",
    [
        "layers.Bidirectional(layers.LSTM(4), merge_mode='max')",
        "layers.Bidirectional(layers.Dense(4))",
        "layers.Bidirectional(layers.LSTM(4, return_sequences=True), "
        "backward_layer=layers.LSTM(4, go_backwards=True))",
        "layers.Bidirectional(layers.LSTM(4), backward_layer=layers.LSTM(4))",
        "layers.Bidirectional(layers.LSTM(4, go_backwards=True))",
        "layers.Bidirectional(layers.Bidirectional(layers.LSTM(4)))",
        "layers.Bidirectional(layers.LSTM(4))",
    ],
)
def test_bidirectional_errors(ctor: str) -> None:
    src = f"""
    x = keras.Input(shape=(5, 3, 2))
    y = {ctor}(x)
    """
    assert_certain_error(src)


def test_bidirectional_eager() -> None:
    agrees(
        """
        y = layers.Bidirectional(layers.LSTM(4))(np.ones((2, 5, 3), dtype="int32"))
        """,
        ["y"],
    )


# ---------------------------------------------------------------------------------------------
# TimeDistributed


def test_time_distributed() -> None:
    agrees(
        """
        x = keras.Input(shape=(5, 3))
        a = layers.TimeDistributed(layers.Dense(4))(x)
        b = layers.TimeDistributed(layers.Conv2D(4, 3))(keras.Input(shape=(5, 8, 8, 3)))
        c = layers.TimeDistributed(layers.Dense(4))(keras.Input(shape=(None, 3)))
        d = layers.TimeDistributed(layers.Embedding(10, 4))(keras.Input(shape=(5, 3), dtype="int32"))
        e = layers.TimeDistributed(layers.Flatten())(keras.Input(shape=(5, 3, 2)))
        f = layers.TimeDistributed(layers.LSTM(4))(keras.Input(shape=(5, 6, 3)))
        g = layers.TimeDistributed(layers.Dense(4), dtype="float64")(x)
        h = layers.TimeDistributed(layers.Dense(4, dtype="float64"))(x)
        i = layers.TimeDistributed(layers.MaxPooling2D())(keras.Input(shape=(3, 8, 8, 2), batch_size=2))
        j = layers.TimeDistributed(layers.Bidirectional(layers.LSTM(4)))(keras.Input(shape=(2, 5, 3)))
        k = layers.TimeDistributed(layers.TimeDistributed(layers.Dense(4)))(keras.Input(shape=(2, 5, 3)))
        """,
        ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"],
    )


def test_time_distributed_errors() -> None:
    assert_certain_error(
        """
        x = keras.Input(shape=(5,))
        y = layers.TimeDistributed(layers.Dense(4))(x)
        """
    )
    assert_certain_error(
        """
        y = layers.TimeDistributed(lambda t: t)(keras.Input(shape=(5, 3)))
        """
    )
    # the inner layer's own error surfaces
    assert_certain_error(
        """
        x = keras.Input(shape=(5, 3))
        y = layers.TimeDistributed(layers.Conv2D(4, 3))(x)
        """
    )


def test_time_distributed_eager() -> None:
    agrees(
        """
        y = layers.TimeDistributed(layers.Dense(4))(np.ones((2, 5, 3)))
        """,
        ["y"],
    )


# ---------------------------------------------------------------------------------------------
# ConvLSTM


def _conv_lstm_case(seed: int) -> tuple[str, list[str]]:
    rng = random.Random(6000 + seed)
    rank = rng.randint(1, 3)
    fmt = rng.choice(["channels_last", "channels_first"])
    kernel = rng.choice([1, 2, 3])
    padding = rng.choice(["valid", "same"])
    strides, dilation = 1, 1
    if rng.random() < 0.4:
        strides = rng.choice([2, 3])
    elif rng.random() < 0.3:
        dilation = 2
    spatial = [rng.randint(6, 9) for _ in range(rank)]
    channels = rng.randint(1, 3)
    steps = rng.choice([2, None])
    shape = (steps, *spatial, channels) if fmt == "channels_last" else (steps, channels, *spatial)
    rs, st = rng.random() < 0.5, rng.random() < 0.5
    names = ["y", "h", "c"] if st else ["y"]
    src = f"""
    x = keras.Input(shape={shape!r})
    {", ".join(names)} = layers.ConvLSTM{rank}D({rng.randint(1, 4)}, {kernel}, strides={strides}, padding="{padding}", data_format="{fmt}", dilation_rate={dilation}, return_sequences={rs}, return_state={st})(x)
    """
    return src, names


@pytest.mark.parametrize("seed", range(16))
def test_conv_lstm_random(seed: int) -> None:
    src, names = _conv_lstm_case(seed)
    agrees(src, names)


def test_conv_lstm_channels_first() -> None:
    agrees(
        """
        x = keras.Input(shape=(4, 3, 10, 12))
        y, h, c = layers.ConvLSTM2D(6, (3, 5), padding="valid", data_format="channels_first", return_sequences=True, return_state=True)(x)
        z = layers.ConvLSTM2D(6, 3, (2, 1), "same", "channels_first")(x)
        """,
        ["y", "h", "c", "z"],
    )


@pytest.mark.parametrize(
    "src",
    [
        "y = layers.ConvLSTM2D(4, 3)(keras.Input(shape=(5, 8, 3)))",
        "y = layers.ConvLSTM1D(4, 3)(keras.Input(shape=(5, 8, 8, 3)))",
        "y = layers.ConvLSTM2D(4, 5)(keras.Input(shape=(5, 3, 3, 2)))",
        "y = layers.ConvLSTM2D(4, 3, padding='causal')(keras.Input(shape=(5, 8, 8, 2)))",
        "y = layers.ConvLSTM2D(4, 3, strides=2, dilation_rate=2)(keras.Input(shape=(5, 8, 8, 2)))",
    ],
)
def test_conv_lstm_errors(src: str) -> None:
    assert_certain_error(src)


def test_conv_lstm_eager() -> None:
    agrees(
        """
        y, h, c = layers.ConvLSTM2D(4, 3, return_state=True)(np.ones((2, 3, 8, 8, 2)))
        z = layers.ConvLSTM1D(2, 2, strides=2, padding="same", return_sequences=True)(np.ones((2, 3, 9, 2), dtype="float64"))
        """,
        ["y", "h", "c", "z"],
    )
    assert_certain_error("y = layers.ConvLSTM2D(4, 3)(np.ones((2, 3, 8, 8, 2), dtype='int32'))")
    # channels_first convolutions run on GPU only: the engine claims nothing eagerly
    src = "y = layers.ConvLSTM1D(4, 3, data_format='channels_first')(np.ones((2, 3, 2, 9)))\n"
    engine = run_engine(src)
    assert not engine.errors and (engine.values.get("y") is None or engine.values["y"].shape is None)


def test_wrappers_eager() -> None:
    agrees(
        """
        a = layers.TimeDistributed(layers.Embedding(10, 4))(np.ones((2, 5, 3), dtype="int32"))
        b = layers.TimeDistributed(layers.Dense(4, dtype="float64"))(np.ones((2, 5, 3)))
        c = layers.Bidirectional(
            layers.LSTM(4, return_sequences=True),
            backward_layer=layers.LSTM(6, return_sequences=True, go_backwards=True),
        )(np.ones((2, 5, 3)))
        d, fh, bh = layers.Bidirectional(
            layers.GRU(4, return_state=True), backward_layer=layers.GRU(6, return_state=True, go_backwards=True)
        )(np.ones((2, 5, 3)))
        e = layers.RNN([layers.LSTMCell(4), layers.GRUCell(3)])(np.ones((2, 5, 3), dtype="int32"))
        """,
        ["a", "b", "c", "d", "fh", "bh", "e"],
    )


def test_stateful_needs_static_batch() -> None:
    agrees(
        """
        y = layers.LSTM(4, stateful=True)(keras.Input(shape=(5, 3), batch_size=2))
        z = layers.ConvLSTM1D(2, 3, stateful=True, return_sequences=True)(keras.Input(shape=(5, 8, 3), batch_size=2))
        """,
        ["y", "z"],
    )
    for src in (
        "y = layers.LSTM(4, stateful=True)(keras.Input(shape=(5, 3)))\n",
        "y = layers.Bidirectional(layers.GRU(4, stateful=True))(keras.Input(shape=(5, 3)))\n",
    ):
        assert run_real(src).error is not None
        engine = run_engine(src)
        assert not engine.errors and (engine.values.get("y") is None or engine.values["y"].shape is None)


def test_rnn_over_user_cells() -> None:
    """``layers.RNN`` over the user's own cell classes (``state_size`` / ``output_size`` set in
    ``__init__``), alone and stacked, with their states returned."""
    assert_agrees(
        """
        class OneState(layers.Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units = units
                self.state_size = units

            def build(self, input_shape):
                self.kernel = self.add_weight(shape=(input_shape[-1], self.units))

            def call(self, inputs, states):
                h = ops.tanh(ops.matmul(inputs, self.kernel) + states[0])
                return h, [h]

        class TwoStates(layers.Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units = units
                self.state_size = [units, units]
                self.output_size = units

            def build(self, input_shape):
                self.kernel = self.add_weight(shape=(input_shape[-1], self.units))

            def call(self, inputs, states):
                h = ops.matmul(inputs, self.kernel) + states[0]
                return h, [h, states[1] + h]

        x = keras.Input((25, 2))
        last = layers.RNN(OneState(24))(x)
        seq = layers.RNN(TwoStates(6), return_sequences=True)(x)
        out, h, c = layers.RNN(TwoStates(5), return_state=True)(x)
        stacked, s1, (s2, s3) = layers.RNN([OneState(16), TwoStates(8)], return_sequences=True,
                                           return_state=True)(np.zeros((4, 25, 2), np.float32))
        """,
        ["last", "seq", "out", "h", "c", "stacked", "s1", "s2", "s3"],
    )


def test_cells_called_directly() -> None:
    """One step of a cell (the feedback loop of an autoregressive model): the output and the
    new states; SimpleRNNCell and GRUCell give a state tensor for a state tensor, a list for a
    list."""
    agrees(
        """
        x = tf.zeros((8, 4))
        h = tf.zeros((8, 32))
        lstm = layers.LSTMCell(32)
        out, (h1, c1) = lstm(x, states=[h, h])
        out2, state2 = lstm(x, [h, h], training=False)
        s2 = state2[1]
        g_out, g_state = layers.GRUCell(32)(x, h)
        r_out, r_states = layers.SimpleRNNCell(32)(x, [h])
        r1 = r_states[0]
        rnn = layers.RNN(lstm, return_state=True)
        y, *st = rnn(tf.zeros((8, 5, 4)))
        st0 = st[0]
        """,
        ["out", "h1", "c1", "out2", "s2", "g_out", "g_state", "r_out", "r1", "y", "st0"],
    )


def test_stepping_a_recurrent_layer_through_its_cell() -> None:
    """``layer.cell`` steps one timestep: (batch, units) and the new states."""
    assert_agrees(
        """
        gru = layers.GRU(16, return_sequences=True)
        seq = gru(tf.zeros((2, 5, 8)))
        cell = gru.cell
        state = [tf.zeros((1, 16))]
        for t in range(3):
            h, state = cell(tf.zeros((1, 8)), state)
        lstm = layers.LSTM(6)
        _ = lstm(tf.zeros((2, 4, 3)))
        out, (hs, cs) = lstm.cell(tf.zeros((2, 3)), [tf.zeros((2, 6)), tf.zeros((2, 6))])
        """,
        ["h", "out", "hs", "cs"],
    )
