"""ArcFace / CosFace margin heads for face-recognition-style embedding training.

The margin head needs the label at train time, so the training model has two
inputs (image, label) and the inference model is just backbone -> embedding.
Implements a generic `MarginSoftmax` layer that covers ArcFace (m2), CosFace
(m3) and SphereFace-ish (m1) via the combined margin formula
    cos(m1 * theta + m2) - m3
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

cfg = {
    "input_shape": (24, 24, 3),
    "n_ids": 16,
    "imgs_per_id": 10,
    "emb_size": 64,
    "scale": 30.0,
    "batch_size": 40,
    "epochs": 2,
    "heads": {
        "arcface": dict(m1=1.0, m2=0.5, m3=0.0),
        "cosface": dict(m1=1.0, m2=0.0, m3=0.35),
    },
}


@keras.saving.register_keras_serializable(package="rw55")
class MarginSoftmax(layers.Layer):
    """Normalized linear layer + additive angular / cosine margin.

    Inputs: [embeddings (B, D), labels (B,) int]
    Output: scaled logits (B, n_classes), margin applied to the target class only.
    """

    def __init__(self, n_classes, s=64.0, m1=1.0, m2=0.5, m3=0.0, easy_margin=False, **kwargs):
        super().__init__(**kwargs)
        self.n_classes = n_classes
        self.s = s
        self.m1, self.m2, self.m3 = m1, m2, m3
        self.easy_margin = easy_margin
        # threshold to keep cos(theta + m) monotonic when theta + m > pi
        self.th = math.cos(math.pi - m2)
        self.mm = math.sin(math.pi - m2) * m2

    def build(self, input_shape):
        emb_shape = input_shape[0]
        self.W = self.add_weight(
            name="class_centers",
            shape=(emb_shape[-1], self.n_classes),
            initializer="glorot_uniform",
            trainable=True,
        )

    def call(self, inputs, training=None):
        embeddings, labels = inputs
        x = tf.math.l2_normalize(embeddings, axis=1)
        w = tf.math.l2_normalize(self.W, axis=0)
        cos_t = tf.clip_by_value(tf.matmul(x, w), -1.0 + 1e-7, 1.0 - 1e-7)

        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        one_hot = tf.one_hot(labels, depth=self.n_classes, dtype=cos_t.dtype)

        if self.m1 == 1.0 and self.m2 > 0.0:
            # ArcFace closed form: cos(t + m) = cos t cos m - sin t sin m
            sin_t = tf.sqrt(1.0 - tf.square(cos_t))
            target = cos_t * math.cos(self.m2) - sin_t * math.sin(self.m2)
            if self.easy_margin:
                target = tf.where(cos_t > 0, target, cos_t)
            else:
                target = tf.where(cos_t > self.th, target, cos_t - self.mm)
        else:
            theta = tf.acos(cos_t)
            target = tf.cos(self.m1 * theta + self.m2)
        target = target - self.m3

        logits = one_hot * target + (1.0 - one_hot) * cos_t
        return logits * self.s

    def get_config(self):
        config = super().get_config()
        config.update(
            n_classes=self.n_classes, s=self.s, m1=self.m1, m2=self.m2, m3=self.m3, easy_margin=self.easy_margin
        )
        return config


def conv_bn(x, filters, stride=1):
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.PReLU(shared_axes=[1, 2])(x)


def build_backbone(input_shape, emb_size):
    inp = keras.Input(input_shape, name="image")
    x = conv_bn(inp, 16)
    x = conv_bn(x, 32, stride=2)
    x = conv_bn(x, 32)
    x = conv_bn(x, 64, stride=2)
    # "BN-Dropout-FC-BN" output block from the ArcFace paper
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(emb_size, use_bias=False)(x)
    emb = layers.BatchNormalization(scale=False, name="embedding")(x)
    return keras.Model(inp, emb, name="backbone")


def build_train_model(backbone, head_kwargs):
    image = keras.Input(cfg["input_shape"], name="image")
    label = keras.Input((), dtype="int32", name="label")
    emb = backbone(image)
    logits = MarginSoftmax(cfg["n_ids"], s=cfg["scale"], name="margin_head", **head_kwargs)([emb, label])
    probs = layers.Activation("softmax", dtype="float32", name="probs")(logits)
    return keras.Model([image, label], probs, name="margin_trainer")


def synthetic_faces():
    rng = np.random.default_rng(0)
    n = cfg["n_ids"] * cfg["imgs_per_id"]
    ids = np.repeat(np.arange(cfg["n_ids"]), cfg["imgs_per_id"])
    base = rng.uniform(0, 1, size=(cfg["n_ids"],) + cfg["input_shape"])
    imgs = base[ids] + rng.normal(0, 0.15, size=(n,) + cfg["input_shape"])
    return np.clip(imgs, 0, 1).astype("float32"), ids.astype("int32")


def to_dataset(x, y, training=True):
    ds = tf.data.Dataset.from_tensor_slices(({"image": x, "label": y}, y))
    if training:
        ds = ds.shuffle(len(x))

        def aug(feats, target):
            img = tf.image.random_flip_left_right(feats["image"])
            img = tf.image.random_brightness(img, 0.1)
            return {"image": img, "label": feats["label"]}, target

        ds = ds.map(aug, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(cfg["batch_size"]).prefetch(tf.data.AUTOTUNE)


def verification_accuracy(embeddings, labels, threshold=0.5):
    """Pairwise same/different verification using cosine similarity."""
    e = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    sims = e @ e.T
    same = labels[:, None] == labels[None, :]
    iu = np.triu_indices(len(labels), k=1)
    preds = sims[iu] > threshold
    return float(np.mean(preds == same[iu]))


def main():
    x, y = synthetic_faces()
    train_ds = to_dataset(x, y)
    print("batch spec:", train_ds.element_spec[0]["image"].shape)

    for head_name, head_kwargs in cfg["heads"].items():
        keras.backend.clear_session()
        backbone = build_backbone(cfg["input_shape"], cfg["emb_size"])
        model = build_train_model(backbone, head_kwargs)
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
            loss="sparse_categorical_crossentropy",
            metrics=["sparse_categorical_accuracy"],
        )
        hist = model.fit(train_ds, epochs=cfg["epochs"], verbose=0)
        emb = backbone.predict(x, batch_size=64, verbose=0)
        print(
            f"[{head_name}] loss={hist.history['loss'][-1]:.3f} "
            f"train_acc={hist.history['sparse_categorical_accuracy'][-1]:.3f} "
            f"verif_acc={verification_accuracy(emb, y):.3f} emb={emb.shape}"
        )

    # the head's class centers can be used as identity templates
    centers = ops.convert_to_numpy(model.get_layer("margin_head").W)
    print("class center matrix:", centers.shape)
    cfg_roundtrip = MarginSoftmax.from_config(model.get_layer("margin_head").get_config())
    print("head config ok:", cfg_roundtrip.m3 == cfg["heads"]["cosface"]["m3"])


if __name__ == "__main__":
    main()
