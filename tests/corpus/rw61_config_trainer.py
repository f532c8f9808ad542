"""Config-driven multi-output trainer.

A small "production style" training entrypoint: a dataclass holds every
hyper-parameter, the model is a functional network with two heads (a
price regression head and a churn classification head), and training is
driven by model.fit on a tf.data pipeline yielding (features, {targets}).
Standard callbacks (early stopping, LR plateau, checkpointing, CSV logs)
plus a small custom callback for logging the learning rate.
"""
import os
import tempfile
from dataclasses import dataclass, field, asdict

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class TrainConfig:
    num_features: int = 24
    hidden_units: tuple = (64, 32)
    dropout: float = 0.2
    num_classes: int = 3
    batch_size: int = 32
    epochs: int = 2
    learning_rate: float = 3e-3
    val_split: float = 0.2
    n_samples: int = 640
    loss_weights: dict = field(default_factory=lambda: {"price": 0.5, "churn": 1.0})
    seed: int = 1234
    output_dir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="rw61_run_"))


def make_synthetic_data(cfg: TrainConfig):
    rng = np.random.default_rng(cfg.seed)
    x = rng.normal(size=(cfg.n_samples, cfg.num_features)).astype("float32")
    w = rng.normal(size=(cfg.num_features,)).astype("float32")
    price = (x @ w + 0.1 * rng.normal(size=cfg.n_samples)).astype("float32")
    logits = x[:, : cfg.num_classes] * 2.0
    churn = logits.argmax(axis=1).astype("int32")
    return x, {"price": price[:, None], "churn": churn}


def build_datasets(cfg: TrainConfig, x, targets):
    n_val = int(len(x) * cfg.val_split)
    idx = np.arange(len(x))
    np.random.default_rng(cfg.seed).shuffle(idx)
    val_idx, train_idx = idx[:n_val], idx[n_val:]

    def _make(indices, training):
        ds = tf.data.Dataset.from_tensor_slices(
            (x[indices], {k: v[indices] for k, v in targets.items()})
        )
        if training:
            ds = ds.shuffle(len(indices), seed=cfg.seed)
        return ds.batch(cfg.batch_size).prefetch(tf.data.AUTOTUNE)

    return _make(train_idx, True), _make(val_idx, False)


def build_model(cfg: TrainConfig) -> keras.Model:
    inputs = keras.Input(shape=(cfg.num_features,), name="features")
    x = layers.BatchNormalization()(inputs)
    for i, units in enumerate(cfg.hidden_units):
        x = layers.Dense(units, activation="relu", name=f"trunk_dense_{i}")(x)
        x = layers.Dropout(cfg.dropout)(x)

    # price head gets a small residual tower
    p = layers.Dense(cfg.hidden_units[-1], activation="relu")(x)
    p = layers.Add()([p, x])
    price = layers.Dense(1, name="price")(p)

    churn = layers.Dense(cfg.num_classes, activation="softmax", name="churn")(x)
    return keras.Model(inputs, {"price": price, "churn": churn}, name="multihead_mlp")


class LearningRateLogger(keras.callbacks.Callback):
    """Adds the current learning rate to the epoch logs."""

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        lr = self.model.optimizer.learning_rate
        logs["lr"] = float(keras.ops.convert_to_numpy(lr))


def make_callbacks(cfg: TrainConfig):
    ckpt_path = os.path.join(cfg.output_dir, "best.weights.h5")
    return [
        LearningRateLogger(),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-5),
        keras.callbacks.ModelCheckpoint(ckpt_path, monitor="val_loss", save_best_only=True,
                                        save_weights_only=True),
        keras.callbacks.CSVLogger(os.path.join(cfg.output_dir, "history.csv")),
        keras.callbacks.TerminateOnNaN(),
    ]


def main():
    cfg = TrainConfig()
    keras.utils.set_random_seed(cfg.seed)
    print("config:", {k: v for k, v in asdict(cfg).items() if k != "output_dir"})

    x, targets = make_synthetic_data(cfg)
    train_ds, val_ds = build_datasets(cfg, x, targets)

    model = build_model(cfg)
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.learning_rate),
        loss={"price": "mse", "churn": "sparse_categorical_crossentropy"},
        loss_weights=cfg.loss_weights,
        metrics={
            "price": [keras.metrics.MeanAbsoluteError(name="mae")],
            "churn": [keras.metrics.SparseCategoricalAccuracy(name="acc")],
        },
    )
    model.summary()

    history = model.fit(train_ds, validation_data=val_ds, epochs=cfg.epochs,
                        callbacks=make_callbacks(cfg), verbose=2)
    print("history keys:", sorted(history.history.keys()))

    results = model.evaluate(val_ds, return_dict=True, verbose=0)
    for name, value in sorted(results.items()):
        print(f"  {name:>20s}: {value:.4f}")

    preds = model.predict(val_ds.take(1), verbose=0)
    print("pred shapes:", {k: v.shape for k, v in preds.items()})
    print("artifacts:", sorted(os.listdir(cfg.output_dir)))


if __name__ == "__main__":
    main()
