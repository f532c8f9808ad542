"""Overriding train_step / test_step while keeping model.fit().

Pattern from the Keras guide "Customizing what happens in fit()": we keep
the convenience of fit/evaluate (callbacks, progress bars, distribution)
but own the inner step. The model here is a small CNN image classifier
with an auxiliary reconstruction loss and label smoothing, tracked with
explicit metric trackers.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG_SIZE = 28
NUM_CLASSES = 10
BATCH_SIZE = 64
STEPS = 6
RECON_WEIGHT = 0.1


class ConvEncoder(layers.Layer):
    def __init__(self, filters=(16, 32), **kwargs):
        super().__init__(**kwargs)
        self.blocks = []
        for f in filters:
            self.blocks.append(
                [
                    layers.Conv2D(f, 3, padding="same", use_bias=False),
                    layers.BatchNormalization(),
                    layers.Activation("relu"),
                    layers.MaxPooling2D(),
                ]
            )

    def call(self, x, training=False):
        for conv, bn, act, pool in self.blocks:
            x = conv(x)
            x = bn(x, training=training)
            x = act(x)
            x = pool(x)
        return x


class AuxReconClassifier(keras.Model):
    def __init__(self, num_classes=NUM_CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.encoder = ConvEncoder(name="encoder")
        self.pool = layers.GlobalAveragePooling2D()
        self.head = layers.Dense(num_classes, name="logits")
        # decoder: 7x7x32 -> 28x28x1
        self.decoder = keras.Sequential(
            [
                layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
                layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
            ],
            name="decoder",
        )
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.cls_loss_tracker = keras.metrics.Mean(name="cls_loss")
        self.recon_loss_tracker = keras.metrics.Mean(name="recon_loss")
        self.acc = keras.metrics.CategoricalAccuracy(name="acc")
        self.cce = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)

    @property
    def metrics(self):
        # listed here so fit() resets them at the start of every epoch
        return [self.loss_tracker, self.cls_loss_tracker, self.recon_loss_tracker, self.acc]

    def call(self, images, training=False):
        feats = self.encoder(images, training=training)
        logits = self.head(self.pool(feats))
        recon = self.decoder(feats, training=training)
        return logits, recon

    def _compute_losses(self, images, labels, training):
        logits, recon = self(images, training=training)
        y_onehot = tf.one_hot(labels, NUM_CLASSES)
        cls_loss = self.cce(y_onehot, logits)
        recon_loss = tf.reduce_mean(tf.square(images - recon))
        total = cls_loss + RECON_WEIGHT * recon_loss
        if training and self.losses:
            total += tf.add_n(self.losses)
        return total, cls_loss, recon_loss, y_onehot, logits

    def _update(self, total, cls_loss, recon_loss, y_onehot, logits):
        self.loss_tracker.update_state(total)
        self.cls_loss_tracker.update_state(cls_loss)
        self.recon_loss_tracker.update_state(recon_loss)
        self.acc.update_state(y_onehot, logits)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        images, labels = data
        with tf.GradientTape() as tape:
            total, cls_loss, recon_loss, y_onehot, logits = self._compute_losses(images, labels, True)
        grads = tape.gradient(total, self.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self._update(total, cls_loss, recon_loss, y_onehot, logits)

    def test_step(self, data):
        images, labels = data
        outs = self._compute_losses(images, labels, False)
        return self._update(*outs)

    def predict_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        logits, _ = self(images, training=False)
        return tf.nn.softmax(logits, axis=-1)


def synthetic_mnist(n, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, size=n).astype("int32")
    images = rng.uniform(0, 0.2, size=(n, IMG_SIZE, IMG_SIZE, 1)).astype("float32")
    # paint a class-dependent horizontal bar so there is something to learn
    for i, c in enumerate(labels):
        row = 2 + int(c) * 2
        images[i, row : row + 2, 4:24, 0] = 1.0
    return images, labels


def augment(images, labels):
    images = tf.image.random_brightness(images, 0.1)
    images = tf.clip_by_value(images, 0.0, 1.0)
    return images, labels


def make_ds(images, labels, training):
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if training:
        ds = ds.shuffle(1024).map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE, drop_remainder=training).prefetch(2)


if __name__ == "__main__":
    keras.utils.set_random_seed(7)
    x_train, y_train = synthetic_mnist(BATCH_SIZE * STEPS)
    x_val, y_val = synthetic_mnist(128, seed=1)

    model = AuxReconClassifier()
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=2e-3, weight_decay=1e-4))
    model(tf.zeros((1, IMG_SIZE, IMG_SIZE, 1)))  # build all sub-layers
    model.summary()

    hist = model.fit(
        make_ds(x_train, y_train, True),
        validation_data=make_ds(x_val, y_val, False),
        epochs=2,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_acc", mode="max", patience=2)],
        verbose=2,
    )
    print({k: round(v[-1], 4) for k, v in hist.history.items()})

    probs = model.predict(x_val[:16], verbose=0)
    print("probs:", probs.shape, "row sums ~1:", np.allclose(probs.sum(-1), 1.0, atol=1e-4))
    print("eval:", model.evaluate(make_ds(x_val, y_val, False), return_dict=True, verbose=0))
