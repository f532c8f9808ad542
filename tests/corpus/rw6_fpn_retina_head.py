"""RetinaNet-ish detector head on top of a small FPN.

Backbone gives C3, C4, C5 -> FPN builds P3..P6 -> shared classification and
box-regression subnets are applied on every pyramid level and the outputs
are flattened + concatenated into (batch, num_anchors_total, ...).
Not a real detector (no anchor matching), training targets are random.
"""
import numpy as np
import keras
from keras import layers, ops

NUM_CLASSES = 4
ANCHORS_PER_LOC = 9
FPN_CH = 64
INPUT_SHAPE = (64, 64, 3)


def get_backbone():
    inp = keras.Input(INPUT_SHAPE)
    x = inp
    feats = []
    # 5 downsampling stages; keep the last three
    for stage, ch in enumerate([16, 32, 48, 64, 96]):
        x = layers.Conv2D(ch, 3, strides=2, padding="same", name=f"stage{stage}_down")(x)
        x = layers.BatchNormalization(name=f"stage{stage}_bn")(x)
        x = layers.Activation("swish")(x)
        x = layers.Conv2D(ch, 3, padding="same", activation="swish", name=f"stage{stage}_conv")(x)
        if stage >= 2:
            feats.append(x)
    return keras.Model(inp, feats, name="tiny_backbone")


class FeaturePyramid(layers.Layer):
    """Builds P3-P6 from backbone outputs C3-C5."""

    def __init__(self, channels=FPN_CH, **kwargs):
        super().__init__(**kwargs)
        self.lat3 = layers.Conv2D(channels, 1, padding="same")
        self.lat4 = layers.Conv2D(channels, 1, padding="same")
        self.lat5 = layers.Conv2D(channels, 1, padding="same")
        self.out3 = layers.Conv2D(channels, 3, padding="same")
        self.out4 = layers.Conv2D(channels, 3, padding="same")
        self.out5 = layers.Conv2D(channels, 3, padding="same")
        self.p6 = layers.Conv2D(channels, 3, strides=2, padding="same")
        self.up = layers.UpSampling2D(2)

    def call(self, feats, training=False):
        c3, c4, c5 = feats
        p5 = self.lat5(c5)
        p4 = self.lat4(c4) + self.up(p5)
        p3 = self.lat3(c3) + self.up(p4)
        p3 = self.out3(p3)
        p4 = self.out4(p4)
        p5 = self.out5(p5)
        p6 = self.p6(c5)
        return p3, p4, p5, p6


def build_head(out_filters, bias_init, name):
    head = keras.Sequential(name=name)
    head.add(keras.Input(shape=(None, None, FPN_CH)))
    kinit = keras.initializers.RandomNormal(0.0, 0.01)
    for i in range(3):
        head.add(layers.Conv2D(FPN_CH, 3, padding="same", kernel_initializer=kinit,
                               name=f"{name}_conv{i}"))
        head.add(layers.ReLU())
    head.add(layers.Conv2D(out_filters, 3, padding="same", kernel_initializer=kinit,
                           bias_initializer=bias_init, name=f"{name}_out"))
    return head


class RetinaNetLite(keras.Model):
    def __init__(self, num_classes, backbone=None, **kwargs):
        super().__init__(name="RetinaNetLite", **kwargs)
        self.backbone = backbone or get_backbone()
        self.fpn = FeaturePyramid()
        self.num_classes = num_classes
        prior_prob = keras.initializers.Constant(-np.log((1 - 0.01) / 0.01))
        self.cls_head = build_head(ANCHORS_PER_LOC * num_classes, prior_prob, "cls_head")
        self.box_head = build_head(ANCHORS_PER_LOC * 4, "zeros", "box_head")

    def call(self, image, training=False):
        features = self.fpn(self.backbone(image, training=training))
        N = ops.shape(image)[0]
        cls_outputs, box_outputs = [], []
        for feature in features:
            box_outputs.append(ops.reshape(self.box_head(feature), [N, -1, 4]))
            cls_outputs.append(ops.reshape(self.cls_head(feature), [N, -1, self.num_classes]))
        cls_outputs = ops.concatenate(cls_outputs, axis=1)
        box_outputs = ops.concatenate(box_outputs, axis=1)
        return ops.concatenate([box_outputs, cls_outputs], axis=-1)


class RetinaLoss(keras.losses.Loss):
    def __init__(self, num_classes, alpha=0.25, gamma=2.0, delta=1.0):
        super().__init__(reduction="sum_over_batch_size", name="retina_loss")
        self.num_classes = num_classes
        self.alpha, self.gamma = alpha, gamma
        self.huber = keras.losses.Huber(delta=delta, reduction=None)

    def call(self, y_true, y_pred):
        box_true, cls_true = y_true[..., :4], y_true[..., 4:]
        box_pred, cls_pred = y_pred[..., :4], y_pred[..., 4:]
        ce = ops.binary_crossentropy(cls_true, cls_pred, from_logits=True)
        p = ops.sigmoid(cls_pred)
        pt = ops.where(ops.equal(cls_true, 1.0), p, 1 - p)
        alpha = ops.where(ops.equal(cls_true, 1.0), self.alpha, 1.0 - self.alpha)
        focal = ops.sum(alpha * ops.power(1.0 - pt, self.gamma) * ce, axis=-1)
        box_l = self.huber(box_true, box_pred)
        return focal + box_l


model = RetinaNetLite(NUM_CLASSES)
dummy = np.zeros((1,) + INPUT_SHAPE, dtype="float32")
out = model(dummy)
total_anchors = out.shape[1]
print("output shape:", out.shape, "anchors:", total_anchors)
model.summary()

batch = 8
images = np.random.rand(batch, *INPUT_SHAPE).astype("float32")
boxes = np.random.normal(size=(batch, total_anchors, 4)).astype("float32")
labels = np.random.randint(0, NUM_CLASSES, size=(batch, total_anchors))
cls_onehot = keras.utils.to_categorical(labels, NUM_CLASSES)
# most anchors are background -> zero them out
bg = np.random.rand(batch, total_anchors) < 0.95
cls_onehot[bg] = 0.0
targets = np.concatenate([boxes, cls_onehot], axis=-1).astype("float32")

model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3, momentum=0.9, clipnorm=10.0),
              loss=RetinaLoss(NUM_CLASSES))
model.fit(images, targets, batch_size=4, epochs=1, verbose=1)

preds = model.predict(images[:2], verbose=0)
scores = keras.ops.sigmoid(preds[..., 4:])
print("max score per image:", keras.ops.convert_to_numpy(keras.ops.max(scores, axis=(1, 2))))
