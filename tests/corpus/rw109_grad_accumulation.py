# Gradient accumulation + global-norm clipping for a small CNN on fake images.
# Simulates a big effective batch on a small-memory box: we only apply the
# optimizer every ACCUM_STEPS micro-batches.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "img_size": 24,
    "channels": 1,
    "num_classes": 4,
    "n_samples": 384,
    "micro_batch": 16,
    "accum_steps": 4,
    "clip_norm": 1.0,
    "lr": 3e-3,
    "epochs": 2,
}

np.random.seed(0)
tf.random.set_seed(0)


def synth_images(n, size, num_classes):
    """Each class is a bright square in a different quadrant plus noise."""
    x = np.random.rand(n, size, size, 1).astype("float32") * 0.3
    y = np.random.randint(0, num_classes, size=n)
    half = size // 2
    for i, c in enumerate(y):
        r0 = (c // 2) * half
        c0 = (c % 2) * half
        x[i, r0 + 2 : r0 + half - 2, c0 + 2 : c0 + half - 2, 0] += 0.7
    return np.clip(x, 0, 1), y.astype("int32")


def make_model(cfg):
    model = keras.Sequential(name="accum_cnn")
    model.add(keras.Input((cfg["img_size"], cfg["img_size"], cfg["channels"])))
    for filters in (16, 32):
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
        model.add(layers.BatchNormalization())
        model.add(layers.MaxPooling2D())
    model.add(layers.GlobalAveragePooling2D())
    model.add(layers.Dense(32, activation="relu"))
    model.add(layers.Dense(cfg["num_classes"]))
    return model


class GradientAccumulator:
    """Holds one non-trainable buffer per trainable variable."""

    def __init__(self, variables):
        self.variables = variables
        self.buffers = [
            tf.Variable(tf.zeros_like(v), trainable=False, name=f"acc_{i}")
            for i, v in enumerate(variables)
        ]
        self.count = tf.Variable(0, dtype=tf.int32, trainable=False)

    def add(self, grads):
        for buf, g in zip(self.buffers, grads):
            if g is not None:
                buf.assign_add(g)
        self.count.assign_add(1)

    def mean_grads(self):
        n = tf.cast(self.count, tf.float32)
        return [buf / n for buf in self.buffers]

    def reset(self):
        for buf in self.buffers:
            buf.assign(tf.zeros_like(buf))
        self.count.assign(0)


x_all, y_all = synth_images(CONFIG["n_samples"], CONFIG["img_size"], CONFIG["num_classes"])
split = int(0.8 * len(x_all))
train_ds = (
    tf.data.Dataset.from_tensor_slices((x_all[:split], y_all[:split]))
    .shuffle(split)
    .map(lambda x, y: (tf.clip_by_value(x + tf.random.normal(tf.shape(x), stddev=0.05), 0.0, 1.0), y))
    .batch(CONFIG["micro_batch"], drop_remainder=True)
)
val_ds = tf.data.Dataset.from_tensor_slices((x_all[split:], y_all[split:])).batch(64)

model = make_model(CONFIG)
optimizer = keras.optimizers.SGD(learning_rate=CONFIG["lr"], momentum=0.9)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
accum = GradientAccumulator(model.trainable_variables)

train_loss = keras.metrics.Mean()
train_acc = keras.metrics.SparseCategoricalAccuracy()
val_acc = keras.metrics.SparseCategoricalAccuracy()
grad_norm_log = keras.metrics.Mean()


@tf.function
def accumulate_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    accum.add(grads)
    train_loss.update_state(loss)
    train_acc.update_state(y, logits)
    return loss


@tf.function
def apply_step():
    grads = accum.mean_grads()
    clipped, global_norm = tf.clip_by_global_norm(grads, CONFIG["clip_norm"])
    optimizer.apply_gradients(zip(clipped, model.trainable_variables))
    grad_norm_log.update_state(global_norm)
    accum.reset()
    return global_norm


@tf.function
def eval_step(x, y):
    val_acc.update_state(y, model(x, training=False))


for epoch in range(CONFIG["epochs"]):
    for m in (train_loss, train_acc, val_acc, grad_norm_log):
        m.reset_state()
    n_updates = 0
    for i, (xb, yb) in enumerate(train_ds):
        accumulate_step(xb, yb)
        if (i + 1) % CONFIG["accum_steps"] == 0:
            apply_step()
            n_updates += 1
    # flush leftover micro-batches so no gradient is dropped
    if int(accum.count.numpy()) > 0:
        apply_step()
        n_updates += 1
    for xb, yb in val_ds:
        eval_step(xb, yb)
    print(
        f"[epoch {epoch}] updates={n_updates} loss={train_loss.result():.4f} "
        f"acc={train_acc.result():.3f} val_acc={val_acc.result():.3f} "
        f"mean_grad_norm={grad_norm_log.result():.3f}"
    )

print("effective batch size:", CONFIG["micro_batch"] * CONFIG["accum_steps"])
print("optimizer steps taken:", int(optimizer.iterations.numpy()))
