"""Reuse a trained classifier as an embedding model for nearest-neighbour search.

Classic Stack Overflow pattern: train a Sequential classifier, then chop
off the softmax with `Model(inputs=model.inputs, outputs=model.layers[-2].output)`
and use the penultimate activations as embeddings. We L2-normalise them and
do a cosine-similarity top-k lookup against a gallery.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras


@dataclass
class Config:
    seq_len: int = 40
    n_features: int = 6
    n_classes: int = 3
    embed_dim: int = 32
    n_train: int = 300
    n_gallery: int = 60
    n_query: int = 8
    top_k: int = 5
    batch_size: int = 32
    epochs: int = 2


def make_signals(n, cfg: Config, rng):
    """Noisy sinusoids; class decides the frequency."""
    labels = rng.integers(0, cfg.n_classes, size=n)
    t = np.linspace(0, 1, cfg.seq_len, dtype="float32")
    freqs = (labels + 1) * 3.0
    phase = rng.uniform(0, np.pi, size=(n, 1, cfg.n_features))
    x = np.sin(2 * np.pi * freqs[:, None, None] * t[None, :, None] + phase)
    x += 0.3 * rng.normal(size=x.shape)
    return x.astype("float32"), labels


def build_classifier(cfg: Config) -> keras.Sequential:
    return keras.Sequential(
        [
            keras.layers.Input(shape=(cfg.seq_len, cfg.n_features)),
            keras.layers.Conv1D(32, 5, padding="same", activation="relu"),
            keras.layers.MaxPooling1D(2),
            keras.layers.Conv1D(64, 3, padding="same", activation="relu"),
            keras.layers.GlobalMaxPooling1D(),
            keras.layers.Dense(cfg.embed_dim, activation="relu", name="embedding"),
            keras.layers.Dense(cfg.n_classes, activation="softmax", name="logits"),
        ],
        name="signal_classifier",
    )


class EmbeddingIndex:
    """Tiny brute-force cosine index."""

    def __init__(self, encoder: keras.Model):
        self.encoder = encoder
        self.vectors = None
        self.labels = None

    def _encode(self, x):
        emb = self.encoder(x, training=False)
        return tf.math.l2_normalize(emb, axis=-1)

    def add(self, x, labels):
        self.vectors = self._encode(x)
        self.labels = tf.convert_to_tensor(labels)

    def query(self, x, k):
        q = self._encode(x)
        sims = tf.matmul(q, self.vectors, transpose_b=True)  # (n_query, n_gallery)
        scores, idx = tf.math.top_k(sims, k=k)
        return scores, tf.gather(self.labels, idx)


def main():
    cfg = Config()
    rng = np.random.default_rng(42)
    x_train, y_train = make_signals(cfg.n_train, cfg, rng)
    x_gal, y_gal = make_signals(cfg.n_gallery, cfg, rng)
    x_q, y_q = make_signals(cfg.n_query, cfg, rng)

    clf = build_classifier(cfg)
    clf.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    clf.fit(x_train, y_train, batch_size=cfg.batch_size, epochs=cfg.epochs, verbose=2)

    # drop the softmax: penultimate layer is the embedding
    encoder = keras.Model(inputs=clf.inputs, outputs=clf.layers[-2].output, name="encoder")
    encoder.summary()
    assert encoder.output_shape == (None, cfg.embed_dim)

    index = EmbeddingIndex(encoder)
    index.add(x_gal, y_gal)
    scores, nn_labels = index.query(x_q, cfg.top_k)
    print("scores:", scores.shape, "neighbour labels:", nn_labels.shape)

    # majority vote over neighbours
    votes = tf.math.bincount(
        tf.cast(nn_labels, tf.int32), minlength=cfg.n_classes, axis=-1
    )
    pred = tf.argmax(votes, axis=-1).numpy()
    acc = float(np.mean(pred == y_q))
    print(f"kNN accuracy on {cfg.n_query} queries: {acc:.2f}")
    for i in range(min(3, cfg.n_query)):
        print(f"  query {i} (label {y_q[i]}) -> {nn_labels[i].numpy().tolist()}")


if __name__ == "__main__":
    main()
