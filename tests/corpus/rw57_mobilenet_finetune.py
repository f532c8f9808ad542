"""Two-stage fine-tuning of MobileNetV2 (ported from a Keras 2.2 repo).

Stage 1: base frozen, train only the new head.
Stage 2: unfreeze the last N blocks by layer-name prefix (block_14_, block_15_...),
         keep BatchNorm frozen, lower LR, fit again.

Notes for the port:
  * weights=None here (no internet); swap for 'imagenet' in real use.
  * `include_top=False` + `base.layers[-k].output` to pick the tap point.
  * data comes from a keras.utils.Sequence that also does the per-batch
    preprocessing (mobilenet_v2.preprocess_input).
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import backend as K
from tensorflow.keras.applications import MobileNetV2
from tensorflow.keras.applications.mobilenet_v2 import preprocess_input

CONFIG = dict(
    img_size=32,
    n_classes=3,
    n_train=64,
    n_val=16,
    batch_size=16,
    head_epochs=1,
    finetune_epochs=1,
    unfreeze_from_block=14,   # MobileNetV2 has block_1 ... block_16
    head_lr=1e-3,
    finetune_lr=1e-4,
)


class ImageSequence(keras.utils.Sequence):
    def __init__(self, images, labels, batch_size, n_classes, shuffle=False, **kwargs):
        super().__init__(**kwargs)
        self.images = images
        self.labels = labels
        self.batch_size = batch_size
        self.n_classes = n_classes
        self.shuffle = shuffle
        self.idx = np.arange(len(images))

    def __len__(self):
        return int(np.ceil(len(self.images) / float(self.batch_size)))

    def __getitem__(self, i):
        sl = self.idx[i * self.batch_size:(i + 1) * self.batch_size]
        batch_x = preprocess_input(self.images[sl].astype("float32"))
        batch_y = keras.utils.to_categorical(self.labels[sl], self.n_classes)
        return batch_x, batch_y

    def on_epoch_end(self):
        if self.shuffle:
            np.random.shuffle(self.idx)


def fake_images(n, size, n_classes, seed):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, n_classes, size=n)
    x = rng.randint(0, 256, size=(n, size, size, 3)).astype("uint8")
    # tint each class differently so there's some signal
    for c in range(n_classes):
        x[y == c, :, :, c] = np.clip(x[y == c, :, :, c].astype(int) + 80, 0, 255)
    return x, y


def build_model(cfg):
    base = MobileNetV2(input_shape=(cfg["img_size"], cfg["img_size"], 3),
                       include_top=False, weights=None, alpha=0.35)
    base.trainable = False

    # last layer is 'out_relu'; layers[-4] is the final 1x1 'Conv_1' before BN/ReLU
    print("tap candidates:", [l.name for l in base.layers[-4:]])
    features = base.layers[-1].output
    print("base output:", K.int_shape(features))

    x = keras.layers.GlobalAveragePooling2D(name="gap")(features)
    x = keras.layers.Dropout(0.2, name="head_dropout")(x)
    x = keras.layers.Dense(64, activation="relu", name="head_fc")(x)
    out = keras.layers.Dense(cfg["n_classes"], activation="softmax", name="head_out")(x)
    model = keras.Model(base.input, out, name="mnv2_finetune")
    return model, base


def unfreeze_from(model, block_id):
    """Unfreeze layers whose name is block_{>=block_id}_* or the top Conv_1."""
    prefixes = tuple("block_%d_" % b for b in range(block_id, 17))
    n_unfrozen = 0
    for layer in model.layers:
        if layer.name.startswith(prefixes) or layer.name in ("Conv_1", "Conv_1_bn", "out_relu"):
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False   # keep running stats frozen
            else:
                layer.trainable = True
                n_unfrozen += 1
    return n_unfrozen


def count_trainable(model):
    return int(sum(K.count_params(w) for w in model.trainable_weights))


def main(cfg):
    np.random.seed(0)
    tf.random.set_seed(0)

    x_tr, y_tr = fake_images(cfg["n_train"], cfg["img_size"], cfg["n_classes"], seed=1)
    x_va, y_va = fake_images(cfg["n_val"], cfg["img_size"], cfg["n_classes"], seed=2)
    train_seq = ImageSequence(x_tr, y_tr, cfg["batch_size"], cfg["n_classes"], shuffle=True)
    val_seq = ImageSequence(x_va, y_va, cfg["batch_size"], cfg["n_classes"])

    model, base = build_model(cfg)
    print("layers in full model:", len(model.layers))

    # ---- stage 1 ---------------------------------------------------------
    # the base is frozen but we go layer by layer so the trainable flag is
    # per-layer for stage 2 (base.trainable=False alone would override it)
    base.trainable = True
    for layer in model.layers:
        layer.trainable = layer.name.startswith("head_") or layer.name == "gap"
    print("stage 1 trainable params:", count_trainable(model))

    model.compile(optimizer=keras.optimizers.Adam(cfg["head_lr"]),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_seq, validation_data=val_seq, epochs=cfg["head_epochs"], verbose=2)

    # ---- stage 2 ---------------------------------------------------------
    n = unfreeze_from(model, cfg["unfreeze_from_block"])
    print("unfroze %d layers; stage 2 trainable params: %d" % (n, count_trainable(model)))
    print("sample flags:", {name: model.get_layer(name).trainable
                            for name in ("Conv1", "block_13_expand",
                                         "block_15_project", "block_15_project_BN")})

    # recompile so the new trainable flags take effect
    model.compile(optimizer=keras.optimizers.SGD(cfg["finetune_lr"], momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_seq, validation_data=val_seq, epochs=cfg["finetune_epochs"], verbose=2)

    # ---- embeddings from the pooled layer --------------------------------
    embedder = keras.Model(model.input, model.get_layer("gap").output)
    emb = embedder.predict(val_seq, verbose=0)
    print("embeddings:", emb.shape)


if __name__ == "__main__":
    main(CONFIG)
