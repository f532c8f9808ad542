"""Text classification zoo: CNN, BiLSTM and a tiny Transformer encoder.

Selected by `--arch`. Each builder receives the shared Config plus
architecture-specific kwargs from ARCH_KWARGS, the way repos keep a
`configs/<arch>.yaml` next to a common base config.
"""
import argparse
import functools
from dataclasses import dataclass, asdict

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class Config:
    arch: str = "cnn"
    vocab_size: int = 2000
    seq_len: int = 32
    embed_dim: int = 32
    num_classes: int = 4
    act_layer: str = "Activation"
    act_name: str = "gelu"
    dropout: float = 0.1
    lr: float = 2e-3
    batch_size: int = 16
    epochs: int = 1


SeqConv = functools.partial(layers.Conv1D, padding="same", activation="relu")


def embed(cfg, name="tok_embed"):
    inp = keras.Input((cfg.seq_len,), dtype="int32", name="token_ids")
    x = layers.Embedding(cfg.vocab_size, cfg.embed_dim, mask_zero=False, name=name)(inp)
    return inp, x


def classifier_head(x, cfg):
    x = layers.Dropout(cfg.dropout, name="head_dropout")(x)
    x = layers.Dense(cfg.embed_dim, name="head_fc")(x)
    x = getattr(layers, cfg.act_layer)(cfg.act_name, name="head_act")(x)
    return layers.Dense(cfg.num_classes, activation="softmax", name="probs")(x)


def build_textcnn(cfg, kernel_sizes=(2, 3, 5), filters=32, **kwargs):
    inp, x = embed(cfg)
    branches = []
    for k in kernel_sizes:
        b = SeqConv(filters, k, name=f"conv_k{k}", **kwargs)(x)
        branches.append(layers.GlobalMaxPooling1D(name=f"maxpool_k{k}")(b))
    x = layers.Concatenate(name="concat_ngrams")(branches)
    return keras.Model(inp, classifier_head(x, cfg), name="textcnn")


def build_bilstm(cfg, units=(32, 16), **kwargs):
    inp, x = embed(cfg)
    for i, u in enumerate(units):
        last = i == len(units) - 1
        x = layers.Bidirectional(
            layers.LSTM(u, return_sequences=not last, **kwargs), name=f"bilstm_{i}"
        )(x)
    return keras.Model(inp, classifier_head(x, cfg), name="bilstm")


class PositionalEmbedding(layers.Layer):
    def __init__(self, seq_len, dim, **kwargs):
        super().__init__(**kwargs)
        self.pos = layers.Embedding(seq_len, dim, name="pos_table")

    def call(self, x):
        positions = tf.range(tf.shape(x)[1])
        return x + self.pos(positions)[tf.newaxis]


def encoder_block(x, cfg, heads, ff_mult, idx):
    h = layers.LayerNormalization(epsilon=1e-6, name=f"enc{idx}_ln1")(x)
    h = layers.MultiHeadAttention(heads, cfg.embed_dim // heads, dropout=cfg.dropout,
                                  name=f"enc{idx}_mha")(h, h)
    x = layers.Add(name=f"enc{idx}_res1")([x, h])
    h = layers.LayerNormalization(epsilon=1e-6, name=f"enc{idx}_ln2")(x)
    h = layers.Dense(cfg.embed_dim * ff_mult, name=f"enc{idx}_ff1")(h)
    h = getattr(layers, cfg.act_layer)(cfg.act_name, name=f"enc{idx}_ff_act")(h)
    h = layers.Dense(cfg.embed_dim, name=f"enc{idx}_ff2")(h)
    return layers.Add(name=f"enc{idx}_res2")([x, h])


def build_transformer(cfg, depth=2, heads=4, ff_mult=2, **kwargs):
    inp, x = embed(cfg)
    x = PositionalEmbedding(cfg.seq_len, cfg.embed_dim, name="pos_embed")(x)
    for i in range(depth):
        x = encoder_block(x, cfg, heads, ff_mult, i)
    x = layers.LayerNormalization(epsilon=1e-6, name="final_ln")(x)
    x = layers.GlobalAveragePooling1D(name="mean_pool")(x)
    return keras.Model(inp, classifier_head(x, cfg), name="transformer")


MODELS = {"cnn": build_textcnn, "bilstm": build_bilstm, "transformer": build_transformer}
ARCH_KWARGS = {
    "cnn": {"kernel_sizes": (2, 3, 4), "filters": 24},
    "bilstm": {"units": (24, 16), "dropout": 0.1},
    "transformer": {"depth": 2, "heads": 2},
}


def get_model(cfg: Config):
    builder = MODELS[cfg.arch]
    return builder(cfg, **ARCH_KWARGS.get(cfg.arch, {}))


class Trainer:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.model = get_model(cfg)
        self.model.compile(optimizer=keras.optimizers.Adam(cfg.lr, clipnorm=1.0),
                           loss="sparse_categorical_crossentropy",
                           metrics=["sparse_categorical_accuracy"])

    def fit(self, x, y):
        return self.model.fit(x, y, batch_size=self.cfg.batch_size, epochs=self.cfg.epochs,
                              validation_split=0.25, verbose=2)

    def evaluate(self, x, y):
        return self.model.evaluate(x, y, batch_size=self.cfg.batch_size, verbose=0,
                                   return_dict=True)


def synthetic_corpus(cfg: Config, n=64, seed=1):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(8, cfg.seq_len, size=n)
    ids = np.zeros((n, cfg.seq_len), dtype="int32")
    for i, L in enumerate(lengths):
        ids[i, :L] = rng.integers(1, cfg.vocab_size, size=L)
    labels = rng.integers(0, cfg.num_classes, size=n)
    return ids, labels


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="all", choices=["all", *MODELS])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--embed-dim", type=int, default=32)
    args = p.parse_args()
    archs = list(MODELS) if args.arch == "all" else [args.arch]
    for arch in archs:
        keras.backend.clear_session()
        cfg = Config(arch=arch, epochs=args.epochs, embed_dim=args.embed_dim)
        print("config:", asdict(cfg))
        trainer = Trainer(cfg)
        x, y = synthetic_corpus(cfg)
        trainer.fit(x, y)
        print(arch, trainer.evaluate(*synthetic_corpus(cfg, n=32, seed=2)))


if __name__ == "__main__":
    main()
