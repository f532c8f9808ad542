"""Quantization-aware training (QAT) toy: int8 fake-quant Dense layers.

Per-output-channel weight scales are calibrated with a high percentile
(ops.quantile) of |W| instead of the max, so a few large weights don't blow up
the step size; values are rounded and squeezed into int8 with ops.saturate_cast
and gradients flow through with a straight-through estimator.

The model is a keras.Model subclass with its own train_step (TF backend).
"""

import numpy as np
import tensorflow as tf
from tensorflow import keras

K = keras.ops
L = keras.layers

IMG = 10
N_CLASSES = 4
N_TRAIN, N_TEST = 480, 160
PERCENTILE = 0.995
INT8_MAX = 127.0

keras.utils.set_random_seed(99)


def straight_through(x, x_q):
    """Forward: x_q.  Backward: identity wrt x."""
    return x + K.stop_gradient(x_q - x)


def fake_quant_int8(x, scale):
    q = K.saturate_cast(K.round(x / scale), "int8")
    return K.cast(q, x.dtype) * scale


class QuantDense(L.Layer):
    def __init__(self, units, activation=None, quant_activations=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.quant_activations = quant_activations

    def build(self, input_shape):
        in_dim = input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(in_dim, self.units), initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        # running estimate of activation range (EMA), used for input quantization
        self.act_range = self.add_weight(name="act_range", shape=(), initializer="ones", trainable=False)

    def weight_scale(self):
        clip_val = K.quantile(K.abs(self.kernel), PERCENTILE, axis=0)  # (units,)
        return K.maximum(clip_val, 1e-8) / INT8_MAX

    def call(self, x, training=False):
        if self.quant_activations:
            if training:
                batch_range = K.quantile(K.abs(x), PERCENTILE)
                self.act_range.assign(0.9 * self.act_range + 0.1 * K.stop_gradient(batch_range))
            a_scale = K.maximum(self.act_range, 1e-8) / INT8_MAX
            x = straight_through(x, fake_quant_int8(x, a_scale))
        w_q = straight_through(self.kernel, fake_quant_int8(self.kernel, self.weight_scale()))
        return self.activation(K.matmul(x, w_q) + self.bias)

    def export_int8(self):
        scale = self.weight_scale()
        q = K.saturate_cast(K.round(self.kernel / scale), "int8")
        return K.convert_to_numpy(q), K.convert_to_numpy(scale)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)


class QATClassifier(keras.Model):
    def __init__(self, widths=(64, 32), drop_rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.flatten = L.Flatten()
        self.hidden = [QuantDense(w, activation="relu", quant_activations=i > 0, name=f"qdense_{i}")
                       for i, w in enumerate(widths)]
        self.out = QuantDense(N_CLASSES, name="qlogits")
        self.drop_rate = drop_rate
        self.seed_gen = keras.random.SeedGenerator(7)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")

    def call(self, x, training=False):
        h = self.flatten(x)
        for layer in self.hidden:
            h = layer(h, training=training)
            if training:
                h = keras.random.dropout(h, self.drop_rate, seed=self.seed_gen)
        return self.out(h, training=training)

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc]

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = K.mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.acc.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        logits = self(x, training=False)
        self.loss_tracker.update_state(K.mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)))
        self.acc.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}


def make_images(n, rng):
    """4 classes: horizontal bar, vertical bar, diagonal, blob; random position + noise."""
    xs = np.zeros((n, IMG, IMG, 1), np.float32)
    ys = rng.integers(0, N_CLASSES, n)
    for i, c in enumerate(ys):
        r, col = rng.integers(2, IMG - 2, 2)
        if c == 0:
            xs[i, r, 1:-1] = 1
        elif c == 1:
            xs[i, 1:-1, col] = 1
        elif c == 2:
            np.fill_diagonal(xs[i, :, :, 0], 1)
            xs[i] = np.roll(xs[i], r - IMG // 2, axis=1)
        else:
            xs[i, r - 1:r + 2, col - 1:col + 2] = 1
    xs += rng.normal(0, 0.3, xs.shape).astype(np.float32)
    return xs, ys.astype(np.int32)


if __name__ == "__main__":
    rng = np.random.default_rng(3)
    x_train, y_train = make_images(N_TRAIN, rng)
    x_test, y_test = make_images(N_TEST, rng)

    train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(N_TRAIN).batch(32)
    test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(64)

    model = QATClassifier()
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(train_ds, epochs=2, validation_data=test_ds, verbose=2)

    results = model.evaluate(test_ds, verbose=0, return_dict=True)
    print("fake-quant eval:", {k: round(float(v), 4) for k, v in results.items()})

    # Export & check that the int8 weights really reproduce the fake-quant forward pass
    total_bytes = 0
    for layer in model.hidden + [model.out]:
        q, s = layer.export_int8()
        total_bytes += q.nbytes + s.nbytes
        deq = q.astype(np.float32) * s
        fq = K.convert_to_numpy(fake_quant_int8(layer.kernel, layer.weight_scale()))
        assert q.dtype == np.int8 and np.allclose(deq, fq, atol=1e-6)
        mag = np.abs(q.astype(np.int16))  # int8 abs(-128) would wrap around
        sat = np.mean(mag >= 127)
        print(f"{layer.name:>10s}: int8 {q.shape}, |q| range [{mag.min()}, {mag.max()}], "
              f"saturated={sat:.2%}, act_range={float(layer.act_range):.3f}")
    fp32_bytes = sum(int(np.prod(l.kernel.shape)) * 4 for l in model.hidden + [model.out])
    print(f"kernel storage: fp32 {fp32_bytes} B -> int8+scales {total_bytes} B")
