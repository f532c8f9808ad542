"""
Magnitude pruning without tfmot: each prunable layer keeps a non-trainable 0/1
mask that multiplies its kernel. A callback raises the sparsity target on a
polynomial schedule and recomputes the masks from |w|.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

INPUT_DIM = 32
HIDDEN = [128, 64]
NUM_CLASSES = 4
TARGET_SPARSITY = 0.8
BEGIN_STEP = 10
END_STEP = 50
PRUNE_EVERY = 2
BATCH = 32
EPOCHS = 8

keras.utils.set_random_seed(0)


class MaskedDense(layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        in_dim = int(input_shape[-1])
        self.kernel = self.add_weight(shape=(in_dim, self.units), initializer="he_normal",
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.mask = self.add_weight(shape=(in_dim, self.units), initializer="ones",
                                    trainable=False, name="mask")

    def call(self, inputs):
        # gradients to pruned weights are zeroed too, because d(w*m)/dw = m
        return self.activation(tf.matmul(inputs, self.kernel * self.mask) + self.bias)

    def update_mask(self, sparsity):
        w = tf.abs(self.kernel * self.mask)
        k = int(round(sparsity * int(tf.size(w))))
        if k == 0:
            return
        flat = tf.sort(tf.reshape(w, [-1]))
        threshold = flat[k - 1]
        new_mask = tf.cast(w > threshold, self.mask.dtype)
        self.mask.assign(new_mask)
        # also hard-zero the underlying weights so the optimizer's momentum cannot revive them
        self.kernel.assign(self.kernel * new_mask)

    @property
    def sparsity(self):
        return 1.0 - float(tf.reduce_mean(self.mask))


def polynomial_sparsity(step, final=TARGET_SPARSITY, begin=BEGIN_STEP, end=END_STEP, power=3):
    if step < begin:
        return 0.0
    progress = min(1.0, (step - begin) / max(1, end - begin))
    return final * (1.0 - (1.0 - progress) ** power)


class MagnitudePruning(keras.callbacks.Callback):
    def __init__(self, every=PRUNE_EVERY):
        super().__init__()
        self.every = every
        self.global_step = 0
        self.log = []

    def prunable(self):
        return [l for l in self.model.layers if isinstance(l, MaskedDense) and l.name != "out"]

    def on_train_batch_end(self, batch, logs=None):
        self.global_step += 1
        if self.global_step % self.every:
            return
        s = polynomial_sparsity(self.global_step)
        for layer in self.prunable():
            layer.update_mask(s)
        self.log.append((self.global_step, s))

    def on_epoch_end(self, epoch, logs=None):
        report = ", ".join(f"{l.name}={l.sparsity:.2f}" for l in self.prunable())
        print(f"  epoch {epoch + 1}: step={self.global_step} sparsity[{report}]")


def make_model():
    model = keras.Sequential(name="prunable_mlp")
    model.add(keras.Input((INPUT_DIM,)))
    for i, units in enumerate(HIDDEN):
        model.add(MaskedDense(units, activation="relu", name=f"masked_{i}"))
        model.add(layers.Dropout(0.1))
    model.add(MaskedDense(NUM_CLASSES, name="out"))
    return model


# only the first 8 features matter -> lots of prunable weights
W_TRUE = np.zeros((INPUT_DIM, NUM_CLASSES), dtype="float32")
W_TRUE[:8] = np.random.default_rng(99).normal(size=(8, NUM_CLASSES))


def synthetic(n, seed):
    r = np.random.default_rng(seed)
    x = r.normal(size=(n, INPUT_DIM)).astype("float32")
    y = np.argmax(x @ W_TRUE + 0.1 * r.normal(size=(n, NUM_CLASSES)), axis=1)
    return x, y


x_train, y_train = synthetic(320, 1)
x_test, y_test = synthetic(128, 2)

model = make_model()
model.compile(optimizer=keras.optimizers.SGD(0.02, momentum=0.9),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
_, dense_acc = model.evaluate(x_test, y_test, verbose=0)

pruner = MagnitudePruning()
model.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS, callbacks=[pruner], verbose=0)
# ensure we finish at the target even if the schedule did not complete
for layer in pruner.prunable():
    layer.update_mask(TARGET_SPARSITY)

loss, pruned_acc = model.evaluate(x_test, y_test, verbose=0)
print("schedule:", [(s, round(v, 3)) for s, v in pruner.log if s % 10 == 0])

total = nonzero = 0
for layer in model.layers:
    if isinstance(layer, MaskedDense):
        eff = (layer.kernel * layer.mask).numpy()
        nz = int(np.count_nonzero(eff))
        total += eff.size
        nonzero += nz
        # which input features kept the most connections in the first layer?
        if layer.name == "masked_0":
            kept_per_input = (eff != 0).sum(axis=1)
            print("first-layer kept weights per input (first 8 vs rest):",
                  kept_per_input[:8].mean().round(1), "vs", kept_per_input[8:].mean().round(1))
        print(f"{layer.name:<10} {nz:>6}/{eff.size:<6} nonzero  sparsity={1 - nz / eff.size:.2%}")

print(f"overall kernel sparsity: {1 - nonzero / total:.2%}")
print(f"accuracy before training: {dense_acc:.3f} | after train+prune: {pruned_acc:.3f}")

# "strip" the masks: export plain Dense weights for deployment
stripped = keras.Sequential([keras.Input((INPUT_DIM,))] + [
    layers.Dense(l.units, activation=l.activation, name=l.name + "_plain")
    for l in model.layers if isinstance(l, MaskedDense)
])
src = [l for l in model.layers if isinstance(l, MaskedDense)]
for dst, s in zip(stripped.layers, src):
    dst.set_weights([(s.kernel * s.mask).numpy(), s.bias.numpy()])
agree = np.mean(stripped.predict(x_test, verbose=0).argmax(1) ==
                model.predict(x_test, verbose=0).argmax(1))
print(f"stripped model agrees with masked model on {agree:.1%} of test inputs")
