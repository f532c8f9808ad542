"""Multi-input / multi-output functional model with merge layers.

Structured like the Keras 2 "news headline + metadata" example: an embedded
text branch, a numeric branch and a categorical branch, combined with the
Concatenate / Add / Multiply / Average / Dot merge layers (the old
`keras.layers.merge(..., mode='concat')` calls). Trained with
validation_split, two losses and loss_weights.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class Config:
    vocab_size: int = 500
    max_len: int = 20
    n_numeric: int = 6
    n_categories: int = 12
    embed_dim: int = 32
    hidden: int = 32
    n_samples: int = 600
    batch_size: int = 32
    epochs: int = 2
    validation_split: float = 0.2
    aux_loss_weight: float = 0.2


def make_data(cfg: Config, seed=0):
    rng = np.random.default_rng(seed)
    text = rng.integers(1, cfg.vocab_size, size=(cfg.n_samples, cfg.max_len))
    # pad the tail of some sequences with 0, like pad_sequences(padding='post')
    lengths = rng.integers(5, cfg.max_len + 1, size=cfg.n_samples)
    for i, L in enumerate(lengths):
        text[i, L:] = 0
    numeric = rng.normal(size=(cfg.n_samples, cfg.n_numeric)).astype("float32")
    cat = rng.integers(0, cfg.n_categories, size=(cfg.n_samples, 1))
    score = numeric[:, :2].sum(axis=1) + 0.01 * text[:, 0] / cfg.vocab_size
    y_main = (score > 0).astype("float32")
    y_aux = (numeric[:, 0] > 0).astype("float32")
    return {"headline": text, "meta": numeric, "category": cat}, {"main_output": y_main, "aux_output": y_aux}


def build_model(cfg: Config) -> keras.Model:
    headline = keras.Input(shape=(cfg.max_len,), dtype="int32", name="headline")
    meta = keras.Input(shape=(cfg.n_numeric,), name="meta")
    category = keras.Input(shape=(1,), dtype="int32", name="category")

    # --- text branch: two encoders, averaged -------------------------------
    emb = layers.Embedding(cfg.vocab_size, cfg.embed_dim, mask_zero=True,
                           name="word_embedding")(headline)
    lstm_out = layers.LSTM(cfg.hidden, name="lstm")(emb)
    pooled = layers.GlobalAveragePooling1D(name="avg_pool")(emb)
    pooled = layers.Dense(cfg.hidden, activation="tanh", name="pool_proj")(pooled)
    text_vec = layers.Average(name="text_avg")([lstm_out, pooled])

    # auxiliary output right after the text encoder, like the Keras 2 guide
    aux_output = layers.Dense(1, activation="sigmoid", name="aux_output")(text_vec)

    # --- categorical branch -----------------------------------------------
    cat_emb = layers.Embedding(cfg.n_categories, cfg.hidden, name="cat_embedding")(category)
    cat_vec = layers.Flatten(name="cat_flat")(cat_emb)  # (None, 1, H) -> (None, H)

    # --- numeric branch with a residual Add -------------------------------
    m = layers.Dense(cfg.hidden, activation="relu", name="meta_dense1")(meta)
    m2 = layers.Dense(cfg.hidden, name="meta_dense2")(m)
    meta_vec = layers.Add(name="meta_residual")([m, m2])
    meta_vec = layers.Activation("relu")(meta_vec)

    # gating: category embedding modulates the numeric features
    gate = layers.Dense(cfg.hidden, activation="sigmoid", name="cat_gate")(cat_vec)
    gated_meta = layers.Multiply(name="gated_meta")([meta_vec, gate])

    # cosine similarity between text and category representation
    sim = layers.Dot(axes=1, normalize=True, name="text_cat_cosine")([text_vec, cat_vec])

    x = layers.Concatenate(axis=-1, name="merge_all")([text_vec, gated_meta, cat_vec, sim])
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(32, activation="relu")(x)
    main_output = layers.Dense(1, activation="sigmoid", name="main_output")(x)

    return keras.Model(inputs=[headline, meta, category],
                       outputs=[main_output, aux_output],
                       name="headline_model")


def main():
    cfg = Config()
    tf.random.set_seed(3)
    inputs, targets = make_data(cfg)

    model = build_model(cfg)
    model.summary(line_length=110)

    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss={"main_output": "binary_crossentropy", "aux_output": "binary_crossentropy"},
        loss_weights={"main_output": 1.0, "aux_output": cfg.aux_loss_weight},
        metrics={"main_output": ["accuracy", keras.metrics.AUC(name="auc")],
                 "aux_output": ["accuracy"]},
    )

    # validation_split needs array-like inputs (not a tf.data.Dataset)
    history = model.fit(inputs, targets,
                        batch_size=cfg.batch_size,
                        epochs=cfg.epochs,
                        validation_split=cfg.validation_split,
                        shuffle=True,
                        verbose=2)
    print("history keys:", sorted(history.history))

    # the model also accepts a positional list of inputs
    sample = [inputs["headline"][:5], inputs["meta"][:5], inputs["category"][:5]]
    main_pred, aux_pred = model.predict(sample, verbose=0)
    print("main:", main_pred.shape, "aux:", aux_pred.shape)

    # peek at the merge outputs
    probe = keras.Model(model.inputs,
                        [model.get_layer(n).output
                         for n in ("text_avg", "gated_meta", "text_cat_cosine", "merge_all")])
    for name, arr in zip(("text_avg", "gated_meta", "text_cat_cosine", "merge_all"),
                         probe.predict(sample, verbose=0)):
        print("  %-16s %s" % (name, arr.shape))


if __name__ == "__main__":
    main()
