import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---------------------------------------------------------------------------
# DeepFM on a Criteo-like toy table: a handful of sparse fields + dense counts
# ---------------------------------------------------------------------------
SPARSE_FEATS = {"C1": 40, "C2": 120, "C3": 15, "C4": 300, "C5": 7, "C6": 55}
DENSE_FEATS = ["I1", "I2", "I3", "I4"]
EMBED_K = 10
N = 4096

rng = np.random.RandomState(11)
# no pandas here, just a dict of column arrays
df = {c: rng.randint(0, v, N) for c, v in SPARSE_FEATS.items()}
for c in DENSE_FEATS:
    df[c] = rng.poisson(3.0, N)
logit = 0.3 * (df["C1"] % 3 == 0) + 0.02 * df["I1"] - 0.5 * (df["C5"] == 2)
df["label"] = (rng.rand(N) < 1 / (1 + np.exp(-(logit - 0.8)))).astype("float32")

# usual Criteo trick: log-transform counts
for c in DENSE_FEATS:
    df[c] = np.log1p(df[c]).astype("float32")

print({k: v[:3] for k, v in df.items()})
print("CTR:", df["label"].mean())


class FMInteraction(layers.Layer):
    """Second-order FM term: 0.5 * sum((sum v)^2 - sum(v^2))."""

    def call(self, embeds):
        # embeds: (batch, num_fields, k)
        square_of_sum = tf.square(tf.reduce_sum(embeds, axis=1, keepdims=True))
        sum_of_square = tf.reduce_sum(embeds * embeds, axis=1, keepdims=True)
        cross = square_of_sum - sum_of_square
        return 0.5 * tf.reduce_sum(cross, axis=2)   # (batch, 1)


def build_deepfm(sparse_feats, dense_feats, k=EMBED_K, dnn_units=(128, 64), dropout=0.2):
    sparse_inputs = {f: keras.Input(shape=(1,), name=f, dtype="int32") for f in sparse_feats}
    dense_input = keras.Input(shape=(len(dense_feats),), name="dense_feats")

    # --- first order (linear) part ---
    linear_terms = []
    for f, vocab in sparse_feats.items():
        w = layers.Embedding(vocab, 1, name=f"lin_{f}")(sparse_inputs[f])  # (B,1,1)
        linear_terms.append(layers.Flatten()(w))
    linear_sparse = layers.Add()(linear_terms)
    linear_dense = layers.Dense(1, use_bias=False)(dense_input)
    linear_logit = layers.Add(name="linear_logit")([linear_sparse, linear_dense])

    # --- shared embeddings for FM + DNN ---
    emb_list = [layers.Embedding(vocab, k, name=f"emb_{f}")(sparse_inputs[f])
                for f, vocab in sparse_feats.items()]
    # dense features are projected to the same k so they also enter the FM
    dense_emb = layers.Reshape((1, k))(layers.Dense(k)(dense_input))
    field_embeds = layers.Concatenate(axis=1, name="field_embeds")(emb_list + [dense_emb])

    fm_logit = FMInteraction(name="fm")(field_embeds)

    # --- DNN part ---
    x = layers.Flatten()(field_embeds)
    for units in dnn_units:
        x = layers.Dense(units)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Dropout(dropout)(x)
    dnn_logit = layers.Dense(1, use_bias=False)(x)

    total = layers.Add()([linear_logit, fm_logit, dnn_logit])
    out = layers.Activation("sigmoid", name="ctr")(total)
    model = keras.Model(inputs=list(sparse_inputs.values()) + [dense_input], outputs=out)
    return model


def df_to_dataset(frame, rows, batch_size=256, shuffle=True):
    inputs = {f: frame[f][rows].astype("int32").reshape(-1, 1) for f in SPARSE_FEATS}
    inputs["dense_feats"] = np.stack([frame[c][rows] for c in DENSE_FEATS], axis=1).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((inputs, frame["label"][rows]))
    if shuffle:
        ds = ds.shuffle(len(inputs["dense_feats"]), seed=0)
    return ds.batch(batch_size).prefetch(2)


split = int(0.8 * N)
train_ds = df_to_dataset(df, slice(0, split))
valid_ds = df_to_dataset(df, slice(split, N), shuffle=False)

model = build_deepfm(SPARSE_FEATS, DENSE_FEATS)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=3e-3),
    loss=keras.losses.BinaryCrossentropy(),
    metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="acc")],
)
print("field_embeds:", model.get_layer("field_embeds").output.shape)
print("fm out:", model.get_layer("fm").output.shape)

model.fit(train_ds, validation_data=valid_ds, epochs=2, verbose=2)

# score a few rows and inspect the three components separately
probe = keras.Model(model.inputs, [model.get_layer("linear_logit").output,
                                   model.get_layer("fm").output,
                                   model.output])
batch_x, batch_y = next(iter(valid_ds))
lin, fm, p = probe(batch_x)
print("linear", lin.shape, "fm", fm.shape, "p", p.shape)
print("first 5 preds:", np.round(p.numpy()[:5, 0], 3), "labels:", batch_y.numpy()[:5])
