"""Wide & Deep classifier on a synthetic census-style table.

Wide part: one-hot categorical features + hashed feature crosses.
Deep part: embeddings for categorical columns + normalized numeric columns.
Inputs arrive as a dict from tf.data.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
N_ROWS = 600
BATCH_SIZE = 64
EPOCHS = 2
EMBED_DIM = 8
CROSS_BINS = 64

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)

EDUCATION = ["hs", "some_college", "bachelors", "masters", "phd"]
OCCUPATION = ["tech", "sales", "admin", "craft", "service", "exec", "farming"]
MARITAL = ["single", "married", "divorced", "widowed"]
NUMERIC_COLS = ["age", "hours_per_week", "capital_gain"]
CATEGORICAL_COLS = {"education": EDUCATION, "occupation": OCCUPATION, "marital": MARITAL}
CROSSES = [("education", "occupation"), ("marital", "occupation")]


def make_table(n):
    edu = rng.choice(EDUCATION, size=n, p=[0.35, 0.25, 0.2, 0.15, 0.05])
    occ = rng.choice(OCCUPATION, size=n)
    mar = rng.choice(MARITAL, size=n, p=[0.4, 0.4, 0.15, 0.05])
    age = rng.integers(18, 75, size=n).astype("float32")
    hours = np.clip(rng.normal(40, 10, size=n), 5, 90).astype("float32")
    gain = np.where(rng.random(n) < 0.1, rng.exponential(5000, size=n), 0.0).astype("float32")

    edu_score = np.array([EDUCATION.index(e) for e in edu], dtype="float32")
    logit = (0.6 * edu_score + 0.03 * (age - 40) + 0.04 * (hours - 40)
             + 0.0002 * gain + np.isin(occ, ["tech", "exec"]) * 1.0 - 2.0)
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("float32")

    features = {
        "education": edu, "occupation": occ, "marital": mar,
        "age": age, "hours_per_week": hours, "capital_gain": np.log1p(gain),
    }
    return features, label


def split(features, labels, frac=0.8):
    cut = int(len(labels) * frac)
    train = ({k: v[:cut] for k, v in features.items()}, labels[:cut])
    val = ({k: v[cut:] for k, v in features.items()}, labels[cut:])
    return train, val


def to_dataset(features, labels, shuffle=True):
    ds = tf.data.Dataset.from_tensor_slices((dict(features), labels))
    if shuffle:
        ds = ds.shuffle(len(labels), seed=SEED)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def build_model(train_features):
    inputs = {}
    for col in NUMERIC_COLS:
        inputs[col] = keras.Input(shape=(1,), name=col, dtype="float32")
    for col in CATEGORICAL_COLS:
        inputs[col] = keras.Input(shape=(1,), name=col, dtype="string")

    # --- deep side ---
    deep_parts = []
    for col in NUMERIC_COLS:
        norm = layers.Normalization(name=f"norm_{col}")
        norm.adapt(train_features[col].reshape(-1, 1))
        deep_parts.append(norm(inputs[col]))

    lookups = {}
    for col, vocab in CATEGORICAL_COLS.items():
        lookup = layers.StringLookup(vocabulary=vocab, name=f"lookup_{col}")
        lookups[col] = lookup
        idx = lookup(inputs[col])
        emb = layers.Embedding(lookup.vocabulary_size(), EMBED_DIM, name=f"emb_{col}")(idx)
        deep_parts.append(layers.Flatten()(emb))

    deep = layers.Concatenate(name="deep_concat")(deep_parts)
    for i, units in enumerate([64, 32]):
        deep = layers.Dense(units, activation="relu", name=f"deep_{i}")(deep)
        deep = layers.Dropout(0.2)(deep)

    # --- wide side ---
    wide_parts = []
    for col in CATEGORICAL_COLS:
        onehot = layers.CategoryEncoding(
            num_tokens=lookups[col].vocabulary_size(), output_mode="one_hot",
            name=f"onehot_{col}")
        wide_parts.append(onehot(lookups[col](inputs[col])))

    for a, b in CROSSES:
        cross = layers.HashedCrossing(num_bins=CROSS_BINS, output_mode="one_hot",
                                      name=f"cross_{a}_x_{b}")
        wide_parts.append(cross((inputs[a], inputs[b])))

    wide = layers.Concatenate(name="wide_concat")(wide_parts)

    logits = layers.Dense(1, name="wide_logit")(wide) + layers.Dense(1, name="deep_logit")(deep)
    output = layers.Activation("sigmoid", name="income_gt_50k")(logits)
    return keras.Model(inputs=inputs, outputs=output, name="wide_and_deep")


def main():
    feats, labels = make_table(N_ROWS)
    (train_x, train_y), (val_x, val_y) = split(feats, labels)
    # Keras Input(shape=(1,)) -> give every column a trailing axis
    train_x = {k: v.reshape(-1, 1) for k, v in train_x.items()}
    val_x = {k: v.reshape(-1, 1) for k, v in val_x.items()}

    model = build_model(train_x)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc"), "accuracy"],
    )
    model.summary(line_length=110)

    history = model.fit(to_dataset(train_x, train_y),
                        validation_data=to_dataset(val_x, val_y, shuffle=False),
                        epochs=EPOCHS, verbose=2)
    print({k: round(v[-1], 4) for k, v in history.history.items()})

    sample = {k: v[:5] for k, v in val_x.items()}
    # numpy unicode arrays aren't accepted directly by predict -> go through tensors
    probs = model.predict({k: tf.constant(v) for k, v in sample.items()}, verbose=0).ravel()
    for i, p in enumerate(probs):
        print(f"row {i}: edu={sample['education'][i, 0]:<13} occ={sample['occupation'][i, 0]:<8} p={p:.3f}")


if __name__ == "__main__":
    main()
