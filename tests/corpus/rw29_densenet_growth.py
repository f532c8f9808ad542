"""DenseNet-BC style nets with configurable growth rate.

Training uses a custom train_step with label smoothing + explicit metric
trackers so we can log grad norm alongside loss (was useful for debugging the
growth_rate=48 divergence).
"""
import argparse
import functools

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.layers import Conv2D, BatchNormalization, ReLU

CONFIGS = {
    "densenet_tiny": dict(growth_rate=8, block_layers=(2, 2), init_filters=16, compression=0.5),
    "densenet_small": dict(growth_rate=12, block_layers=(2, 3, 2), init_filters=24, compression=0.5),
    "densenet_wide": dict(growth_rate=16, block_layers=(3, 3), init_filters=32, compression=0.75),
}

bn_relu = lambda name: keras.Sequential([BatchNormalization(epsilon=1.001e-5), ReLU()], name=name)
conv3 = functools.partial(Conv2D, kernel_size=3, padding="same", use_bias=False,
                          kernel_initializer="he_normal")
conv1 = functools.partial(Conv2D, kernel_size=1, padding="same", use_bias=False,
                          kernel_initializer="he_normal")


@keras.utils.register_keras_serializable(package="densenet")
class DenseLayer(layers.Layer):
    """BN-ReLU-Conv1x1(4k)-BN-ReLU-Conv3x3(k), output concatenated to input."""

    def __init__(self, growth_rate, bottleneck=4, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.growth_rate = growth_rate
        self.bottleneck = bottleneck
        self.dropout = dropout
        self.pre1 = bn_relu("pre1")
        self.conv_a = conv1(bottleneck * growth_rate)
        self.pre2 = bn_relu("pre2")
        self.conv_b = conv3(growth_rate)
        self.drop = layers.Dropout(dropout)

    def call(self, x, training=False):
        h = self.conv_a(self.pre1(x, training=training))
        h = self.conv_b(self.pre2(h, training=training))
        h = self.drop(h, training=training)
        return tf.concat([x, h], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.growth_rate)

    def get_config(self):
        config = super().get_config()
        config.update(growth_rate=self.growth_rate, bottleneck=self.bottleneck,
                      dropout=self.dropout)
        return config


def transition(x, compression, name):
    channels = int(x.shape[-1] * compression)
    x = BatchNormalization(epsilon=1.001e-5, name=f"{name}_bn")(x)
    x = ReLU(name=f"{name}_relu")(x)
    x = conv1(channels, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def build_densenet(name, input_shape=(32, 32, 3), num_classes=10, growth_rate=12,
                   block_layers=(2, 2), init_filters=16, compression=0.5, dropout=0.0):
    inp = keras.Input(input_shape, name="image")
    x = conv3(init_filters, name="stem")(inp)
    for b, n_layers in enumerate(block_layers):
        for i in range(n_layers):
            x = DenseLayer(growth_rate, dropout=dropout, name=f"block{b}_layer{i}")(x)
        if b != len(block_layers) - 1:
            x = transition(x, compression, name=f"trans{b}")
    x = BatchNormalization(name="final_bn")(x)
    x = ReLU()(x)
    x = layers.GlobalAveragePooling2D()(x)
    out = layers.Dense(num_classes, name="head")(x)
    return DenseNetTrainer(inp, out, name=name)


class DenseNetTrainer(keras.Model):
    """Functional model with a custom train_step."""

    def __init__(self, *args, label_smoothing=0.1, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_smoothing = label_smoothing
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.gnorm_tracker = keras.metrics.Mean(name="grad_norm")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")

    @property
    def metrics(self):
        return [self.loss_tracker, self.gnorm_tracker, self.acc]

    def _loss(self, y, logits):
        n = tf.shape(logits)[-1]
        y_oh = tf.one_hot(tf.cast(y, tf.int32), n)
        y_oh = y_oh * (1.0 - self.label_smoothing) + self.label_smoothing / tf.cast(n, tf.float32)
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y_oh, logits))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = self._loss(y, logits)
            loss += tf.add_n(self.losses) if self.losses else 0.0
        grads = tape.gradient(loss, self.trainable_variables)
        grads, gnorm = tf.clip_by_global_norm(grads, 5.0)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.gnorm_tracker.update_state(gnorm)
        self.acc.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        logits = self(x, training=False)
        self.loss_tracker.update_state(self._loss(y, logits))
        self.acc.update_state(y, logits)
        return {"loss": self.loss_tracker.result(), "acc": self.acc.result()}


@keras.utils.register_keras_serializable(package="densenet")
class StepDecayWithWarmup(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, base_lr, warmup_steps, boundaries, decay=0.1):
        self.base_lr = base_lr
        self.warmup_steps = warmup_steps
        self.boundaries = list(boundaries)
        self.decay = decay

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.base_lr * (step + 1.0) / float(self.warmup_steps)
        n_decays = tf.reduce_sum(tf.cast(step >= tf.constant(self.boundaries, tf.float32), tf.float32))
        lr = self.base_lr * tf.pow(self.decay, n_decays)
        return tf.where(step < self.warmup_steps, warm, lr)

    def get_config(self):
        return dict(base_lr=self.base_lr, warmup_steps=self.warmup_steps,
                    boundaries=self.boundaries, decay=self.decay)


def get_args():
    parser = argparse.ArgumentParser(description="DenseNet growth-rate sweep")
    parser.add_argument("--configs", nargs="+", default=["densenet_tiny", "densenet_small"])
    parser.add_argument("--num_samples", type=int, default=24)
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--base_lr", type=float, default=0.1)
    parser.add_argument("--steps", type=int, default=2)
    return parser.parse_args([])


def synthetic_cifar(n, seed=42):
    rng = np.random.RandomState(seed)
    x = rng.normal(0.0, 1.0, size=(n, 32, 32, 3)).astype(np.float32)
    y = rng.randint(0, 10, size=n).astype(np.int64)
    # add a weak class signal to the mean of the red channel
    x[..., 0] += (y[:, None, None] / 10.0).astype(np.float32)
    return x, y


if __name__ == "__main__":
    args = get_args()
    x, y = synthetic_cifar(args.num_samples)
    train_ds = (tf.data.Dataset.from_tensor_slices((x, y))
                .shuffle(64, seed=0)
                .batch(args.batch_size, drop_remainder=True))

    summary = []
    for cfg_name in args.configs:
        cfg = CONFIGS[cfg_name]
        model = build_densenet(cfg_name, **cfg)
        lr = StepDecayWithWarmup(args.base_lr, warmup_steps=1, boundaries=[10, 20])
        model.compile(optimizer=keras.optimizers.SGD(lr, momentum=0.9, nesterov=True))
        h = model.fit(train_ds, epochs=1, steps_per_epoch=args.steps, verbose=0)
        ev = model.evaluate(train_ds.take(1), verbose=0, return_dict=True)
        final_ch = model.get_layer("final_bn").output.shape[-1]
        summary.append((cfg_name, cfg["growth_rate"], final_ch, h.history["loss"][-1], ev["acc"]))

    for name, k, ch, loss, acc in summary:
        print(f"{name}: k={k} final_channels={ch} train_loss={loss:.3f} eval_acc={acc:.3f}")

    layer = DenseLayer.from_config(DenseLayer(8, name="tmp").get_config())
    print("rebuilt layer out:", layer(tf.zeros((1, 8, 8, 4))).shape)
