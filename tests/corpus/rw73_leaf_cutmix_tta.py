"""Cassava-leaf-ish image classifier: CutMix in tf.data, GeM pooling, model zoo, 8x TTA, fold ensemble.

Public notebook skeleton I keep reusing for image comps. Random images stand in for the
real jpgs; swap `load_images()` for the TFRecord reader on Kaggle.
"""
import os
import tempfile
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

# ---- globals -----------------------------------------------------------
IMG = 40
N_CLASSES = 5
N_IMAGES = 256
N_TEST = 64
FOLDS = 2
BS = 32
EPOCHS = 1
CUTMIX_PROB = 0.5
LABEL_SMOOTH = 0.05
MODELS_TO_TRAIN = ["resnetish", "wide_gem"]
SEED = 777

keras.utils.set_random_seed(SEED)
AUTO = tf.data.AUTOTUNE
OUT_DIR = tempfile.mkdtemp(prefix="leaf_ckpt_")  # /kaggle/working on the real kernel


def load_images(n, seed):
    r = np.random.RandomState(seed)
    y = r.randint(0, N_CLASSES, size=n)
    x = r.rand(n, IMG, IMG, 3).astype("float32") * 0.6
    # inject a faint class-dependent colour blob so there's *some* signal
    for c in range(N_CLASSES):
        m = y == c
        x[m, 10 + 5 * c:18 + 5 * c, 10:20, c % 3] += 0.4
    return np.clip(x, 0, 1), y


X, Y = load_images(N_IMAGES, SEED)
X_test, _ = load_images(N_TEST, SEED + 1)
print("train", X.shape, "class counts", np.bincount(Y, minlength=N_CLASSES))


# ---- augmentations ------------------------------------------------------
def basic_aug(img, label):
    img = tf.image.random_flip_left_right(img)
    img = tf.image.random_flip_up_down(img)
    k = tf.random.uniform([], 0, 4, dtype=tf.int32)
    img = tf.image.rot90(img, k)
    img = tf.image.random_saturation(img, 0.8, 1.2)
    return img, label


def cutmix_batch(images, labels, prob=CUTMIX_PROB):
    """Batch-level CutMix. labels are one-hot. Written without python branching on tensors
    so it works under graph mode inside Dataset.map."""
    bs = tf.shape(images)[0]
    perm = tf.random.shuffle(tf.range(bs))
    imgs2 = tf.gather(images, perm)
    labs2 = tf.gather(labels, perm)

    do_mix = tf.cast(tf.random.uniform([bs]) < prob, tf.float32)   # (bs,)
    lam = tf.random.uniform([bs], 0.0, 1.0)
    cut = tf.sqrt(1.0 - lam)
    cut_w = tf.cast(cut * IMG, tf.int32)
    cut_h = tf.cast(cut * IMG, tf.int32)
    cx = tf.random.uniform([bs], 0, IMG, dtype=tf.int32)
    cy = tf.random.uniform([bs], 0, IMG, dtype=tf.int32)
    x1 = tf.clip_by_value(cx - cut_w // 2, 0, IMG)
    x2 = tf.clip_by_value(cx + cut_w // 2, 0, IMG)
    y1 = tf.clip_by_value(cy - cut_h // 2, 0, IMG)
    y2 = tf.clip_by_value(cy + cut_h // 2, 0, IMG)

    # build (bs, IMG, IMG, 1) box masks via broadcasting
    grid = tf.range(IMG)
    in_x = (grid[None, :] >= x1[:, None]) & (grid[None, :] < x2[:, None])   # (bs, IMG)
    in_y = (grid[None, :] >= y1[:, None]) & (grid[None, :] < y2[:, None])
    box = tf.cast(in_y[:, :, None] & in_x[:, None, :], tf.float32)[..., None]
    box = box * do_mix[:, None, None, None]

    mixed = images * (1.0 - box) + imgs2 * box
    area = tf.reduce_mean(box, axis=[1, 2, 3])                                # actual mixed ratio
    mixed_labels = labels * (1.0 - area)[:, None] + labs2 * area[:, None]
    return mixed, mixed_labels


def get_train_ds(x, y):
    ds = tf.data.Dataset.from_tensor_slices((x, tf.one_hot(y, N_CLASSES)))
    ds = ds.shuffle(2048, seed=SEED).map(basic_aug, num_parallel_calls=AUTO)
    ds = ds.batch(BS, drop_remainder=True)
    ds = ds.map(cutmix_batch, num_parallel_calls=AUTO)
    return ds.prefetch(AUTO)


def get_eval_ds(x):
    return tf.data.Dataset.from_tensor_slices(x).batch(BS * 2).prefetch(AUTO)


# ---- custom layers ------------------------------------------------------
@keras.saving.register_keras_serializable(package="leaf")
class GeMPooling2D(layers.Layer):
    """Generalized-mean pooling with a learnable p (Radenovic et al.)."""

    def __init__(self, p_init=3.0, eps=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.p_init = p_init
        self.eps = eps

    def build(self, input_shape):
        self.p = self.add_weight(name="p", shape=(1,),
                                 initializer=keras.initializers.Constant(self.p_init),
                                 trainable=True)

    def call(self, x):
        x = ops.clip(x, self.eps, 1e6)
        x = ops.power(x, self.p)
        x = ops.mean(x, axis=[1, 2])
        return ops.power(x, 1.0 / self.p)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        cfg = super().get_config()
        cfg.update(p_init=self.p_init, eps=self.eps)
        return cfg


class SqueezeExcite(layers.Layer):
    def __init__(self, ratio=4, **kwargs):
        super().__init__(**kwargs)
        self.ratio = ratio

    def build(self, input_shape):
        ch = input_shape[-1]
        self.fc1 = layers.Dense(max(ch // self.ratio, 4), activation="relu")
        self.fc2 = layers.Dense(ch, activation="sigmoid")

    def call(self, x):
        s = ops.mean(x, axis=[1, 2], keepdims=True)   # (b,1,1,c)
        s = self.fc2(self.fc1(s))
        return x * s


# ---- model zoo ------------------------------------------------------------
def res_block(x, f, stride):
    sc = x
    x = layers.Conv2D(f, 3, strides=stride, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(f, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    if stride != 1 or sc.shape[-1] != f:
        sc = layers.Conv2D(f, 1, strides=stride, use_bias=False)(sc)
        sc = layers.BatchNormalization()(sc)
    return layers.ReLU()(layers.Add()([x, sc]))


def build_resnetish():
    inp = keras.Input((IMG, IMG, 3))
    x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229 ** 2, 0.224 ** 2, 0.225 ** 2])(inp)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    for f, s in [(16, 1), (32, 2), (64, 2)]:
        x = res_block(x, f, s)
    x = layers.GlobalAveragePooling2D()(x)
    return inp, x


def build_wide_gem():
    inp = keras.Input((IMG, IMG, 3))
    x = layers.Conv2D(32, 5, strides=2, padding="same", activation="relu")(inp)
    x = SqueezeExcite()(x)
    x = layers.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    x = layers.Conv2D(64, 1, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = SqueezeExcite()(x)
    x = GeMPooling2D(name="gem")(x)
    return inp, x


MODEL_ZOO = {
    "resnetish": dict(fn=build_resnetish, lr=2e-3, drop=0.3),
    "wide_gem": dict(fn=build_wide_gem, lr=1e-3, drop=0.2),
}


def create_model(name):
    spec = MODEL_ZOO[name]
    inp, feats = spec["fn"]()
    x = layers.Dropout(spec["drop"])(feats)
    out = layers.Dense(N_CLASSES, activation="softmax", dtype="float32")(x)
    model = keras.Model(inp, out, name=name)
    model.compile(
        optimizer=keras.optimizers.Adam(spec["lr"]),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTH),
        metrics=["categorical_accuracy"],
        jit_compile=False,
    )
    return model


# ---- TTA ------------------------------------------------------------------
def tta_views(batch):
    """8 dihedral transforms of a (b,h,w,c) batch."""
    views = []
    for k in range(4):
        r = tf.image.rot90(batch, k)
        views.append(r)
        views.append(tf.image.flip_left_right(r))
    return views


def predict_tta(model, x, n_views=8):
    out = []
    for batch in get_eval_ds(x):
        views = tta_views(batch)[:n_views]
        stacked = tf.concat(views, axis=0)                    # (v*b, h, w, c)
        p = model(stacked, training=False)
        p = tf.reshape(p, (len(views), -1, N_CLASSES))         # (v, b, C)
        out.append(tf.reduce_mean(p, axis=0).numpy())
    return np.concatenate(out, 0)


# ---- folds --------------------------------------------------------------------
fold_ids = np.arange(N_IMAGES) % FOLDS
np.random.RandomState(SEED).shuffle(fold_ids)

oof = {m: np.zeros((N_IMAGES, N_CLASSES), "float32") for m in MODELS_TO_TRAIN}
test_pred = {m: np.zeros((N_TEST, N_CLASSES), "float32") for m in MODELS_TO_TRAIN}

for name in MODELS_TO_TRAIN:
    for fold in range(FOLDS):
        t0 = time.time()
        tr, va = fold_ids != fold, fold_ids == fold
        keras.backend.clear_session()
        model = create_model(name)
        ckpt_path = os.path.join(OUT_DIR, f"{name}_f{fold}.weights.h5")
        model.fit(
            get_train_ds(X[tr], Y[tr]),
            validation_data=(X[va], tf.one_hot(Y[va], N_CLASSES)),
            epochs=EPOCHS,
            callbacks=[keras.callbacks.ModelCheckpoint(ckpt_path, monitor="val_categorical_accuracy",
                                                       save_best_only=True, save_weights_only=True)],
            verbose=0,
        )
        model.load_weights(ckpt_path)
        oof[name][va] = predict_tta(model, X[va], n_views=4)
        test_pred[name] += predict_tta(model, X_test, n_views=8) / FOLDS
        acc = (oof[name][va].argmax(1) == Y[va]).mean()
        print(f"[{name}] fold {fold}: tta acc={acc:.3f} ({time.time() - t0:.1f}s)")
        if name == "wide_gem":
            print("   learned GeM p =", float(model.get_layer("gem").p.numpy()[0]))

# ---- ensemble: grid search blend weight on OOF --------------------------------
for name in MODELS_TO_TRAIN:
    print(f"OOF acc {name}: {(oof[name].argmax(1) == Y).mean():.4f}")

best_w, best_acc = 0.5, -1
for w in np.linspace(0, 1, 11):
    blend = w * oof[MODELS_TO_TRAIN[0]] + (1 - w) * oof[MODELS_TO_TRAIN[1]]
    acc = (blend.argmax(1) == Y).mean()
    if acc > best_acc:
        best_w, best_acc = w, acc
print(f"best blend weight {best_w:.1f} -> OOF acc {best_acc:.4f}")

final = best_w * test_pred[MODELS_TO_TRAIN[0]] + (1 - best_w) * test_pred[MODELS_TO_TRAIN[1]]
labels = final.argmax(1)
print("test label distribution:", np.bincount(labels, minlength=N_CLASSES))
