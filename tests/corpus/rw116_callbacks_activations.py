# Callbacks for a small sequence regressor:
#   * ActivationLogger  - custom Callback; builds a probe sub-model from
#                         self.model.get_layer(...) and logs per-layer stats
#                         (mean, std, dead-unit fraction) on a fixed batch
#   * LRTracker         - records the optimizer LR each epoch so we can see
#                         ReduceLROnPlateau kick in
#   * ReduceLROnPlateau, EarlyStopping, CSVLogger, ModelCheckpoint, LambdaCallback
# In Keras 2 ActivationLogger used K.function([model.input, K.learning_phase()], ...);
# that doesn't exist any more, hence the probe model.
import csv
import json
import os

import numpy as np
import tensorflow as tf
from tensorflow import keras

L = keras.layers
OUT_DIR = "/tmp/rw116_callbacks"
WINDOW = 24
N_SERIES = 360
EPOCHS = 3
LOG_LAYERS = ["gru_1", "dense_hidden", "scaled_relu"]

os.makedirs(OUT_DIR, exist_ok=True)
tf.random.set_seed(5)
np.random.seed(5)


@keras.utils.register_keras_serializable(package="rw116")
class ScaledReLU(L.Layer):
    """relu(x) * learnable per-unit scale - stands in for some old custom layer."""

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(input_shape[-1],),
                                     initializer="ones", trainable=True)

    def call(self, inputs):
        return keras.ops.relu(inputs) * self.scale


class ActivationLogger(keras.callbacks.Callback):
    def __init__(self, sample_x, layer_names, every=1, path=None):
        super().__init__()
        self.sample_x = sample_x
        self.layer_names = layer_names
        self.every = every
        self.path = path
        self.records = []
        self._probe = None

    def on_train_begin(self, logs=None):
        outs = [self.model.get_layer(n).output for n in self.layer_names]
        self._probe = keras.Model(self.model.inputs, outs, name="activation_probe")

    def on_epoch_end(self, epoch, logs=None):
        if epoch % self.every:
            return
        acts = self._probe.predict(self.sample_x, verbose=0)
        for name, a in zip(self.layer_names, acts):
            a = np.asarray(a)
            rec = {
                "epoch": epoch + 1,
                "layer": name,
                "mean": float(a.mean()),
                "std": float(a.std()),
                # a unit is "dead" if it is ~0 for every sample in the batch
                "dead_frac": float(np.mean(np.all(np.abs(a.reshape(len(a), -1)) < 1e-6, axis=0))),
            }
            self.records.append(rec)
            print(f"  [act] ep{rec['epoch']} {name:<13s} mean={rec['mean']:+.4f} "
                  f"std={rec['std']:.4f} dead={rec['dead_frac']:.1%}")

    def on_train_end(self, logs=None):
        if self.path:
            with open(self.path, "w") as f:
                json.dump(self.records, f, indent=2)


class LRTracker(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.lrs = []

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.model.optimizer.learning_rate
        self.lrs.append(float(keras.ops.convert_to_numpy(lr)))


def make_series(n=N_SERIES, window=WINDOW):
    t = np.arange(window + 1, dtype="float32")
    amp = np.random.uniform(0.5, 2.0, (n, 1))
    freq = np.random.uniform(0.1, 0.4, (n, 1))
    trend = np.random.uniform(-0.05, 0.05, (n, 1))
    s = amp * np.sin(freq * t) + trend * t + np.random.normal(0, 0.1, (n, window + 1))
    s = s.astype("float32")
    return s[:, :window, None], s[:, window:]  # predict next value


def build_model():
    inp = keras.Input((WINDOW, 1), name="series")
    x = L.GRU(24, return_sequences=True, name="gru_1")(inp)
    x = L.GRU(16, name="gru_2")(x)
    x = L.Dense(16, name="dense_hidden", activation="relu")(x)
    x = ScaledReLU(name="scaled_relu")(L.Dense(8)(x))
    out = L.Dense(1, name="next_value")(x)
    return keras.Model(inp, out, name="seq_regressor")


X, y = make_series()
n_val = 72
X_tr, y_tr, X_val, y_val = X[n_val:], y[n_val:], X[:n_val], y[:n_val]

model = build_model()
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=5e-3), loss="mse",
              metrics=[keras.metrics.MeanAbsoluteError(name="mae")])

act_logger = ActivationLogger(X_val[:32], LOG_LAYERS, path=f"{OUT_DIR}/activations.json")
lr_tracker = LRTracker()
epoch_times = []
callbacks = [
    act_logger,
    lr_tracker,
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.3, patience=1,
                                      min_delta=1e-2, min_lr=1e-5, verbose=1),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
    keras.callbacks.CSVLogger(f"{OUT_DIR}/training_log.csv"),
    keras.callbacks.ModelCheckpoint(f"{OUT_DIR}/best.keras", monitor="val_loss", save_best_only=True),
    keras.callbacks.LambdaCallback(
        on_epoch_end=lambda ep, logs: epoch_times.append(round(logs["val_mae"], 4))
    ),
]

history = model.fit(X_tr, y_tr, validation_data=(X_val, y_val), epochs=EPOCHS,
                    batch_size=48, callbacks=callbacks, verbose=2)

print("LR at start of each epoch:", lr_tracker.lrs)
print("val_mae via LambdaCallback:", epoch_times)
with open(f"{OUT_DIR}/training_log.csv") as f:
    rows = list(csv.DictReader(f))
print("CSVLogger columns:", list(rows[0].keys()), "rows:", len(rows))

best = keras.models.load_model(f"{OUT_DIR}/best.keras")
print("reloaded checkpoint; custom layer scale =",
      np.round(best.get_layer("scaled_relu").get_weights()[0], 3))
print("val mse of checkpoint:", round(float(best.evaluate(X_val, y_val, verbose=0)[0]), 4))

# the activation log can be reshaped into a per-layer trajectory
traj = {name: [r["mean"] for r in act_logger.records if r["layer"] == name] for name in LOG_LAYERS}
for name, means in traj.items():
    print(f"{name}: mean activation per epoch {np.round(means, 4).tolist()}")
