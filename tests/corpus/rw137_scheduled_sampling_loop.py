# Custom training loop for an encoder-decoder forecaster.
# The decoder is unrolled step by step with an LSTMCell so we can mix teacher
# forcing and the model's own predictions (scheduled sampling). The mixing is
# done with tf.where on a random mask, so everything stays graph-friendly
# inside @tf.function.
import time
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers


@dataclass
class HParams:
    past_len: int = 36
    future_len: int = 12
    n_covariates: int = 2
    units: int = 32
    batch_size: int = 32
    epochs: int = 2
    lr: float = 2e-3
    tf_start: float = 1.0   # teacher forcing prob at start
    tf_end: float = 0.3     # ... and at the end of training


HP = HParams()
tf.random.set_seed(5)
np.random.seed(5)


def build_dataset(n_windows=320):
    """Target plus two covariates that are known for the future (hour-of-day sin/cos)."""
    total = HP.past_len + HP.future_len
    starts = np.random.randint(0, 5000, size=n_windows)
    t = starts[:, None] + np.arange(total)[None, :]
    hour_sin = np.sin(2 * np.pi * t / 24)
    hour_cos = np.cos(2 * np.pi * t / 24)
    load = 1.0 + 0.8 * hour_sin + 0.3 * hour_cos + 0.1 * np.random.randn(*t.shape)
    cov = np.stack([hour_sin, hour_cos], -1).astype("float32")
    load = load.astype("float32")

    ds = tf.data.Dataset.from_tensor_slices({
        "past_y": load[:, :HP.past_len, None],
        "past_cov": cov[:, :HP.past_len],
        "future_cov": cov[:, HP.past_len:],
        "future_y": load[:, HP.past_len:],
    })
    return ds


class EncoderDecoder(keras.Model):
    def __init__(self, units, future_len):
        super().__init__()
        self.future_len = future_len
        self.encoder = layers.LSTM(units, return_state=True)
        self.cell = layers.LSTMCell(units)
        self.out = layers.Dense(1)

    def call(self, inputs, targets=None, teacher_prob=0.0, training=False):
        past = tf.concat([inputs["past_y"], inputs["past_cov"]], axis=-1)
        _, h, c = self.encoder(past, training=training)
        state = [h, c]
        prev_y = inputs["past_y"][:, -1, :]           # (B, 1)
        future_cov = inputs["future_cov"]
        batch = tf.shape(prev_y)[0]
        preds = []
        # future_len is a python int -> this loop is unrolled at trace time
        for step in range(self.future_len):
            step_in = tf.concat([prev_y, future_cov[:, step, :]], axis=-1)
            hidden, state = self.cell(step_in, state, training=training)
            y_hat = self.out(hidden)
            preds.append(y_hat)
            if targets is not None:
                use_truth = tf.random.uniform((batch, 1)) < teacher_prob
                prev_y = tf.where(use_truth, targets[:, step:step + 1], y_hat)
            else:
                prev_y = y_hat
        return tf.concat(preds, axis=-1)               # (B, future_len)


def teacher_forcing_schedule(epoch, n_epochs):
    if n_epochs <= 1:
        return HP.tf_end
    frac = epoch / (n_epochs - 1)
    return HP.tf_start + frac * (HP.tf_end - HP.tf_start)


def main():
    ds = build_dataset()
    n_val = 64
    val_ds = ds.take(n_val).batch(HP.batch_size)
    train_ds = ds.skip(n_val).shuffle(512).batch(HP.batch_size).prefetch(2)

    model = EncoderDecoder(HP.units, HP.future_len)
    optimizer = keras.optimizers.Adam(HP.lr)
    loss_fn = keras.losses.MeanSquaredError()
    train_loss = keras.metrics.Mean(name="train_loss")
    val_mae = keras.metrics.MeanAbsoluteError(name="val_mae")

    @tf.function
    def train_step(batch, teacher_prob):
        with tf.GradientTape() as tape:
            pred = model(batch, targets=batch["future_y"], teacher_prob=teacher_prob,
                         training=True)
            loss = loss_fn(batch["future_y"], pred)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, gnorm = tf.clip_by_global_norm(grads, 1.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_loss.update_state(loss)
        return gnorm

    @tf.function
    def val_step(batch):
        pred = model(batch, training=False)   # fully autoregressive
        val_mae.update_state(batch["future_y"], pred)

    for epoch in range(HP.epochs):
        tp = teacher_forcing_schedule(epoch, HP.epochs)
        t0 = time.perf_counter()
        train_loss.reset_state()
        val_mae.reset_state()
        gnorms = []
        for batch in train_ds:
            # pass teacher prob as a tensor so changing it doesn't retrace
            gnorms.append(float(train_step(batch, tf.constant(tp, tf.float32))))
        for batch in val_ds:
            val_step(batch)
        print(f"epoch {epoch + 1}/{HP.epochs} tf_prob={tp:.2f} "
              f"loss={train_loss.result():.4f} val_mae={val_mae.result():.4f} "
              f"grad_norm~{np.mean(gnorms):.3f} ({time.perf_counter() - t0:.1f}s)")

    sample = next(iter(val_ds))
    forecast = model(sample, training=False).numpy()[0]
    truth = sample["future_y"].numpy()[0]
    print("forecast:", np.array2string(forecast, precision=2))
    print("truth:   ", np.array2string(truth, precision=2))
    print("trace count train_step:", train_step.experimental_get_tracing_count())


if __name__ == "__main__":
    main()
