"""
Saving and loading weights in Keras 3 (tf 2.21).

Common pitfalls people hit:
  * model.save_weights("w.h5") -> error, the filename must end in ".weights.h5"
  * ModelCheckpoint(save_weights_only=True) needs the same suffix
  * load_weights() needs a model with the *same architecture* already built
"""
import os
import shutil
import numpy as np
import tensorflow as tf
import keras
from keras import layers

OUT_DIR = "/tmp/rw103_weights_demo"
WEIGHTS_PATH = os.path.join(OUT_DIR, "model.weights.h5")
CKPT_PATTERN = os.path.join(OUT_DIR, "ckpt_epoch{epoch:02d}.weights.h5")
FULL_MODEL_PATH = os.path.join(OUT_DIR, "model.keras")
INPUT_SHAPE = (16,)


class MLP(keras.Model):
    def __init__(self, hidden=(32, 16), n_out=1, **kwargs):
        super().__init__(**kwargs)
        self.hidden_cfg = tuple(hidden)
        self.blocks = [layers.Dense(h, activation="relu", name=f"dense_{i}") for i, h in enumerate(hidden)]
        self.out = layers.Dense(n_out, name="out")

    def build(self, input_shape):
        shape = tuple(input_shape)
        for block in self.blocks:
            block.build(shape)
            shape = shape[:-1] + (block.units,)
        self.out.build(shape)
        super().build(input_shape)

    def call(self, x, training=False):
        for block in self.blocks:
            x = block(x)
        return self.out(x)


def get_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n,) + INPUT_SHAPE).astype("float32")
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2] ** 2).astype("float32")
    return x, y


def fresh_model():
    m = MLP(name="mlp")
    m.build((None,) + INPUT_SHAPE)  # subclassed models must be built before load_weights
    m.compile(optimizer="adam", loss="mse")
    return m


shutil.rmtree(OUT_DIR, ignore_errors=True)
os.makedirs(OUT_DIR, exist_ok=True)

x, y = get_data()
model = fresh_model()
ckpt = keras.callbacks.ModelCheckpoint(CKPT_PATTERN, save_weights_only=True, verbose=0)
model.fit(x, y, epochs=2, batch_size=32, callbacks=[ckpt], verbose=2)

model.save_weights(WEIGHTS_PATH)
print("files in", OUT_DIR, "->", sorted(os.listdir(OUT_DIR)))

probe = x[:5]
ref = model.predict(probe, verbose=0)

# 1) load into a brand-new instance
clone = fresh_model()
before = clone.predict(probe, verbose=0)
clone.load_weights(WEIGHTS_PATH)
after = clone.predict(probe, verbose=0)
print(f"max diff before load: {np.abs(before - ref).max():.4f}, after load: {np.abs(after - ref).max():.2e}")
assert np.allclose(after, ref, atol=1e-6)

# 2) load the epoch-1 checkpoint: should give different predictions
epoch1 = fresh_model()
epoch1.load_weights(os.path.join(OUT_DIR, "ckpt_epoch01.weights.h5"))
print("epoch-1 checkpoint differs from final:", not np.allclose(epoch1.predict(probe, verbose=0), ref))

# 3) the suffix pitfall
try:
    model.save_weights(os.path.join(OUT_DIR, "bad_name.h5"))
except ValueError as e:
    print("save_weights with wrong suffix ->", type(e).__name__ + ":", str(e).splitlines()[0][:90])

# 4) per-layer weights with get_weights / set_weights (numpy round-trip)
layer_weights = {l.name: l.get_weights() for l in model.layers}
np.savez(os.path.join(OUT_DIR, "layers.npz"), **{f"{k}__{i}": w for k, ws in layer_weights.items() for i, w in enumerate(ws)})
npz = np.load(os.path.join(OUT_DIR, "layers.npz"))
manual = fresh_model()
for l in manual.layers:
    n = len(l.get_weights())
    l.set_weights([npz[f"{l.name}__{i}"] for i in range(n)])
print("npz round-trip matches:", np.allclose(manual.predict(probe, verbose=0), ref, atol=1e-6))

# 5) plain tf.train.Checkpoint over the underlying tf.Variables (TF backend)
def as_tf_vars(m):
    return {v.path.replace("/", "."): v.value for v in m.weights}


save_path = tf.train.Checkpoint(**as_tf_vars(model)).write(os.path.join(OUT_DIR, "tf_ckpt", "state"))
print("tf checkpoint keys:", [name for name, _ in tf.train.list_variables(save_path)][:3], "...")
restored = fresh_model()
tf.train.Checkpoint(**as_tf_vars(restored)).read(save_path).assert_consumed()
print("tf.train.Checkpoint round-trip matches:", np.allclose(restored.predict(probe, verbose=0), ref, atol=1e-6))

# 6) a Sequential model saved whole (.keras) for comparison
seq = keras.Sequential([keras.Input(INPUT_SHAPE), layers.Dense(8, activation="tanh"), layers.Dense(1)])
seq.compile("sgd", "mse")
seq.fit(x, y, epochs=1, verbose=0)
seq.save(FULL_MODEL_PATH)
reloaded = keras.models.load_model(FULL_MODEL_PATH)
print("full .keras reload matches:", np.allclose(reloaded.predict(probe, verbose=0), seq.predict(probe, verbose=0)))
