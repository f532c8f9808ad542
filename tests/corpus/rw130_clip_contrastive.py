"""Tiny CLIP-style dual encoder trained with a symmetric contrastive loss.

Images are small synthetic 32x32 RGB pictures whose colour/stripe pattern is
determined by a "concept id"; captions are token sequences built from the same
concept id, so there is real signal for the towers to align.
"""
import math
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SEED = 7
IMG_SIZE = 32
VOCAB_SIZE = 64
SEQ_LEN = 12
EMBED_DIM = 64
NUM_CONCEPTS = 10
NUM_SAMPLES = 320
BATCH_SIZE = 32
EPOCHS = 2

rng = np.random.default_rng(SEED)
keras.utils.set_random_seed(SEED)


# ---------------------------------------------------------------------------
# synthetic paired data
# ---------------------------------------------------------------------------
def make_image(concept):
    img = rng.normal(0.0, 0.15, size=(IMG_SIZE, IMG_SIZE, 3)).astype("float32")
    channel = concept % 3
    period = 2 + concept // 3
    stripes = (np.arange(IMG_SIZE) // period) % 2
    if concept % 2 == 0:
        img[:, :, channel] += stripes[None, :]
    else:
        img[:, :, channel] += stripes[:, None]
    return np.clip(img, 0.0, 1.0)


def make_caption(concept):
    # a handful of concept-specific tokens mixed with filler tokens
    concept_tokens = 10 + concept * 4 + rng.integers(0, 4, size=4)
    filler = rng.integers(2, 10, size=rng.integers(2, SEQ_LEN - 5))
    tokens = np.concatenate([[1], rng.permutation(np.concatenate([concept_tokens, filler]))])
    out = np.zeros(SEQ_LEN, dtype="int32")
    out[: min(len(tokens), SEQ_LEN)] = tokens[:SEQ_LEN]
    return out


concepts = rng.integers(0, NUM_CONCEPTS, size=NUM_SAMPLES)
images = np.stack([make_image(c) for c in concepts])
captions = np.stack([make_caption(c) for c in concepts])
print(f"images: {images.shape}, captions: {captions.shape}")

split = int(0.8 * NUM_SAMPLES)
train_ds = (
    tf.data.Dataset.from_tensor_slices((images[:split], captions[:split]))
    .shuffle(512, seed=SEED)
    .batch(BATCH_SIZE, drop_remainder=True)
    .prefetch(tf.data.AUTOTUNE)
)
val_ds = tf.data.Dataset.from_tensor_slices((images[split:], captions[split:])).batch(BATCH_SIZE)


# ---------------------------------------------------------------------------
# towers
# ---------------------------------------------------------------------------
def build_image_tower(embed_dim=EMBED_DIM, filters=(16, 32, 64)):
    inp = keras.Input((IMG_SIZE, IMG_SIZE, 3), name="image")
    x = inp
    for i, f in enumerate(filters):
        x = layers.Conv2D(f, 3, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.Activation("gelu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(embed_dim, name="img_proj")(x)
    return keras.Model(inp, x, name="image_tower")


class TokenAndPosition(layers.Layer):
    def __init__(self, vocab, maxlen, dim, **kwargs):
        super().__init__(**kwargs)
        self.tok = layers.Embedding(vocab, dim, mask_zero=False)
        self.pos = layers.Embedding(maxlen, dim)
        self.maxlen = maxlen

    def call(self, x):
        positions = ops.arange(0, self.maxlen)
        return self.tok(x) + self.pos(positions)[None, :, :]


def build_text_tower(embed_dim=EMBED_DIM, heads=4, blocks=2):
    inp = keras.Input((SEQ_LEN,), dtype="int32", name="caption")
    pad_mask = ops.cast(ops.not_equal(inp, 0), "float32")
    x = TokenAndPosition(VOCAB_SIZE, SEQ_LEN, embed_dim)(inp)
    attn_mask = ops.cast(pad_mask[:, None, :], "bool")
    for b in range(blocks):
        h = layers.LayerNormalization(name=f"ln_a{b}")(x)
        h = layers.MultiHeadAttention(heads, embed_dim // heads, name=f"mha{b}")(
            h, h, attention_mask=attn_mask
        )
        x = x + h
        h = layers.LayerNormalization(name=f"ln_b{b}")(x)
        h = layers.Dense(embed_dim * 2, activation="gelu")(h)
        x = x + layers.Dense(embed_dim)(h)
    # masked mean pooling
    summed = ops.sum(x * pad_mask[:, :, None], axis=1)
    count = ops.maximum(ops.sum(pad_mask, axis=1, keepdims=True), 1.0)
    pooled = summed / count
    out = layers.Dense(embed_dim, name="txt_proj")(pooled)
    return keras.Model(inp, out, name="text_tower")


class CLIPModel(keras.Model):
    def __init__(self, image_encoder, text_encoder, init_temp=0.07, **kwargs):
        super().__init__(**kwargs)
        self.image_encoder = image_encoder
        self.text_encoder = text_encoder
        self.logit_scale = self.add_weight(
            name="logit_scale",
            shape=(),
            initializer=keras.initializers.Constant(math.log(1.0 / init_temp)),
            trainable=True,
        )
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc_tracker = keras.metrics.Mean(name="i2t_acc")

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]

    def call(self, inputs, training=False):
        imgs, txts = inputs
        img_emb = ops.normalize(self.image_encoder(imgs, training=training), axis=-1)
        txt_emb = ops.normalize(self.text_encoder(txts, training=training), axis=-1)
        return img_emb, txt_emb

    def _contrastive(self, img_emb, txt_emb):
        scale = ops.exp(ops.clip(self.logit_scale, 0.0, 4.6052))
        logits = scale * ops.matmul(img_emb, ops.transpose(txt_emb))
        labels = ops.arange(ops.shape(logits)[0])
        l_i2t = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        l_t2i = keras.losses.sparse_categorical_crossentropy(
            labels, ops.transpose(logits), from_logits=True
        )
        loss = 0.5 * (ops.mean(l_i2t) + ops.mean(l_t2i))
        acc = ops.mean(ops.cast(ops.equal(ops.argmax(logits, axis=1), labels), "float32"))
        return loss, acc

    def train_step(self, data):
        imgs, txts = data
        with tf.GradientTape() as tape:
            img_emb, txt_emb = self((imgs, txts), training=True)
            loss, acc = self._contrastive(img_emb, txt_emb)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(acc)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        imgs, txts = data
        img_emb, txt_emb = self((imgs, txts), training=False)
        loss, acc = self._contrastive(img_emb, txt_emb)
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(acc)
        return {m.name: m.result() for m in self.metrics}


clip = CLIPModel(build_image_tower(), build_text_tower())
clip.compile(optimizer=keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=1e-4))
history = clip.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)

# ---------------------------------------------------------------------------
# retrieval evaluation: recall@k on the held-out pairs
# ---------------------------------------------------------------------------
img_emb, txt_emb = clip((images[split:], captions[split:]), training=False)
sims = ops.convert_to_numpy(ops.matmul(img_emb, ops.transpose(txt_emb)))
ranks = np.argsort(-sims, axis=1)
for k in (1, 5, 10):
    hits = [i in ranks[i, :k] for i in range(len(ranks))]
    print(f"image->text recall@{k}: {np.mean(hits):.3f}")

# zero-shot style classification with one prototype caption per concept
prototypes = np.stack([make_caption(c) for c in range(NUM_CONCEPTS)])
_, proto_emb = clip((images[:1], prototypes), training=False)
pred = ops.argmax(ops.matmul(img_emb, ops.transpose(proto_emb)), axis=1)
zs_acc = np.mean(ops.convert_to_numpy(pred) == concepts[split:])
print(f"zero-shot concept accuracy: {zs_acc:.3f}")
print("final temperature:", float(1.0 / np.exp(ops.convert_to_numpy(clip.logit_scale))))
