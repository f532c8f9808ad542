"""Fast feature extraction with a frozen EfficientNetB0 + a GeM-pooling head.

"Feature extraction without augmentation" (Deep Learning with Python, ch. 8):
run the convolutional base once over the dataset, cache the feature maps,
then train a cheap head on top. Afterwards the head is stitched back onto the
backbone so the exported model takes raw images.

GeM (generalized-mean) pooling is the usual retrieval/Kaggle replacement for
global average pooling; p is a learnable scalar.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


class CFG:
    img_size = 64
    num_classes = 3
    n_images = 96
    batch_size = 32
    head_epochs = 3
    head_lr = 1e-3
    gem_p_init = 3.0
    class_names = ("cat", "dog", "fox")


@keras.saving.register_keras_serializable(package="rw49")
class GeMPooling2D(layers.Layer):
    """Generalized mean pooling: (mean(x^p))^(1/p) over H and W."""

    def __init__(self, p=3.0, eps=1e-6, trainable_p=True, **kwargs):
        super().__init__(**kwargs)
        self.init_p = p
        self.eps = eps
        self.trainable_p = trainable_p

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"GeMPooling2D expects 4D input, got {input_shape}")
        self.p = self.add_weight(
            name="p",
            shape=(1,),
            initializer=keras.initializers.Constant(self.init_p),
            trainable=self.trainable_p,
        )

    def call(self, inputs):
        x = ops.maximum(inputs, self.eps)
        x = ops.power(x, self.p)
        x = ops.mean(x, axis=[1, 2])
        return ops.power(x, 1.0 / self.p)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"p": self.init_p, "eps": self.eps, "trainable_p": self.trainable_p})
        return config


def synthetic_image_ds(n, seed):
    """tf.random-based images whose mean hue depends on the class."""
    g = tf.random.Generator.from_seed(seed)
    labels = g.uniform([n], 0, CFG.num_classes, dtype=tf.int32)
    noise = g.uniform([n, CFG.img_size, CFG.img_size, 3], 0.0, 100.0)
    tint = tf.one_hot(labels, 3) * 150.0  # (n, 3) -> broadcast over H, W
    images = noise + tint[:, None, None, :]
    return tf.data.Dataset.from_tensor_slices((images, labels))


def build_backbone():
    base = keras.applications.EfficientNetB0(
        include_top=False,
        weights=None,  # "imagenet" in real life
        input_shape=(CFG.img_size, CFG.img_size, 3),
    )
    base.trainable = False
    return base


def extract_features(base, dataset):
    all_features, all_labels = [], []
    for images, labels in dataset:
        # EfficientNet has Rescaling/Normalization built in; preprocess_input is a passthrough
        images = keras.applications.efficientnet.preprocess_input(images)
        feats = base.predict_on_batch(images)
        all_features.append(feats)
        all_labels.append(labels.numpy())
    return np.concatenate(all_features), np.concatenate(all_labels)


def build_head(feature_shape):
    inputs = keras.Input(shape=feature_shape, name="features")
    x = GeMPooling2D(p=CFG.gem_p_init, name="gem")(inputs)
    x = layers.BatchNormalization(name="head_bn")(x)
    x = layers.Dense(128, activation="gelu", name="head_fc")(x)
    x = layers.Dropout(0.3, name="head_drop")(x)
    outputs = layers.Dense(CFG.num_classes, activation="softmax", name="head_out")(x)
    return keras.Model(inputs, outputs, name="gem_head")


def main():
    keras.utils.set_random_seed(0)
    ds = synthetic_image_ds(CFG.n_images, seed=1).batch(CFG.batch_size)
    val_ds = synthetic_image_ds(CFG.batch_size, seed=2).batch(CFG.batch_size)

    base = build_backbone()
    print(f"backbone: {base.name}, {len(base.layers)} layers, output {base.output_shape}")

    train_feats, train_labels = extract_features(base, ds)
    val_feats, val_labels = extract_features(base, val_ds)
    print("cached features:", train_feats.shape, val_feats.shape)

    counts = np.bincount(train_labels, minlength=CFG.num_classes)
    class_weight = {i: float(len(train_labels) / (CFG.num_classes * max(c, 1))) for i, c in enumerate(counts)}
    print("class counts:", dict(zip(CFG.class_names, counts.tolist())))

    head = build_head(train_feats.shape[1:])
    head.compile(
        optimizer=keras.optimizers.Adam(CFG.head_lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")],
    )
    head.summary()
    head.fit(
        train_feats,
        train_labels,
        validation_data=(val_feats, val_labels),
        batch_size=CFG.batch_size,
        epochs=CFG.head_epochs,
        class_weight=class_weight,
        verbose=2,
    )
    print("learned GeM p:", float(ops.convert_to_numpy(head.get_layer("gem").p)[0]))

    # ---- stitch head back onto the backbone for end-to-end inference ----
    image_in = keras.Input(shape=(CFG.img_size, CFG.img_size, 3), name="image")
    x = keras.applications.efficientnet.preprocess_input(image_in)
    x = base(x, training=False)
    probs = head(x)
    full_model = keras.Model(image_in, probs, name="effnet_gem_classifier")
    print("full model trainable weights:", len(full_model.trainable_weights),
          "/ total:", len(full_model.weights))

    images, labels = next(iter(val_ds))
    p_full = full_model.predict_on_batch(images)
    p_head = head.predict_on_batch(val_feats[: len(images)])
    print("end-to-end matches cached path:", np.allclose(p_full, p_head, atol=1e-4))

    pred_names = [CFG.class_names[i] for i in np.argmax(p_full, axis=-1)[:6]]
    true_names = [CFG.class_names[i] for i in labels.numpy()[:6]]
    print("pred:", pred_names)
    print("true:", true_names)

    # round-trip the custom layer through the Keras config machinery
    clone = keras.Model.from_config(head.get_config())
    print("re-created head from config:", clone.get_layer("gem").__class__.__name__)


if __name__ == "__main__":
    main()
