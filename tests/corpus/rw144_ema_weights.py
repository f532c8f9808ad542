# EMA of model weights two ways:
#   1) a hand-rolled callback that keeps shadow tf.Variables and swaps them in
#      for validation / final evaluation
#   2) the built-in `use_ema=True` on a Keras optimizer + SwapEMAWeights
#      callback, for comparison
import numpy as np
import tensorflow as tf
import keras
from keras import layers

BATCH_SIZE = 32
EPOCHS = 2
EMA_DECAY = 0.98
IN_DIM = 12

rng = np.random.default_rng(42)
W_true = rng.normal(size=(IN_DIM, 1)).astype("float32")


def make_regression(n):
    x = rng.uniform(-1, 1, size=(n, IN_DIM)).astype("float32")
    y = np.sin(x @ W_true) + 0.1 * rng.normal(size=(n, 1))
    return x, y.astype("float32")


x_train, y_train = make_regression(480)
x_val, y_val = make_regression(96)


def build_model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [keras.Input((IN_DIM,))]
        + [layers.Dense(u, activation="tanh") for u in (48, 48)]
        + [layers.Dropout(0.1), layers.Dense(1)],
        name=f"regressor_{seed}",
    )


class EMACallback(keras.callbacks.Callback):
    """Maintains shadow = decay * shadow + (1 - decay) * weight after each batch.

    Uses a bias-corrected decay during warm-up so early shadows are not
    dominated by the random init: decay_t = min(decay, (1 + t) / (10 + t)).
    """

    def __init__(self, decay=0.99, swap_on_epoch_end=True):
        super().__init__()
        self.decay = decay
        self.swap_on_epoch_end = swap_on_epoch_end
        self.shadow = None
        self.backup = None
        self.step = 0

    def on_train_begin(self, logs=None):
        self.shadow = [tf.Variable(w, trainable=False) for w in self.model.weights]

    def _decay(self):
        return min(self.decay, (1.0 + self.step) / (10.0 + self.step))

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        d = self._decay()
        for s, w in zip(self.shadow, self.model.weights):
            if "float" in str(w.dtype):
                s.assign(d * s + (1.0 - d) * w)

    def swap_in(self):
        self.backup = [w.numpy() for w in self.model.weights]
        for s, w in zip(self.shadow, self.model.weights):
            w.assign(s)

    def swap_out(self):
        for b, w in zip(self.backup, self.model.weights):
            w.assign(b)
        self.backup = None

    def on_epoch_end(self, epoch, logs=None):
        if not self.swap_on_epoch_end:
            return
        raw = self.model.evaluate(x_val, y_val, verbose=0, return_dict=True)
        self.swap_in()
        ema = self.model.evaluate(x_val, y_val, verbose=0, return_dict=True)
        self.swap_out()
        print(f"  epoch {epoch + 1}: raw val_mse={raw['loss']:.4f} | "
              f"ema val_mse={ema['loss']:.4f} (decay now {self._decay():.3f})")

    def on_train_end(self, logs=None):
        # leave the averaged weights in the model, like most EMA recipes do
        self.swap_in()
        self.backup = None


train_ds = (
    tf.data.Dataset.from_tensor_slices((x_train, y_train))
    .shuffle(len(x_train), seed=3)
    .batch(BATCH_SIZE)
)

# --- manual EMA ---
model_a = build_model(seed=1)
model_a.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="mse", metrics=["mae"])
ema_cb = EMACallback(decay=EMA_DECAY)
model_a.fit(train_ds, epochs=EPOCHS, callbacks=[ema_cb], verbose=0)
manual = model_a.evaluate(x_val, y_val, verbose=0, return_dict=True)
print(f"manual EMA final   -> mse={manual['loss']:.4f} mae={manual['mae']:.4f}")

# --- built-in optimizer EMA ---
model_b = build_model(seed=1)
opt_b = keras.optimizers.SGD(
    0.05, momentum=0.9, use_ema=True, ema_momentum=EMA_DECAY, ema_overwrite_frequency=None
)
model_b.compile(optimizer=opt_b, loss="mse", metrics=["mae"])
# SwapEMAWeights evaluates validation data with the averaged weights;
# fit() itself calls optimizer.finalize_variable_values() when it ends.
hist_b = model_b.fit(
    train_ds,
    validation_data=(x_val, y_val),
    epochs=EPOCHS,
    callbacks=[keras.callbacks.SwapEMAWeights(swap_on_epoch=True)],
    verbose=0,
)
builtin = model_b.evaluate(x_val, y_val, verbose=0, return_dict=True)
print("optimizer use_ema  -> val_loss per epoch (EMA weights):",
      [round(v, 4) for v in hist_b.history["val_loss"]])
print(f"optimizer use_ema final -> mse={builtin['loss']:.4f} mae={builtin['mae']:.4f}")
n_ema_slots = sum(v is not None for v in opt_b._model_variables_moving_average)
print("EMA slots held by optimizer:", n_ema_slots)

diffs = [float(np.abs(a - b).max()) for a, b in zip(model_a.get_weights(), model_b.get_weights())]
print("max |w_manual - w_builtin| per tensor:", [f"{d:.3f}" for d in diffs])
