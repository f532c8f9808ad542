# Lots of numpy data wrangling before the model, input shapes taken from the arrays themselves.
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models

rng = np.random.default_rng(42)
n_samples, img_size = 120, 16
images = rng.random((n_samples, img_size, img_size))
labels = rng.integers(0, 4, size=n_samples)

# channel axis, shuffling, manual split
images = images[..., np.newaxis].astype("float32")
perm = rng.permutation(n_samples)
images, labels = images[perm], labels[perm]
split = int(0.75 * len(images))
X_train, X_val = images[:split], images[split:]
y_train, y_val = labels[:split], labels[split:]
num_classes = len(np.unique(labels))
y_train_oh = tf.keras.utils.to_categorical(y_train, num_classes=4)

input_shape = X_train.shape[1:]
cnn = models.Sequential([
    layers.Input(shape=input_shape),
    layers.Conv2D(8, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(num_classes, activation="softmax"),
])
cnn_out = cnn(X_val[:5])

# stacking feature arrays side by side
f1 = rng.random((n_samples, 3))
f2 = rng.random((n_samples, 5))
extra = np.arange(n_samples).reshape(-1, 1)
features = np.hstack([f1, f2, extra]).astype(np.float32)
features = (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-8)
mlp = models.Sequential([
    layers.Input(shape=(features.shape[1],)),
    layers.Dense(16, activation="relu"),
    layers.Dense(1),
])
mlp_out = mlp(features[:7])

# sequences stacked along a new last axis, then padded
seq_a = rng.random((n_samples, 30))
seq_b = rng.random((n_samples, 30))
stacked = np.stack([seq_a, seq_b], axis=-1)
padded = np.pad(stacked, ((0, 0), (2, 2), (0, 0)))
rnn = models.Sequential([
    layers.Input(shape=padded.shape[1:]),
    layers.Conv1D(6, 5),
    layers.LSTM(4),
])
rnn_out = rnn(padded[:2].astype("float32"))

# boolean masking and concatenation: class-balanced subset
positives = X_train[y_train == 1]
negatives = X_train[y_train != 1][: len(positives)]
balanced = np.concatenate([positives, negatives], axis=0)
flat = balanced.reshape(len(balanced), -1)
auto_in = tf.keras.Input(shape=(flat.shape[1],))
code = layers.Dense(8, activation="relu")(auto_in)
recon = layers.Dense(flat.shape[1], activation="sigmoid")(code)
recon_img = layers.Reshape((img_size, img_size, 1))(recon)
ae = models.Model(auto_in, recon_img)
ae_out = ae(flat[:3].astype("float32"))

# transposed + repeated + tiled arrays
channels_first = np.transpose(images[:10], (0, 3, 1, 2))
tiled = np.tile(channels_first, (1, 3, 1, 1))
back = np.moveaxis(tiled, 1, -1)
rgb_model = tf.keras.Sequential([layers.Input(shape=back.shape[1:]), layers.Conv2D(4, 1)])
rgb_out = rgb_model(back)
repeated = np.repeat(f1[:4], 2, axis=0)
