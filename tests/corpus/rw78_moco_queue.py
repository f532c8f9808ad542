"""MoCo v2 (Momentum Contrast) in Keras with a fixed-size negative queue.

- query encoder f_q trained by backprop
- key encoder f_k = momentum (EMA) copy of f_q
- a FIFO dictionary (queue) of K past keys acts as the negatives
- "shuffle BN" is emulated on a single device by permuting the key batch and
  running BN over sub-batches, then un-shuffling with argsort.

Synthetic data so it runs anywhere in a few seconds.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


class MoCoConfig:
    image_shape = (32, 32, 3)
    feature_dim = 64        # dim of the contrastive embedding
    queue_size = 512        # K, must be divisible by batch size
    momentum = 0.999        # m for the key encoder update
    temperature = 0.2
    batch_size = 32
    num_images = 320
    shuffle_bn_splits = 4   # fake "GPUs" for shuffle-BN
    learning_rate = 0.03


cfg = MoCoConfig()


def build_backbone(dim, name):
    inp = keras.Input(cfg.image_shape)
    x = inp
    for f in (32, 64, 96):
        x = layers.Conv2D(f, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    # MoCo v2 MLP head
    x = layers.Dense(256, activation="relu")(x)
    out = layers.Dense(dim)(x)
    return keras.Model(inp, out, name=name)


class MoCo(keras.Model):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.cfg = config
        self.encoder_q = build_backbone(config.feature_dim, "encoder_q")
        self.encoder_k = build_backbone(config.feature_dim, "encoder_k")
        self.encoder_k.set_weights(self.encoder_q.get_weights())
        self.encoder_k.trainable = False

        init_queue = tf.math.l2_normalize(
            tf.random.normal((config.queue_size, config.feature_dim)), axis=1
        )
        self.queue = tf.Variable(init_queue, trainable=False, name="queue")
        self.queue_ptr = tf.Variable(0, dtype=tf.int32, trainable=False, name="queue_ptr")

        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.top1 = keras.metrics.SparseTopKCategoricalAccuracy(k=1, name="acc@1")
        self.top5 = keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="acc@5")

    @property
    def metrics(self):
        return [self.loss_tracker, self.top1, self.top5]

    def call(self, x, training=False):
        return self.encoder_q(x, training=training)

    # ----- momentum update of the key encoder ---------------------------------
    def momentum_update(self):
        m = self.cfg.momentum
        for w_q, w_k in zip(self.encoder_q.weights, self.encoder_k.weights):
            w_k.assign(m * w_k + (1.0 - m) * w_q)

    # ----- queue ---------------------------------------------------------------
    def dequeue_and_enqueue(self, keys):
        batch = tf.shape(keys)[0]
        idx = (self.queue_ptr + tf.range(batch)) % self.cfg.queue_size
        self.queue.scatter_nd_update(idx[:, None], keys)
        self.queue_ptr.assign((self.queue_ptr + batch) % self.cfg.queue_size)

    # ----- keys with emulated shuffle BN ---------------------------------------
    def compute_keys(self, x_k):
        n = tf.shape(x_k)[0]
        perm = tf.random.shuffle(tf.range(n))
        x_shuffled = tf.gather(x_k, perm)

        # run BN "per GPU": split the shuffled batch into chunks
        chunks = tf.split(x_shuffled, self.cfg.shuffle_bn_splits, axis=0)
        k = tf.concat([self.encoder_k(c, training=True) for c in chunks], axis=0)

        unshuffle = tf.argsort(perm)
        k = tf.gather(k, unshuffle)
        return tf.math.l2_normalize(k, axis=1)

    def train_step(self, data):
        x_q, x_k = data
        k = tf.stop_gradient(self.compute_keys(x_k))
        queue = tf.identity(self.queue)

        with tf.GradientTape() as tape:
            q = ops.normalize(self.encoder_q(x_q, training=True), axis=1)
            # positive logits: Nx1
            l_pos = ops.sum(q * k, axis=1, keepdims=True)
            # negative logits: NxK
            l_neg = ops.matmul(q, ops.transpose(queue))
            logits = ops.concatenate([l_pos, l_neg], axis=1) / self.cfg.temperature
            # the positive key is always at index 0
            labels = ops.zeros((ops.shape(logits)[0],), dtype="int32")
            loss = ops.mean(
                keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
            )

        grads = tape.gradient(loss, self.encoder_q.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.encoder_q.trainable_variables))

        self.momentum_update()
        self.dequeue_and_enqueue(k)

        self.loss_tracker.update_state(loss)
        self.top1.update_state(labels, logits)
        self.top5.update_state(labels, logits)
        return {m.name: m.result() for m in self.metrics}


# --------------------------------------------------------------------------- #
# data: MoCo v2 style two-crop transform
# --------------------------------------------------------------------------- #
def two_crop(image):
    def aug(img):
        img = tf.image.resize_with_crop_or_pad(img, 40, 40)
        img = tf.image.random_crop(img, cfg.image_shape)
        img = tf.image.random_flip_left_right(img)
        img = tf.image.random_saturation(img, 0.6, 1.4)
        img = tf.image.random_brightness(img, 0.3)
        # random grayscale with p=0.2
        gray = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(img))
        img = tf.where(tf.random.uniform([]) < 0.2, gray, img)
        return tf.clip_by_value(img, 0.0, 1.0)

    return aug(image), aug(image)


def main():
    assert cfg.queue_size % cfg.batch_size == 0, "K should be a multiple of the batch size"
    assert cfg.batch_size % cfg.shuffle_bn_splits == 0

    images = np.random.rand(cfg.num_images, *cfg.image_shape).astype("float32")
    ds = (
        tf.data.Dataset.from_tensor_slices(images)
        .shuffle(cfg.num_images)
        .map(two_crop, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(cfg.batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )

    model = MoCo(cfg)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=cfg.learning_rate, momentum=0.9)
    )
    model.encoder_q.summary(line_length=90)

    print("queue:", model.queue.shape, "ptr:", int(model.queue_ptr.numpy()))
    model.fit(ds, epochs=1, verbose=2)
    print("queue ptr after 1 epoch:", int(model.queue_ptr.numpy()))
    print("queue row norms (should be ~1):", np.round(
        np.linalg.norm(model.queue.numpy()[:4], axis=1), 3))


if __name__ == "__main__":
    main()
