"""
OCR data pipeline from TFRecords -> CTC training -> export a .keras inference model.

Steps:
  1. write synthetic word crops (PNG-encoded) + transcripts to a TFRecord shard
  2. parse / decode / resize with tf.data, vectorize text with StringLookup and
     padded_batch (variable-length labels)
  3. train a CRNN whose CTC loss lives in a registered, serializable layer
  4. strip the loss layer, save the inference model, reload it and decode with
     keras.ops.ctc_decode(strategy="beam_search")
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

WORK_DIR = tempfile.mkdtemp(prefix="ocr_tfrecord_")
RECORD_PATH = os.path.join(WORK_DIR, "words-00000-of-00001.tfrecord")
MODEL_PATH = os.path.join(WORK_DIR, "crnn_infer.keras")

IMG_H, IMG_W = 32, 96
VOCAB = list("abcdefghijklmnopqrstuvwxyz0123456789")
BATCH_SIZE = 12
NUM_EXAMPLES = 60
BEAM_WIDTH = 5


# ---------------------------------------------------------------------------
# 1. write TFRecords
# ---------------------------------------------------------------------------
def _bytes_feature(value):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int64_feature(value):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def synth_word_image(word, rng):
    w = 10 * len(word) + int(rng.integers(8, 20))
    img = np.full((28, w), 230, np.uint8)
    for i, _ in enumerate(word):
        x = 4 + 10 * i
        img[6:22, x:x + 6] = rng.integers(0, 90, size=(16, 6))
    return img[..., None]


def write_shard(path, n, seed=0):
    rng = np.random.default_rng(seed)
    with tf.io.TFRecordWriter(path) as writer:
        for _ in range(n):
            word = "".join(rng.choice(VOCAB, size=rng.integers(3, 8)))
            img = synth_word_image(word, rng)
            example = tf.train.Example(features=tf.train.Features(feature={
                "image/encoded": _bytes_feature(tf.io.encode_png(img).numpy()),
                "image/width": _int64_feature(img.shape[1]),
                "image/text": _bytes_feature(word.encode("utf-8")),
            }))
            writer.write(example.SerializeToString())


write_shard(RECORD_PATH, NUM_EXAMPLES)
print("wrote", RECORD_PATH, os.path.getsize(RECORD_PATH), "bytes")

# ---------------------------------------------------------------------------
# 2. input pipeline
# ---------------------------------------------------------------------------
FEATURE_SPEC = {
    "image/encoded": tf.io.FixedLenFeature([], tf.string),
    "image/width": tf.io.FixedLenFeature([], tf.int64),
    "image/text": tf.io.FixedLenFeature([], tf.string),
}

char_to_id = layers.StringLookup(vocabulary=VOCAB, mask_token="[BLANK]", oov_token="[UNK]")
id_to_char = layers.StringLookup(vocabulary=char_to_id.get_vocabulary(), mask_token="[BLANK]",
                                 oov_token="[UNK]", invert=True)
# vocabulary = [BLANK]=0, [UNK]=1, a=2, ...  -> blank index 0 for CTC
NUM_CLASSES = char_to_id.vocabulary_size()
print("classes incl. blank/unk:", NUM_CLASSES)


def parse_example(serialized):
    feats = tf.io.parse_single_example(serialized, FEATURE_SPEC)
    image = tf.io.decode_png(feats["image/encoded"], channels=1)
    image = tf.image.convert_image_dtype(image, tf.float32)
    image = tf.image.resize_with_pad(image, IMG_H, IMG_W)
    image = 1.0 - image
    chars = tf.strings.bytes_split(feats["image/text"])
    label = tf.cast(char_to_id(chars), tf.int32)
    return {"image": image, "label": label}


dataset = (
    tf.data.TFRecordDataset([RECORD_PATH])
    .map(parse_example, num_parallel_calls=tf.data.AUTOTUNE)
    .shuffle(NUM_EXAMPLES)
    .padded_batch(
        BATCH_SIZE,
        padded_shapes={"image": [IMG_H, IMG_W, 1], "label": [None]},
        padding_values={"image": 0.0, "label": 0},
    )
    .prefetch(tf.data.AUTOTUNE)
)
train_ds = dataset.take(4)
val_ds = dataset.skip(4)
sample = next(iter(train_ds))
print("image batch:", sample["image"].shape, "label batch:", sample["label"].shape)


# ---------------------------------------------------------------------------
# 3. model with a serializable CTC loss layer
# ---------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="ocr")
class CTCLossLayer(layers.Layer):
    def __init__(self, blank_index=0, **kwargs):
        super().__init__(**kwargs)
        self.blank_index = blank_index

    def call(self, labels, logits):
        labels = ops.cast(labels, "int32")
        label_len = ops.sum(ops.cast(ops.not_equal(labels, self.blank_index), "int32"), axis=1)
        batch = ops.shape(logits)[0]
        logit_len = ops.full((batch,), ops.shape(logits)[1], dtype="int32")
        loss = ops.ctc_loss(labels, logits, label_len, logit_len, mask_index=self.blank_index)
        self.add_loss(ops.mean(loss))
        return logits

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"blank_index": self.blank_index})
        return cfg


@keras.saving.register_keras_serializable(package="ocr")
class ColumnsToSequence(layers.Layer):
    """(B, H, W, C) feature map -> (B, W, H*C) sequence."""

    def call(self, x):
        x = ops.transpose(x, (0, 2, 1, 3))
        shape = ops.shape(x)
        return ops.reshape(x, (shape[0], shape[1], shape[2] * shape[3]))

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, w, h * c)


def build_training_model():
    image = keras.Input((IMG_H, IMG_W, 1), name="image")
    label = keras.Input((None,), dtype="int32", name="label")
    x = image
    for filters, pool in [(32, (2, 2)), (64, (2, 2)), (96, (2, 1))]:
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(pool_size=pool)(x)
    x = ColumnsToSequence(name="to_sequence")(x)          # (B, 24, 4*96)
    x = layers.Dense(96, activation="relu")(x)
    x = layers.Bidirectional(layers.LSTM(48, return_sequences=True), merge_mode="concat")(x)
    logits = layers.Dense(NUM_CLASSES, name="logits")(x)
    out = CTCLossLayer(blank_index=0, name="ctc")(label, logits)
    return keras.Model({"image": image, "label": label}, out, name="crnn_train")


train_model = build_training_model()
train_model.compile(optimizer=keras.optimizers.RMSprop(1e-3))
train_model.summary(expand_nested=False)
train_model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

# ---------------------------------------------------------------------------
# 4. export the inference graph and reload it
# ---------------------------------------------------------------------------
infer_model = keras.Model(
    train_model.get_layer("image").output,
    train_model.get_layer("logits").output,
    name="crnn_infer",
)
infer_model.save(MODEL_PATH)
restored = keras.models.load_model(MODEL_PATH)
print("restored:", restored.name, restored.input_shape, "->", restored.output_shape)


def beam_decode(logits, beam_width=BEAM_WIDTH, top_paths=2):
    lengths = ops.full((ops.shape(logits)[0],), ops.shape(logits)[1], dtype="int32")
    paths, scores = ops.ctc_decode(logits, lengths, strategy="beam_search",
                                   beam_width=beam_width, top_paths=top_paths, mask_index=0)
    # paths: (top_paths, B, T), padded with -1
    best = ops.convert_to_numpy(paths[0])
    words = []
    for row in best:
        row = row[row > 0]
        words.append(tf.strings.reduce_join(id_to_char(row)).numpy().decode())
    return words, ops.convert_to_numpy(scores)


batch = next(iter(val_ds))
logits_a = infer_model.predict(batch["image"], verbose=0)
logits_b = restored.predict(batch["image"], verbose=0)
np.testing.assert_allclose(logits_a, logits_b, atol=1e-5)
words, scores = beam_decode(logits_b)
truth = [tf.strings.reduce_join(id_to_char(r[r > 0])).numpy().decode() for r in batch["label"].numpy()]
print("beam scores shape:", scores.shape)
for w, t in list(zip(words, truth))[:4]:
    print(f"  {t:>8} -> {w!r}")
