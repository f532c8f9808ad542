"""TabTransformer for binary classification on census-style tabular data.

Implementation follows Huang et al. (2020): categorical features are embedded,
contextualised by a stack of Transformer blocks, flattened and concatenated
with layer-normalised numerical features before an MLP head.
Synthetic "adult income"-like data is generated so this runs offline.
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ----------------------------------------------------------------------------
# Config
# ----------------------------------------------------------------------------
CONFIG = {
    "num_rows": 2000,
    "batch_size": 128,
    "embedding_dims": 16,
    "num_transformer_blocks": 2,
    "num_heads": 4,
    "dropout_rate": 0.1,
    "mlp_hidden_units_factors": [2, 1],
    "learning_rate": 1e-3,
    "weight_decay": 1e-4,
    "epochs": 1,
}

CATEGORICAL_FEATURES_WITH_VOCABULARY = {
    "workclass": ["Private", "Self-emp", "Gov", "Without-pay", "Never-worked"],
    "education": ["HS-grad", "Some-college", "Bachelors", "Masters", "Doctorate", "11th"],
    "marital_status": ["Married", "Never-married", "Divorced", "Widowed"],
    "occupation": ["Tech", "Craft", "Sales", "Exec", "Service", "Other"],
    "relationship": ["Husband", "Wife", "Own-child", "Unmarried", "Not-in-family"],
    "race": ["White", "Black", "Asian", "Other"],
    "gender": ["Male", "Female"],
}
NUMERIC_FEATURE_NAMES = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
FEATURE_NAMES = NUMERIC_FEATURE_NAMES + list(CATEGORICAL_FEATURES_WITH_VOCABULARY)
TARGET_FEATURE_NAME = "income_bracket"


def generate_census_like_data(n, seed=0):
    rng = np.random.default_rng(seed)
    cols = {}
    for name, vocab in CATEGORICAL_FEATURES_WITH_VOCABULARY.items():
        cols[name] = rng.choice(vocab, size=n)
    cols["age"] = rng.integers(17, 90, size=n).astype("float32")
    cols["education_num"] = rng.integers(1, 17, size=n).astype("float32")
    cols["capital_gain"] = (rng.exponential(500, size=n) * (rng.random(n) < 0.1)).astype("float32")
    cols["capital_loss"] = (rng.exponential(80, size=n) * (rng.random(n) < 0.05)).astype("float32")
    cols["hours_per_week"] = rng.normal(40, 12, size=n).clip(1, 99).astype("float32")
    score = (
        0.03 * (cols["age"] - 38)
        + 0.25 * (cols["education_num"] - 10)
        + 0.5 * (cols["marital_status"] == "Married")
        + 0.001 * cols["capital_gain"]
    )
    labels = (score + rng.normal(0, 1, n) > 0.8).astype("float32")
    return cols, labels


def make_dataset(features, labels, batch_size, shuffle=False):
    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    if shuffle:
        ds = ds.shuffle(batch_size * 8)
    return ds.batch(batch_size).cache().prefetch(tf.data.AUTOTUNE)


# ----------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------
def create_model_inputs():
    inputs = {}
    for feature_name in FEATURE_NAMES:
        if feature_name in NUMERIC_FEATURE_NAMES:
            inputs[feature_name] = layers.Input(name=feature_name, shape=(), dtype="float32")
        else:
            inputs[feature_name] = layers.Input(name=feature_name, shape=(), dtype="string")
    return inputs


def encode_inputs(inputs, embedding_dims):
    encoded_categorical_feature_list = []
    numerical_feature_list = []

    for feature_name in inputs:
        if feature_name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
            vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name]
            lookup = layers.StringLookup(
                vocabulary=vocabulary, mask_token=None, num_oov_indices=0, output_mode="int"
            )
            encoded_feature = lookup(inputs[feature_name])
            embedding = layers.Embedding(
                input_dim=len(vocabulary), output_dim=embedding_dims, name=f"{feature_name}_emb"
            )
            encoded_categorical_feature_list.append(embedding(encoded_feature))
        else:
            numerical_feature = layers.Reshape((1,))(inputs[feature_name])
            numerical_feature_list.append(numerical_feature)

    return encoded_categorical_feature_list, numerical_feature_list


class ColumnEmbedding(layers.Layer):
    """Adds a learned per-column embedding to a (batch, columns, dim) tensor."""

    def build(self, input_shape):
        num_columns, dim = input_shape[-2], input_shape[-1]
        self.column_embedding = layers.Embedding(input_dim=num_columns, output_dim=dim)
        self.column_embedding.build((num_columns,))
        self.num_columns = num_columns

    def call(self, inputs):
        column_indices = tf.range(start=0, limit=self.num_columns, delta=1)
        # (columns, dim) broadcasts over the batch axis
        return inputs + self.column_embedding(column_indices)


def create_mlp(hidden_units, dropout_rate, activation, normalization_layer, name=None):
    mlp_layers = []
    for units in hidden_units:
        mlp_layers.append(normalization_layer())
        mlp_layers.append(layers.Dense(units, activation=activation))
        mlp_layers.append(layers.Dropout(dropout_rate))
    return keras.Sequential(mlp_layers, name=name)


def create_tabtransformer_classifier(cfg):
    inputs = create_model_inputs()
    encoded_categorical_feature_list, numerical_feature_list = encode_inputs(
        inputs, cfg["embedding_dims"]
    )
    # Stack categorical embeddings: (batch, num_categorical, embedding_dims)
    encoded_categorical_features = keras.ops.stack(encoded_categorical_feature_list, axis=1)
    numerical_features = layers.concatenate(numerical_feature_list)

    # Shared "column" embedding added to every categorical token, so the
    # transformer knows which feature each token came from.
    encoded_categorical_features = ColumnEmbedding(name="column_embedding")(
        encoded_categorical_features
    )

    for block_idx in range(cfg["num_transformer_blocks"]):
        attention_output = layers.MultiHeadAttention(
            num_heads=cfg["num_heads"],
            key_dim=cfg["embedding_dims"],
            dropout=cfg["dropout_rate"],
            name=f"multihead_attention_{block_idx}",
        )(encoded_categorical_features, encoded_categorical_features)
        x = layers.Add(name=f"skip_connection1_{block_idx}")(
            [attention_output, encoded_categorical_features]
        )
        x = layers.LayerNormalization(name=f"layer_norm1_{block_idx}", epsilon=1e-6)(x)
        feedforward_output = create_mlp(
            hidden_units=[cfg["embedding_dims"]],
            dropout_rate=cfg["dropout_rate"],
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

    mlp_hidden_units = [
        factor * features.shape[-1] for factor in cfg["mlp_hidden_units_factors"]
    ]
    features = create_mlp(
        hidden_units=mlp_hidden_units,
        dropout_rate=cfg["dropout_rate"],
        activation=keras.activations.selu,
        normalization_layer=layers.BatchNormalization,
        name="MLP",
    )(features)

    outputs = layers.Dense(units=1, activation="sigmoid", name="sigmoid")(features)
    return keras.Model(inputs=inputs, outputs=outputs, name="tabtransformer")


def main(cfg=CONFIG):
    tf.random.set_seed(1234)
    features, labels = generate_census_like_data(cfg["num_rows"])
    split = int(0.8 * cfg["num_rows"])
    train = {k: v[:split] for k, v in features.items()}
    test = {k: v[split:] for k, v in features.items()}
    train_ds = make_dataset(train, labels[:split], cfg["batch_size"], shuffle=True)
    test_ds = make_dataset(test, labels[split:], cfg["batch_size"])

    model = create_tabtransformer_classifier(cfg)
    print("Total model weights:", model.count_params())
    print("Output shape:", model.output_shape)

    optimizer = keras.optimizers.AdamW(
        learning_rate=cfg["learning_rate"], weight_decay=cfg["weight_decay"]
    )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
        jit_compile=False,
    )
    steps = math.ceil(split / cfg["batch_size"])
    print(f"Training for {cfg['epochs']} epoch(s), {steps} steps each")
    model.fit(train_ds, epochs=cfg["epochs"], validation_data=test_ds, verbose=2)

    _, accuracy = model.evaluate(test_ds, verbose=0)
    print(f"Validation accuracy: {round(accuracy * 100, 2)}%")


if __name__ == "__main__":
    main()
