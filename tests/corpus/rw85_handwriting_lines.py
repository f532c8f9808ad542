"""
Handwritten text-line recognizer (IAM-lines style) in backend-agnostic Keras 3.

* distortion-free resize: keep aspect ratio, then pad to a fixed canvas
* labels vectorized with StringLookup, padded with the blank (0)
* functional CRNN wrapped in a keras.Model subclass that overrides
  train_step / test_step and uses keras.ops.ctc_loss with real lengths
* validation CER callback that decodes with keras.ops.ctc_decode

The real IAM lines are swapped for random gray-scale "ink" so it runs offline.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = dict(
    image_height=32,
    image_width=160,
    max_label_len=12,
    vocab=list("abcdefghijklmnopqrstuvwxyz .,'"),
    batch_size=8,
    n_train=48,
    n_val=16,
    epochs=1,
    learning_rate=3e-4,
    padding_token=0,
)

keras.utils.set_random_seed(42)
AUTOTUNE = tf.data.AUTOTUNE

char_to_num = layers.StringLookup(vocabulary=CONFIG["vocab"], mask_token=None, num_oov_indices=0)
num_to_char = layers.StringLookup(vocabulary=char_to_num.get_vocabulary(), mask_token=None,
                                  num_oov_indices=0, invert=True)
# index 0 is reserved for blank, so we shift the lookup by +1
NUM_CLASSES = char_to_num.vocabulary_size() + 1


# ---------------------------------------------------------------------------
# Fake IAM: images with random widths (like real text lines) + transcripts
# ---------------------------------------------------------------------------
def fake_iam(n, seed):
    r = np.random.default_rng(seed)
    letters = list("abcdefghijklmnopqrstuvwxyz")
    texts, imgs = [], []
    for _ in range(n):
        n_words = r.integers(1, 3)
        words = ["".join(r.choice(letters, r.integers(2, 5))) for _ in range(n_words)]
        text = " ".join(words)[: CONFIG["max_label_len"]]
        h = r.integers(40, 60)
        w = int(len(text) * r.integers(14, 22))
        img = (r.random((h, w)) * 60 + 190).astype(np.uint8)  # paper
        img[h // 3: 2 * h // 3, ::3] = r.integers(0, 80)  # "ink"
        imgs.append(img)
        texts.append(text)
    return imgs, texts


def ragged_images(imgs):
    # list of (h, w) arrays with different shapes -> generator dataset
    def gen():
        for im in imgs:
            yield im[..., None]
    return tf.data.Dataset.from_generator(
        gen, output_signature=tf.TensorSpec(shape=(None, None, 1), dtype=tf.uint8)
    )


def distortion_free_resize(image, img_size):
    w, h = img_size
    image = tf.image.resize(image, size=(h, w), preserve_aspect_ratio=True)

    # pad to target size, splitting the padding between both sides
    pad_height = h - tf.shape(image)[0]
    pad_width = w - tf.shape(image)[1]

    pad_height_top = pad_height // 2 + pad_height % 2
    pad_height_bottom = pad_height // 2
    pad_width_left = pad_width // 2 + pad_width % 2
    pad_width_right = pad_width // 2

    image = tf.pad(
        image,
        paddings=[[pad_height_top, pad_height_bottom], [pad_width_left, pad_width_right], [0, 0]],
    )
    # CRNN wants width as the first spatial axis (time)
    image = tf.transpose(image, perm=[1, 0, 2])
    image = tf.image.flip_left_right(image)
    return image


def preprocess_image(image):
    image = distortion_free_resize(image, (CONFIG["image_width"], CONFIG["image_height"]))
    image = tf.cast(image, tf.float32) / 255.0
    return 1.0 - image  # ink is bright, paper is dark


def vectorize_label(label):
    chars = tf.strings.unicode_split(label, input_encoding="UTF-8")
    ids = char_to_num(chars) + 1  # shift past the blank
    length = tf.shape(ids)[0]
    pad_amount = CONFIG["max_label_len"] - length
    ids = tf.pad(ids, paddings=[[0, pad_amount]], constant_values=CONFIG["padding_token"])
    ids = tf.ensure_shape(ids, [CONFIG["max_label_len"]])
    return ids, length


def process(image, label):
    ids, length = vectorize_label(label)
    return {"image": preprocess_image(image), "label": ids, "label_length": length}


def make_dataset(imgs, texts, shuffle):
    ds = tf.data.Dataset.zip((ragged_images(imgs), tf.data.Dataset.from_tensor_slices(texts)))
    if shuffle:
        ds = ds.shuffle(64, seed=1)
    ds = ds.map(process, num_parallel_calls=AUTOTUNE)
    return ds.batch(CONFIG["batch_size"]).cache().prefetch(AUTOTUNE)


train_imgs, train_txt = fake_iam(CONFIG["n_train"], seed=0)
val_imgs, val_txt = fake_iam(CONFIG["n_val"], seed=1)
train_ds = make_dataset(train_imgs, train_txt, shuffle=True)
val_ds = make_dataset(val_imgs, val_txt, shuffle=False)

for batch in train_ds.take(1):
    print({k: tuple(v.shape) for k, v in batch.items()})


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def build_backbone():
    image = keras.Input(shape=(CONFIG["image_width"], CONFIG["image_height"], 1), name="image")
    x = image
    for i, filters in enumerate([32, 64]):
        x = layers.Conv2D(filters, 3, padding="same", kernel_initializer="he_normal",
                          name=f"conv{i + 1}")(x)
        x = layers.BatchNormalization(name=f"bn{i + 1}")(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(2, name=f"pool{i + 1}")(x)
    t_steps = CONFIG["image_width"] // 4
    feat = (CONFIG["image_height"] // 4) * 64
    x = layers.Reshape((t_steps, feat), name="collapse_height")(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True, dropout=0.25))(x)
    x = layers.Bidirectional(layers.LSTM(32, return_sequences=True, dropout=0.25))(x)
    logits = layers.Dense(NUM_CLASSES, name="logits")(x)
    return image, logits


class HandwritingRecognizer(keras.Model):
    """Functional graph + custom train/test step computing CTC with ops."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def _ctc(self, batch, logits):
        batch_size = ops.shape(logits)[0]
        out_len = ops.full((batch_size,), ops.shape(logits)[1], dtype="int32")
        per_sample = ops.ctc_loss(
            target=ops.cast(batch["label"], "int32"),
            output=logits,
            target_length=ops.cast(batch["label_length"], "int32"),
            output_length=out_len,
            mask_index=0,
        )
        return ops.mean(per_sample)

    def train_step(self, batch):
        with tf.GradientTape() as tape:
            logits = self(batch["image"], training=True)
            loss = self._ctc(batch, logits)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, batch):
        logits = self(batch["image"], training=False)
        self.loss_tracker.update_state(self._ctc(batch, logits))
        return {m.name: m.result() for m in self.metrics}


inputs, outputs = build_backbone()
model = HandwritingRecognizer(inputs=inputs, outputs=outputs, name="handwriting_recognizer")
# from_generator datasets have unknown cardinality, so compute it by hand
steps = CONFIG["epochs"] * int(np.ceil(CONFIG["n_train"] / CONFIG["batch_size"]))
schedule = keras.optimizers.schedules.CosineDecay(CONFIG["learning_rate"], decay_steps=steps,
                                                  warmup_target=1e-3, warmup_steps=2)
model.compile(optimizer=keras.optimizers.Adam(schedule))
model.summary(line_length=90)


# ---------------------------------------------------------------------------
# CER callback
# ---------------------------------------------------------------------------
def decode_batch(logits):
    seq_len = ops.full((ops.shape(logits)[0],), ops.shape(logits)[1], dtype="int32")
    decoded, _ = ops.ctc_decode(logits, seq_len, strategy="greedy", mask_index=0)
    decoded = decoded[0][:, : CONFIG["max_label_len"]]  # top path
    texts = []
    for row in ops.convert_to_numpy(decoded):
        ids = row[row > 0] - 1  # undo the +1 shift, drop blanks / -1 padding
        chars = num_to_char(tf.constant(ids, dtype=tf.int64))
        texts.append(tf.strings.reduce_join(chars).numpy().decode("utf-8"))
    return texts


class CERCallback(keras.callbacks.Callback):
    def __init__(self, dataset, texts):
        super().__init__()
        self.dataset = dataset
        self.texts = texts

    def on_epoch_end(self, epoch, logs=None):
        preds = []
        for batch in self.dataset:
            preds.extend(decode_batch(self.model(batch["image"], training=False)))
        truth = tf.strings.unicode_split(tf.constant(self.texts), "UTF-8").to_sparse()
        hyp = tf.strings.unicode_split(tf.constant(preds), "UTF-8").to_sparse()
        cer = tf.reduce_mean(tf.edit_distance(hyp, truth, normalize=True))
        print(f"\nepoch {epoch + 1}: val CER = {float(cer):.3f}  e.g. {preds[0]!r} vs {self.texts[0]!r}")


history = model.fit(train_ds, validation_data=val_ds, epochs=CONFIG["epochs"],
                    callbacks=[CERCallback(val_ds, val_txt)], verbose=2)
print("history keys:", sorted(history.history))
