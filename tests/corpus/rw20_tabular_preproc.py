"""Credit-default tabular model with adapted Keras preprocessing layers.

Numeric columns go through Normalization (adapted on training data),
skewed money columns are bucketised with Discretization (quantile
bins learned by adapt), low-cardinality categoricals use
StringLookup + CategoryEncoding (multi-hot / one-hot), and a couple of
feature crosses are hashed with HashedCrossing.  The preprocessing is
kept as a separate model so it can run inside tf.data on CPU while
the trainable model stays small; at export time the two are chained
into one end-to-end inference model that takes raw dict inputs.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

NUMERIC = ["age", "tenure_months", "num_accounts", "utilization"]
BUCKETIZED = {"income": 8, "balance": 6}
CATEGORICAL = {
    "employment": ["salaried", "self_employed", "unemployed", "retired", "student"],
    "region": ["north", "south", "east", "west", "central"],
    "product": ["card", "loan", "mortgage", "overdraft"],
}
CROSSES = [("region", "product", 32), ("employment", "product", 24)]
TARGET = "default"


def synth_frame(n, seed):
    """Return a column-oriented dict of numpy arrays (one row per customer)."""
    rng = np.random.default_rng(seed)
    df = {
        "age": rng.integers(18, 80, n).astype("float32"),
        "tenure_months": rng.exponential(36, n).astype("float32"),
        "num_accounts": rng.poisson(3, n).astype("float32"),
        "utilization": rng.beta(2, 5, n).astype("float32"),
        "income": rng.lognormal(10.5, 0.6, n).astype("float32"),
        "balance": rng.lognormal(8.0, 1.2, n).astype("float32"),
    }
    for col, vocab in CATEGORICAL.items():
        df[col] = rng.choice(vocab, n)
    risk = (
        2.5 * df["utilization"]
        - 0.4 * np.log(df["income"] / 30000)
        + 0.8 * (df["employment"] == "unemployed")
        - 0.01 * df["tenure_months"]
    )
    df[TARGET] = (rng.random(n) < 1 / (1 + np.exp(-(risk - 1.0)))).astype("float32")
    return df


def frame_to_dict(df):
    return {col: values[:, None] for col, values in df.items() if col != TARGET}


def take_rows(df, idx):
    return {col: values[idx] for col, values in df.items()}


def make_inputs():
    inputs = {}
    for col in NUMERIC + list(BUCKETIZED):
        inputs[col] = keras.Input(shape=(1,), name=col, dtype="float32")
    for col in CATEGORICAL:
        inputs[col] = keras.Input(shape=(1,), name=col, dtype="string")
    return inputs


def build_preprocessor(train_df):
    inputs = make_inputs()
    encoded = []

    numeric_stack = layers.Concatenate(name="numeric_stack")([inputs[c] for c in NUMERIC])
    norm = layers.Normalization(axis=-1, name="numeric_norm")
    norm.adapt(np.stack([train_df[c] for c in NUMERIC], axis=1))
    encoded.append(norm(numeric_stack))

    for col, n_bins in BUCKETIZED.items():
        disc = layers.Discretization(num_bins=n_bins, epsilon=0.01, name=f"{col}_bins")
        disc.adapt(train_df[col])
        one_hot = layers.CategoryEncoding(num_tokens=n_bins, output_mode="one_hot",
                                          name=f"{col}_onehot")
        encoded.append(one_hot(disc(inputs[col])))

    lookups = {}
    for col, vocab in CATEGORICAL.items():
        lookup = layers.StringLookup(vocabulary=vocab, output_mode="int", name=f"{col}_lookup")
        lookups[col] = lookup(inputs[col])
        encoded.append(layers.CategoryEncoding(num_tokens=lookup.vocabulary_size(),
                                               output_mode="one_hot",
                                               name=f"{col}_onehot")(lookups[col]))

    for a, b, bins in CROSSES:
        cross = layers.HashedCrossing(num_bins=bins, output_mode="one_hot", name=f"{a}_x_{b}")
        encoded.append(cross((lookups[a], lookups[b])))

    features = layers.Concatenate(name="encoded")(encoded)
    return keras.Model(inputs, features, name="preprocessor")


def build_classifier(input_dim, hidden=(64, 32), dropout=0.2):
    model = keras.Sequential(name="classifier")
    model.add(keras.Input(shape=(input_dim,)))
    for units in hidden:
        model.add(layers.Dense(units, activation="relu",
                               kernel_regularizer=keras.regularizers.l2(1e-4)))
        model.add(layers.Dropout(dropout))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


def to_ds(df, preprocessor, batch_size=128, shuffle=False):
    ds = tf.data.Dataset.from_tensor_slices((frame_to_dict(df), df[TARGET]))
    if shuffle:
        ds = ds.shuffle(len(df[TARGET]), seed=0)
    ds = ds.batch(batch_size)
    return ds.map(lambda x, y: (preprocessor(x), y), num_parallel_calls=tf.data.AUTOTUNE)


def main():
    keras.utils.set_random_seed(5)
    train_df, val_df = synth_frame(1500, seed=1), synth_frame(400, seed=2)
    for col in NUMERIC + list(BUCKETIZED):
        print(f"{col:>14s} mean={train_df[col].mean():10.2f} std={train_df[col].std():10.2f}")
    print(f"{'default rate':>14s} {train_df[TARGET].mean():.3f}")

    preprocessor = build_preprocessor(train_df)
    encoded_dim = preprocessor.output_shape[-1]
    print("encoded feature width:", encoded_dim)

    clf = build_classifier(encoded_dim)
    clf.compile(optimizer="adam", loss="binary_crossentropy",
                metrics=[keras.metrics.AUC(name="auc"), keras.metrics.Precision(name="precision"),
                         keras.metrics.Recall(name="recall")])
    clf.fit(to_ds(train_df, preprocessor, shuffle=True),
            validation_data=to_ds(val_df, preprocessor), epochs=1, verbose=2)

    raw_inputs = make_inputs()
    end_to_end = keras.Model(raw_inputs, clf(preprocessor(raw_inputs)), name="credit_default_e2e")

    sample = take_rows(val_df, np.random.default_rng(0).choice(len(val_df[TARGET]), 6, replace=False))
    sample_ds = tf.data.Dataset.from_tensor_slices(frame_to_dict(sample)).batch(6)
    probs = end_to_end.predict(sample_ds, verbose=0)[:, 0]
    print(f"{'age':>5} {'income':>10} {'employment':>14} {'product':>10} {'y':>3} {'p':>6}")
    for i, p in enumerate(probs):
        print(f"{sample['age'][i]:5.0f} {sample['income'][i]:10.0f} {sample['employment'][i]:>14} "
              f"{sample['product'][i]:>10} {sample[TARGET][i]:3.0f} {p:6.3f}")

    bins = preprocessor.get_layer("income_bins")
    print("learned income boundaries:", [round(b) for b in bins.bin_boundaries])


if __name__ == "__main__":
    main()
