"""Gradient accumulation over micro-batches with a hand-written training loop.

The effective batch is MICRO_BATCH * ACCUM_STEPS; gradients are summed into
non-trainable tf.Variables and applied once every ACCUM_STEPS micro-batches.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
N_SAMPLES = 512
N_FEATURES = 20
N_CLASSES = 4
MICRO_BATCH = 16
ACCUM_STEPS = 4
EPOCHS = 2
LR = 3e-3

np.random.seed(SEED)
tf.random.set_seed(SEED)


def make_data(n, d, k):
    centers = np.random.randn(k, d).astype("float32") * 2.0
    y = np.random.randint(0, k, size=n)
    x = centers[y] + np.random.randn(n, d).astype("float32")
    # standardise like you'd do on a real tabular set
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)
    return x.astype("float32"), y.astype("int32")


def build_mlp(hidden=(64, 64, 32)):
    inputs = keras.Input(shape=(N_FEATURES,), name="features")
    x = inputs
    for i, units in enumerate(hidden):
        x = layers.Dense(units, name=f"dense_{i}")(x)
        x = layers.LayerNormalization(name=f"ln_{i}")(x)
        x = layers.Activation("gelu", name=f"act_{i}")(x)
    outputs = layers.Dense(N_CLASSES, name="logits")(x)
    return keras.Model(inputs, outputs, name="accum_mlp")


x, y = make_data(N_SAMPLES, N_FEATURES, N_CLASSES)
split = int(0.8 * N_SAMPLES)
train_ds = (
    tf.data.Dataset.from_tensor_slices((x[:split], y[:split]))
    .shuffle(split, seed=SEED)
    .batch(MICRO_BATCH, drop_remainder=True)
    .prefetch(tf.data.AUTOTUNE)
)
val_ds = tf.data.Dataset.from_tensor_slices((x[split:], y[split:])).batch(64)

model = build_mlp()
optimizer = keras.optimizers.Adam(learning_rate=LR)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

# one accumulator per trainable variable
accum_grads = [
    tf.Variable(tf.zeros_like(v), trainable=False, name=f"accum_{i}")
    for i, v in enumerate(model.trainable_variables)
]
micro_step = tf.Variable(0, dtype=tf.int64, trainable=False)

train_loss = keras.metrics.Mean(name="train_loss")
train_acc = keras.metrics.SparseCategoricalAccuracy(name="train_acc")
val_acc = keras.metrics.SparseCategoricalAccuracy(name="val_acc")


@tf.function
def accumulate(xb, yb):
    with tf.GradientTape() as tape:
        logits = model(xb, training=True)
        # divide so the summed gradient equals the mean over the big batch
        loss = loss_fn(yb, logits) / ACCUM_STEPS
    grads = tape.gradient(loss, model.trainable_variables)
    for acc, g in zip(accum_grads, grads):
        acc.assign_add(g)
    micro_step.assign_add(1)
    train_loss.update_state(loss * ACCUM_STEPS)
    train_acc.update_state(yb, logits)


@tf.function
def apply_and_reset():
    optimizer.apply_gradients(zip(accum_grads, model.trainable_variables))
    for acc in accum_grads:
        acc.assign(tf.zeros_like(acc))
    micro_step.assign(0)


@tf.function
def eval_step(xb, yb):
    val_acc.update_state(yb, model(xb, training=False))


for epoch in range(EPOCHS):
    t0 = time.time()
    for m in (train_loss, train_acc, val_acc):
        m.reset_state()
    n_updates = 0
    for xb, yb in train_ds:
        accumulate(xb, yb)
        if int(micro_step.numpy()) == ACCUM_STEPS:
            apply_and_reset()
            n_updates += 1
    # flush leftovers so we don't carry stale grads into the next epoch
    leftover = int(micro_step.numpy())
    if leftover:
        # rescale: the partial window only saw `leftover` micro-batches
        for acc in accum_grads:
            acc.assign(acc * (ACCUM_STEPS / leftover))
        apply_and_reset()
        n_updates += 1
    for xb, yb in val_ds:
        eval_step(xb, yb)
    print(
        f"epoch {epoch + 1}/{EPOCHS} "
        f"loss={train_loss.result():.4f} acc={train_acc.result():.3f} "
        f"val_acc={val_acc.result():.3f} updates={n_updates} "
        f"optimizer_iters={int(optimizer.iterations.numpy())} "
        f"({time.time() - t0:.1f}s)"
    )

print("effective batch size:", MICRO_BATCH * ACCUM_STEPS)
