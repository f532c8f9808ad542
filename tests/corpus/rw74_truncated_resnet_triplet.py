"""Triplet-loss embedding network on a truncated ResNet50V2.

Large backbones are often overkill for small images, so we cut
ResNet50V2 after stage 3 (`conv3_block4_out`) and stack a projection
head on it. The whole thing is a subclassed keras.Model with a custom
`train_step`, fed by a tf.data pipeline that builds (anchor, positive,
negative) triplets on the fly.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SETTINGS = dict(
    image_size=64,
    cut_layer="conv3_block4_out",
    embedding_dim=48,
    margin=0.3,
    batch_size=8,
    steps=4,
    pool_size=32,
)


def truncated_backbone(image_size, cut_layer):
    base = keras.applications.ResNet50V2(
        include_top=False, weights=None, input_shape=(image_size, image_size, 3)
    )
    trunk = keras.Model(inputs=base.input, outputs=base.get_layer(cut_layer).output,
                        name=f"resnet50v2_to_{cut_layer}")
    print(f"kept {len(trunk.layers)}/{len(base.layers)} layers, "
          f"params {trunk.count_params():,} vs {base.count_params():,}")
    return trunk


class GeMPooling(layers.Layer):
    """Generalised-mean pooling, popular for retrieval heads."""

    def __init__(self, init_p=3.0, eps=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.init_p = init_p
        self.eps = eps

    def build(self, input_shape):
        self.p = self.add_weight(name="p", shape=(), initializer=keras.initializers.Constant(self.init_p))

    def call(self, x):
        x = ops.maximum(x, self.eps)
        pooled = ops.mean(ops.power(x, self.p), axis=[1, 2])
        return ops.power(pooled, 1.0 / self.p)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


class TripletEmbedder(keras.Model):
    def __init__(self, trunk, embedding_dim, margin, **kwargs):
        super().__init__(**kwargs)
        self.trunk = trunk
        self.pool = GeMPooling()
        self.proj = layers.Dense(embedding_dim, use_bias=False)
        self.margin = margin
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.frac_tracker = keras.metrics.Mean(name="active_frac")

    def call(self, images, training=False):
        x = keras.applications.resnet_v2.preprocess_input(images)
        feats = self.trunk(x, training=training)
        emb = self.proj(self.pool(feats))
        return emb / ops.sqrt(ops.sum(ops.square(emb), axis=-1, keepdims=True) + 1e-12)

    def _triplet_loss(self, a, p, n):
        d_ap = ops.sum(ops.square(a - p), axis=-1)
        d_an = ops.sum(ops.square(a - n), axis=-1)
        raw = d_ap - d_an + self.margin
        active = ops.cast(raw > 0, "float32")
        return ops.mean(ops.relu(raw)), ops.mean(active)

    def train_step(self, data):
        anchor, positive, negative = data
        stacked = ops.concatenate([anchor, positive, negative], axis=0)
        with tf.GradientTape() as tape:
            emb = self(stacked, training=True)
            a, p, n = ops.split(emb, 3, axis=0)
            loss, frac = self._triplet_loss(a, p, n)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.frac_tracker.update_state(frac)
        return {m.name: m.result() for m in self.metrics}

    @property
    def metrics(self):
        return [self.loss_tracker, self.frac_tracker]


def augment(img):
    img = tf.image.random_flip_left_right(img)
    img = tf.image.random_brightness(img, 20.0)
    img = img + tf.random.normal(tf.shape(img), stddev=5.0)
    return tf.clip_by_value(img, 0.0, 255.0)


def triplet_dataset(pool, batch_size):
    n = pool.shape[0]
    pool_t = tf.constant(pool)

    def to_triplet(idx):
        # negative = a different index, shifted by a random non-zero offset
        offset = tf.random.uniform((), 1, n, dtype=tf.int64)
        neg_idx = (idx + offset) % n
        anchor = pool_t[idx]
        return augment(anchor), augment(anchor), augment(tf.gather(pool_t, neg_idx))

    return (tf.data.Dataset.range(n)
            .shuffle(n)
            .repeat()
            .map(to_triplet, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(batch_size, drop_remainder=True)
            .prefetch(2))


def main(s):
    rng = np.random.default_rng(3)
    pool = rng.uniform(0, 255, size=(s["pool_size"], s["image_size"], s["image_size"], 3)).astype("float32")

    trunk = truncated_backbone(s["image_size"], s["cut_layer"])
    # freeze stage 2, train stage 3 only
    for layer in trunk.layers:
        layer.trainable = layer.name.startswith("conv3")

    model = TripletEmbedder(trunk, s["embedding_dim"], s["margin"])
    model.compile(optimizer=keras.optimizers.Adam(3e-4))
    ds = triplet_dataset(pool, s["batch_size"])
    model.fit(ds, steps_per_epoch=s["steps"], epochs=1, verbose=2)

    emb = model.predict(pool[:10], verbose=0)
    print("embeddings:", emb.shape, "norms:", np.round(np.linalg.norm(emb, axis=1)[:4], 3))
    print("GeM p after training:", float(model.pool.p.numpy()))
    print("trainable / total weights:", len(model.trainable_weights), "/", len(model.weights))


if __name__ == "__main__":
    main(SETTINGS)
