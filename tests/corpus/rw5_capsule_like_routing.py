"""A tiny CapsNet-ish classifier with dynamic routing (Sabour et al. 2017),
shrunk down to run on random 28x28 digits in a few seconds."""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras import backend as K

BATCH = 8
N = 32
NUM_CLASSES = 10
PRIMARY_DIM = 8
DIGIT_DIM = 16
ROUTINGS = 2


def squash(vectors, axis=-1):
    s_squared_norm = tf.reduce_sum(tf.square(vectors), axis, keepdims=True)
    scale = s_squared_norm / (1 + s_squared_norm) / tf.sqrt(s_squared_norm + K.epsilon())
    return scale * vectors


class CapsuleLayer(layers.Layer):
    def __init__(self, num_capsule, dim_capsule, routings=3, **kwargs):
        super().__init__(**kwargs)
        self.num_capsule = num_capsule
        self.dim_capsule = dim_capsule
        self.routings = routings

    def build(self, input_shape):
        self.input_num_capsule = input_shape[1]
        self.input_dim_capsule = input_shape[2]
        self.W = self.add_weight(
            name="W",
            shape=(self.input_num_capsule, self.num_capsule,
                   self.dim_capsule, self.input_dim_capsule),
            initializer="glorot_uniform",
            trainable=True,
        )

    def call(self, inputs):
        # u_hat[b, i, j, :] = W[i, j] @ u[b, i]
        u_hat = tf.einsum("ijdk,bik->bijd", self.W, inputs)
        b = tf.zeros_like(u_hat[..., 0])                    # (batch, in, out)
        for r in range(self.routings):
            c = tf.nn.softmax(b, axis=2)
            s = tf.reduce_sum(c[..., None] * u_hat, axis=1)  # (batch, out, dim)
            v = squash(s)
            if r < self.routings - 1:
                # agreement: <u_hat, v>
                # (b, i, j, 1, d) @ (b, 1, j, d, 1) -> (b, i, j, 1, 1)
                agreement = tf.matmul(u_hat[..., None, :], v[:, None, :, :, None])
                b = b + tf.squeeze(agreement, axis=[-2, -1])
        return v

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_capsule, self.dim_capsule)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_capsule=self.num_capsule, dim_capsule=self.dim_capsule,
                   routings=self.routings)
        return cfg


def capsule_length(x):
    return tf.norm(x, axis=-1)


inputs = keras.Input(shape=(28, 28, 1), name="image")
x = layers.Conv2D(64, 9, activation="relu", name="conv1")(inputs)           # 20x20
x = layers.Conv2D(4 * PRIMARY_DIM, 9, strides=2, name="primarycap_conv")(x)  # 6x6
x = layers.Reshape((-1, PRIMARY_DIM), name="primarycap_reshape")(x)
primary = layers.Lambda(squash, name="primarycap_squash")(x)
digit_caps = CapsuleLayer(NUM_CLASSES, DIGIT_DIM, routings=ROUTINGS, name="digitcaps")(primary)
lengths = layers.Lambda(capsule_length, name="capsnet")(digit_caps)

model = keras.Model(inputs, lengths, name="capsnet_small")
model.summary()


def margin_loss(y_true, y_pred):
    L = y_true * tf.square(tf.maximum(0., 0.9 - y_pred)) + \
        0.5 * (1 - y_true) * tf.square(tf.maximum(0., y_pred - 0.1))
    return tf.reduce_mean(tf.reduce_sum(L, axis=1))


x_train = np.random.rand(N, 28, 28, 1).astype("float32")
labels = np.random.randint(0, NUM_CLASSES, N)
y_train = keras.utils.to_categorical(labels, NUM_CLASSES)

model.compile(optimizer="adam", loss=margin_loss, metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=BATCH, epochs=1, verbose=2)

preds = model.predict(x_train[:BATCH], verbose=0)
print("lengths", preds.shape, "pred classes", np.argmax(preds, 1))

# inspect the capsule poses for the predicted class
pose_model = keras.Model(inputs, digit_caps)
poses = pose_model(x_train[:BATCH]).numpy()
chosen = poses[np.arange(BATCH), np.argmax(preds, 1)]
print("poses", poses.shape, "chosen", chosen.shape)
