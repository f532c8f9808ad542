"""Random hyperparameter search over a small text classifier.

Hyperparameters live in a dataclass; a sampler draws trials from a search
space, each trial trains for a single epoch on a tf.data pipeline, and the
leaderboard is printed at the end (best trial is re-evaluated on test).
"""
from dataclasses import dataclass, asdict, replace
import itertools
import random

import numpy as np
import tensorflow as tf

keras = tf.keras
layers = tf.keras.layers

VOCAB = 500
SEQ_LEN = 24
N_CLASSES = 4
N_TRAIN, N_VAL, N_TEST = 448, 128, 128


@dataclass(frozen=True)
class HParams:
    embed_dim: int = 32
    encoder: str = "cnn"          # "cnn" | "bigru" | "attention"
    hidden: int = 32
    dropout: float = 0.1
    lr: float = 1e-3
    batch_size: int = 32
    label_smoothing: float = 0.0


SEARCH_SPACE = {
    "embed_dim": [16, 32],
    "encoder": ["cnn", "bigru", "attention"],
    "hidden": [16, 32, 64],
    "dropout": [0.0, 0.2, 0.4],
    "lr": ("loguniform", 3e-4, 3e-3),
    "batch_size": [32, 64],
    "label_smoothing": [0.0, 0.1],
}
N_TRIALS = 5


def sample_hparams(space, rng):
    kwargs = {}
    for key, choices in space.items():
        if isinstance(choices, tuple) and choices[0] == "loguniform":
            lo, hi = np.log(choices[1]), np.log(choices[2])
            kwargs[key] = float(np.exp(rng.uniform(lo, hi)))
        else:
            kwargs[key] = rng.choice(choices)
    return HParams(**kwargs)


def synthetic_text(n, seed):
    """Each class has a handful of 'keyword' tokens sprinkled into random text."""
    r = np.random.default_rng(seed)
    y = r.integers(0, N_CLASSES, n)
    x = r.integers(1, VOCAB, size=(n, SEQ_LEN))
    lengths = r.integers(SEQ_LEN // 2, SEQ_LEN + 1, n)
    for i in range(n):
        kw = 10 + y[i] * 5 + r.integers(0, 5, 4)
        pos = r.choice(lengths[i], 4, replace=False)
        x[i, pos] = kw
        x[i, lengths[i]:] = 0  # right padding
    return x.astype("int32"), y.astype("int32")


def make_ds(x, y, batch_size, training):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        ds = ds.shuffle(len(x), reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    # one-hot inside the pipeline so label smoothing works with CategoricalCrossentropy
    ds = ds.map(lambda a, b: (a, tf.one_hot(b, N_CLASSES)), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def encoder_block(x, mask, hp):
    if hp.encoder == "cnn":
        convs = [layers.Conv1D(hp.hidden, k, padding="same", activation="relu")(x) for k in (2, 3, 5)]
        x = layers.Concatenate()(convs)
        return layers.GlobalMaxPooling1D()(x)
    if hp.encoder == "bigru":
        return layers.Bidirectional(layers.GRU(hp.hidden))(x, mask=mask)
    if hp.encoder == "attention":
        attn = layers.MultiHeadAttention(num_heads=2, key_dim=hp.hidden // 2)
        # (batch, 1, seq) padding mask, broadcast over the query axis
        att_mask = mask[:, None, :]
        h = attn(x, x, attention_mask=att_mask)
        x = layers.LayerNormalization()(x + h)
        return layers.GlobalAveragePooling1D()(x, mask=mask)
    raise ValueError(f"unknown encoder {hp.encoder!r}")


def build_model(hp: HParams):
    tokens = keras.Input(shape=(SEQ_LEN,), dtype="int32")
    mask = layers.Lambda(lambda t: tf.not_equal(t, 0), name="pad_mask")(tokens)
    x = layers.Embedding(VOCAB, hp.embed_dim)(tokens)
    x = layers.SpatialDropout1D(hp.dropout)(x)
    x = encoder_block(x, mask, hp)
    x = layers.Dense(hp.hidden, activation="relu")(x)
    x = layers.Dropout(hp.dropout)(x)
    out = layers.Dense(N_CLASSES, activation="softmax")(x)
    model = keras.Model(tokens, out, name=f"clf_{hp.encoder}")
    model.compile(
        optimizer=keras.optimizers.Adam(hp.lr),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=hp.label_smoothing),
        metrics=[keras.metrics.CategoricalAccuracy(name="acc")],
    )
    return model


def run_trial(trial_id, hp, data):
    keras.backend.clear_session()
    (xtr, ytr), (xva, yva) = data
    model = build_model(hp)
    hist = model.fit(make_ds(xtr, ytr, hp.batch_size, True),
                     validation_data=make_ds(xva, yva, 128, False),
                     epochs=1, verbose=0)
    return {"trial": trial_id, **asdict(hp),
            "val_acc": hist.history["val_acc"][-1],
            "val_loss": hist.history["val_loss"][-1]}, model


def main():
    rng = random.Random(42)
    tf.random.set_seed(42)
    train = synthetic_text(N_TRAIN, 0)
    val = synthetic_text(N_VAL, 1)
    test = synthetic_text(N_TEST, 2)

    # always include the defaults as trial 0 (baseline), then random samples
    trials = [HParams()] + [sample_hparams(SEARCH_SPACE, rng) for _ in range(N_TRIALS - 1)]
    # make sure every encoder type gets tried at least once
    for enc, i in zip(["bigru", "attention"], itertools.count(1)):
        trials[i] = replace(trials[i], encoder=enc)

    leaderboard, best_model, best_acc = [], None, -1.0
    for i, hp in enumerate(trials):
        row, model = run_trial(i, hp, (train, val))
        leaderboard.append(row)
        print(f"trial {i}: {hp.encoder:<9} lr={hp.lr:.1e} hidden={hp.hidden:<3} "
              f"drop={hp.dropout} -> val_acc={row['val_acc']:.3f}")
        if row["val_acc"] > best_acc:
            best_acc, best_model = row["val_acc"], model

    leaderboard.sort(key=lambda r: (-r["val_acc"], r["val_loss"]))
    cols = ["trial", "encoder", "embed_dim", "hidden", "dropout", "lr", "batch_size", "val_acc"]
    print("\n" + " | ".join(f"{c:>9}" for c in cols))
    for r in leaderboard:
        cells = [f"{r[c]:>9.2e}" if c == "lr" else
                 f"{r[c]:>9.3f}" if isinstance(r[c], float) else f"{r[c]:>9}" for c in cols]
        print(" | ".join(cells))

    test_loss, test_acc = best_model.evaluate(make_ds(*test, 128, False), verbose=0)
    print(f"\nbest trial {leaderboard[0]['trial']} test acc: {test_acc:.3f}")


if __name__ == "__main__":
    main()
