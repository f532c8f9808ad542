"""Config-driven model factory for the churn / LTV experimentation harness.

Models are registered by name via a decorator; an ExperimentConfig
dataclass (populated from argparse) selects which builder to run and
with which hyperparameters.  In CI we call ``parse_args([])`` so the
defaults are used and every registered architecture is smoke-tested.
"""
import argparse
import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Dict, Tuple

import numpy as np
import keras
from keras import layers

MODEL_REGISTRY: Dict[str, Callable[..., keras.Model]] = {}


def register(name: str):
    def decorator(fn):
        if name in MODEL_REGISTRY:
            raise KeyError(f"duplicate model name: {name}")
        MODEL_REGISTRY[name] = fn
        return fn
    return decorator


@dataclass
class ExperimentConfig:
    model_name: str = "mlp"
    num_features: int = 24
    seq_len: int = 12
    num_classes: int = 3
    hidden_dim: int = 32
    num_layers: int = 2
    dropout: float = 0.2
    learning_rate: float = 3e-3
    batch_size: int = 64
    epochs: int = 1
    optimizer: str = "adam"
    extra: Dict[str, float] = field(default_factory=dict)


def parse_args(argv=None) -> Tuple[ExperimentConfig, bool]:
    defaults = ExperimentConfig()
    parser = argparse.ArgumentParser(description=__doc__)
    for f in dataclasses.fields(ExperimentConfig):
        if f.name == "extra":
            continue
        parser.add_argument(
            f"--{f.name.replace('_', '-')}",
            dest=f.name,
            type=type(getattr(defaults, f.name)),
            default=getattr(defaults, f.name),
        )
    parser.add_argument("--only-selected", dest="only_selected", action="store_true",
                        help="run just --model-name instead of every registered model")
    args = parser.parse_args(argv)
    only_selected = args.only_selected
    cfg = ExperimentConfig(**{k: v for k, v in vars(args).items() if k != "only_selected"})
    return cfg, only_selected


@register("mlp")
def build_mlp(cfg: ExperimentConfig) -> keras.Model:
    inp = keras.Input(shape=(cfg.num_features,), name="features")
    x = layers.BatchNormalization()(inp)
    for i in range(cfg.num_layers):
        x = layers.Dense(cfg.hidden_dim, activation="gelu", name=f"dense_{i}")(x)
        x = layers.Dropout(cfg.dropout)(x)
    out = layers.Dense(cfg.num_classes, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="mlp")


class ResidualBlock(layers.Layer):
    def __init__(self, dim, dropout, **kwargs):
        super().__init__(**kwargs)
        self.norm = layers.LayerNormalization()
        self.fc1 = layers.Dense(dim * 2, activation="relu")
        self.fc2 = layers.Dense(dim)
        self.drop = layers.Dropout(dropout)

    def call(self, x, training=None):
        h = self.fc2(self.fc1(self.norm(x)))
        return x + self.drop(h, training=training)


@register("resnet_mlp")
def build_resnet_mlp(cfg: ExperimentConfig) -> keras.Model:
    inp = keras.Input(shape=(cfg.num_features,), name="features")
    x = layers.Dense(cfg.hidden_dim)(inp)
    for i in range(cfg.num_layers):
        x = ResidualBlock(cfg.hidden_dim, cfg.dropout, name=f"res_{i}")(x)
    x = layers.LayerNormalization()(x)
    out = layers.Dense(cfg.num_classes, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="resnet_mlp")


@register("gru")
def build_gru(cfg: ExperimentConfig) -> keras.Model:
    inp = keras.Input(shape=(cfg.seq_len, cfg.num_features), name="events")
    x = inp
    for i in range(cfg.num_layers):
        last = i == cfg.num_layers - 1
        x = layers.GRU(cfg.hidden_dim, return_sequences=not last, name=f"gru_{i}")(x)
    x = layers.Dropout(cfg.dropout)(x)
    out = layers.Dense(cfg.num_classes, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="gru")


@register("conv1d")
def build_conv1d(cfg: ExperimentConfig) -> keras.Model:
    inp = keras.Input(shape=(cfg.seq_len, cfg.num_features), name="events")
    x = inp
    for i in range(cfg.num_layers):
        x = layers.Conv1D(cfg.hidden_dim, kernel_size=3, padding="same", activation="relu")(x)
        x = layers.MaxPooling1D(pool_size=2, padding="same")(x)
    x = layers.GlobalMaxPooling1D()(x)
    out = layers.Dense(cfg.num_classes, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="conv1d")


SEQUENCE_MODELS = {"gru", "conv1d"}

OPTIMIZERS = {
    "adam": lambda lr: keras.optimizers.Adam(learning_rate=lr),
    "sgd": lambda lr: keras.optimizers.SGD(learning_rate=lr, momentum=0.9),
    "rmsprop": lambda lr: keras.optimizers.RMSprop(learning_rate=lr),
}


def make_data(cfg: ExperimentConfig, n: int, rng) -> Tuple[np.ndarray, np.ndarray]:
    if cfg.model_name in SEQUENCE_MODELS:
        x = rng.normal(size=(n, cfg.seq_len, cfg.num_features)).astype("float32")
        signal = x[:, -3:, :4].mean(axis=(1, 2))
    else:
        x = rng.normal(size=(n, cfg.num_features)).astype("float32")
        signal = x[:, :4].sum(axis=1)
    y = np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))
    return x, y.astype("int32")


def run_experiment(cfg: ExperimentConfig) -> Dict[str, float]:
    try:
        builder = MODEL_REGISTRY[cfg.model_name]
    except KeyError:
        raise ValueError(f"unknown model {cfg.model_name!r}; choose from {sorted(MODEL_REGISTRY)}")
    rng = np.random.default_rng(0)
    x_train, y_train = make_data(cfg, 320, rng)
    x_val, y_val = make_data(cfg, 128, rng)

    model = builder(cfg)
    model.compile(
        optimizer=OPTIMIZERS[cfg.optimizer](cfg.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=cfg.batch_size, epochs=cfg.epochs, verbose=0)
    results = model.evaluate(x_val, y_val, batch_size=cfg.batch_size, verbose=0, return_dict=True)
    probs = model.predict(x_val[:4], verbose=0)
    results["params"] = model.count_params()
    results["pred_sum_ok"] = bool(np.allclose(probs.sum(axis=1), 1.0, atol=1e-4))
    return results


def main():
    cfg, only_selected = parse_args([])
    names = [cfg.model_name] if only_selected else sorted(MODEL_REGISTRY)
    keras.utils.set_random_seed(1234)
    for name in names:
        exp_cfg = dataclasses.replace(cfg, model_name=name,
                                      optimizer="sgd" if name == "conv1d" else cfg.optimizer)
        metrics = run_experiment(exp_cfg)
        summary = ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in metrics.items())
        print(f"[{name:>10}] {summary}")


if __name__ == "__main__":
    main()
