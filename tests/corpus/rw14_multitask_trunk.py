"""Multi-task tabular model: one shared trunk, one head per task.

Heads are declared in a TASKS list (name, type, output size, loss weight),
so adding a task is a config change. The trunk itself comes from a small
registry ("mlp" or "resmlp"). Losses/metrics dicts are assembled from the
task list and passed straight into `model.compile`.
"""
import argparse
import functools
from dataclasses import dataclass, field
from typing import List

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class TaskSpec:
    name: str
    kind: str  # "binary" | "multiclass" | "regression"
    units: int = 1
    weight: float = 1.0


@dataclass
class Config:
    trunk: str = "resmlp"
    n_features: int = 20
    hidden: List[int] = field(default_factory=lambda: [64, 64, 32])
    act_layer: str = "LeakyReLU"
    norm_layer: str = "LayerNormalization"
    dropout: float = 0.1
    lr: float = 1e-3
    batch_size: int = 32
    epochs: int = 1
    tasks: List[TaskSpec] = field(default_factory=lambda: [
        TaskSpec("churn", "binary", 1, 1.0),
        TaskSpec("segment", "multiclass", 5, 0.5),
        TaskSpec("ltv", "regression", 1, 0.2),
    ])


Dense = functools.partial(layers.Dense, kernel_initializer="he_normal")

HEAD_DEFAULTS = {
    "binary": dict(activation="sigmoid", loss="binary_crossentropy", metric="auc"),
    "multiclass": dict(activation="softmax", loss="sparse_categorical_crossentropy",
                       metric="sparse_categorical_accuracy"),
    "regression": dict(activation=None, loss="huber", metric="mae"),
}


def mlp_trunk(x, cfg: Config, **kwargs):
    for i, h in enumerate(cfg.hidden):
        x = Dense(h, name=f"trunk_fc{i}", **kwargs)(x)
        x = getattr(layers, cfg.norm_layer)(name=f"trunk_norm{i}")(x)
        x = getattr(layers, cfg.act_layer)(name=f"trunk_act{i}")(x)
        x = layers.Dropout(cfg.dropout, name=f"trunk_drop{i}")(x)
    return x


def resmlp_trunk(x, cfg: Config, **kwargs):
    x = Dense(cfg.hidden[0], name="trunk_in", **kwargs)(x)
    for i, h in enumerate(cfg.hidden):
        y = getattr(layers, cfg.norm_layer)(name=f"block{i}_norm")(x)
        y = Dense(h, name=f"block{i}_fc1", **kwargs)(y)
        y = getattr(layers, cfg.act_layer)(name=f"block{i}_act")(y)
        y = Dense(x.shape[-1], name=f"block{i}_fc2", **kwargs)(y)
        y = layers.Dropout(cfg.dropout, name=f"block{i}_drop")(y)
        x = layers.Add(name=f"block{i}_res")([x, y])
    return getattr(layers, cfg.norm_layer)(name="trunk_out_norm")(x)


TRUNKS = {"mlp": mlp_trunk, "resmlp": resmlp_trunk}


def build_head(shared, spec: TaskSpec):
    h = Dense(16, activation="relu", name=f"{spec.name}_hidden")(shared)
    return Dense(spec.units, activation=HEAD_DEFAULTS[spec.kind]["activation"],
                 name=spec.name)(h)


def get_model(cfg: Config, **trunk_kwargs):
    inputs = keras.Input((cfg.n_features,), name="features")
    shared = TRUNKS[cfg.trunk](inputs, cfg, **trunk_kwargs)
    outputs = {t.name: build_head(shared, t) for t in cfg.tasks}
    return keras.Model(inputs, outputs, name=f"multitask_{cfg.trunk}")


class Trainer:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.model = get_model(cfg, kernel_regularizer=keras.regularizers.l2(1e-4))
        losses = {t.name: HEAD_DEFAULTS[t.kind]["loss"] for t in cfg.tasks}
        metrics = {t.name: [HEAD_DEFAULTS[t.kind]["metric"]] for t in cfg.tasks}
        weights = {t.name: t.weight for t in cfg.tasks}
        self.model.compile(optimizer=keras.optimizers.Adam(cfg.lr), loss=losses,
                           loss_weights=weights, metrics=metrics)

    def fit(self, x, ys):
        cb = [keras.callbacks.TerminateOnNaN()]
        return self.model.fit(x, ys, batch_size=self.cfg.batch_size, epochs=self.cfg.epochs,
                              callbacks=cb, verbose=2)

    def evaluate(self, x, ys):
        return self.model.evaluate(x, ys, verbose=0, return_dict=True)


def make_targets(cfg: Config, x, rng):
    ys = {}
    proj = rng.standard_normal((cfg.n_features,))
    score = x @ proj
    for t in cfg.tasks:
        if t.kind == "binary":
            ys[t.name] = (score > 0).astype("float32")[:, None]
        elif t.kind == "multiclass":
            ys[t.name] = np.digitize(score, np.quantile(score, np.linspace(0, 1, t.units + 1)[1:-1]))
        else:
            ys[t.name] = (np.abs(score) + rng.normal(0, 0.1, size=score.shape)).astype("float32")[:, None]
    return ys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--trunk", default="resmlp", choices=list(TRUNKS))
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--n-samples", type=int, default=256)
    p.add_argument("--drop-task", default=None, help="train without this head")
    args = p.parse_args()

    cfg = Config(trunk=args.trunk, epochs=args.epochs)
    if args.drop_task:
        cfg.tasks = [t for t in cfg.tasks if t.name != args.drop_task]
    rng = np.random.default_rng(7)
    x = rng.standard_normal((args.n_samples, cfg.n_features)).astype("float32")
    ys = make_targets(cfg, x, rng)

    trainer = Trainer(cfg)
    print(trainer.model.name, "outputs:", list(trainer.model.output_names))
    trainer.fit(x, ys)
    for k, v in trainer.evaluate(x[:64], {n: y[:64] for n, y in ys.items()}).items():
        print(f"  {k:>40s}: {v:.4f}")


if __name__ == "__main__":
    main()
