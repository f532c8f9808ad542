"""House listing classifier: numeric features + a short text + a thumbnail.

Model has 3 named inputs; feeding a dict keyed by Input name avoids the
"expected 3 inputs, received 1" mess I had with lists.
Labels are imbalanced so class_weight is passed to fit().
"""
import argparse

import numpy as np
import keras
from keras import layers


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=48)
    p.add_argument("--vocab", type=int, default=200)
    p.add_argument("--seq-len", type=int, default=12)
    p.add_argument("--img", type=int, default=32)
    p.add_argument("--epochs", type=int, default=1)
    return p.parse_args([])


def make_data(args):
    rng = np.random.default_rng(1)
    data = {
        "numeric": rng.normal(size=(args.n, 6)).astype("float32"),
        "desc_tokens": rng.integers(1, args.vocab, size=(args.n, args.seq_len)),
        "thumb": rng.random((args.n, args.img, args.img, 3)).astype("float32"),
    }
    # ~20% positive
    y = (rng.random(args.n) < 0.2).astype("int32")
    return data, y


def build(args):
    numeric_in = keras.Input(shape=(6,), name="numeric")
    text_in = keras.Input(shape=(args.seq_len,), dtype="int32", name="desc_tokens")
    img_in = keras.Input(shape=(args.img, args.img, 3), name="thumb")

    n = layers.Dense(16, activation="relu")(numeric_in)

    t = layers.Embedding(args.vocab, 16)(text_in)
    t = layers.GlobalAveragePooling1D()(t)

    i = layers.Conv2D(8, 3, strides=2, activation="relu")(img_in)
    i = layers.Conv2D(16, 3, strides=2, activation="relu")(i)
    i = layers.GlobalMaxPooling2D()(i)

    merged = layers.concatenate([n, t, i])
    merged = layers.Dense(32, activation="relu")(merged)
    merged = layers.Dropout(0.2)(merged)
    out = layers.Dense(1, activation="sigmoid", name="is_good_deal")(merged)
    return keras.Model(inputs=[numeric_in, text_in, img_in], outputs=out)


args = get_args()
X, y = make_data(args)
for k, v in X.items():
    print(f"{k:12s} {v.shape} {v.dtype}")

# inverse-frequency class weights
counts = np.bincount(y, minlength=2)
class_weight = {c: len(y) / (2.0 * max(counts[c], 1)) for c in range(2)}
print("class_weight:", {k: round(float(v), 2) for k, v in class_weight.items()})

model = build(args)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss="binary_crossentropy",
    metrics=[keras.metrics.AUC(name="auc"), "accuracy"],
)
history = model.fit(X, y, epochs=args.epochs, batch_size=16,
                    class_weight=class_weight, validation_split=0.25, verbose=2)

# single listing -> every array needs the leading batch dim
one = {k: np.expand_dims(v[0], 0) for k, v in X.items()}
print("single prediction:", float(model.predict(one, verbose=0)[0, 0]))

# order-independent: shuffle the dict keys, still works
reordered = {k: X[k][:5] for k in ["thumb", "numeric", "desc_tokens"]}
print("batch of 5:", model.predict(reordered, verbose=0).ravel().round(3))
