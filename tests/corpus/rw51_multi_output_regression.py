"""Multi-target regression on a synthetic materials-property dataset.

Predicts three properties of an alloy from its composition + process features:
  * yield_strength  (continuous, MSE)
  * density         (continuous, Huber - a few noisy lab measurements)
  * phase           (3-class categorical, cross-entropy)
Each head gets its own loss, and loss_weights balance them.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEED = 7
N_SAMPLES = 1200
N_ELEMENTS = 6      # composition fractions
N_PROCESS = 4       # temperature, time, cooling rate, pressure
N_PHASES = 3
BATCH_SIZE = 64
EPOCHS = 2

keras.utils.set_random_seed(SEED)
rng = np.random.default_rng(SEED)
# fixed "ground-truth" strengthening coefficient per element
W_STRENGTH = rng.normal(size=(N_ELEMENTS,))


def make_dataset(n):
    comp = rng.dirichlet(np.ones(N_ELEMENTS), size=n).astype("float32")
    proc = rng.normal(size=(n, N_PROCESS)).astype("float32")
    strength = (comp @ W_STRENGTH * 200 + 50 * np.tanh(proc[:, 0])
                + 10 * proc[:, 1] * proc[:, 2] + rng.normal(0, 5, n))
    density = 2.5 + comp @ np.linspace(1.0, 8.0, N_ELEMENTS) + rng.normal(0, 0.05, n)
    # inject some outliers in density
    outliers = rng.random(n) < 0.03
    density[outliers] += rng.normal(0, 3.0, outliers.sum())
    logits = np.stack([proc[:, 0], comp[:, 0] * 5, -proc[:, 2]], axis=1)
    phase = logits.argmax(axis=1)
    features = {"composition": comp, "process": proc}
    targets = {
        "yield_strength": strength.astype("float32")[:, None],
        "density": density.astype("float32")[:, None],
        "phase": phase.astype("int32"),
    }
    return features, targets


def target_stats(targets):
    return {k: (v.mean(), v.std()) for k, v in targets.items() if k != "phase"}


def build_model(stats):
    comp_in = keras.Input(shape=(N_ELEMENTS,), name="composition")
    proc_in = keras.Input(shape=(N_PROCESS,), name="process")

    proc_norm = layers.Normalization(name="process_norm")(proc_in)
    # element-wise interaction between composition and process embedding
    comp_emb = layers.Dense(16, activation="relu")(comp_in)
    proc_emb = layers.Dense(16, activation="relu")(proc_norm)
    inter = layers.Multiply()([comp_emb, proc_emb])
    trunk = layers.Concatenate()([comp_emb, proc_emb, inter])
    trunk = layers.Dense(64, activation="gelu")(trunk)
    trunk = layers.Dropout(0.1)(trunk)
    trunk = layers.Dense(32, activation="gelu")(trunk)

    outputs = {}
    for name in ("yield_strength", "density"):
        mu, sigma = stats[name]
        h = layers.Dense(16, activation="relu", name=f"{name}_hidden")(trunk)
        z = layers.Dense(1, name=f"{name}_z")(h)
        # de-standardise inside the graph so the model predicts physical units
        outputs[name] = layers.Rescaling(scale=float(sigma), offset=float(mu),
                                         name=name)(z)
    outputs["phase"] = layers.Dense(N_PHASES, activation="softmax", name="phase")(trunk)

    model = keras.Model(inputs={"composition": comp_in, "process": proc_in},
                        outputs=outputs, name="alloy_multitask")
    return model


x_train, y_train = make_dataset(N_SAMPLES)
x_val, y_val = make_dataset(N_SAMPLES // 4)
stats = target_stats(y_train)

model = build_model(stats)
model.get_layer("process_norm").adapt(x_train["process"])

model.compile(
    optimizer=keras.optimizers.AdamW(learning_rate=3e-3, weight_decay=1e-4),
    loss={
        "yield_strength": "mse",
        "density": keras.losses.Huber(delta=0.5),
        "phase": keras.losses.SparseCategoricalCrossentropy(),
    },
    loss_weights={"yield_strength": 1e-3, "density": 1.0, "phase": 0.5},
    metrics={
        "yield_strength": [keras.metrics.MeanAbsoluteError(name="mae")],
        "density": [keras.metrics.RootMeanSquaredError(name="rmse")],
        "phase": ["accuracy"],
    },
)
model.summary(line_length=110)

train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
            .shuffle(N_SAMPLES, seed=SEED)
            .batch(BATCH_SIZE)
            .prefetch(tf.data.AUTOTUNE))
val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(BATCH_SIZE)

history = model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)
for key in sorted(history.history):
    if key.startswith("val_"):
        print(f"{key:35s} {history.history[key][-1]:.4f}")

preds = model.predict(x_val, verbose=0)
for name, arr in preds.items():
    print(name, arr.shape)
phase_pred = np.argmax(preds["phase"], axis=-1)
print("phase accuracy (numpy): %.3f" % np.mean(phase_pred == y_val["phase"]))
rel_err = np.abs(preds["density"] - y_val["density"]) / y_val["density"]
print("median density relative error: %.3f" % np.median(rel_err))
