"""Linear probing of intermediate CNN representations.

Train a small functional CNN on a toy task, then build a multi-output
feature extractor with `model.get_layer(name).output` for several depths
and fit an independent linear probe on top of each frozen representation.
Common trick for checking *where* in the network information appears.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "input_shape": (32, 32, 3),
    "num_classes": 4,
    "filters": [16, 32, 64],
    "n_train": 256,
    "n_probe": 128,
    "batch_size": 32,
    "probe_layers": ["stage1_pool", "stage2_pool", "stage3_pool", "embedding"],
}


def conv_stage(x, filters, idx):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"stage{idx}_conv")(x)
    x = layers.BatchNormalization(name=f"stage{idx}_bn")(x)
    x = layers.Activation("relu", name=f"stage{idx}_relu")(x)
    x = layers.MaxPooling2D(name=f"stage{idx}_pool")(x)
    return x


def build_backbone(cfg):
    inputs = keras.Input(shape=cfg["input_shape"], name="image")
    x = inputs
    for i, f in enumerate(cfg["filters"], start=1):
        x = conv_stage(x, f, i)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(64, activation="relu", name="embedding")(x)
    outputs = layers.Dense(cfg["num_classes"], activation="softmax", name="classifier")(x)
    return keras.Model(inputs, outputs, name="toy_cnn")


def synthetic_data(n, cfg, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, cfg["num_classes"], size=n)
    x = rng.normal(size=(n,) + cfg["input_shape"]).astype("float32")
    # give each class a distinct per-channel bias so there's something to learn
    x += (y[:, None, None, None] / cfg["num_classes"]).astype("float32")
    x[..., y % 3] += 0.5
    return x, y


def make_feature_extractor(model, layer_names):
    outputs = {name: model.get_layer(name).output for name in layer_names}
    extractor = keras.Model(inputs=model.input, outputs=outputs, name="multi_tap")
    extractor.trainable = False
    return extractor


def to_vector(feat):
    # spatial maps -> global pooled vector; dense features pass through
    if len(feat.shape) == 4:
        return ops.mean(feat, axis=(1, 2))
    return feat


def fit_probe(features, labels, num_classes, name):
    probe = keras.Sequential(
        [keras.Input(shape=(features.shape[-1],)), layers.Dense(num_classes, activation="softmax")],
        name=f"probe_{name}",
    )
    probe.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = probe.fit(features, labels, epochs=3, batch_size=CONFIG["batch_size"], verbose=0)
    return hist.history["accuracy"][-1]


def main(cfg):
    x_train, y_train = synthetic_data(cfg["n_train"], cfg, seed=0)
    x_probe, y_probe = synthetic_data(cfg["n_probe"], cfg, seed=1)

    model = build_backbone(cfg)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=cfg["batch_size"], epochs=1, verbose=2)

    extractor = make_feature_extractor(model, cfg["probe_layers"])
    for name, shape in zip(cfg["probe_layers"],
                           [model.get_layer(n).output.shape for n in cfg["probe_layers"]]):
        print(f"  tap {name:12s} -> {shape}")

    feats = extractor.predict(x_probe, batch_size=cfg["batch_size"], verbose=0)
    results = {}
    for name in cfg["probe_layers"]:
        vec = ops.convert_to_numpy(to_vector(ops.convert_to_tensor(feats[name])))
        results[name] = fit_probe(vec, y_probe, cfg["num_classes"], name)

    print("\nprobe accuracy by depth:")
    for name, acc in results.items():
        print(f"  {name:12s} {acc:.3f}")

    # sanity check: the extractor must share weights with the trained model
    w_model = model.get_layer("stage1_conv").kernel
    w_extr = extractor.get_layer("stage1_conv").kernel
    assert w_model is w_extr, "extractor should reuse the same layer objects"
    print("extractor shares weights with trained model:", w_model is w_extr)


if __name__ == "__main__":
    tf.random.set_seed(0)
    main(CONFIG)
