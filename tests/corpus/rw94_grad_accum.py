"""Gradient accumulation by hand for a small CNN classifier.

When the GPU can't hold the batch size you want, accumulate gradients over
several micro-batches and only step the optimizer every `ACCUM_STEPS` calls.
This overrides `train_step` on a subclassed keras.Model so it still works
with `model.fit()`, callbacks, etc.

Usage:
    python rw94_grad_accum.py
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---------------------------------------------------------------------------
# config
# ---------------------------------------------------------------------------
IMG_SIZE = 28
NUM_CLASSES = 10
MICRO_BATCH = 16
ACCUM_STEPS = 4          # effective batch = MICRO_BATCH * ACCUM_STEPS = 64
NUM_SAMPLES = 512
LEARNING_RATE = 3e-3
SEED = 1337

tf.random.set_seed(SEED)
np.random.seed(SEED)


def make_dataset(n, batch_size):
    """Fake MNIST-like images: noise + a class dependent bright square."""
    x = np.random.rand(n, IMG_SIZE, IMG_SIZE, 1).astype("float32") * 0.3
    y = np.random.randint(0, NUM_CLASSES, size=(n,))
    for i, label in enumerate(y):
        r = (label // 4) * 8 + 2
        c = (label % 4) * 6 + 2
        x[i, r:r + 5, c:c + 5, 0] += 0.7
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    ds = ds.shuffle(n, seed=SEED).batch(batch_size, drop_remainder=True)
    return ds.prefetch(tf.data.AUTOTUNE)


class AccumModel(keras.Model):
    """Model wrapper that accumulates gradients across `accum_steps` batches."""

    def __init__(self, inputs, outputs, accum_steps=4, **kwargs):
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.accum_steps = accum_steps
        self.step_counter = tf.Variable(0, dtype=tf.int64, trainable=False,
                                        name="accum_counter")
        # one zero-initialised buffer per trainable weight
        self.grad_buffers = [
            tf.Variable(tf.zeros_like(v), trainable=False,
                        name="accum_" + v.name.replace(":", "_").replace("/", "_"))
            for v in self.trainable_variables
        ]
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc_tracker = keras.metrics.SparseCategoricalAccuracy(name="acc")

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]

    def _apply_and_reset(self):
        grads = [g / tf.cast(self.accum_steps, g.dtype) for g in self.grad_buffers]
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for buf in self.grad_buffers:
            buf.assign(tf.zeros_like(buf))
        return tf.constant(True)

    def train_step(self, data):
        x, y = data
        self.step_counter.assign_add(1)

        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = keras.losses.sparse_categorical_crossentropy(
                y, logits, from_logits=True)
            loss = tf.reduce_mean(loss)

        grads = tape.gradient(loss, self.trainable_variables)
        for buf, g in zip(self.grad_buffers, grads):
            buf.assign_add(g)

        # only step the optimizer every accum_steps micro-batches
        should_apply = tf.equal(self.step_counter % self.accum_steps, 0)
        tf.cond(should_apply, self._apply_and_reset, lambda: tf.constant(False))

        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        logits = self(x, training=False)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
            y, logits, from_logits=True))
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}


def build_model():
    inputs = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 1), name="image")
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)                     # 14x14
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)                     # 7x7
    x = layers.Conv2D(32, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(NUM_CLASSES, name="logits")(x)
    return AccumModel(inputs, outputs, accum_steps=ACCUM_STEPS, name="accum_cnn")


def main():
    train_ds = make_dataset(NUM_SAMPLES, MICRO_BATCH)
    val_ds = make_dataset(128, MICRO_BATCH)

    model = build_model()
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE))

    print(f"micro batch={MICRO_BATCH}  accum={ACCUM_STEPS}  "
          f"effective batch={MICRO_BATCH * ACCUM_STEPS}")
    history = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    # the optimizer should have stepped once per ACCUM_STEPS micro-batches
    n_micro = int(model.step_counter.numpy())
    print("micro-batches seen:", n_micro)
    print("optimizer updates :", int(model.optimizer.iterations.numpy()))
    print("final val acc     : %.3f" % history.history["val_acc"][-1])


if __name__ == "__main__":
    main()
