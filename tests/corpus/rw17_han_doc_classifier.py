"""Hierarchical Attention Network (HAN) for document classification.

Documents are modelled as a sequence of sentences, each sentence a sequence
of word ids.  A word-level encoder (Embedding -> BiGRU -> additive attention)
turns every sentence into a vector; it is applied to all sentences with
TimeDistributed.  A sentence-level BiGRU + attention then pools the sentence
vectors into one document vector that feeds a softmax classifier.

Runs on tiny random data for a single epoch as a smoke test.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

VOCAB_SIZE = 500
MAX_SENTS = 4
MAX_WORDS = 12
EMBED_DIM = 32
GRU_UNITS = 24
ATT_DIM = 32
NUM_CLASSES = 4
BATCH = 16


class AdditiveAttentionPool(layers.Layer):
    """u_it = tanh(W h_it + b); a_it = softmax(u_it . u_w); s = sum a_it h_it."""

    def __init__(self, att_dim, **kwargs):
        super().__init__(**kwargs)
        self.att_dim = att_dim
        self.supports_masking = True

    def build(self, input_shape):
        feat = input_shape[-1]
        self.w = self.add_weight(name="w", shape=(feat, self.att_dim),
                                 initializer="glorot_uniform")
        self.b = self.add_weight(name="b", shape=(self.att_dim,),
                                 initializer="zeros")
        self.context = self.add_weight(name="context", shape=(self.att_dim,),
                                       initializer="glorot_uniform")

    def call(self, h, mask=None):
        u = tf.tanh(tf.tensordot(h, self.w, axes=1) + self.b)
        scores = tf.tensordot(u, self.context, axes=1)  # (batch, steps)
        if mask is not None:
            scores += (1.0 - tf.cast(mask, scores.dtype)) * -1e9
        alpha = tf.nn.softmax(scores, axis=-1)
        return tf.reduce_sum(h * tf.expand_dims(alpha, -1), axis=1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"att_dim": self.att_dim})
        return cfg


def build_word_encoder():
    words = keras.Input(shape=(MAX_WORDS,), dtype="int32", name="words")
    x = layers.Embedding(VOCAB_SIZE, EMBED_DIM, mask_zero=True,
                         name="word_embedding")(words)
    x = layers.Bidirectional(layers.GRU(GRU_UNITS, return_sequences=True),
                             name="word_bigru")(x)
    sent_vec = AdditiveAttentionPool(ATT_DIM, name="word_attention")(x)
    return keras.Model(words, sent_vec, name="word_encoder")


def build_han():
    doc = keras.Input(shape=(MAX_SENTS, MAX_WORDS), dtype="int32", name="doc")
    word_encoder = build_word_encoder()
    sents = layers.TimeDistributed(word_encoder, name="sentence_vectors")(doc)
    # A single-direction GRU is enough at sentence level (few sentences).
    sents = layers.GRU(2 * GRU_UNITS, return_sequences=True,
                       name="sent_gru")(sents)
    doc_vec = AdditiveAttentionPool(ATT_DIM, name="sent_attention")(sents)
    doc_vec = layers.Dropout(0.2)(doc_vec)
    out = layers.Dense(NUM_CLASSES, activation="softmax", name="label")(doc_vec)
    return keras.Model(doc, out, name="han")


def make_fake_docs(n, rng):
    docs = np.zeros((n, MAX_SENTS, MAX_WORDS), dtype="int32")
    for i in range(n):
        n_sents = rng.integers(2, MAX_SENTS + 1)
        for s in range(n_sents):
            n_words = rng.integers(3, MAX_WORDS + 1)
            docs[i, s, :n_words] = rng.integers(1, VOCAB_SIZE, size=n_words)
    labels = rng.integers(0, NUM_CLASSES, size=(n,)).astype("int32")
    return docs, labels


def main():
    rng = np.random.default_rng(17)
    keras.utils.set_random_seed(17)
    x_train, y_train = make_fake_docs(96, rng)
    x_val, y_val = make_fake_docs(32, rng)

    model = build_han()
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()

    train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
                .shuffle(96).batch(BATCH).prefetch(tf.data.AUTOTUNE))
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(BATCH)

    history = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)
    print("train loss:", history.history["loss"][-1])

    probs = model.predict(x_val[:4], verbose=0)
    print("predicted classes:", probs.argmax(axis=-1))
    assert probs.shape == (4, NUM_CLASSES)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-4)

    # The word encoder can be reused on its own to embed single sentences.
    word_encoder = model.get_layer("sentence_vectors").layer
    sent_vec = word_encoder.predict(x_val[0], verbose=0)
    print("sentence vectors for doc 0:", sent_vec.shape)


if __name__ == "__main__":
    main()
