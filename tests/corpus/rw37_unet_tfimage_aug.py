'''
Binary segmentation with a mini U-Net.
 - joint image/mask augmentation in tf.data using tf.image ops
   (image and mask are stacked along channels, augmented together, then tf.split back)
 - model written as a subclassed keras.Model with reusable conv blocks
 - custom train loop with dice + bce, metrics via keras.metrics
'''
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

IMG = 64
CROP = 48
N_IMAGES = 48
BATCH_SIZE = 8
EPOCHS = 2


def make_blob_dataset(n, size):
    imgs = np.zeros((n, size, size, 3), np.float32)
    masks = np.zeros((n, size, size, 1), np.float32)
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        for _ in range(np.random.randint(1, 4)):
            cy, cx = np.random.randint(8, size - 8, 2)
            r = np.random.randint(4, 12)
            circle = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
            masks[i, circle, 0] = 1.0
            imgs[i, circle] = np.random.rand(3) * 0.5 + 0.5
        imgs[i] += np.random.rand(size, size, 3) * 0.3
    return np.clip(imgs, 0, 1), masks


images, masks = make_blob_dataset(N_IMAGES, IMG)


def augment(image, mask):
    stacked = tf.concat([image, mask], axis=-1)              # (H, W, 4)
    stacked = tf.image.random_flip_left_right(stacked)
    stacked = tf.image.random_flip_up_down(stacked)
    k = tf.random.uniform([], 0, 4, dtype=tf.int32)
    stacked = tf.image.rot90(stacked, k)
    stacked = tf.image.random_crop(stacked, size=[CROP, CROP, 4])
    image, mask = tf.split(stacked, [3, 1], axis=-1)
    image = tf.image.random_brightness(image, 0.1)
    image = tf.image.random_contrast(image, 0.8, 1.2)
    image = tf.image.random_saturation(image, 0.8, 1.2)
    image = tf.clip_by_value(image, 0.0, 1.0)
    return image, tf.round(mask)


def center(image, mask):
    image = tf.image.resize_with_crop_or_pad(image, CROP, CROP)
    mask = tf.image.resize_with_crop_or_pad(mask, CROP, CROP)
    return image, mask


train_ds = tf.data.Dataset.from_tensor_slices((images[:40], masks[:40]))
train_ds = train_ds.shuffle(40).map(augment, num_parallel_calls=tf.data.AUTOTUNE).batch(BATCH_SIZE)
val_ds = tf.data.Dataset.from_tensor_slices((images[40:], masks[40:])).map(center).batch(BATCH_SIZE)


class ConvBlock(layers.Layer):
    def __init__(self, filters, **kw):
        super().__init__(**kw)
        self.c1 = layers.Conv2D(filters, 3, padding='same', use_bias=False)
        self.b1 = layers.BatchNormalization()
        self.c2 = layers.Conv2D(filters, 3, padding='same', use_bias=False)
        self.b2 = layers.BatchNormalization()

    def call(self, x, training=False):
        x = tf.nn.relu(self.b1(self.c1(x), training=training))
        x = tf.nn.relu(self.b2(self.c2(x), training=training))
        return x


class UNet(tf.keras.Model):
    def __init__(self, filters=(16, 32, 64), n_classes=1):
        super().__init__()
        self.down = [ConvBlock(f) for f in filters[:-1]]
        self.pool = layers.MaxPool2D(2)
        self.bottleneck = ConvBlock(filters[-1])
        self.ups = [layers.Conv2DTranspose(f, 2, strides=2, padding='same') for f in reversed(filters[:-1])]
        self.up_blocks = [ConvBlock(f) for f in reversed(filters[:-1])]
        self.head = layers.Conv2D(n_classes, 1)

    def call(self, x, training=False):
        skips = []
        for blk in self.down:
            x = blk(x, training=training)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x, training=training)
        for up, blk, skip in zip(self.ups, self.up_blocks, reversed(skips)):
            x = up(x)
            x = tf.concat([x, skip], axis=-1)
            x = blk(x, training=training)
        return self.head(x)  # logits


def dice_loss(y_true, logits, smooth=1.0):
    y_pred = tf.sigmoid(logits)
    inter = tf.reduce_sum(y_true * y_pred, axis=[1, 2, 3])
    union = tf.reduce_sum(y_true, axis=[1, 2, 3]) + tf.reduce_sum(y_pred, axis=[1, 2, 3])
    return 1.0 - tf.reduce_mean((2.0 * inter + smooth) / (union + smooth))


model = UNet()
model.build((None, CROP, CROP, 3))
print(model(tf.zeros([2, CROP, CROP, 3])).shape)

bce = tf.keras.losses.BinaryCrossentropy(from_logits=True)
optimizer = tf.keras.optimizers.Adam(2e-3)
train_loss = tf.keras.metrics.Mean(name='train_loss')
val_iou = tf.keras.metrics.BinaryIoU(target_class_ids=[1], threshold=0.5)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = bce(y, logits) + dice_loss(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_loss.update_state(loss)


@tf.function
def val_step(x, y):
    probs = tf.sigmoid(model(x, training=False))
    val_iou.update_state(y, probs)
    return probs


for epoch in range(EPOCHS):
    train_loss.reset_state()
    val_iou.reset_state()
    for x, y in train_ds:
        train_step(x, y)
    for x, y in val_ds:
        probs = val_step(x, y)
    print(f'Epoch {epoch + 1}: loss={train_loss.result():.4f}  val_IoU={val_iou.result():.4f}')

# test-time augmentation: average prediction over horizontal flip
sample = tf.image.resize(images[40:42], (CROP, CROP))
p1 = tf.sigmoid(model(sample))
p2 = tf.image.flip_left_right(tf.sigmoid(model(tf.image.flip_left_right(sample))))
tta = (p1 + p2) / 2.0
pred_mask = tf.cast(tta > 0.5, tf.uint8)
print('TTA prediction', tta.shape, pred_mask.dtype, 'foreground px:', int(tf.reduce_sum(pred_mask)))
