"""TabTransformer for binary classification on a synthetic census-like table.

Categorical columns get their own embedding tables (plus a learned column
embedding), go through a small stack of transformer blocks, and are then
concatenated with layer-normalised numeric features before the MLP head.
Loosely follows the Keras "Structured data learning with TabTransformer" example.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEED = 42
NUM_ROWS = 1024
BATCH_SIZE = 128
EMBED_DIM = 16
NUM_HEADS = 4
NUM_TRANSFORMER_BLOCKS = 2
MLP_HIDDEN_FACTORS = [2, 1]
DROPOUT = 0.1
LEARNING_RATE = 1e-3

CATEGORICAL_FEATURES = {
    "workclass": ["private", "self-emp", "gov", "never-worked"],
    "education": ["hs", "bachelors", "masters", "doctorate", "some-college"],
    "marital_status": ["married", "single", "divorced", "widowed"],
    "occupation": ["tech", "sales", "craft", "admin", "service", "exec"],
    "relationship": ["husband", "wife", "own-child", "unmarried"],
}
NUMERIC_FEATURES = ["age", "hours_per_week", "capital_gain", "capital_loss"]
TARGET = "income_gt_50k"

rng = np.random.default_rng(SEED)
keras.utils.set_random_seed(SEED)


def make_synthetic_frame(n):
    """Returns a dict-of-columns, like what you'd get from pandas .to_dict('list')."""
    data = {}
    for name, vocab in CATEGORICAL_FEATURES.items():
        data[name] = rng.choice(vocab, size=n).astype(object)
    data["age"] = rng.integers(18, 80, size=n).astype("float32")
    data["hours_per_week"] = rng.normal(40, 10, size=n).clip(1, 99).astype("float32")
    data["capital_gain"] = rng.exponential(500, size=n).astype("float32")
    data["capital_loss"] = rng.exponential(80, size=n).astype("float32")
    logits = (
        0.04 * (data["age"] - 40)
        + 0.03 * (data["hours_per_week"] - 40)
        + 0.8 * np.isin(data["education"], ["masters", "doctorate"])
        - 0.5 * (data["marital_status"] == "single")
    )
    data[TARGET] = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype("float32")
    return data


def df_to_dataset(frame, shuffle=True, batch_size=BATCH_SIZE):
    frame = dict(frame)
    labels = frame.pop(TARGET)
    features = {k: np.asarray(v) if k in NUMERIC_FEATURES else np.asarray(v, dtype=str)
                for k, v in frame.items()}
    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    if shuffle:
        ds = ds.shuffle(buffer_size=len(labels), seed=SEED)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def create_model_inputs():
    inputs = {}
    for name in NUMERIC_FEATURES:
        inputs[name] = layers.Input(shape=(), name=name, dtype="float32")
    for name in CATEGORICAL_FEATURES:
        inputs[name] = layers.Input(shape=(), name=name, dtype="string")
    return inputs


def encode_inputs(inputs, embedding_dims):
    """StringLookup + per-feature Embedding for categoricals, stacked numerics."""
    encoded_categorical_feature_list = []
    numerical_feature_list = []

    for feature_name, vocabulary in CATEGORICAL_FEATURES.items():
        lookup = layers.StringLookup(
            vocabulary=vocabulary, mask_token=None, num_oov_indices=1,
            output_mode="int", name=f"{feature_name}_lookup",
        )
        encoded = lookup(inputs[feature_name])
        embedding = layers.Embedding(
            input_dim=lookup.vocabulary_size(), output_dim=embedding_dims,
            name=f"{feature_name}_embedding",
        )
        encoded_categorical_feature_list.append(embedding(encoded))

    for feature_name in NUMERIC_FEATURES:
        numerical_feature_list.append(layers.Reshape((1,))(inputs[feature_name]))

    return encoded_categorical_feature_list, numerical_feature_list


class ColumnEmbedding(layers.Layer):
    """Adds a learned per-column identifier embedding to each feature token."""

    def __init__(self, num_columns, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_columns = num_columns
        self.embed_dim = embed_dim

    def build(self, input_shape):
        self.column_embedding = self.add_weight(
            name="column_embedding",
            shape=(self.num_columns, self.embed_dim),
            initializer="random_normal",
            trainable=True,
        )

    def call(self, x):
        # x: (batch, num_columns, embed_dim)
        return x + self.column_embedding[None, :, :]

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_columns=self.num_columns, embed_dim=self.embed_dim)
        return cfg


def create_mlp(hidden_units, dropout_rate, activation, normalization_layer, name=None):
    mlp_layers = []
    for units in hidden_units:
        mlp_layers.append(normalization_layer())
        mlp_layers.append(layers.Dense(units, activation=activation))
        mlp_layers.append(layers.Dropout(dropout_rate))
    return keras.Sequential(mlp_layers, name=name)


def create_tabtransformer_classifier(
    num_transformer_blocks, num_heads, embedding_dims, mlp_hidden_units_factors,
    dropout_rate, use_column_embedding=True,
):
    inputs = create_model_inputs()
    cat_list, num_list = encode_inputs(inputs, embedding_dims)

    # (batch, num_categorical, embed_dim)
    encoded_categorical_features = layers.Lambda(
        lambda t: keras.ops.stack(t, axis=1), name="stack_categoricals"
    )(cat_list)
    # (batch, num_numeric)
    numerical_features = layers.concatenate(num_list)

    if use_column_embedding:
        encoded_categorical_features = ColumnEmbedding(
            len(CATEGORICAL_FEATURES), embedding_dims, name="column_embedding"
        )(encoded_categorical_features)

    for block_idx in range(num_transformer_blocks):
        attention_output = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=embedding_dims, dropout=dropout_rate,
            name=f"multihead_attention_{block_idx}",
        )(encoded_categorical_features, encoded_categorical_features)
        x = layers.Add(name=f"skip_connection1_{block_idx}")(
            [attention_output, encoded_categorical_features]
        )
        x = layers.LayerNormalization(name=f"layer_norm1_{block_idx}", epsilon=1e-6)(x)
        feedforward_output = create_mlp(
            hidden_units=[embedding_dims], dropout_rate=dropout_rate,
            activation=keras.activations.gelu,
            normalization_layer=lambda: layers.LayerNormalization(epsilon=1e-6),
            name=f"feedforward_{block_idx}",
        )(x)
        x = layers.Add(name=f"skip_connection2_{block_idx}")([feedforward_output, x])
        encoded_categorical_features = layers.LayerNormalization(
            name=f"layer_norm2_{block_idx}", epsilon=1e-6
        )(x)

    categorical_features = layers.Flatten()(encoded_categorical_features)
    numerical_features = layers.LayerNormalization(epsilon=1e-6)(numerical_features)
    features = layers.concatenate([categorical_features, numerical_features])

    mlp_hidden_units = [factor * features.shape[-1] for factor in mlp_hidden_units_factors]
    features = create_mlp(
        hidden_units=mlp_hidden_units, dropout_rate=dropout_rate,
        activation=keras.activations.selu,
        normalization_layer=layers.BatchNormalization, name="MLP",
    )(features)

    outputs = layers.Dense(1, activation="sigmoid", name="sigmoid")(features)
    return keras.Model(inputs=inputs, outputs=outputs, name="tabtransformer")


def main():
    train = make_synthetic_frame(NUM_ROWS)
    valid = make_synthetic_frame(NUM_ROWS // 4)
    train_ds = df_to_dataset(train)
    valid_ds = df_to_dataset(valid, shuffle=False)

    model = create_tabtransformer_classifier(
        num_transformer_blocks=NUM_TRANSFORMER_BLOCKS,
        num_heads=NUM_HEADS,
        embedding_dims=EMBED_DIM,
        mlp_hidden_units_factors=MLP_HIDDEN_FACTORS,
        dropout_rate=DROPOUT,
    )
    model.summary(line_length=110)

    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=LEARNING_RATE, weight_decay=1e-4),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy"), keras.metrics.AUC(name="auc")],
    )
    history = model.fit(train_ds, validation_data=valid_ds, epochs=1, verbose=2)
    print({k: round(v[-1], 4) for k, v in history.history.items()})

    sample_batch, _ = next(iter(valid_ds))
    probs = model.predict(sample_batch, verbose=0)
    print("prediction shape:", probs.shape)


if __name__ == "__main__":
    main()
