"""MixUp + CutMix augmentation with tf.data, feeding a small ResNet-ish CNN.

Two copies of the dataset are zipped together, then each batch gets either
mixup (convex combination of images and one-hot labels) or cutmix (paste
a random box from the other image, labels weighted by box area).
Lambda is sampled from a Beta distribution built out of two Gammas.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers as KL

AUTO = tf.data.AUTOTUNE
IMAGE_SIZE = 32
NUM_CLASSES = 10
BATCH_SIZE = 16
ALPHA = 0.4
N_TRAIN = 96

(x_fake, y_fake) = (np.random.rand(N_TRAIN, IMAGE_SIZE, IMAGE_SIZE, 3).astype("float32"),
                    np.random.randint(0, NUM_CLASSES, N_TRAIN))
y_fake = tf.one_hot(y_fake, NUM_CLASSES)


def sample_beta_distribution(size, concentration_0=0.2, concentration_1=0.2):
    gamma_1_sample = tf.random.gamma(shape=[size], alpha=concentration_1)
    gamma_2_sample = tf.random.gamma(shape=[size], alpha=concentration_0)
    return gamma_1_sample / (gamma_1_sample + gamma_2_sample)


def mix_up(ds_one, ds_two, alpha=ALPHA):
    images_one, labels_one = ds_one
    images_two, labels_two = ds_two
    batch_size = tf.shape(images_one)[0]

    l = sample_beta_distribution(batch_size, alpha, alpha)
    x_l = tf.reshape(l, (batch_size, 1, 1, 1))
    y_l = tf.reshape(l, (batch_size, 1))

    images = images_one * x_l + images_two * (1 - x_l)
    labels = labels_one * y_l + labels_two * (1 - y_l)
    return images, labels


def get_box(lam):
    cut_rat = tf.math.sqrt(1.0 - lam)
    cut_w = tf.cast(IMAGE_SIZE * cut_rat, tf.int32)
    cut_h = tf.cast(IMAGE_SIZE * cut_rat, tf.int32)

    cut_x = tf.random.uniform((1,), minval=0, maxval=IMAGE_SIZE, dtype=tf.int32)[0]
    cut_y = tf.random.uniform((1,), minval=0, maxval=IMAGE_SIZE, dtype=tf.int32)[0]

    bbx1 = tf.clip_by_value(cut_x - cut_w // 2, 0, IMAGE_SIZE)
    bby1 = tf.clip_by_value(cut_y - cut_h // 2, 0, IMAGE_SIZE)
    bbx2 = tf.clip_by_value(cut_x + cut_w // 2, 0, IMAGE_SIZE)
    bby2 = tf.clip_by_value(cut_y + cut_h // 2, 0, IMAGE_SIZE)
    return bbx1, bby1, bbx2 - bbx1, bby2 - bby1


def cutmix_single(img1, lbl1, img2, lbl2):
    lam = sample_beta_distribution(1, ALPHA, ALPHA)[0]
    x, y, w, h = get_box(lam)
    h = tf.maximum(h, 1); w = tf.maximum(w, 1)
    patch2 = tf.image.crop_to_bounding_box(img2, y, x, h, w)
    patch2 = tf.image.pad_to_bounding_box(patch2, y, x, IMAGE_SIZE, IMAGE_SIZE)
    patch1 = tf.image.crop_to_bounding_box(img1, y, x, h, w)
    patch1 = tf.image.pad_to_bounding_box(patch1, y, x, IMAGE_SIZE, IMAGE_SIZE)
    image = img1 - patch1 + patch2
    area_frac = tf.cast(w * h, tf.float32) / float(IMAGE_SIZE * IMAGE_SIZE)
    label = (1.0 - area_frac) * lbl1 + area_frac * lbl2
    return image, label


def basic_aug(image, label):
    image = tf.image.random_flip_left_right(image)
    image = tf.image.resize_with_crop_or_pad(image, IMAGE_SIZE + 4, IMAGE_SIZE + 4)
    image = tf.image.random_crop(image, [IMAGE_SIZE, IMAGE_SIZE, 3])
    return image, label


def make_pipeline(mode="mixup"):
    ds1 = tf.data.Dataset.from_tensor_slices((x_fake, y_fake)).shuffle(N_TRAIN).map(basic_aug, AUTO)
    ds2 = tf.data.Dataset.from_tensor_slices((x_fake, y_fake)).shuffle(N_TRAIN).map(basic_aug, AUTO)
    if mode == "mixup":
        zipped = tf.data.Dataset.zip((ds1.batch(BATCH_SIZE), ds2.batch(BATCH_SIZE)))
        return zipped.map(lambda a, b: mix_up(a, b), num_parallel_calls=AUTO).prefetch(AUTO)
    elif mode == "cutmix":
        zipped = tf.data.Dataset.zip((ds1, ds2))
        zipped = zipped.map(lambda a, b: cutmix_single(a[0], a[1], b[0], b[1]), num_parallel_calls=AUTO)
        return zipped.batch(BATCH_SIZE).prefetch(AUTO)
    raise ValueError(mode)


def res_block(x, filters, stride=1):
    shortcut = x
    y = KL.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = KL.BatchNormalization()(y)
    y = KL.ReLU()(y)
    y = KL.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = KL.BatchNormalization()(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = KL.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
        shortcut = KL.BatchNormalization()(shortcut)
    return KL.ReLU()(KL.Add()([y, shortcut]))


def get_training_model():
    inp = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3))
    x = KL.Conv2D(32, 3, padding="same", activation="relu")(inp)
    for filters, stride in [(32, 1), (64, 2), (64, 1), (128, 2)]:
        x = res_block(x, filters, stride)
    x = KL.GlobalAvgPool2D()(x)
    out = KL.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inp, out, name="resnet_mixcut")


initial_model = get_training_model()
initial_weights = initial_model.get_weights()
initial_model.summary()

for mode in ["mixup", "cutmix"]:
    ds = make_pipeline(mode)
    sample_imgs, sample_lbls = next(iter(ds))
    print(mode, "batch:", sample_imgs.shape, "label sums:", tf.reduce_sum(sample_lbls, -1).numpy()[:4])

    model = get_training_model()
    model.set_weights(initial_weights)   # same starting point for fair comparison
    model.compile(loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.0),
                  optimizer="adam", metrics=["accuracy"])
    model.fit(ds, epochs=1, verbose=2)
    _, acc = model.evaluate(x_fake[:32], y_fake[:32], verbose=0)
    print(f"[{mode}] clean-data accuracy: {acc * 100:.2f}%")
