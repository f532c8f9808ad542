"""Missing-modality robust glioma grading (LGG vs HGG) from multi-parametric MRI.

Each MRI sequence (T1, T1ce, T2, FLAIR) is encoded separately by a shared
3-D CNN, tagged with a learned modality embedding, and the resulting tokens
are fused with multi-head self-attention. During training whole modalities
are randomly dropped (ModDrop) so the model copes with incomplete scans at
inference time. Overrides Model.train_step to log the per-batch number of
available modalities.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SEQUENCES = ["t1", "t1ce", "t2", "flair"]
CROP = (8, 32, 32)             # (D, H, W) crop around the tumour
EMBED_DIM = 32
N_HEADS = 4
BATCH = 4
N_SUBJECTS = 16
P_DROP_MODALITY = 0.25


def subject_generator(n, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        grade = int(rng.random() < 0.5)           # 1 = HGG
        vols = rng.normal(0, 1, CROP + (len(SEQUENCES),)).astype("float32")
        if grade:  # enhancing rim on T1ce + stronger FLAIR signal
            vols[3:6, 12:20, 12:20, 1] += 2.0
            vols[..., 3] += 0.5
        present = np.ones(len(SEQUENCES), "float32")
        if rng.random() < 0.3:                     # some scans really lack a sequence
            present[rng.integers(0, len(SEQUENCES))] = 0.0
        vols *= present                            # missing sequence = zeros
        yield {"mri": vols, "present": present}, grade


def make_dataset(n, seed):
    sig = (
        {"mri": tf.TensorSpec(CROP + (len(SEQUENCES),), tf.float32),
         "present": tf.TensorSpec((len(SEQUENCES),), tf.float32)},
        tf.TensorSpec((), tf.int32),
    )
    ds = tf.data.Dataset.from_generator(lambda: subject_generator(n, seed), output_signature=sig)
    ds = ds.apply(tf.data.experimental.assert_cardinality(n))
    return ds.cache().batch(BATCH).prefetch(tf.data.AUTOTUNE)


class ModalityDropout(layers.Layer):
    """Zero out whole modalities at random but always keep at least one."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_gen = keras.random.SeedGenerator(1337)

    def call(self, present, training=False):
        if not training or self.rate == 0:
            return present
        keep = ops.cast(
            keras.random.uniform(ops.shape(present), seed=self.seed_gen) > self.rate, present.dtype)
        dropped = present * keep
        # if everything got dropped for a subject, fall back to the original mask
        none_left = ops.sum(dropped, axis=-1, keepdims=True) == 0
        return ops.where(none_left, present, dropped)


class ModalityEncoder(layers.Layer):
    """Shared 3-D CNN applied to every sequence independently."""

    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.net = keras.Sequential([
            layers.Conv3D(8, 3, strides=(1, 2, 2), padding="same", activation="gelu"),
            layers.Conv3D(16, 3, strides=2, padding="same", activation="gelu"),
            layers.Conv3D(dim, 3, strides=2, padding="same", activation="gelu"),
            layers.GlobalAveragePooling3D(),
        ], name="cnn3d")

    def call(self, vols):
        # vols: (B, D, H, W, M) -> treat each modality as its own sample
        b = ops.shape(vols)[0]
        m = vols.shape[-1]
        x = ops.transpose(vols, (0, 4, 1, 2, 3))              # (B, M, D, H, W)
        x = ops.reshape(x, (-1,) + tuple(vols.shape[1:4]) + (1,))  # (B*M, D, H, W, 1)
        feats = self.net(x)                                   # (B*M, dim)
        return ops.reshape(feats, (b, m, -1))                 # (B, M, dim)


class FusionClassifier(keras.Model):
    def __init__(self, n_mod=len(SEQUENCES), dim=EMBED_DIM, **kwargs):
        super().__init__(**kwargs)
        self.moddrop = ModalityDropout(P_DROP_MODALITY)
        self.encoder = ModalityEncoder(dim)
        self.mod_embed = layers.Embedding(n_mod, dim)
        self.cls_token = self.add_weight(shape=(1, 1, dim), initializer="zeros", name="cls")
        self.attn = layers.MultiHeadAttention(N_HEADS, key_dim=dim // N_HEADS, dropout=0.1)
        self.norm1 = layers.LayerNormalization()
        self.norm2 = layers.LayerNormalization()
        self.mlp = keras.Sequential([layers.Dense(dim * 2, activation="gelu"), layers.Dense(dim)])
        self.head = layers.Dense(1)
        self.n_mod = n_mod
        self.avail_tracker = keras.metrics.Mean(name="avail_mods")

    def call(self, inputs, training=False):
        vols, present = inputs["mri"], inputs["present"]
        present = self.moddrop(present, training=training)
        vols = vols * present[:, None, None, None, :]
        tokens = self.encoder(vols) + self.mod_embed(ops.arange(self.n_mod))[None]
        b = ops.shape(tokens)[0]
        cls = ops.broadcast_to(self.cls_token, (b, 1, tokens.shape[-1]))
        seq = ops.concatenate([cls, tokens], axis=1)           # (B, 1+M, dim)
        # CLS token always visible; missing modalities are masked out as keys
        key_mask = ops.concatenate([ops.ones((b, 1)), present], axis=1) > 0
        attn_mask = key_mask[:, None, :]                       # (B, 1, 1+M) -> broadcast over queries
        attn_mask = ops.broadcast_to(attn_mask, (b, self.n_mod + 1, self.n_mod + 1))
        h = self.norm1(seq + self.attn(seq, seq, attention_mask=attn_mask, training=training))
        h = self.norm2(h + self.mlp(h))
        return self.head(h[:, 0])                              # logits from CLS

    def train_step(self, data):
        x, y = data
        y = ops.cast(ops.reshape(y, (-1, 1)), "float32")
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=logits)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.avail_tracker.update_state(ops.sum(x["present"], axis=-1))
        for m in self.metrics:
            if m.name == "compile_metrics":
                m.update_state(y, logits)
            elif m.name == "loss":
                m.update_state(loss)
        return {m.name: m.result() for m in self.metrics}

    @property
    def metrics(self):
        return super().metrics + [self.avail_tracker]


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    train_ds = make_dataset(N_SUBJECTS, seed=1)
    val_ds = make_dataset(BATCH * 2, seed=2)

    model = FusionClassifier()
    model.compile(
        optimizer=keras.optimizers.AdamW(5e-4),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="acc")],
    )
    model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

    # robustness check: evaluate with each sequence removed in turn
    batch_x, batch_y = next(iter(val_ds))
    for i, name in enumerate(SEQUENCES):
        present = batch_x["present"].numpy().copy()
        present[:, i] = 0.0
        logits = model({"mri": batch_x["mri"], "present": tf.constant(present)})
        acc = np.mean((logits.numpy()[:, 0] > 0).astype(int) == batch_y.numpy())
        print(f"without {name:>5}: logits {tuple(logits.shape)}, acc {acc:.2f}")
