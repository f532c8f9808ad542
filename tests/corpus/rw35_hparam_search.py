# Poor man's keras-tuner: random search over a param grid, keeps the best config.
# (keras_tuner isn't installed on the competition image, so I just hand-rolled it)
import itertools
import random
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

random.seed(1)
np.random.seed(1)
tf.random.set_seed(1)


class HP:
    """tiny subset of the keras_tuner HyperParameters API"""

    def __init__(self, values=None):
        self.values = dict(values or {})

    def Choice(self, name, options, default=None):
        if name not in self.values:
            self.values[name] = default if default is not None else options[0]
        return self.values[name]

    def Int(self, name, lo, hi, step=1):
        if name not in self.values:
            self.values[name] = lo
        return int(self.values[name])

    def __repr__(self):
        return " ".join(f"{k}={v}" for k, v in self.values.items())


SEARCH_SPACE = {
    "n_layers": [1, 2, 3],
    "units": [32, 64, 128],
    "emb_dim": [4, 8],
    "dropout": [0.0, 0.2, 0.4],
    "lr": [1e-3, 3e-3],
    "residual": [False, True],
}

# ---------------------------------------------------------------- data
N, N_NUM = 1500, 8
CARDS = [10, 30, 5]
x_num = np.random.normal(size=(N, N_NUM)).astype("float32")
x_cat = np.column_stack([np.random.randint(0, c, N) for c in CARDS]).astype("int32")
y = (x_num[:, :3].sum(1) + np.sin(x_cat[:, 1]) + 0.3 * np.random.randn(N)).astype("float32")

perm = np.random.permutation(N)
tr, va = perm[:1200], perm[1200:]
train_inputs = {"num": x_num[tr], "cat": x_cat[tr]}
valid_inputs = {"num": x_num[va], "cat": x_cat[va]}


def build_model(hp):
    num_in = keras.Input(shape=(N_NUM,), name="num")
    cat_in = keras.Input(shape=(len(CARDS),), dtype="int32", name="cat")

    emb_dim = hp.Choice("emb_dim", SEARCH_SPACE["emb_dim"])
    emb_out = []
    for j, card in enumerate(CARDS):
        col = layers.Lambda(lambda t, j=j: t[:, j])(cat_in)
        emb_out.append(layers.Embedding(card, emb_dim)(col))
    x = layers.Concatenate()([num_in] + emb_out)

    units = hp.Choice("units", SEARCH_SPACE["units"])
    x = layers.Dense(units, activation="relu")(x)
    for i in range(hp.Int("n_layers", 1, 3)):
        h = layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
        h = layers.Dropout(hp.Choice("dropout", SEARCH_SPACE["dropout"]))(h)
        x = layers.Add()([x, h]) if hp.Choice("residual", SEARCH_SPACE["residual"]) else h
        x = layers.LayerNormalization()(x)
    out = layers.Dense(1, name="target")(x)

    model = keras.Model(inputs={"num": num_in, "cat": cat_in}, outputs=out)
    model.compile(optimizer=keras.optimizers.Adam(hp.Choice("lr", SEARCH_SPACE["lr"])),
                  loss="mse")
    return model


def sample_configs(space, n_trials):
    keys = list(space)
    grid = list(itertools.product(*[space[k] for k in keys]))
    random.shuffle(grid)
    for combo in grid[:n_trials]:
        yield dict(zip(keys, combo))


results = []
MAX_TRIALS = 4
for trial, cfg in enumerate(sample_configs(SEARCH_SPACE, MAX_TRIALS)):
    t0 = time.time()
    hp = HP(cfg)
    model = build_model(hp)
    hist = model.fit(train_inputs, y[tr], validation_data=(valid_inputs, y[va]),
                     batch_size=64, epochs=2, verbose=0)
    best_val = min(hist.history["val_loss"])
    results.append((best_val, cfg, model.count_params()))
    print(f"trial {trial:02d} | val_mse={best_val:.4f} | params={model.count_params():6d} "
          f"| {time.time() - t0:.1f}s | {hp}")
    del model
    keras.backend.clear_session()

results.sort(key=lambda r: r[0])
best_val, best_cfg, _ = results[0]
print("\nBEST:", best_cfg, "->", round(best_val, 4))

# refit best config on all the data and check output shape on a few rows
final = build_model(HP(best_cfg))
final.fit({"num": x_num, "cat": x_cat}, y, batch_size=64, epochs=1, verbose=0)
preds = final.predict({"num": x_num[:10], "cat": x_cat[:10]}, verbose=0)
print("final preds", preds.shape, np.round(preds[:3, 0], 3), "true", np.round(y[:3], 3))
print("hidden layer output:", final.get_layer("hidden_0").output.shape)
