import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMAGE_SHAPE = (64, 64, 3)
NUM_SHAPES = 3          # circle / square / triangle
BATCH_SIZE = 16
TRAIN_TOP_LAYERS = ("top_conv", "top_bn")


def draw_shape(canvas, kind, cx, cy, r, color):
    h, w, _ = canvas.shape
    yy, xx = np.ogrid[:h, :w]
    if kind == 0:
        m = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    elif kind == 1:
        m = (abs(xx - cx) <= r) & (abs(yy - cy) <= r)
    else:
        m = (yy >= cy - r) & (yy <= cy + r) & (abs(xx - cx) <= (yy - (cy - r)) / 2)
    canvas[m] = color


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    h, w, _ = IMAGE_SHAPE
    images = rng.uniform(0, 60, size=(n, *IMAGE_SHAPE)).astype("float32")
    kinds = rng.integers(0, NUM_SHAPES, n)
    boxes = np.zeros((n, 4), "float32")  # normalised (y1, x1, y2, x2)
    for i in range(n):
        r = int(rng.integers(6, 14))
        cx, cy = rng.integers(r, w - r), rng.integers(r, h - r)
        draw_shape(images[i], kinds[i], cx, cy, r, rng.uniform(150, 255, 3))
        boxes[i] = [(cy - r) / h, (cx - r) / w, (cy + r) / h, (cx + r) / w]
    return images, {"shape": kinds.astype("int32"), "box": boxes}


class MultiTaskNet(keras.Model):
    """EfficientNetB0 trunk with two taps feeding a classifier and a box regressor."""

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        trunk = keras.applications.EfficientNetB0(
            include_top=False, weights=None, input_shape=IMAGE_SHAPE
        )
        mid = trunk.get_layer("block4a_expand_activation").output  # stride 8
        self.trunk = keras.Model(trunk.input, [mid, trunk.output], name="effnet_taps")
        for layer in self.trunk.layers:
            layer.trainable = layer.name in TRAIN_TOP_LAYERS

        self.cls_pool = layers.GlobalAveragePooling2D()
        self.cls_drop = layers.Dropout(0.2)
        self.cls_out = layers.Dense(num_classes, name="shape")

        self.box_reduce = layers.Conv2D(32, 1, activation="swish")
        self.box_flat = layers.Flatten()
        self.box_hidden = layers.Dense(64, activation="relu")
        self.box_out = layers.Dense(4, activation="sigmoid", name="box")

    def call(self, images, training=False):
        mid, deep = self.trunk(images, training=False)
        logits = self.cls_out(self.cls_drop(self.cls_pool(deep), training=training))
        b = self.box_flat(self.box_reduce(mid))
        box = self.box_out(self.box_hidden(b))
        return {"shape": logits, "box": box}


def iou_metric(y_true, y_pred):
    yx1 = tf.maximum(y_true[:, :2], y_pred[:, :2])
    yx2 = tf.minimum(y_true[:, 2:], y_pred[:, 2:])
    inter = tf.reduce_prod(tf.maximum(yx2 - yx1, 0.0), axis=-1)
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return tf.reduce_mean(inter / (area(y_true) + area(y_pred) - inter + 1e-7))


if __name__ == "__main__":
    x_train, y_train = make_data(192, seed=1)
    x_val, y_val = make_data(48, seed=2)

    net = MultiTaskNet(NUM_SHAPES, name="multitask_effnet")
    _ = net(tf.zeros((1, *IMAGE_SHAPE)))  # build

    trainable_names = sorted({v.path.split("/")[0] for v in net.trainable_variables})
    print("trainable variable groups:", trainable_names)
    print(f"{len(net.trainable_variables)} trainable / {len(net.variables)} total variables")

    net.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss={
            "shape": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            "box": keras.losses.Huber(delta=0.1),
        },
        loss_weights={"shape": 1.0, "box": 5.0},
        metrics={"shape": ["accuracy"], "box": [iou_metric]},
    )
    hist = net.fit(
        x_train, y_train,
        validation_data=(x_val, y_val),
        batch_size=BATCH_SIZE,
        epochs=2,
        verbose=2,
    )
    for k, v in hist.history.items():
        print(f"{k:>24s}: {[round(float(a), 4) for a in v]}")

    out = net.predict(x_val[:5], verbose=0)
    for i in range(5):
        pred_cls = int(np.argmax(out["shape"][i]))
        print(f"sample {i}: true={y_val['shape'][i]} pred={pred_cls} "
              f"box={np.round(out['box'][i], 2)} gt={np.round(y_val['box'][i], 2)}")
