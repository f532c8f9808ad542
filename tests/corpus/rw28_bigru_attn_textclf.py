"""Sentiment classifier: TextVectorization -> Embedding -> BiGRU -> attention pooling.

Adapted from a course notebook; the IMDB download is replaced by a tiny
in-memory corpus so the notebook runs offline.
"""
import random
import string

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 1337
random.seed(SEED)
np.random.seed(SEED)
tf.random.set_seed(SEED)

CONFIG = {
    "max_tokens": 2000,
    "seq_len": 48,
    "embed_dim": 64,
    "gru_units": 32,
    "attn_units": 48,
    "dropout": 0.3,
    "batch_size": 16,
    "lr": 1e-3,
}

POSITIVE = ["great", "wonderful", "loved", "brilliant", "moving", "fun", "superb", "charming"]
NEGATIVE = ["awful", "boring", "hated", "dull", "mess", "weak", "terrible", "tedious"]
FILLER = ("the movie was really quite a and plot acting cast story director "
          "film scenes ending music i it this").split()


def make_review(label):
    words = random.choices(FILLER, k=random.randint(8, 40))
    pool = POSITIVE if label == 1 else NEGATIVE
    for _ in range(random.randint(1, 4)):
        words.insert(random.randrange(len(words)), random.choice(pool))
    text = " ".join(words).capitalize() + random.choice([".", "!", "<br /><br />"])
    return text


def build_corpus(n):
    labels = [random.randint(0, 1) for _ in range(n)]
    return [make_review(y) for y in labels], np.array(labels, dtype="int32")


def custom_standardization(input_data):
    lowercase = tf.strings.lower(input_data)
    stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
    return tf.strings.regex_replace(
        stripped_html, f"[{string.punctuation.replace('<', '').replace('>', '')}]", ""
    )


class AttentionPooling(layers.Layer):
    """Additive (Bahdanau-style) attention pooling over the time axis, mask aware."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.supports_masking = True

    def build(self, input_shape):
        feat_dim = input_shape[-1]
        self.W = self.add_weight(name="W", shape=(feat_dim, self.units),
                                 initializer="glorot_uniform")
        self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")
        self.v = self.add_weight(name="v", shape=(self.units, 1),
                                 initializer="glorot_uniform")
        super().build(input_shape)

    def call(self, inputs, mask=None):
        # inputs: (batch, time, features)
        score = tf.tensordot(tf.tanh(tf.tensordot(inputs, self.W, axes=1) + self.b),
                             self.v, axes=1)           # (batch, time, 1)
        score = tf.squeeze(score, axis=-1)             # (batch, time)
        if mask is not None:
            score += (1.0 - tf.cast(mask, score.dtype)) * -1e9
        weights = tf.nn.softmax(score, axis=-1)
        context = tf.reduce_sum(inputs * tf.expand_dims(weights, -1), axis=1)
        return context, weights

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"units": self.units})
        return cfg


def build_model(vectorizer, cfg):
    text_in = keras.Input(shape=(1,), dtype=tf.string, name="review")
    token_ids = vectorizer(text_in)
    x = layers.Embedding(vectorizer.vocabulary_size(), cfg["embed_dim"], mask_zero=True,
                         name="embedding")(token_ids)
    x = layers.SpatialDropout1D(0.1)(x)
    x = layers.Bidirectional(layers.GRU(cfg["gru_units"], return_sequences=True),
                             name="bigru")(x)
    context, attn = AttentionPooling(cfg["attn_units"], name="attn_pool")(x)
    h = layers.Dropout(cfg["dropout"])(context)
    h = layers.Dense(32, activation="relu")(h)
    out = layers.Dense(1, activation="sigmoid", name="sentiment")(h)
    model = keras.Model(text_in, out, name="bigru_attention_clf")
    attn_model = keras.Model(text_in, attn, name="attention_probe")
    return model, attn_model


def make_dataset(texts, labels, batch_size, shuffle=True):
    ds = tf.data.Dataset.from_tensor_slices((texts, labels))
    if shuffle:
        ds = ds.shuffle(len(texts), seed=SEED)
    ds = ds.map(lambda t, y: (tf.expand_dims(t, -1), y))
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def main():
    train_texts, train_labels = build_corpus(192)
    val_texts, val_labels = build_corpus(48)

    vectorize_layer = layers.TextVectorization(
        standardize=custom_standardization,
        max_tokens=CONFIG["max_tokens"],
        output_mode="int",
        output_sequence_length=CONFIG["seq_len"],
    )
    vectorize_layer.adapt(train_texts)
    vocab = vectorize_layer.get_vocabulary()
    print(f"vocab size: {len(vocab)}  sample: {vocab[:10]}")

    train_ds = make_dataset(train_texts, train_labels, CONFIG["batch_size"])
    val_ds = make_dataset(val_texts, val_labels, CONFIG["batch_size"], shuffle=False)

    model, attn_model = build_model(vectorize_layer, CONFIG)
    model.compile(optimizer=keras.optimizers.Adam(CONFIG["lr"]),
                  loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(name="auc")])
    model.summary()

    history = model.fit(train_ds, validation_data=val_ds, epochs=1, steps_per_epoch=8)
    print({k: round(v[-1], 4) for k, v in history.history.items()})

    samples = tf.constant([["Loved it, the cast was superb and the music charming!"],
                           ["Boring and tedious mess<br /><br />awful ending."]])
    probs = model.predict(samples, verbose=0)
    weights = attn_model.predict(samples, verbose=0)
    ids = vectorize_layer(samples[:, 0]).numpy()
    for row, p, w in zip(ids, probs[:, 0], weights):
        toks = [vocab[i] for i in row if i != 0]
        top = np.argsort(w[: len(toks)])[::-1][:3]
        print(f"p(pos)={p:.3f}  top-attended: {[toks[i] for i in top]}")


if __name__ == "__main__":
    main()
