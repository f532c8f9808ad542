"""Custom recurrent cells plugged into keras.layers.RNN on the adding problem.

Two hand-written cells:
  * MinimalGatedCell - a single-gate GRU variant (one hidden state).
  * LeakyIntegratorCell - keeps two states [h, acc]: a tanh hidden state and a
    learned leaky running accumulator of the input projection.
Both expose `state_size` / `output_size` and implement `call(inputs, states)`.
The toy task is the classic adding problem: every step carries a random value
and a 0/1 marker; the target is the sum of the two marked values.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SEQ_LEN = 25
BATCH = 32
UNITS = 24


class MinimalGatedCell(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        in_dim = input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(in_dim, 2 * self.units),
                                      initializer="glorot_uniform")
        self.recurrent = self.add_weight(name="recurrent",
                                         shape=(self.units, 2 * self.units),
                                         initializer="orthogonal")
        self.bias = self.add_weight(name="bias", shape=(2 * self.units,),
                                    initializer="zeros")

    def call(self, inputs, states):
        h_prev = states[0]
        x_proj = ops.matmul(inputs, self.kernel) + self.bias
        f_x, c_x = x_proj[:, :self.units], x_proj[:, self.units:]
        f_r = ops.matmul(h_prev, self.recurrent[:, :self.units])
        forget = ops.sigmoid(f_x + f_r)
        c_r = ops.matmul(forget * h_prev, self.recurrent[:, self.units:])
        candidate = ops.tanh(c_x + c_r)
        h = (1.0 - forget) * h_prev + forget * candidate
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class LeakyIntegratorCell(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        in_dim = input_shape[-1]
        self.w_in = self.add_weight(name="w_in", shape=(in_dim, self.units),
                                    initializer="glorot_uniform")
        self.w_rec = self.add_weight(name="w_rec", shape=(self.units, self.units),
                                     initializer="orthogonal")
        self.leak_logit = self.add_weight(name="leak_logit", shape=(self.units,),
                                          initializer=keras.initializers.Constant(2.0))

    def call(self, inputs, states):
        h_prev, acc_prev = states
        drive = ops.matmul(inputs, self.w_in)
        leak = ops.sigmoid(self.leak_logit)
        acc = leak * acc_prev + drive
        h = ops.tanh(ops.matmul(h_prev, self.w_rec) + acc)
        return h, [h, acc]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def adding_problem(n, rng):
    values = rng.uniform(0.0, 1.0, size=(n, SEQ_LEN))
    markers = np.zeros((n, SEQ_LEN))
    for i in range(n):
        a, b = rng.choice(SEQ_LEN, size=2, replace=False)
        markers[i, [a, b]] = 1.0
    x = np.stack([values, markers], axis=-1).astype("float32")
    y = (values * markers).sum(axis=1, keepdims=True).astype("float32")
    return x, y


def build_model(cell, name):
    inp = keras.Input(shape=(SEQ_LEN, 2))
    h = layers.RNN(cell, name=f"{name}_rnn")(inp)
    out = layers.Dense(1, name="sum")(h)
    return keras.Model(inp, out, name=name)


def main():
    keras.utils.set_random_seed(9)
    rng = np.random.default_rng(9)
    x, y = adding_problem(256, rng)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH).take(6)

    for name, cell in [("mgu", MinimalGatedCell(UNITS)),
                       ("leaky", LeakyIntegratorCell(UNITS))]:
        model = build_model(cell, name)
        model.compile(optimizer=keras.optimizers.Adam(5e-3), loss="mse",
                      metrics=["mae"])
        hist = model.fit(ds, epochs=1, verbose=0)
        baseline = float(np.mean((y - y.mean()) ** 2))
        print(f"{name}: mse={hist.history['loss'][-1]:.4f} "
              f"(predict-mean baseline {baseline:.4f})")

    # Stack both custom cells in one RNN and inspect returned states.
    stacked = layers.RNN([MinimalGatedCell(16), LeakyIntegratorCell(8)],
                         return_sequences=True, return_state=True)
    # States come back per cell: the single-state cell gives a bare tensor,
    # the two-state cell gives a [h, acc] list.
    seq_out, mgu_h, (leaky_h, leaky_acc) = stacked(x[:4])
    print("stacked shapes:", seq_out.shape, mgu_h.shape, leaky_h.shape,
          leaky_acc.shape)
    assert tuple(seq_out.shape) == (4, SEQ_LEN, 8)
    assert tuple(leaky_acc.shape) == (4, 8)
    np.testing.assert_allclose(ops.convert_to_numpy(seq_out[:, -1]),
                               ops.convert_to_numpy(leaky_h), atol=1e-6)

    # Cells should round-trip through their config.
    clone = LeakyIntegratorCell.from_config(LeakyIntegratorCell(8).get_config())
    assert clone.units == 8 and clone.state_size == [8, 8]


if __name__ == "__main__":
    main()
