"""Sentiment analysis with a frozen "pretrained" embedding matrix.

Usual recipe: parse a GloVe-style text file into a dict, build an
(vocab_size, dim) numpy matrix aligned with the tokenizer's word index,
initialise an Embedding layer from it, freeze it, train the head, then
unfreeze and fine-tune with a small learning rate.

No internet here, so the "glove.6B.50d.txt" file is written to a temp dir
from random vectors where positive/negative words share a direction.
"""
import os
import tempfile
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers


@dataclass
class Config:
    embedding_dim: int = 50
    max_words: int = 3000
    max_len: int = 32
    lstm_units: int = 32
    batch_size: int = 32
    head_epochs: int = 1
    finetune_epochs: int = 1
    seed: int = 11


cfg = Config()
np.random.seed(cfg.seed)
tf.random.set_seed(cfg.seed)

POSITIVE = ["good", "great", "superb", "enjoyable", "charming", "brilliant", "fun", "moving"]
NEGATIVE = ["bad", "dull", "awful", "boring", "mess", "weak", "tedious", "painful"]
NEUTRAL = ("the a an this that movie film story cast script scene it was is "
           "and but with of to in very quite rather somewhat really").split()


def write_fake_glove(path, dim):
    """Write a GloVe-format file: `word v1 v2 ... vdim` per line."""
    sentiment_axis = np.random.normal(size=dim)
    sentiment_axis /= np.linalg.norm(sentiment_axis)
    with open(path, "w", encoding="utf-8") as fh:
        for w in POSITIVE + NEGATIVE + NEUTRAL:
            vec = np.random.normal(scale=0.3, size=dim)
            if w in POSITIVE:
                vec += 1.5 * sentiment_axis
            elif w in NEGATIVE:
                vec -= 1.5 * sentiment_axis
            fh.write(w + " " + " ".join(f"{v:.5f}" for v in vec) + "\n")
        # a few extra words that never show up in our corpus
        for i in range(200):
            fh.write(f"filler{i} " + " ".join("0.0" for _ in range(dim)) + "\n")


def load_glove(path):
    embeddings_index = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            word, coefs = line.split(maxsplit=1)
            embeddings_index[word] = np.fromstring(coefs, dtype="float32", sep=" ")
    return embeddings_index


def make_reviews(n):
    texts, ys = [], []
    for _ in range(n):
        label = np.random.randint(2)
        pool = POSITIVE if label else NEGATIVE
        words = list(np.random.choice(NEUTRAL, size=np.random.randint(6, 25)))
        for _ in range(np.random.randint(1, 4)):
            words.insert(np.random.randint(len(words)), np.random.choice(pool))
        # some out-of-embedding words (typos, names)
        if np.random.rand() < 0.3:
            words.append(np.random.choice(["spielbergg", "xyzzy", "gr8", "meh"]))
        texts.append(" ".join(words))
        ys.append(label)
    return texts, np.array(ys, dtype="float32")


def build_embedding_matrix(vocab, embeddings_index, dim):
    num_tokens = len(vocab)
    hits, misses = 0, 0
    matrix = np.zeros((num_tokens, dim), dtype="float32")
    for i, word in enumerate(vocab):
        vec = embeddings_index.get(word)
        if vec is not None:
            matrix[i] = vec
            hits += 1
        else:
            misses += 1
    # OOV row (index 1 in TextVectorization) gets the mean vector instead of zeros
    matrix[1] = np.mean(np.stack(list(embeddings_index.values())), axis=0)
    print(f"Converted {hits} words ({misses} misses)")
    return matrix


class AttentionPooling(layers.Layer):
    """Additive attention pooling over time that respects the padding mask."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.supports_masking = True

    def build(self, input_shape):
        feat = input_shape[-1]
        self.w = self.add_weight(name="w", shape=(feat, self.units), initializer="glorot_uniform")
        self.v = self.add_weight(name="v", shape=(self.units, 1), initializer="glorot_uniform")

    def call(self, x, mask=None):
        scores = keras.ops.matmul(keras.ops.tanh(keras.ops.matmul(x, self.w)), self.v)  # (B, T, 1)
        scores = keras.ops.squeeze(scores, axis=-1)                                       # (B, T)
        if mask is not None:
            scores = keras.ops.where(mask, scores, keras.ops.full_like(scores, -1e9))
        weights = keras.ops.softmax(scores, axis=-1)
        return keras.ops.sum(x * keras.ops.expand_dims(weights, -1), axis=1)             # (B, F)

    def compute_mask(self, inputs, mask=None):
        return None


def build_model(embedding_matrix, cfg):
    num_tokens, dim = embedding_matrix.shape
    inp = keras.Input(shape=(cfg.max_len,), dtype="int64")
    emb = layers.Embedding(
        num_tokens, dim,
        embeddings_initializer=keras.initializers.Constant(embedding_matrix),
        trainable=False,
        mask_zero=True,
        name="glove_embedding",
    )(inp)
    x = layers.SpatialDropout1D(0.2)(emb)
    x = layers.LSTM(cfg.lstm_units, return_sequences=True)(x)
    context = AttentionPooling(32, name="attn_pool")(x)       # (B, U)
    x = layers.Dense(32, activation="relu")(context)
    out = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inp, out, name="glove_lstm_attn")


def main():
    tmp = tempfile.mkdtemp()
    glove_path = os.path.join(tmp, "glove.6B.50d.txt")
    write_fake_glove(glove_path, cfg.embedding_dim)
    embeddings_index = load_glove(glove_path)
    print("Found %s word vectors." % len(embeddings_index))

    train_texts, train_y = make_reviews(512)
    val_texts, val_y = make_reviews(128)

    vectorizer = layers.TextVectorization(max_tokens=cfg.max_words,
                                          output_sequence_length=cfg.max_len)
    vectorizer.adapt(train_texts)
    vocab = vectorizer.get_vocabulary()
    word_index = dict(zip(vocab, range(len(vocab))))
    print("vocab:", len(vocab), "| index of 'great':", word_index.get("great"))

    embedding_matrix = build_embedding_matrix(vocab, embeddings_index, cfg.embedding_dim)
    print("embedding matrix:", embedding_matrix.shape)

    x_train = vectorizer(np.array(train_texts)).numpy()
    x_val = vectorizer(np.array(val_texts)).numpy()

    model = build_model(embedding_matrix, cfg)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["acc"])
    model.summary(line_length=90)
    model.fit(x_train, train_y, batch_size=cfg.batch_size, epochs=cfg.head_epochs,
              validation_data=(x_val, val_y), verbose=2)

    # the frozen weights should not have moved
    emb_layer = model.get_layer("glove_embedding")
    np.testing.assert_allclose(emb_layer.get_weights()[0], embedding_matrix)

    # phase 2: unfreeze and fine-tune (recompile required after changing trainable)
    emb_layer.trainable = True
    model.compile(loss="binary_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=1e-4),
                  metrics=["acc"])
    model.fit(x_train, train_y, batch_size=cfg.batch_size, epochs=cfg.finetune_epochs,
              validation_data=(x_val, val_y), verbose=2)
    drift = np.abs(emb_layer.get_weights()[0] - embedding_matrix).max()
    print(f"max embedding drift after fine-tune: {drift:.2e}")

    samples = ["this film was superb and really fun", "a dull boring mess of a script"]
    probs = model.predict(vectorizer(np.array(samples)), verbose=0)
    for s, p in zip(samples, probs[:, 0]):
        print(f"{p:.3f}  {s}")


if __name__ == "__main__":
    main()
