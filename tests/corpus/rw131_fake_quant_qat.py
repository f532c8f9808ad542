# Quantization-aware training (QAT) done by hand with tf.quantization fake-quant ops.
# Weights: per-channel symmetric 8-bit via fake_quant_with_min_max_vars_per_channel.
# Activations: EMA-tracked min/max + fake_quant_with_min_max_vars.
import numpy as np
import tensorflow as tf
from tensorflow import keras

N_FEATURES = 20
N_CLASSES = 3
N_SAMPLES = 512
BATCH_SIZE = 64
NUM_BITS = 8
EMA_DECAY = 0.95
FLOAT_EPOCHS = 2
QAT_EPOCHS = 2

tf.random.set_seed(42)
rng = np.random.RandomState(42)


class ActivationQuantizer(keras.layers.Layer):
    """Tracks activation range with an EMA while training and fake-quantizes."""

    def __init__(self, num_bits=NUM_BITS, decay=EMA_DECAY, **kwargs):
        super().__init__(**kwargs)
        self.num_bits = num_bits
        self.decay = decay
        self.enabled = True

    def build(self, input_shape):
        self.range_min = self.add_weight(name="range_min", shape=(), initializer="zeros",
                                         trainable=False)
        self.range_max = self.add_weight(name="range_max", shape=(), initializer="ones",
                                         trainable=False)

    def call(self, x, training=False):
        if not self.enabled:
            return x
        if training:
            batch_min = tf.minimum(tf.reduce_min(x), 0.0)
            batch_max = tf.maximum(tf.reduce_max(x), 0.0)
            self.range_min.assign(self.decay * self.range_min + (1 - self.decay) * batch_min)
            self.range_max.assign(self.decay * self.range_max + (1 - self.decay) * batch_max)
        return tf.quantization.fake_quant_with_min_max_vars(
            x, self.range_min, self.range_max, num_bits=self.num_bits)


class QuantDense(keras.layers.Layer):
    def __init__(self, units, activation=None, num_bits=NUM_BITS, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.num_bits = num_bits
        self.quantize_weights = False
        self.act_quant = ActivationQuantizer(num_bits, name="act_q")

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.act_quant.build((None, self.units))

    def quantized_kernel(self):
        # symmetric per-output-channel range; fake quant expects the channel on the last axis
        max_abs = tf.reduce_max(tf.abs(self.kernel), axis=0) + 1e-8
        return tf.quantization.fake_quant_with_min_max_vars_per_channel(
            self.kernel, -max_abs, max_abs, num_bits=self.num_bits, narrow_range=True)

    def call(self, x, training=False):
        w = self.quantized_kernel() if self.quantize_weights else self.kernel
        y = self.activation(tf.matmul(x, w) + self.bias)
        return self.act_quant(y, training=training) if self.quantize_weights else y


def build_model():
    inputs = keras.Input((N_FEATURES,))
    h = QuantDense(64, "relu", name="qdense_1")(inputs)
    h = QuantDense(32, "relu", name="qdense_2")(h)
    outputs = QuantDense(N_CLASSES, name="qlogits")(h)
    return keras.Model(inputs, outputs)


def set_qat(model, flag):
    for layer in model.layers:
        if isinstance(layer, QuantDense):
            layer.quantize_weights = flag


def make_data():
    centers = rng.normal(0, 2.0, size=(N_CLASSES, N_FEATURES))
    y = rng.randint(0, N_CLASSES, size=N_SAMPLES)
    x = centers[y] + rng.normal(0, 1.5, size=(N_SAMPLES, N_FEATURES))
    return x.astype(np.float32), y.astype(np.int64)


x_all, y_all = make_data()
split = 400
train_ds = (tf.data.Dataset.from_tensor_slices((x_all[:split], y_all[:split]))
            .shuffle(split, seed=0).batch(BATCH_SIZE))
test_ds = tf.data.Dataset.from_tensor_slices((x_all[split:], y_all[split:])).batch(BATCH_SIZE)

model = build_model()
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam(learning_rate=5e-3)
train_acc = keras.metrics.SparseCategoricalAccuracy()


def make_train_step():
    # re-created after toggling QAT so the traced graph picks up the new Python flags
    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            loss = loss_fn(yb, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_acc.update_state(yb, logits)
        return loss
    return train_step


def evaluate(ds):
    acc = keras.metrics.SparseCategoricalAccuracy()
    for xb, yb in ds:
        acc.update_state(yb, model(xb, training=False))
    return float(acc.result())


def run_epochs(n_epochs, tag):
    step_fn = make_train_step()
    for epoch in range(n_epochs):
        train_acc.reset_state()
        losses = [float(step_fn(xb, yb)) for xb, yb in train_ds]
        print(f"[{tag}] epoch {epoch + 1}: loss={np.mean(losses):.4f} "
              f"train_acc={float(train_acc.result()):.3f} test_acc={evaluate(test_ds):.3f}")


run_epochs(FLOAT_EPOCHS, "float")
float_acc = evaluate(test_ds)

set_qat(model, True)
# warm up activation ranges with a couple of forward passes before fine-tuning
for xb, _ in train_ds.take(3):
    model(xb, training=True)
print("post-switch (no finetune) acc:", round(evaluate(test_ds), 3))
run_epochs(QAT_EPOCHS, "qat")

# Inspect quantization: how many distinct levels does the fake-quantized kernel hold?
for layer in model.layers:
    if isinstance(layer, QuantDense):
        qk = layer.quantized_kernel().numpy()
        levels = max(len(np.unique(np.round(qk[:, c], 6))) for c in range(qk.shape[1]))
        err = np.abs(qk - layer.kernel.numpy()).max()
        print(f"{layer.name}: max levels/channel={levels} (<= {2 ** NUM_BITS - 1}), "
              f"max |w-q(w)|={err:.5f}, act range=[{float(layer.act_quant.range_min):.3f}, "
              f"{float(layer.act_quant.range_max):.3f}]")

# Simulate int8 storage size vs float32
n_weights = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
print(f"float acc={float_acc:.3f}  qat acc={evaluate(test_ds):.3f}  "
      f"size fp32={n_weights * 4 / 1024:.1f}KiB  int8~={n_weights / 1024:.1f}KiB")
