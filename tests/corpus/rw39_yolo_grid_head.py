# YOLOv1-ish toy detector. grid SxS, B boxes per cell, C classes
# hacked together from the paper + a couple of blog posts, trains on random rectangles
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

cfg = dict(img=96, S=6, B=2, C=4, batch=8, lr=1e-3, steps=6, lambda_coord=5.0, lambda_noobj=0.5)
S, B, C = cfg["S"], cfg["B"], cfg["C"]


def make_fake_batch(n):
    """draws one bright rectangle per image, returns image + yolo target (S,S,5+C)"""
    imgs = np.zeros((n, cfg["img"], cfg["img"], 3), dtype=np.float32)
    tgt = np.zeros((n, S, S, 5 + C), dtype=np.float32)
    for i in range(n):
        w, h = np.random.randint(16, 48, size=2)
        x0 = np.random.randint(0, cfg["img"] - w)
        y0 = np.random.randint(0, cfg["img"] - h)
        c = np.random.randint(C)
        imgs[i, y0:y0 + h, x0:x0 + w, c % 3] = 1.0
        cx, cy = (x0 + w / 2) / cfg["img"], (y0 + h / 2) / cfg["img"]
        col, row = int(cx * S), int(cy * S)
        tgt[i, row, col, 0:4] = [cx * S - col, cy * S - row, w / cfg["img"], h / cfg["img"]]
        tgt[i, row, col, 4] = 1.0
        tgt[i, row, col, 5 + c] = 1.0
    imgs += np.random.normal(0, 0.05, imgs.shape).astype(np.float32)
    return imgs, tgt


def conv_bn(x, f, k=3, s=1):
    x = layers.Conv2D(f, k, strides=s, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.LeakyReLU(negative_slope=0.1)(x)


def darknet_tiny(input_shape):
    inputs = keras.Input(shape=input_shape)
    x = conv_bn(inputs, 16)
    x = layers.MaxPooling2D(2)(x)  # 48
    x = conv_bn(x, 32)
    x = layers.MaxPooling2D(2)(x)  # 24
    x = conv_bn(x, 64)
    x = layers.MaxPooling2D(2)(x)  # 12
    x = conv_bn(x, 128)
    x = conv_bn(x, 64, k=1)
    x = conv_bn(x, 128)
    x = layers.MaxPooling2D(2)(x)  # 6
    x = conv_bn(x, 256)
    return keras.Model(inputs, x, name="darknet_tiny")


class YoloHead(layers.Layer):
    def __init__(self, S, B, C, **kw):
        super().__init__(**kw)
        self.S, self.B, self.C = S, B, C
        self.flatten = layers.Flatten()
        self.fc1 = layers.Dense(256)
        self.act = layers.LeakyReLU(0.1)
        self.drop = layers.Dropout(0.3)
        self.fc2 = layers.Dense(S * S * B * (5 + C))

    def call(self, x, training=False):
        x = self.flatten(x)
        x = self.drop(self.act(self.fc1(x)), training=training)
        x = self.fc2(x)
        return tf.reshape(x, (-1, self.S, self.S, self.B, 5 + self.C))


class TinyYolo(keras.Model):
    def __init__(self):
        super().__init__()
        self.backbone = darknet_tiny((cfg["img"], cfg["img"], 3))
        self.head = YoloHead(S, B, C)

    def call(self, x, training=False):
        return self.head(self.backbone(x, training=training), training=training)


def box_iou_xywh(a, b):
    a_min, a_max = a[..., :2] - a[..., 2:4] / 2, a[..., :2] + a[..., 2:4] / 2
    b_min, b_max = b[..., :2] - b[..., 2:4] / 2, b[..., :2] + b[..., 2:4] / 2
    inter = tf.maximum(tf.minimum(a_max, b_max) - tf.maximum(a_min, b_min), 0.0)
    inter_area = inter[..., 0] * inter[..., 1]
    union = a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - inter_area
    return inter_area / (union + 1e-6)


def decode(raw):
    # raw: (batch, S, S, B, 5+C)
    xy = tf.sigmoid(raw[..., 0:2])
    wh = tf.sigmoid(raw[..., 2:4])
    conf = tf.sigmoid(raw[..., 4:5])
    cls = tf.nn.softmax(raw[..., 5:], axis=-1)
    return xy, wh, conf, cls


def yolo_loss(y_true, raw):
    xy, wh, conf, cls = decode(raw)
    obj = y_true[..., 4]  # (batch,S,S)
    true_box = y_true[..., None, 0:4]  # broadcast over B
    # grid offsets -> compare in image-normalised coords
    gy, gx = tf.meshgrid(tf.range(S, dtype=tf.float32), tf.range(S, dtype=tf.float32), indexing="ij")
    grid = tf.stack([gx, gy], axis=-1)[None, :, :, None, :]
    pred_box = tf.concat([(xy + grid) / S, wh], axis=-1)
    tb = tf.concat([(true_box[..., :2] + grid) / S, true_box[..., 2:]], axis=-1)
    ious = box_iou_xywh(pred_box, tb)  # (batch,S,S,B)
    best = tf.one_hot(tf.argmax(ious, axis=-1), B)  # responsible predictor
    resp = best * obj[..., None]

    coord = tf.reduce_sum(tf.square(xy - true_box[..., :2]), -1) + tf.reduce_sum(
        tf.square(tf.sqrt(wh) - tf.sqrt(true_box[..., 2:4])), -1
    )
    coord_loss = cfg["lambda_coord"] * tf.reduce_sum(resp * coord)
    conf = tf.squeeze(conf, -1)
    obj_loss = tf.reduce_sum(resp * tf.square(conf - tf.stop_gradient(ious)))
    noobj_loss = cfg["lambda_noobj"] * tf.reduce_sum((1 - resp) * tf.square(conf))
    cls_true = y_true[..., None, 5:]
    cls_loss = tf.reduce_sum(resp * tf.reduce_sum(tf.square(cls - cls_true), -1))
    n = tf.cast(tf.shape(raw)[0], tf.float32)
    return (coord_loss + obj_loss + noobj_loss + cls_loss) / n


model = TinyYolo()
opt = keras.optimizers.Adam(cfg["lr"])


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        raw = model(x, training=True)
        loss = yolo_loss(y, raw)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    return loss


X, Y = make_fake_batch(cfg["batch"] * cfg["steps"])
ds = tf.data.Dataset.from_tensor_slices((X, Y)).shuffle(64).batch(cfg["batch"])
for epoch in range(2):
    losses = [float(train_step(xb, yb)) for xb, yb in ds]
    print(f"epoch {epoch}: loss {np.mean(losses):.4f}")

# inference: pick best box per image
raw = model(X[:4], training=False)
xy, wh, conf, cls = decode(raw)
scores = tf.squeeze(conf, -1) * tf.reduce_max(cls, -1)  # (4,S,S,B)
flat = tf.reshape(scores, (4, -1))
idx = tf.argmax(flat, axis=-1)
print("raw head output:", raw.shape, "score map:", scores.shape, "best idx:", idx.numpy())
