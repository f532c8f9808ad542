"""Manual hyperparameter sweep on a Fashion-MNIST-shaped toy problem.

Mirrors the classic "try a few learning rates and widths by hand" notebook,
using random data in place of keras.datasets.fashion_mnist.
"""
import itertools

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
np.random.seed(SEED)
tf.random.set_seed(SEED)

IMG_ROWS, IMG_COLS = 28, 28
NUM_CLASSES = 10
N_TRAIN, N_VAL = 48, 16

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

# --- fake data, uint8 like the real dataset --------------------------------
x_all = np.random.randint(0, 256, size=(N_TRAIN + N_VAL, IMG_ROWS, IMG_COLS)).astype("uint8")
y_all = np.random.randint(0, NUM_CLASSES, size=(N_TRAIN + N_VAL,))

x_all = x_all.astype("float32") / 255.0
x_train, x_val = x_all[:N_TRAIN], x_all[N_TRAIN:]
y_train, y_val = y_all[:N_TRAIN], y_all[N_TRAIN:]
print("train:", x_train.shape, "val:", x_val.shape)

search_space = {
    "learning_rate": [1e-3, 3e-3],
    "width": [32, 64],
}
N_HIDDEN = 2
DROPOUT = 0.2


def build_model(learning_rate, width, n_hidden=N_HIDDEN):
    model = keras.Sequential(name=f"mlp_lr{learning_rate:g}_w{width}")
    model.add(keras.Input(shape=(IMG_ROWS, IMG_COLS)))
    model.add(layers.Flatten())
    for i in range(n_hidden):
        # halve the width at every depth, but keep at least 16 units
        units = max(16, width // (2 ** i))
        model.add(layers.Dense(units, activation="relu", name=f"hidden_{i}"))
        model.add(layers.Dropout(DROPOUT))
    model.add(layers.Dense(NUM_CLASSES, activation="softmax"))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


configs = [dict(zip(search_space.keys(), vals))
           for vals in itertools.product(*search_space.values())]
histories = []
for cfg in configs:
    print("running", cfg)
    m = build_model(**cfg)
    h = m.fit(x_train, y_train,
              validation_data=(x_val, y_val),
              epochs=1, batch_size=16, verbose=0)
    histories.append(h)

scores = [max(h.history["val_accuracy"]) for h in histories]
best_idx = np.argmax([max(h.history['val_accuracy']) for h in histories])
best_cfg = configs[best_idx]
print("scores:", np.round(scores, 3))
print("best config:", best_cfg)

# retrain the best config on train+val
final_model = build_model(**best_cfg)
final_model.summary()
x_full = np.concatenate([x_train, x_val], axis=0)
y_full = np.concatenate([y_train, y_val], axis=0)
early = keras.callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
final_model.fit(x_full, y_full, epochs=1, batch_size=16, callbacks=[early], verbose=0)

probs = final_model.predict(x_val[:8], verbose=0)
pred = np.argmax(probs, axis=1)
for p, t in zip(pred, y_val[:8]):
    print(f"pred={CLASS_NAMES[p]:<12} true={CLASS_NAMES[t]}")
loss, acc = final_model.evaluate(x_val, y_val, verbose=0)
print("final val acc %.3f" % acc)
