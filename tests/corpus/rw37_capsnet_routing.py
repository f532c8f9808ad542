#!/usr/bin/env python
# CapsNet (Sabour et al. 2017) - dynamic routing between capsules, TF2 port.
# Small config so it trains for a couple of steps on random data on CPU.
import argparse
import numpy as np
import tensorflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--routings", type=int, default=3)
parser.add_argument("--batch_size", type=int, default=16)
parser.add_argument("--lam_recon", type=float, default=0.392)
args, _ = parser.parse_known_args()

INPUT_SHAPE = (28, 28, 1)
N_CLASS = 10
EPSILON = 1e-7


def squash(vectors, axis=-1):
    s_squared_norm = tf.reduce_sum(tf.square(vectors), axis, keepdims=True)
    scale = s_squared_norm / (1 + s_squared_norm) / tf.sqrt(s_squared_norm + EPSILON)
    return scale * vectors


class PrimaryCaps(tf.keras.layers.Layer):
    def __init__(self, dim_capsule, n_channels, kernel_size, strides, **kwargs):
        super().__init__(**kwargs)
        self.dim_capsule = dim_capsule
        self.conv = tf.keras.layers.Conv2D(dim_capsule * n_channels, kernel_size,
                                           strides=strides, padding="valid")

    def call(self, inputs):
        out = self.conv(inputs)
        out = tf.reshape(out, [tf.shape(out)[0], -1, self.dim_capsule])
        return squash(out)


class CapsuleLayer(tf.keras.layers.Layer):
    """Digit capsule layer. input: [None, input_num_capsule, input_dim_capsule]
    output: [None, num_capsule, dim_capsule]"""

    def __init__(self, num_capsule, dim_capsule, routings=3, **kwargs):
        super(CapsuleLayer, self).__init__(**kwargs)
        self.num_capsule = num_capsule
        self.dim_capsule = dim_capsule
        self.routings = routings

    def build(self, input_shape):
        self.input_num_capsule = input_shape[1]
        self.input_dim_capsule = input_shape[2]
        self.W = self.add_weight(
            shape=[self.num_capsule, self.input_num_capsule, self.dim_capsule, self.input_dim_capsule],
            initializer="glorot_uniform", name="W")
        self.built = True

    def call(self, inputs, training=None):
        # inputs_expand.shape=[None, 1, input_num_capsule, input_dim_capsule, 1]
        inputs_expand = tf.expand_dims(tf.expand_dims(inputs, 1), -1)
        inputs_tiled = tf.tile(inputs_expand, [1, self.num_capsule, 1, 1, 1])
        # W: [num_capsule, in_caps, dim_capsule, in_dim] @ [.., in_dim, 1]
        inputs_hat = tf.squeeze(tf.map_fn(lambda x: tf.matmul(self.W, x), elems=inputs_tiled), axis=-1)

        b = tf.zeros(shape=[tf.shape(inputs)[0], self.num_capsule, 1, self.input_num_capsule])
        for i in range(self.routings):
            c = tf.nn.softmax(b, axis=1)
            outputs = squash(tf.matmul(c, inputs_hat))  # [None, 10, 1, 16]
            if i < self.routings - 1:
                b += tf.matmul(outputs, inputs_hat, transpose_b=True)
        return tf.squeeze(outputs, axis=-2)


class Length(tf.keras.layers.Layer):
    def call(self, inputs):
        return tf.sqrt(tf.reduce_sum(tf.square(inputs), -1) + EPSILON)


class Mask(tf.keras.layers.Layer):
    def call(self, inputs):
        if isinstance(inputs, (list, tuple)):
            inputs, mask = inputs
        else:
            x = tf.sqrt(tf.reduce_sum(tf.square(inputs), -1))
            mask = tf.one_hot(tf.argmax(x, 1), depth=x.shape[1])
        masked = tf.reshape(inputs * tf.expand_dims(mask, -1), [tf.shape(inputs)[0], -1])
        return masked


class CapsNet(tf.keras.Model):
    def __init__(self, n_class, routings):
        super().__init__()
        self.conv1 = tf.keras.layers.Conv2D(64, 9, strides=1, padding="valid", activation="relu")
        self.primary = PrimaryCaps(dim_capsule=8, n_channels=8, kernel_size=9, strides=2)
        self.digitcaps = CapsuleLayer(num_capsule=n_class, dim_capsule=16, routings=routings)
        self.length = Length()
        self.mask = Mask()
        self.decoder = tf.keras.Sequential([
            tf.keras.layers.Dense(256, activation="relu"),
            tf.keras.layers.Dense(512, activation="relu"),
            tf.keras.layers.Dense(int(np.prod(INPUT_SHAPE)), activation="sigmoid"),
            tf.keras.layers.Reshape(INPUT_SHAPE),
        ], name="decoder")

    def call(self, x, y=None, training=False):
        h = self.conv1(x)
        h = self.primary(h)
        digit = self.digitcaps(h)
        lengths = self.length(digit)
        if training and y is not None:
            masked = self.mask([digit, y])
        else:
            masked = self.mask(digit)
        recon = self.decoder(masked)
        return lengths, recon


def margin_loss(y_true, y_pred):
    L = y_true * tf.square(tf.maximum(0., 0.9 - y_pred)) + \
        0.5 * (1 - y_true) * tf.square(tf.maximum(0., y_pred - 0.1))
    return tf.reduce_mean(tf.reduce_sum(L, 1))


model = CapsNet(N_CLASS, args.routings)
optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)

x_train = np.random.rand(64, *INPUT_SHAPE).astype("float32")
y_train = tf.one_hot(np.random.randint(0, N_CLASS, 64), N_CLASS).numpy()
train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(args.batch_size)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        y_pred, x_recon = model(x, y, training=True)
        l_margin = margin_loss(y, y_pred)
        l_recon = tf.reduce_mean(tf.square(x - x_recon))
        loss = l_margin + args.lam_recon * l_recon
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss, l_margin, l_recon


for epoch in range(1):
    for step, (xb, yb) in enumerate(train_ds):
        loss, lm, lr = train_step(xb, yb)
        print("epoch %d step %d loss %.4f margin %.4f recon %.4f" % (epoch, step, loss, lm, lr))

lengths, recon = model(x_train[:8], training=False)
print("capsule lengths:", lengths.shape, "reconstructions:", recon.shape)
print("pred:", tf.argmax(lengths, axis=1).numpy())
print("#params:", sum(int(np.prod(v.shape)) for v in model.trainable_variables))
