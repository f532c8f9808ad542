"""GRU built from tf.Variables inside tf.Module, unrolled with tf.scan,
autoregressive forecasting with tf.while_loop + TensorArray, checkpointing
and SavedModel export with input_signature. Data: noisy sine mixtures."""
from dataclasses import dataclass
import shutil
from pathlib import Path

import numpy as np
import tensorflow as tf


@dataclass
class Config:
    window: int = 24
    hidden: int = 32
    n_series: int = 300
    series_len: int = 64
    batch: int = 32
    epochs: int = 2
    lr: float = 5e-3
    grad_clip: float = 1.0
    ckpt_dir: str = "/tmp/rw126_gru_ckpt"
    export_dir: str = "/tmp/rw126_gru_saved"


cfg = Config()
np.random.seed(11)
tf.random.set_seed(11)


def sine_mixtures(n, length):
    t = np.arange(length, dtype=np.float32)[None, :]
    f1 = np.random.uniform(0.05, 0.2, (n, 1))
    f2 = np.random.uniform(0.2, 0.4, (n, 1))
    ph = np.random.uniform(0, 2 * np.pi, (n, 1))
    s = np.sin(f1 * t + ph) + 0.5 * np.sin(f2 * t) + 0.05 * np.random.randn(n, length)
    return s.astype(np.float32)


def windows(series, w):
    xs, ys = [], []
    for row in series:
        for start in range(0, len(row) - w - 1, 8):
            xs.append(row[start:start + w])
            ys.append(row[start + w])
    return np.array(xs)[..., None], np.array(ys)[:, None]


@tf.custom_gradient
def clip_grad_identity(h):
    """Identity forward; clips the gradient norm flowing back through h."""
    def grad(dy):
        return tf.clip_by_norm(dy, cfg.grad_clip, axes=[-1])
    return tf.identity(h), grad


def glorot(shape, name):
    limit = np.sqrt(6.0 / sum(shape))
    return tf.Variable(tf.random.uniform(shape, -limit, limit), name=name)


class GRUCell(tf.Module):
    def __init__(self, in_dim, units, name="gru_cell"):
        super().__init__(name=name)
        with self.name_scope:
            # packed gates: [z, r, h~]
            self.W = glorot((in_dim, 3 * units), "W")
            self.U = glorot((units, 3 * units), "U")
            self.b = tf.Variable(tf.zeros(3 * units), name="b")
        self.units = units

    def __call__(self, h, x):
        xw = tf.matmul(x, self.W) + self.b
        xz, xr, xh = tf.split(xw, 3, axis=-1)
        uz, ur, uh = tf.split(self.U, 3, axis=-1)
        z = tf.sigmoid(xz + h @ uz)
        r = tf.sigmoid(xr + h @ ur)
        h_tilde = tf.tanh(xh + (r * h) @ uh)
        h_new = (1.0 - z) * h + z * h_tilde
        return clip_grad_identity(h_new)


class Forecaster(tf.Module):
    def __init__(self, units, name="forecaster"):
        super().__init__(name=name)
        with self.name_scope:
            self.cell = GRUCell(1, units)
            self.w_out = glorot((units, 1), "w_out")
            self.b_out = tf.Variable([0.0], name="b_out")
        self.units = units

    def encode(self, seq):
        # seq: [B, T, 1] -> scan wants time-major
        time_major = tf.transpose(seq, [1, 0, 2])
        h0 = tf.zeros([tf.shape(seq)[0], self.units])
        states = tf.scan(self.cell, time_major, initializer=h0)
        return states[-1]

    def __call__(self, seq):
        return self.encode(seq) @ self.w_out + self.b_out

    @tf.function(input_signature=[tf.TensorSpec([None, None, 1], tf.float32)])
    def predict_next(self, seq):
        return self(seq)

    @tf.function(input_signature=[
        tf.TensorSpec([None, None, 1], tf.float32),
        tf.TensorSpec([], tf.int32),
    ])
    def forecast(self, seq, steps):
        h = self.encode(seq)
        y = h @ self.w_out + self.b_out
        out = tf.TensorArray(tf.float32, size=steps)

        def body(i, h, y, out):
            out = out.write(i, y)
            h = self.cell(h, y)
            y = h @ self.w_out + self.b_out
            return i + 1, h, y, out

        _, _, _, out = tf.while_loop(
            lambda i, *_: i < steps, body, (tf.constant(0), h, y, out)
        )
        return tf.transpose(out.stack()[..., 0])  # [B, steps]


def make_datasets():
    series = sine_mixtures(cfg.n_series, cfg.series_len)
    x, y = windows(series, cfg.window)
    n_val = len(x) // 5
    perm = np.random.permutation(len(x))
    x, y = x[perm], y[perm]
    train = tf.data.Dataset.from_tensor_slices((x[n_val:], y[n_val:]))
    train = train.shuffle(2048).batch(cfg.batch, drop_remainder=True)
    val = tf.data.Dataset.from_tensor_slices((x[:n_val], y[:n_val])).batch(256)
    return train, val, series


def evaluate(model, ds):
    errs = [tf.reduce_mean(tf.square(model(xb) - yb)) for xb, yb in ds]
    return float(tf.reduce_mean(errs))


def train(model, train_ds, val_ds):
    opt = tf.keras.optimizers.Adam(cfg.lr)
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt, epoch=tf.Variable(0))
    shutil.rmtree(cfg.ckpt_dir, ignore_errors=True)
    manager = tf.train.CheckpointManager(ckpt, cfg.ckpt_dir, max_to_keep=2)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(xb) - yb))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    for epoch in range(cfg.epochs):
        running = tf.keras.metrics.Mean()
        for i, (xb, yb) in enumerate(train_ds):
            running.update_state(step(xb, yb))
            if i >= 60:          # keep the demo short
                break
        ckpt.epoch.assign_add(1)
        path = manager.save()
        print(f"epoch {epoch + 1}: train_mse={running.result():.4f} "
              f"val_mse={evaluate(model, val_ds):.4f} -> {Path(path).name}")
    return manager


def main():
    train_ds, val_ds, series = make_datasets()
    model = Forecaster(cfg.hidden)
    print("trainable:", [(v.name, v.shape.as_list()) for v in model.trainable_variables])
    manager = train(model, train_ds, val_ds)

    # restore into a fresh module
    fresh = Forecaster(cfg.hidden)
    status = tf.train.Checkpoint(model=fresh).restore(manager.latest_checkpoint)
    status.expect_partial()
    probe = tf.constant(series[:4, :cfg.window, None])
    a, b = model(probe).numpy(), fresh(probe).numpy()
    print("checkpoint restore diff:", np.abs(a - b).max())

    shutil.rmtree(cfg.export_dir, ignore_errors=True)
    tf.saved_model.save(model, cfg.export_dir,
                        signatures={"serving_default": model.predict_next,
                                    "forecast": model.forecast})
    loaded = tf.saved_model.load(cfg.export_dir)

    # variable-length inputs work thanks to the [None, None, 1] signature
    for T in (10, cfg.window, 40):
        p = loaded.predict_next(tf.constant(series[:3, :T, None]))
        print(f"T={T:2d} next-step preds={np.round(p.numpy().ravel(), 3)} "
              f"true={np.round(series[:3, T], 3)}")

    horizon = 8
    fc = loaded.signatures["forecast"](seq=probe, steps=tf.constant(horizon))
    fc = list(fc.values())[0].numpy()
    truth = series[:4, cfg.window:cfg.window + horizon]
    print(f"{horizon}-step forecast shape {fc.shape}, mae={np.abs(fc - truth).mean():.3f}")


if __name__ == "__main__":
    main()
