# Two-input model (tabular features + a short token sequence) fed through tf.data.
#
# The bug I had: the dataset yielded a *tuple* of inputs but the model inputs were
# named, and on top of that I batched twice (.batch(32) in the pipeline and
# batch_size=32 in fit), so the model saw (32, 32, 12) instead of (32, 12).
# Fix: yield a dict keyed by Input name and batch exactly once.

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

N = 600
NUM_FEATS = 12
SEQ_LEN = 20
VOCAB = 50
N_CLASSES = 4
BATCH = 32
AUTOTUNE = tf.data.AUTOTUNE

rng = np.random.default_rng(123)
tf.random.set_seed(123)

tab = rng.normal(size=(N, NUM_FEATS)).astype("float32")
tokens = rng.integers(1, VOCAB, size=(N, SEQ_LEN)).astype("int32")
# label depends on both inputs so the model has something to learn
score = tab[:, 0] + tab[:, 1] - (tokens[:, :5].mean(axis=1) / VOCAB) * 2
labels = np.digitize(score, np.quantile(score, [0.25, 0.5, 0.75])).astype("int32")
labels_oh = keras.utils.to_categorical(labels, N_CLASSES)
print("label counts:", np.bincount(labels), "one-hot shape:", labels_oh.shape)


def add_noise(features, label):
    # light augmentation on the numeric branch only; no Python control flow on tensors
    noisy = features["tabular"] + tf.random.normal(tf.shape(features["tabular"]), stddev=0.05)
    # randomly blank out ~10% of tokens (replace with 0 = padding id)
    mask = tf.random.uniform(tf.shape(features["tokens"])) < 0.1
    toks = tf.where(mask, tf.zeros_like(features["tokens"]), features["tokens"])
    return {"tabular": noisy, "tokens": toks}, label


def make_ds(idx, training):
    ds = tf.data.Dataset.from_tensor_slices(
        ({"tabular": tab[idx], "tokens": tokens[idx]}, labels_oh[idx]))
    if training:
        ds = ds.shuffle(len(idx), seed=1).map(add_noise, num_parallel_calls=AUTOTUNE)
    return ds.batch(BATCH).prefetch(AUTOTUNE)   # batch once, here only


perm = rng.permutation(N)
train_idx, val_idx = perm[:480], perm[480:]
train_ds = make_ds(train_idx, training=True)
val_ds = make_ds(val_idx, training=False)

for feats, y in train_ds.take(1):
    print({k: v.shape for k, v in feats.items()}, "labels", y.shape)

# ---- functional model ----
tab_in = keras.Input(shape=(NUM_FEATS,), name="tabular")
tok_in = keras.Input(shape=(SEQ_LEN,), dtype="int32", name="tokens")

x1 = layers.Dense(32, activation="relu")(tab_in)
x1 = layers.Dense(16, activation="relu")(x1)

x2 = layers.Embedding(VOCAB, 8, mask_zero=True)(tok_in)
x2 = layers.GlobalAveragePooling1D()(x2)

merged = layers.concatenate([x1, x2])
out = layers.Dense(N_CLASSES, activation="softmax", name="cls")(merged)
model = keras.Model(inputs=[tab_in, tok_in], outputs=out)

print("input shapes :", model.input_shape)
print("output shape :", model.output_shape)

model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
# no batch_size here: the dataset is already batched
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

# evaluate the same data with a different pipeline batch size
for bs in (8, 64, 120):
    ds_bs = tf.data.Dataset.from_tensor_slices(
        ({"tabular": tab[val_idx], "tokens": tokens[val_idx]}, labels_oh[val_idx])).batch(bs)
    res = model.evaluate(ds_bs, verbose=0, return_dict=True)
    print(f"val @ batch {bs:>3}: " + ", ".join(f"{k}={v:.4f}" for k, v in res.items()))

# ---- single-sample prediction ----
i = val_idx[0]
single = {
    "tabular": tab[i][np.newaxis, :],   # (1, 12)
    "tokens": tokens[i:i + 1],          # (1, 20) - slicing keeps the batch axis
}
print("single input shapes:", {k: v.shape for k, v in single.items()})
p = model.predict(single, verbose=0)
print(f"predicted class {p.argmax()} (true {labels[i]}), probs={np.round(p[0], 3)}")

# predict on an unbatched dataset element: need .batch(1) (or expand_dims in a map)
one_ds = tf.data.Dataset.from_tensor_slices({"tabular": tab[val_idx[:3]], "tokens": tokens[val_idx[:3]]})
one_ds = one_ds.map(lambda d: {k: tf.expand_dims(v, 0) for k, v in d.items()})
for d in one_ds:
    print("  elem", {k: tuple(v.shape) for k, v in d.items()}, "->", int(tf.argmax(model(d, training=False), axis=-1)[0]))
