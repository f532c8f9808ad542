"""Multi-label audio tagger over log-mel spectrograms.

The architecture is driven by a nested config dict (as loaded from a YAML
file in the original repo): a list of conv "stages", each with its own
filter count, kernel, pooling and repeat count. Two frontends are
registered: a 2D conv stack over (time, mel) and a 1D conv stack that treats
mel bins as channels.
"""
import argparse
import copy
import functools

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

DEFAULT_CONFIG = {
    "data": {"n_frames": 96, "n_mels": 40, "n_tags": 8, "batch_size": 8},
    "model": {
        "name": "conv2d",
        "act_layer": "ELU",
        "stages": [
            {"filters": 16, "kernel": 3, "pool": (2, 2), "repeat": 1},
            {"filters": 32, "kernel": 3, "pool": (2, 2), "repeat": 2},
            {"filters": 48, "kernel": 3, "pool": (2, 4), "repeat": 1},
        ],
        "embed_dim": 64,
        "dropout": 0.2,
        "pooling": "max",
    },
    "train": {"lr": 3e-4, "epochs": 1, "steps_per_epoch": 4},
}

Conv2D = functools.partial(layers.Conv2D, padding="same", use_bias=False)
Conv1D = functools.partial(layers.Conv1D, padding="same", use_bias=False)


def _act(mcfg, name):
    return getattr(layers, mcfg["act_layer"])(name=name)


def build_conv2d(data_cfg, mcfg, **kwargs):
    inputs = keras.Input((data_cfg["n_frames"], data_cfg["n_mels"]), name="logmel")
    x = layers.Reshape((data_cfg["n_frames"], data_cfg["n_mels"], 1), name="add_channel")(inputs)
    x = layers.BatchNormalization(axis=2, name="mel_norm")(x)
    for s, stage in enumerate(mcfg["stages"]):
        for r in range(stage["repeat"]):
            x = Conv2D(stage["filters"], stage["kernel"], name=f"s{s}_conv{r}", **kwargs)(x)
            x = layers.BatchNormalization(name=f"s{s}_bn{r}")(x)
            x = _act(mcfg, f"s{s}_act{r}")(x)
        x = layers.MaxPooling2D(stage["pool"], name=f"s{s}_pool")(x)
    # collapse frequency, keep time for temporal pooling
    x = layers.Lambda(lambda t: tf.reduce_mean(t, axis=2), name="freq_mean")(x)
    return inputs, x


def build_conv1d(data_cfg, mcfg, **kwargs):
    inputs = keras.Input((data_cfg["n_frames"], data_cfg["n_mels"]), name="logmel")
    x = layers.LayerNormalization(name="in_norm")(inputs)
    for s, stage in enumerate(mcfg["stages"]):
        for r in range(stage["repeat"]):
            x = Conv1D(stage["filters"] * 2, stage["kernel"], name=f"s{s}_conv{r}", **kwargs)(x)
            x = layers.BatchNormalization(name=f"s{s}_bn{r}")(x)
            x = _act(mcfg, f"s{s}_act{r}")(x)
        x = layers.MaxPooling1D(stage["pool"][0], name=f"s{s}_pool")(x)
    return inputs, x


FRONTENDS = {"conv2d": build_conv2d, "conv1d": build_conv1d}
POOLS = {"max": layers.GlobalMaxPooling1D, "avg": layers.GlobalAveragePooling1D}


def get_model(cfg, **kwargs):
    mcfg, dcfg = cfg["model"], cfg["data"]
    inputs, feats = FRONTENDS[mcfg["name"]](dcfg, mcfg, **kwargs)
    x = POOLS[mcfg["pooling"]](name="temporal_pool")(feats)
    x = layers.Dense(mcfg["embed_dim"], name="embedding")(x)
    x = _act(mcfg, "embedding_act")(x)
    x = layers.Dropout(mcfg["dropout"], name="embedding_drop")(x)
    outputs = layers.Dense(dcfg["n_tags"], activation="sigmoid", name="tags")(x)
    return keras.Model(inputs, outputs, name=f"tagger_{mcfg['name']}")


class Trainer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.model = get_model(cfg, kernel_regularizer=keras.regularizers.l2(1e-5))
        self.model.compile(
            optimizer=keras.optimizers.AdamW(cfg["train"]["lr"]),
            loss="binary_crossentropy",
            metrics=[keras.metrics.AUC(multi_label=True, name="auc"),
                     keras.metrics.BinaryAccuracy(name="bin_acc")],
        )

    def fit(self, ds):
        t = self.cfg["train"]
        return self.model.fit(ds, epochs=t["epochs"], steps_per_epoch=t["steps_per_epoch"], verbose=2)

    def evaluate(self, ds, steps=2):
        return self.model.evaluate(ds, steps=steps, verbose=0, return_dict=True)


def random_logmel_dataset(dcfg, n=48):
    rng = np.random.default_rng(42)
    spec = rng.standard_normal((n, dcfg["n_frames"], dcfg["n_mels"])).astype("float32")
    tags = (rng.random((n, dcfg["n_tags"])) < 0.3).astype("float32")

    def augment(x, y):
        # SpecAugment-lite: random gain on the whole clip
        gain = tf.random.uniform([], 0.8, 1.2)
        return x * gain, y

    ds = tf.data.Dataset.from_tensor_slices((spec, tags)).shuffle(n).repeat()
    return ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE).batch(dcfg["batch_size"])


def main():
    p = argparse.ArgumentParser(description="Train a log-mel audio tagger")
    p.add_argument("--frontend", default="both", choices=["both", *FRONTENDS])
    p.add_argument("--act", default=DEFAULT_CONFIG["model"]["act_layer"])
    p.add_argument("--pooling", default="max", choices=list(POOLS))
    args = p.parse_args()

    frontends = list(FRONTENDS) if args.frontend == "both" else [args.frontend]
    for fe in frontends:
        cfg = copy.deepcopy(DEFAULT_CONFIG)
        cfg["model"].update(name=fe, act_layer=args.act, pooling=args.pooling)
        trainer = Trainer(cfg)
        trainer.model.summary(line_length=90)
        ds = random_logmel_dataset(cfg["data"])
        trainer.fit(ds)
        print(fe, trainer.evaluate(ds))


if __name__ == "__main__":
    main()
