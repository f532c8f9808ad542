"""Build Keras models from YAML-style layer specs.

Configs in this repo are written in YAML; here they are inlined as Python dicts
(what ``yaml.safe_load`` would return) so the example has no extra dependency.
Each model spec is a list of layer entries ``{type, args, from}`` in the style of
YOLO/`timm`-ish config files: ``from: -1`` means "previous layer", a list means
"concatenate those outputs".
"""
from dataclasses import dataclass, field
from typing import Any, Dict, List

import numpy as np
import tensorflow as tf
from tensorflow import keras

# what yaml.safe_load("configs/small_det.yaml") would give us
SMALL_DET_YAML = {
    "name": "small_det",
    "input_shape": [64, 64, 3],
    "backbone": [
        # idx 0
        {"type": "Conv2D", "args": {"filters": 16, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "swish"}},
        # idx 1
        {"type": "Conv2D", "args": {"filters": 32, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "swish"}},
        # idx 2
        {"type": "CSPBlock", "args": {"filters": 32, "n": 1}},
        # idx 3
        {"type": "Conv2D", "args": {"filters": 64, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "swish"}},
        # idx 4
        {"type": "CSPBlock", "args": {"filters": 64, "n": 2}},
    ],
    "neck": [
        # idx 5: upsample deepest map back to stride 4
        {"type": "UpSampling2D", "args": {"size": 2}, "from": -1},
        # idx 6: concat with backbone idx 2
        {"type": "Concatenate", "args": {"axis": -1}, "from": [-1, 2]},
        # idx 7
        {"type": "CSPBlock", "args": {"filters": 32, "n": 1}},
    ],
    "head": {"num_anchors": 3, "num_classes": 4},
}


@dataclass
class LayerSpec:
    type: str
    args: Dict[str, Any] = field(default_factory=dict)
    src: Any = -1

    @classmethod
    def from_dict(cls, d):
        return cls(type=d["type"], args=dict(d.get("args", {})), src=d.get("from", -1))


@dataclass
class ModelSpec:
    name: str
    input_shape: List[int]
    layers: List[LayerSpec]
    num_anchors: int = 3
    num_classes: int = 80

    @classmethod
    def from_yaml_dict(cls, cfg):
        entries = cfg["backbone"] + cfg.get("neck", [])
        head = cfg.get("head", {})
        return cls(
            name=cfg["name"],
            input_shape=list(cfg["input_shape"]),
            layers=[LayerSpec.from_dict(e) for e in entries],
            num_anchors=head.get("num_anchors", 3),
            num_classes=head.get("num_classes", 80),
        )


class CSPBlock(keras.layers.Layer):
    """Cross-stage-partial block: split channels, run a bottleneck stack on one half."""

    def __init__(self, filters, n=1, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.n = n
        half = filters // 2
        self.split_a = keras.layers.Conv2D(half, 1, activation="swish")
        self.split_b = keras.layers.Conv2D(half, 1, activation="swish")
        self.bottlenecks = [
            (keras.layers.Conv2D(half, 1, activation="swish"),
             keras.layers.Conv2D(half, 3, padding="same", activation="swish"))
            for _ in range(n)
        ]
        self.fuse = keras.layers.Conv2D(filters, 1, activation="swish")

    def call(self, x):
        a = self.split_a(x)
        b = self.split_b(x)
        for pw, dw in self.bottlenecks:
            b = b + dw(pw(b))
        return self.fuse(tf.concat([a, b], axis=-1))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"filters": self.filters, "n": self.n})
        return cfg


CUSTOM_LAYERS = {"CSPBlock": CSPBlock}


def resolve_layer_cls(type_name):
    if type_name in CUSTOM_LAYERS:
        return CUSTOM_LAYERS[type_name]
    cls = getattr(keras.layers, type_name, None)
    if cls is None:
        raise ValueError(f"Unknown layer type in spec: {type_name}")
    return cls


def build_from_spec(spec: ModelSpec):
    inputs = keras.Input(shape=tuple(spec.input_shape), name="images")
    outputs = []  # output of every spec entry, indexed like the YAML
    x = inputs
    for i, ls in enumerate(spec.layers):
        layer = resolve_layer_cls(ls.type)(name=f"{i}_{ls.type.lower()}", **ls.args)
        if isinstance(ls.src, (list, tuple)):
            srcs = [outputs[j] if j >= 0 else outputs[i + j] for j in ls.src]
            x = layer(srcs)
        else:
            prev = x if ls.src == -1 else outputs[ls.src]
            x = layer(prev)
        outputs.append(x)

    # detection head: per-cell (anchors * (5 + classes)) then reshape to anchors axis
    per_anchor = 5 + spec.num_classes
    raw = keras.layers.Conv2D(spec.num_anchors * per_anchor, 1, name="head_conv")(x)
    gh, gw = raw.shape[1], raw.shape[2]
    preds = keras.layers.Reshape((gh, gw, spec.num_anchors, per_anchor), name="head_reshape")(raw)
    return keras.Model(inputs, preds, name=spec.name)


def decode_predictions(preds):
    """Split raw head output into box / objectness / class probabilities."""
    xy = tf.sigmoid(preds[..., 0:2])
    wh = tf.exp(tf.clip_by_value(preds[..., 2:4], -4.0, 4.0))
    obj = tf.sigmoid(preds[..., 4:5])
    cls_prob = tf.nn.softmax(preds[..., 5:], axis=-1)
    scores = obj * cls_prob
    return tf.concat([xy, wh], axis=-1), scores


def yolo_style_loss(y_true, y_pred):
    box_loss = tf.reduce_mean(tf.square(y_true[..., :4] - y_pred[..., :4]))
    obj_loss = tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true[..., 4], logits=y_pred[..., 4]))
    cls_loss = tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits(labels=y_true[..., 5:], logits=y_pred[..., 5:]))
    return box_loss + obj_loss + cls_loss


def synthetic_targets(n, grid, anchors, num_classes, seed=1):
    rng = np.random.default_rng(seed)
    box = rng.random((n, grid, grid, anchors, 4)).astype("float32")
    obj = (rng.random((n, grid, grid, anchors, 1)) > 0.9).astype("float32")
    cls = np.eye(num_classes, dtype="float32")[rng.integers(0, num_classes, (n, grid, grid, anchors))]
    return np.concatenate([box, obj, cls], axis=-1)


if __name__ == "__main__":
    spec = ModelSpec.from_yaml_dict(SMALL_DET_YAML)
    print(f"spec '{spec.name}': {len(spec.layers)} layers, "
          f"{spec.num_anchors} anchors, {spec.num_classes} classes")
    model = build_from_spec(spec)
    model.summary(line_length=100)

    grid = model.output_shape[1]
    images = np.random.rand(32, *spec.input_shape).astype("float32")
    targets = synthetic_targets(32, grid, spec.num_anchors, spec.num_classes)

    ds = (tf.data.Dataset.from_tensor_slices((images, targets))
          .shuffle(32)
          .batch(8)
          .prefetch(tf.data.AUTOTUNE))
    model.compile(optimizer="adam", loss=yolo_style_loss)
    model.fit(ds, epochs=1, verbose=2)

    boxes, scores = decode_predictions(model(images[:2], training=False))
    print("boxes:", boxes.shape, "scores:", scores.shape)
    best = tf.reduce_max(tf.reshape(scores, [2, -1]), axis=-1)
    print("best score per image:", best.numpy().round(3))
