"""Answer: multiple outputs with different losses and loss weights.

Name your output layers and pass dicts keyed by those names to compile/fit.
Shown: functional model with a regression head + classification head,
plus a subclassed model that computes a combined loss itself with GradientTape.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class Config:
    img_size: int = 32
    n_classes: int = 5
    n_samples: int = 96
    batch_size: int = 16
    bbox_weight: float = 1.0
    cls_weight: float = 0.5


cfg = Config()

# inputs: small images, targets: class id + bounding box (x, y, w, h) in [0, 1]
images = np.random.rand(cfg.n_samples, cfg.img_size, cfg.img_size, 3).astype("float32")
labels = np.random.randint(0, cfg.n_classes, size=(cfg.n_samples,))
boxes = np.random.rand(cfg.n_samples, 4).astype("float32")

inp = keras.Input(shape=(cfg.img_size, cfg.img_size, 3), name="image")
x = layers.Conv2D(16, 3, activation="relu")(inp)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
shared = layers.Dense(64, activation="relu")(x)

cls_out = layers.Dense(cfg.n_classes, activation="softmax", name="cls")(shared)
box_out = layers.Dense(4, activation="sigmoid", name="bbox")(shared)

model = keras.Model(inputs=inp, outputs={"cls": cls_out, "bbox": box_out})
model.compile(
    optimizer="adam",
    loss={"cls": "sparse_categorical_crossentropy", "bbox": "mse"},
    loss_weights={"cls": cfg.cls_weight, "bbox": cfg.bbox_weight},
    metrics={"cls": ["accuracy"], "bbox": ["mae"]},
)
hist = model.fit(
    images,
    {"cls": labels, "bbox": boxes},
    batch_size=cfg.batch_size,
    epochs=1,
    verbose=0,
)
print(sorted(hist.history.keys()))

preds = model.predict(images[:3], verbose=0)
print({k: v.shape for k, v in preds.items()})

# Same thing with tf.data: the label element must be a dict with the same keys
ds = (tf.data.Dataset.from_tensor_slices((images, {"cls": labels, "bbox": boxes}))
      .shuffle(cfg.n_samples)
      .batch(cfg.batch_size))
print(ds.element_spec[1])
model.evaluate(ds, verbose=0)


# ---- when you need a loss that mixes outputs: override train_step -----------
class DetectorWithIoUPenalty(keras.Model):
    def __init__(self, n_classes, **kwargs):
        super().__init__(**kwargs)
        self.features = keras.Sequential([
            layers.Conv2D(16, 3, activation="relu"),
            layers.GlobalMaxPooling2D(),
            layers.Dense(32, activation="relu"),
        ])
        self.cls_head = layers.Dense(n_classes)
        self.box_head = layers.Dense(4, activation="sigmoid")
        self.ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, x, training=False):
        h = self.features(x, training=training)
        return self.cls_head(h), self.box_head(h)

    @staticmethod
    def box_l1(true, pred, confidence):
        # weight box error by how confident the classifier is (batch,) -> (batch, 1)
        per_box = tf.reduce_sum(tf.abs(true - pred), axis=-1)
        return tf.reduce_mean(per_box * confidence)

    def train_step(self, data):
        x, (y_cls, y_box) = data
        with tf.GradientTape() as tape:
            logits, box = self(x, training=True)
            probs = tf.nn.softmax(logits)
            conf = tf.gather(probs, tf.cast(y_cls, tf.int32), batch_dims=1)
            loss = self.ce(y_cls, logits) + 2.0 * self.box_l1(y_box, box, tf.stop_gradient(conf))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]


det = DetectorWithIoUPenalty(cfg.n_classes)
det.compile(optimizer=keras.optimizers.Adam(1e-3))
det.fit(images, (labels, boxes), batch_size=cfg.batch_size, epochs=1, verbose=2)
logits, b = det(images[:2])
print("logits", logits.shape, "boxes", b.shape)
