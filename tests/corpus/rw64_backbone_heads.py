"""Composable backbone + neck + heads, assembled from a nested config dict.

Typical usage in this repo::

    model = ModelFactory.from_config(CONFIG).build()

Backbones expose multi-scale feature maps (C3, C4, C5) so they can be shared by an
FPN neck and several task heads (classification, attribute regression, heatmap).
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

CONFIG = {
    "input_shape": (64, 64, 3),
    # weights=None keeps the example offline; set "imagenet" for real runs
    "backbone": {"name": "mobilenet_v2", "alpha": 0.35, "weights": None, "freeze": True},
    "neck": {"name": "fpn", "channels": 32},
    "heads": [
        {"name": "classification", "num_classes": 5, "from": "P5", "loss_weight": 1.0},
        {"name": "regression", "units": 4, "from": "P4", "loss_weight": 0.5},
        {"name": "heatmap", "num_keypoints": 3, "from": "P3", "loss_weight": 2.0},
    ],
}


# ----------------------------------------------------------------------------
# Registries
# ----------------------------------------------------------------------------
class Registry:
    def __init__(self, kind):
        self.kind = kind
        self._items = {}

    def register(self, name):
        def deco(obj):
            self._items[name] = obj
            return obj
        return deco

    def get(self, name):
        if name not in self._items:
            raise KeyError(f"{self.kind} '{name}' not found; known: {sorted(self._items)}")
        return self._items[name]


BACKBONES = Registry("backbone")
NECKS = Registry("neck")
HEADS = Registry("head")


# ----------------------------------------------------------------------------
# Backbones -> dict of feature maps
# ----------------------------------------------------------------------------
@BACKBONES.register("mobilenet_v2")
def mobilenet_v2_features(inputs, alpha=0.35, weights=None, freeze=False):
    base = keras.applications.MobileNetV2(
        input_tensor=inputs, include_top=False, weights=weights, alpha=alpha)
    if freeze:
        # linear-probe / warmup stage: only neck + heads are trained
        base.trainable = False
    # the usual stride-8/16/32 taps used by detection repos
    taps = {"C3": "block_6_expand_relu", "C4": "block_13_expand_relu", "C5": "out_relu"}
    return {k: base.get_layer(v).output for k, v in taps.items()}


@BACKBONES.register("simple_cnn")
def simple_cnn_features(inputs, width=16):
    feats = {}
    x = inputs
    for level in range(1, 6):
        x = layers.Conv2D(width * min(level, 4), 3, strides=2, padding="same",
                          activation="relu", name=f"simple_c{level}")(x)
        if level >= 3:
            feats[f"C{level}"] = x
    return feats


# ----------------------------------------------------------------------------
# Necks
# ----------------------------------------------------------------------------
@NECKS.register("fpn")
def fpn(features, channels=64):
    levels = sorted(features)                  # ["C3", "C4", "C5"]
    lateral = {k: layers.Conv2D(channels, 1, name=f"fpn_lat_{k}")(features[k]) for k in levels}
    outs = {}
    prev = None
    for k in reversed(levels):                 # top-down pathway
        x = lateral[k]
        if prev is not None:
            up = layers.UpSampling2D(2, name=f"fpn_up_{k}")(prev)
            x = layers.Add(name=f"fpn_add_{k}")([x, up])
        prev = x
        outs["P" + k[1:]] = layers.Conv2D(channels, 3, padding="same", name=f"fpn_out_{k}")(x)
    return outs


@NECKS.register("identity")
def identity_neck(features, **_):
    return {"P" + k[1:]: v for k, v in features.items()}


# ----------------------------------------------------------------------------
# Heads: return (output_tensor, loss, metrics)
# ----------------------------------------------------------------------------
@HEADS.register("classification")
def classification_head(x, num_classes, **_):
    x = layers.GlobalAveragePooling2D(name="cls_gap")(x)
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(num_classes, activation="softmax", name="classification")(x)
    return out, "sparse_categorical_crossentropy", ["accuracy"]


@HEADS.register("regression")
def regression_head(x, units, **_):
    # concatenate avg- and max-pooled descriptors
    avg = layers.GlobalAveragePooling2D()(x)
    mx = layers.GlobalMaxPooling2D()(x)
    x = layers.Concatenate()([avg, mx])
    x = layers.Dense(32, activation="relu")(x)
    out = layers.Dense(units, name="regression")(x)
    return out, "mse", ["mae"]


@HEADS.register("heatmap")
def heatmap_head(x, num_keypoints, **_):
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(num_keypoints, 1, name="heatmap_logits")(x)
    out = layers.Activation("sigmoid", name="heatmap")(x)
    return out, keras.losses.BinaryCrossentropy(), []


# ----------------------------------------------------------------------------
class ModelFactory:
    def __init__(self, input_shape, backbone, neck, heads):
        self.input_shape = tuple(input_shape)
        self.backbone_cfg = dict(backbone)
        self.neck_cfg = dict(neck)
        self.head_cfgs = [dict(h) for h in heads]
        self.losses, self.loss_weights, self.metrics = {}, {}, {}

    @classmethod
    def from_config(cls, cfg):
        return cls(cfg["input_shape"], cfg["backbone"], cfg["neck"], cfg["heads"])

    def build(self):
        inputs = keras.Input(self.input_shape, name="image")
        bb_cfg = dict(self.backbone_cfg)
        feats = BACKBONES.get(bb_cfg.pop("name"))(inputs, **bb_cfg)
        nk_cfg = dict(self.neck_cfg)
        pyramid = NECKS.get(nk_cfg.pop("name"))(feats, **nk_cfg)
        for name, t in pyramid.items():
            print(f"  {name}: {tuple(t.shape)}")

        outputs = {}
        for hc in self.head_cfgs:
            hc = dict(hc)
            head_name = hc.pop("name")
            src = hc.pop("from")
            weight = hc.pop("loss_weight", 1.0)
            out, loss, metrics = HEADS.get(head_name)(pyramid[src], **hc)
            outputs[head_name] = out
            self.losses[head_name] = loss
            self.loss_weights[head_name] = weight
            self.metrics[head_name] = metrics
        return keras.Model(inputs, outputs, name=f"{self.backbone_cfg['name']}_multitask")

    def compile(self, model, lr=1e-3):
        model.compile(optimizer=keras.optimizers.Adam(lr), loss=self.losses,
                      loss_weights=self.loss_weights, metrics=self.metrics)
        return model


def fake_batch(n, model):
    shapes = {k: v.shape for k, v in zip(model.output_names, model.outputs)}
    x = np.random.rand(n, *model.input_shape[1:]).astype("float32")
    y = {
        "classification": np.random.randint(0, shapes["classification"][-1], size=(n,)),
        "regression": np.random.randn(n, shapes["regression"][-1]).astype("float32"),
        "heatmap": (np.random.rand(n, *shapes["heatmap"][1:]) > 0.95).astype("float32"),
    }
    return x, y


if __name__ == "__main__":
    for bb in [CONFIG["backbone"], {"name": "simple_cnn", "width": 8}]:
        cfg = dict(CONFIG, backbone=bb)
        print(f"building with backbone={bb['name']}")
        factory = ModelFactory.from_config(cfg)
        model = factory.compile(factory.build())
        n_train = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        print(f"  {model.name}: {model.count_params():,} params ({n_train:,} trainable), "
              f"outputs={model.output_names}")
        x, y = fake_batch(8, model)
        hist = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        print("  total loss:", round(hist.history["loss"][-1], 4))
        preds = model(x[:2], training=False)  # eager call, skips predict() tracing
        print("  pred shapes:", {k: tuple(v.shape) for k, v in preds.items()})
