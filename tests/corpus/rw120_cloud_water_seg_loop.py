# Cloud / water / land segmentation on 13-band tiles, custom training loop.
# Raw arrays are channels-first (N, C, H, W) like rasterio gives us; we
# transpose inside the tf.data map. Loss = per-pixel sparse CE weighted by
# class frequency (median-frequency balancing).
import os
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, Model, optimizers, metrics

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BANDS = 13
H = W = 64
CLASSES = ("land", "water", "cloud", "shadow")
N = 160
BATCH = 16
STEPS_PER_EPOCH = 8
EPOCHS = 2
OUT_DIR = "/tmp/rw120_ckpt_cloudseg"

rs = np.random.RandomState(3)
tf.random.set_seed(3)


def blobs(h, w, n_blobs, max_r):
    m = np.zeros((h, w), bool)
    yy, xx = np.mgrid[:h, :w]
    for _ in range(n_blobs):
        cy, cx, r = rs.randint(0, h), rs.randint(0, w), rs.randint(3, max_r)
        m |= (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    return m


def make_scene():
    lbl = np.zeros((H, W), np.uint8)
    water = blobs(H, W, 2, 14)
    cloud = blobs(H, W, 3, 8)
    shadow = np.roll(cloud, shift=(4, 6), axis=(0, 1)) & ~cloud
    lbl[water] = 1
    lbl[shadow] = 3
    lbl[cloud] = 2
    # per-class band response, channels first
    response = np.array([
        np.linspace(0.1, 0.4, BANDS),            # land: rising into NIR
        np.linspace(0.15, 0.01, BANDS),          # water: absorbs NIR/SWIR
        np.full(BANDS, 0.8),                     # cloud: bright everywhere
        np.linspace(0.05, 0.1, BANDS),           # shadow: dark
    ], dtype=np.float32)
    img = response[lbl].transpose(2, 0, 1)       # (C, H, W)
    img = img + rs.normal(0, 0.03, img.shape).astype(np.float32)
    return img, lbl


scenes = [make_scene() for _ in range(N)]
X_chw = np.stack([s[0] for s in scenes]).astype(np.float32)
Y = np.stack([s[1] for s in scenes]).astype(np.int32)
print("raw X:", X_chw.shape, X_chw.dtype, "| Y:", Y.shape)

freq = np.bincount(Y.ravel(), minlength=len(CLASSES)) / Y.size
weights = np.median(freq) / np.maximum(freq, 1e-6)
for name, f, w in zip(CLASSES, freq, weights):
    print(f"  {name:7s} freq={f:.3f} weight={w:.3f}")
CLASS_W = tf.constant(weights, dtype=tf.float32)


def prepare(img_chw, lbl):
    img = tf.transpose(img_chw, [1, 2, 0])        # -> (H, W, C)
    # random horizontal flip, done on both image and mask
    do_flip = tf.random.uniform([]) < 0.5
    img = tf.where(do_flip, tf.reverse(img, axis=[1]), img)
    lbl = tf.where(do_flip, tf.reverse(lbl, axis=[1]), lbl)
    return img, lbl


train_ds = (tf.data.Dataset.from_tensor_slices((X_chw[:128], Y[:128]))
            .shuffle(128)
            .repeat()
            .map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(BATCH, drop_remainder=True))
val_ds = (tf.data.Dataset.from_tensor_slices((X_chw[128:], Y[128:]))
          .map(lambda x, y: (tf.transpose(x, [1, 2, 0]), y))
          .batch(BATCH))


class SegNetLite(Model):
    def __init__(self, n_classes, widths=(24, 48, 96)):
        super().__init__()
        self.down = []
        for w in widths:
            self.down.append([
                layers.Conv2D(w, 3, padding="same", activation="relu"),
                layers.Conv2D(w, 3, padding="same", activation="relu"),
                layers.MaxPool2D(),
            ])
        self.up = [layers.Conv2DTranspose(w, 3, strides=2, padding="same", activation="relu")
                   for w in reversed(widths)]
        self.head = layers.Conv2D(n_classes, 1)

    def call(self, x, training=False):
        for c1, c2, pool in self.down:
            x = pool(c2(c1(x)))
        for up in self.up:
            x = up(x)
        return self.head(x)


def weighted_sparse_ce(labels, logits):
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    w = tf.gather(CLASS_W, labels)
    return tf.reduce_sum(ce * w) / tf.reduce_sum(w)


model = SegNetLite(len(CLASSES))
opt = optimizers.Adam(2e-3)
train_loss = metrics.Mean(name="loss")
miou = metrics.MeanIoU(num_classes=len(CLASSES), name="miou")


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = weighted_sparse_ce(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    train_loss.update_state(loss)
    return loss


@tf.function
def eval_step(x, y):
    pred = tf.argmax(model(x, training=False), axis=-1, output_type=tf.int32)
    miou.update_state(y, pred)


it = iter(train_ds)
for epoch in range(EPOCHS):
    train_loss.reset_state()
    miou.reset_state()
    for step in range(STEPS_PER_EPOCH):
        xb, yb = next(it)
        l = train_step(xb, yb)
        if step % 4 == 0:
            print(f"  epoch {epoch} step {step:02d} loss {float(l):.4f}")
    for xb, yb in val_ds:
        eval_step(xb, yb)
    print(f"epoch {epoch}: train_loss={train_loss.result():.4f} val_mIoU={miou.result():.4f}")

ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
path = ckpt.save(os.path.join(OUT_DIR, "seg"))
print("saved checkpoint to", path)
