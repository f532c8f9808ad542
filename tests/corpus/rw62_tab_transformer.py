"""TabTransformer for a churn-prediction table (Huang et al., 2020).

Each categorical column is embedded into a shared d-dim space, a learned
column embedding is added, and the resulting (batch, n_cat, d) sequence goes
through a few Transformer blocks. Contextual embeddings are flattened and
concatenated with layer-normalized numeric features before the MLP head.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

# ----------------------------- hyper-parameters -----------------------------
N_ROWS = 1600
BATCH_SIZE = 64
EMBED_DIM = 16
NUM_HEADS = 4
NUM_BLOCKS = 2
MLP_HIDDEN_FACTORS = [2, 1]
DROPOUT = 0.1
LEARNING_RATE = 1e-3

CAT_FEATURES = {
    "contract": ["month-to-month", "one-year", "two-year"],
    "internet": ["dsl", "fiber", "none"],
    "payment": ["e-check", "mailed-check", "bank-transfer", "credit-card"],
    "gender": ["f", "m"],
    "senior": ["0", "1"],
    "region": [f"r{i}" for i in range(9)],
}
NUM_FEATURES = ["tenure_months", "monthly_charges", "support_calls"]
TARGET = "churn"


def make_table(n, seed=3):
    r = np.random.default_rng(seed)
    t = {name: r.choice(vocab, size=n) for name, vocab in CAT_FEATURES.items()}
    t["tenure_months"] = r.integers(0, 72, n).astype("float32")
    t["monthly_charges"] = r.normal(65, 30, n).clip(18, 120).astype("float32")
    t["support_calls"] = r.poisson(1.5, n).astype("float32")
    z = (
        1.2 * (t["contract"] == "month-to-month")
        + 0.6 * (t["internet"] == "fiber")
        + 0.4 * (t["payment"] == "e-check")
        - 0.04 * t["tenure_months"]
        + 0.3 * t["support_calls"]
        - 0.5
    )
    t[TARGET] = (r.random(n) < 1 / (1 + np.exp(-z))).astype("float32")
    return t


def df_to_dataset(table, shuffle=True, batch_size=BATCH_SIZE):
    table = dict(table)
    labels = table.pop(TARGET)
    ds = tf.data.Dataset.from_tensor_slices((table, labels))
    if shuffle:
        ds = ds.shuffle(buffer_size=len(labels))
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def create_model_inputs():
    inputs = {}
    for name in CAT_FEATURES:
        inputs[name] = layers.Input(name=name, shape=(), dtype="string")
    for name in NUM_FEATURES:
        inputs[name] = layers.Input(name=name, shape=(), dtype="float32")
    return inputs


def encode_inputs(inputs, embedding_dims):
    """Returns a list of (batch, d) categorical embeddings and a list of numerics."""
    encoded_categorical = []
    numerical = []
    for name, tensor in inputs.items():
        if name in CAT_FEATURES:
            vocab = CAT_FEATURES[name]
            lookup = layers.StringLookup(vocabulary=vocab, mask_token=None,
                                         num_oov_indices=0, output_mode="int")
            idx = lookup(tensor)
            emb = layers.Embedding(input_dim=len(vocab), output_dim=embedding_dims,
                                   name=f"{name}_embedding")
            encoded_categorical.append(emb(idx))
        else:
            numerical.append(keras.ops.expand_dims(tensor, -1))
    return encoded_categorical, numerical


class ColumnEmbedding(layers.Layer):
    """Adds a learned per-column identifier vector to each token."""

    def build(self, input_shape):
        _, n_cols, dim = input_shape
        self.column_embedding = self.add_weight(
            name="column_embedding", shape=(n_cols, dim),
            initializer="random_normal", trainable=True,
        )

    def call(self, x):
        return x + self.column_embedding[None, :, :]


def create_mlp(hidden_units, dropout_rate, activation, normalization_layer, name=None):
    mlp_layers = []
    for units in hidden_units:
        mlp_layers.append(normalization_layer())
        mlp_layers.append(layers.Dense(units, activation=activation))
        mlp_layers.append(layers.Dropout(dropout_rate))
    return keras.Sequential(mlp_layers, name=name)


def transformer_block(x, block_id):
    attn_out = layers.MultiHeadAttention(
        num_heads=NUM_HEADS, key_dim=EMBED_DIM, dropout=DROPOUT,
        name=f"mha_{block_id}",
    )(x, x)
    x = layers.Add(name=f"skip1_{block_id}")([attn_out, x])
    x = layers.LayerNormalization(epsilon=1e-6, name=f"ln1_{block_id}")(x)
    ff = create_mlp(
        hidden_units=[EMBED_DIM * 2, EMBED_DIM], dropout_rate=DROPOUT,
        activation=keras.activations.gelu,
        normalization_layer=lambda: layers.LayerNormalization(epsilon=1e-6),
        name=f"ffn_{block_id}",
    )(x)
    x = layers.Add(name=f"skip2_{block_id}")([ff, x])
    return layers.LayerNormalization(epsilon=1e-6, name=f"ln2_{block_id}")(x)


def create_tabtransformer(numeric_stats):
    inputs = create_model_inputs()
    cat_embs, numerics = encode_inputs(inputs, EMBED_DIM)

    tokens = keras.ops.stack(cat_embs, axis=1)  # (B, n_cat, d)
    tokens = ColumnEmbedding(name="column_ids")(tokens)
    for b in range(NUM_BLOCKS):
        tokens = transformer_block(tokens, b)
    contextual = layers.Flatten()(tokens)  # (B, n_cat * d)

    num = layers.concatenate(numerics)  # (B, n_num)
    norm = layers.Normalization(mean=numeric_stats[0], variance=numeric_stats[1])
    num = layers.LayerNormalization(epsilon=1e-6)(norm(num))

    features = layers.concatenate([contextual, num])
    mlp_units = [f * features.shape[-1] for f in MLP_HIDDEN_FACTORS]
    h = create_mlp(mlp_units, DROPOUT, keras.activations.selu,
                   layers.BatchNormalization, name="mlp_head")(features)
    outputs = layers.Dense(1, activation="sigmoid", name="churn_prob")(h)
    return keras.Model(inputs=inputs, outputs=outputs, name="tab_transformer")


if __name__ == "__main__":
    table = make_table(N_ROWS)
    cut = int(0.8 * N_ROWS)
    train_tbl = {k: v[:cut] for k, v in table.items()}
    valid_tbl = {k: v[cut:] for k, v in table.items()}

    num_matrix = np.stack([train_tbl[n] for n in NUM_FEATURES], axis=1)
    stats = (num_matrix.mean(0), num_matrix.var(0))

    model = create_tabtransformer(stats)
    print("total params:", model.count_params())
    print("token sequence shape after blocks:",
          model.get_layer("ln2_1").output.shape)

    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=LEARNING_RATE, weight_decay=1e-4),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy"),
                 keras.metrics.AUC(name="auc")],
    )
    model.fit(df_to_dataset(train_tbl), epochs=1,
              validation_data=df_to_dataset(valid_tbl, shuffle=False), verbose=2)

    # attention maps from the first block: which columns attend to which
    mha = model.get_layer("mha_0")
    probe = keras.Model(model.inputs, model.get_layer("column_ids").output)
    batch_x, _ = next(iter(df_to_dataset(valid_tbl, shuffle=False, batch_size=8)))
    tok = probe(batch_x)
    _, scores = mha(tok, tok, return_attention_scores=True)
    print("attention scores:", scores.shape)  # (8, heads, n_cat, n_cat)
    avg = keras.ops.convert_to_numpy(keras.ops.mean(scores, axis=(0, 1)))
    cols = list(CAT_FEATURES)
    print("column 'contract' attends most to:", cols[int(avg[0].argmax())])
