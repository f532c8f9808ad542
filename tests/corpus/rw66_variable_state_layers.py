"""Layers and metrics that carry their own keras.Variable state.

Three small pieces I keep re-using:
  * RunningStandardize - normalizes inputs with an EMA of mean/var kept in
    non-trainable variables (updated only when training=True).
  * StepCounterDropout - dropout whose rate is annealed by a step counter that
    lives in an int keras.Variable.
  * PearsonCorrelation - a streaming metric with sum / sum-of-squares state.
Everything is written with keras.ops so it is backend agnostic.
"""
import numpy as np
import keras
from keras import layers, ops

BATCH = 32
FEATURES = 10
TRAIN_SAMPLES = 1024


class RunningStandardize(layers.Layer):
    def __init__(self, momentum=0.99, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.epsilon = epsilon

    def build(self, input_shape):
        dim = input_shape[-1]
        self.running_mean = self.add_weight(
            name="running_mean", shape=(dim,), initializer="zeros", trainable=False)
        self.running_var = self.add_weight(
            name="running_var", shape=(dim,), initializer="ones", trainable=False)

    def call(self, inputs, training=None):
        if training:
            batch_mean = ops.mean(inputs, axis=0)
            batch_var = ops.var(inputs, axis=0)
            m = self.momentum
            self.running_mean.assign(m * self.running_mean + (1.0 - m) * batch_mean)
            self.running_var.assign(m * self.running_var + (1.0 - m) * batch_var)
            mean, var = batch_mean, batch_var
        else:
            mean, var = self.running_mean, self.running_var
        return (inputs - mean) * ops.rsqrt(var + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}


class StepCounterDropout(layers.Layer):
    """Dropout rate decays linearly from `start_rate` to `end_rate` over `decay_steps`."""

    def __init__(self, start_rate=0.5, end_rate=0.1, decay_steps=100, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.start_rate = start_rate
        self.end_rate = end_rate
        self.decay_steps = decay_steps
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.step = keras.Variable(0, dtype="int64", trainable=False, name="dropout_step")

    def current_rate(self):
        frac = ops.minimum(ops.cast(self.step, "float32") / float(self.decay_steps), 1.0)
        return self.start_rate + frac * (self.end_rate - self.start_rate)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        rate = self.current_rate()
        self.step.assign_add(1)
        keep = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator) >= rate
        return ops.where(keep, inputs / (1.0 - rate), ops.zeros_like(inputs))


class PearsonCorrelation(keras.metrics.Metric):
    def __init__(self, name="pearson_r", **kwargs):
        super().__init__(name=name, **kwargs)
        self.n = self.add_variable(shape=(), initializer="zeros", name="n")
        self.sx = self.add_variable(shape=(), initializer="zeros", name="sum_x")
        self.sy = self.add_variable(shape=(), initializer="zeros", name="sum_y")
        self.sxx = self.add_variable(shape=(), initializer="zeros", name="sum_xx")
        self.syy = self.add_variable(shape=(), initializer="zeros", name="sum_yy")
        self.sxy = self.add_variable(shape=(), initializer="zeros", name="sum_xy")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.reshape(ops.cast(y_true, self.dtype), (-1,))
        y_pred = ops.reshape(ops.cast(y_pred, self.dtype), (-1,))
        self.n.assign_add(ops.cast(ops.shape(y_true)[0], self.dtype))
        self.sx.assign_add(ops.sum(y_pred))
        self.sy.assign_add(ops.sum(y_true))
        self.sxx.assign_add(ops.sum(y_pred * y_pred))
        self.syy.assign_add(ops.sum(y_true * y_true))
        self.sxy.assign_add(ops.sum(y_pred * y_true))

    def result(self):
        cov = self.sxy - self.sx * self.sy / self.n
        var_x = self.sxx - ops.square(self.sx) / self.n
        var_y = self.syy - ops.square(self.sy) / self.n
        return cov / ops.sqrt(ops.maximum(var_x * var_y, 1e-12))

    def reset_state(self):
        for v in self.variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))


def make_data(n):
    rng = np.random.default_rng(3)
    scale = rng.uniform(0.5, 20.0, size=(FEATURES,))
    offset = rng.uniform(-50, 50, size=(FEATURES,))
    raw = rng.normal(size=(n, FEATURES))
    x = raw * scale + offset
    y = np.tanh(raw[:, :3]).sum(axis=1, keepdims=True) + 0.05 * rng.normal(size=(n, 1))
    return x.astype("float32"), y.astype("float32")


def main():
    keras.utils.set_random_seed(42)
    x, y = make_data(TRAIN_SAMPLES)

    standardize = RunningStandardize(momentum=0.9, name="standardize")
    drop = StepCounterDropout(0.4, 0.05, decay_steps=50, seed=42, name="anneal_drop")

    model = keras.Sequential([
        keras.Input((FEATURES,)),
        standardize,
        layers.Dense(64, activation="relu"),
        drop,
        layers.Dense(32, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse",
                  metrics=[PearsonCorrelation()])
    model.summary()

    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=2)

    print("running mean (first 3):", np.round(ops.convert_to_numpy(standardize.running_mean)[:3], 2))
    print("dropout step counter:", int(ops.convert_to_numpy(drop.step)),
          "current rate: %.3f" % float(drop.current_rate()))
    print("non-trainable weights:", [w.path for w in model.non_trainable_weights])

    # Evaluate the metric by hand on a held-out batch.
    x_val, y_val = make_data(256)
    metric = PearsonCorrelation()
    for i in range(0, len(x_val), 64):
        metric.update_state(y_val[i:i + 64], model(x_val[i:i + 64], training=False))
    print("held-out pearson r: %.3f" % float(metric.result()))
    metric.reset_state()
    print("after reset n =", float(metric.n.numpy()))

    # A bare keras.Variable can be used as a simple EMA tracker outside any layer.
    ema_loss = keras.Variable(0.0, trainable=False, name="ema_loss")
    for i in range(5):
        batch_loss = ops.mean(ops.square(model(x_val[i * 32:(i + 1) * 32]) - y_val[i * 32:(i + 1) * 32]))
        ema_loss.assign(0.8 * ema_loss + 0.2 * batch_loss)
    print("ema loss: %.4f" % float(ema_loss.numpy()))


if __name__ == "__main__":
    main()
