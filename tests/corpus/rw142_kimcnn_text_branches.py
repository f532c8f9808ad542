"""Kim-style CNN for sentence classification.

Ported from an old Keras 2 notebook: one Conv1D branch per filter width,
global max over time done with a K.max Lambda (as in the original), all
branches joined with Concatenate.  Token ids are synthetic: each class has a
few "keyword" ids that are sprinkled into otherwise random sentences.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras import backend as K

CONFIG = {
    "vocab_size": 2000,
    "max_len": 40,
    "embed_dim": 48,
    "filter_sizes": [2, 3, 4, 5],
    "num_filters": 24,
    "dropout": 0.5,
    "n_classes": 4,
    "n_samples": 480,
    "batch_size": 32,
    "epochs": 2,
}

rng = np.random.default_rng(7)


def synth_corpus(cfg):
    n, L, V, C = cfg["n_samples"], cfg["max_len"], cfg["vocab_size"], cfg["n_classes"]
    keywords = {c: rng.choice(np.arange(10, V), size=6, replace=False) for c in range(C)}
    labels = rng.choice(C, size=n, p=[0.55, 0.2, 0.15, 0.1])
    X = np.zeros((n, L), dtype="int32")
    for i, lab in enumerate(labels):
        length = rng.integers(12, L + 1)
        sent = rng.integers(1, V, size=length)
        pos = rng.choice(length, size=3, replace=False)
        sent[pos] = rng.choice(keywords[lab], size=3)
        X[i, L - length:] = sent  # pre-padding, like pad_sequences default
    return X, labels


def build_model(cfg):
    inp = layers.Input(shape=(cfg["max_len"],), dtype="int32", name="tokens")
    emb = layers.Embedding(cfg["vocab_size"], cfg["embed_dim"], name="embedding")(inp)
    emb = layers.SpatialDropout1D(0.2)(emb)

    pooled = []
    for fs in cfg["filter_sizes"]:
        conv = layers.Conv1D(
            cfg["num_filters"], fs, activation="relu", padding="valid", name=f"conv_{fs}"
        )(emb)
        # old-school global max pooling over time
        pool = layers.Lambda(lambda t: K.max(t, axis=1), name=f"maxpool_{fs}")(conv)
        pooled.append(pool)

    merged = layers.Concatenate(axis=-1, name="concat")(pooled)
    merged = layers.Dropout(cfg["dropout"])(merged)
    out = layers.Dense(cfg["n_classes"], activation="softmax", name="probs")(merged)
    return keras.Model(inp, out, name="kim_cnn")


def balanced_class_weight(y, n_classes):
    freq = np.bincount(y, minlength=n_classes).astype("float64")
    w = freq.sum() / (n_classes * np.maximum(freq, 1.0))
    return dict(enumerate(w.tolist()))


if __name__ == "__main__":
    X, y = synth_corpus(CONFIG)
    Y = keras.utils.to_categorical(y, num_classes=CONFIG["n_classes"])
    cw = balanced_class_weight(y, CONFIG["n_classes"])
    print("label counts:", np.bincount(y), "class_weight:", cw)

    model = build_model(CONFIG)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="categorical_crossentropy",
        metrics=["accuracy", keras.metrics.TopKCategoricalAccuracy(k=2, name="top2")],
    )
    model.summary(line_length=100)

    hist = model.fit(
        X,
        Y,
        batch_size=CONFIG["batch_size"],
        epochs=CONFIG["epochs"],
        validation_split=0.15,
        class_weight=cw,
        shuffle=True,
        verbose=2,
    )

    best_epoch = int(np.argmin(hist.history["val_loss"])) + 1
    print(f"best val_loss at epoch {best_epoch}: {min(hist.history['val_loss']):.4f}")

    probe = X[:5]
    probs = model.predict(probe, verbose=0)
    for row, p in zip(y[:5], probs):
        print(f"true={row} pred={p.argmax()} conf={p.max():.3f}")

    # intermediate model to look at the concatenated feature vector
    feat_model = keras.Model(model.input, model.get_layer("concat").output)
    feats = feat_model.predict(probe, verbose=0)
    print("feature vector size:", feats.shape[-1],
          "expected:", CONFIG["num_filters"] * len(CONFIG["filter_sizes"]))
