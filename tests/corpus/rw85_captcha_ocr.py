"""
Captcha OCR with a CNN + BiLSTM and an end-to-end CTC layer.

Adapted from the classic keras.io "OCR model for reading Captchas" example.
The original downloads the captcha_images_v2 dataset; here we render fake
captchas with numpy so the script runs offline (and fast) on a laptop.
"""

import string

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

# ---------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------
SEED = 1337
IMG_WIDTH = 128
IMG_HEIGHT = 32
MAX_LENGTH = 5
NUM_SAMPLES = 64
BATCH_SIZE = 16
EPOCHS = 1
DOWNSAMPLE_FACTOR = 4  # two 2x2 max-pools

CHARACTERS = sorted(set(string.digits + "bcdefgmnpwxy"))

np.random.seed(SEED)
tf.random.set_seed(SEED)


# ---------------------------------------------------------------------------
# Fake captcha generator
# ---------------------------------------------------------------------------
def make_glyph_bank(chars, h=20, w=14, rng=None):
    """Give every character a random-but-fixed binary 'glyph' bitmap."""
    rng = rng or np.random.default_rng(0)
    bank = {}
    for c in chars:
        g = (rng.random((h, w)) > 0.6).astype(np.float32)
        # thicken strokes a bit so it looks less like salt & pepper
        g = np.maximum(g, np.roll(g, 1, axis=0))
        bank[c] = g
    return bank


def render_captcha(text, bank, rng):
    img = rng.normal(0.9, 0.05, size=(IMG_HEIGHT, IMG_WIDTH)).astype(np.float32)
    x = rng.integers(2, 10)
    for ch in text:
        g = bank[ch]
        gh, gw = g.shape
        y = rng.integers(0, IMG_HEIGHT - gh)
        img[y:y + gh, x:x + gw] -= 0.7 * g
        x += gw + rng.integers(1, 6)
    # some noise lines like a real captcha
    for _ in range(2):
        row = rng.integers(0, IMG_HEIGHT)
        img[row, :] -= 0.3
    img = np.clip(img, 0.0, 1.0)
    return (img * 255).astype(np.uint8)


def build_fake_dataset(n, rng):
    bank = make_glyph_bank(CHARACTERS)
    images, labels = [], []
    for _ in range(n):
        text = "".join(rng.choice(CHARACTERS, size=MAX_LENGTH))
        images.append(render_captcha(text, bank, rng))
        labels.append(text)
    return np.stack(images), np.array(labels)


rng = np.random.default_rng(SEED)
images, labels = build_fake_dataset(NUM_SAMPLES, rng)
print("Number of images found:", len(images))
print("Number of unique characters:", len(CHARACTERS))
print("Characters present:", CHARACTERS)

# ---------------------------------------------------------------------------
# Char <-> int mapping
# ---------------------------------------------------------------------------
char_to_num = layers.StringLookup(vocabulary=list(CHARACTERS), mask_token=None)
num_to_char = layers.StringLookup(
    vocabulary=char_to_num.get_vocabulary(), mask_token=None, invert=True
)


def split_data(images, labels, train_size=0.9, shuffle=True):
    size = len(images)
    indices = np.arange(size)
    if shuffle:
        np.random.shuffle(indices)
    train_samples = int(size * train_size)
    x_train, y_train = images[indices[:train_samples]], labels[indices[:train_samples]]
    x_valid, y_valid = images[indices[train_samples:]], labels[indices[train_samples:]]
    return x_train, x_valid, y_train, y_valid


x_train, x_valid, y_train, y_valid = split_data(images, labels)


def encode_single_sample(img, label):
    # uint8 (H, W) -> float32 (H, W, 1) in [0, 1]
    img = tf.image.convert_image_dtype(img[..., tf.newaxis], tf.float32)
    img = tf.image.resize(img, [IMG_HEIGHT, IMG_WIDTH])
    # Transpose so the time dimension corresponds to image width
    img = tf.transpose(img, perm=[1, 0, 2])
    label = char_to_num(tf.strings.unicode_split(label, input_encoding="UTF-8"))
    return {"image": img, "label": label}


train_dataset = (
    tf.data.Dataset.from_tensor_slices((x_train, y_train))
    .map(encode_single_sample, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(BATCH_SIZE)
    .prefetch(buffer_size=tf.data.AUTOTUNE)
)
validation_dataset = (
    tf.data.Dataset.from_tensor_slices((x_valid, y_valid))
    .map(encode_single_sample, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(BATCH_SIZE)
    .prefetch(buffer_size=tf.data.AUTOTUNE)
)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """Drop-in replacement for the old keras.backend.ctc_batch_cost.

    The Keras 3 port of the tutorial builds a SparseTensor by hand with
    tf.compat.v1.scan; tf.nn.ctc_loss accepts dense labels directly so we
    skip that dance. y_pred is softmax output, so take the log ourselves and
    treat the *last* class as the blank (like the old backend function).
    """
    label_length = ops.cast(ops.squeeze(label_length, axis=-1), dtype="int32")
    input_length = ops.cast(ops.squeeze(input_length, axis=-1), dtype="int32")
    y_true = ops.cast(y_true, "int32")
    log_probs = ops.log(y_pred + keras.backend.epsilon())
    loss = tf.nn.ctc_loss(
        labels=y_true,
        logits=log_probs,
        label_length=label_length,
        logit_length=input_length,
        logits_time_major=False,
        blank_index=-1,
    )
    return ops.expand_dims(loss, 1)


class CTCLayer(layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = ctc_batch_cost

    def call(self, y_true, y_pred):
        # Compute the training-time loss value and add it to the layer using
        # `self.add_loss()`.
        batch_len = ops.cast(ops.shape(y_true)[0], dtype="int64")
        input_length = ops.cast(ops.shape(y_pred)[1], dtype="int64")
        label_length = ops.cast(ops.shape(y_true)[1], dtype="int64")

        input_length = input_length * ops.ones(shape=(batch_len, 1), dtype="int64")
        label_length = label_length * ops.ones(shape=(batch_len, 1), dtype="int64")

        loss = self.loss_fn(y_true, y_pred, input_length, label_length)
        self.add_loss(loss)

        # At test time, just return the computed predictions
        return y_pred


def build_model():
    input_img = layers.Input(shape=(IMG_WIDTH, IMG_HEIGHT, 1), name="image", dtype="float32")
    labels = layers.Input(name="label", shape=(None,), dtype="float32")

    # First conv block
    x = layers.Conv2D(32, (3, 3), activation="relu", kernel_initializer="he_normal",
                      padding="same", name="Conv1")(input_img)
    x = layers.MaxPooling2D((2, 2), name="pool1")(x)

    # Second conv block
    x = layers.Conv2D(64, (3, 3), activation="relu", kernel_initializer="he_normal",
                      padding="same", name="Conv2")(x)
    x = layers.MaxPooling2D((2, 2), name="pool2")(x)

    # Two maxpools with pool size and strides 2 -> downsampled feature maps are
    # 4x smaller. Reshape accordingly before passing to the RNNs.
    new_shape = ((IMG_WIDTH // DOWNSAMPLE_FACTOR), (IMG_HEIGHT // DOWNSAMPLE_FACTOR) * 64)
    x = layers.Reshape(target_shape=new_shape, name="reshape")(x)
    x = layers.Dense(64, activation="relu", name="dense1")(x)
    x = layers.Dropout(0.2)(x)

    # RNNs
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True, dropout=0.25))(x)
    x = layers.Bidirectional(layers.LSTM(32, return_sequences=True, dropout=0.25))(x)

    # +2: one for OOV token from StringLookup, one for the CTC blank
    x = layers.Dense(len(char_to_num.get_vocabulary()) + 1, activation="softmax",
                     name="dense2")(x)

    output = CTCLayer(name="ctc_loss")(labels, x)

    model = keras.models.Model(inputs=[input_img, labels], outputs=output,
                               name="ocr_model_v1")
    model.compile(optimizer=keras.optimizers.Adam())
    return model


model = build_model()
model.summary()

early_stopping = keras.callbacks.EarlyStopping(
    monitor="val_loss", patience=10, restore_best_weights=True
)
history = model.fit(
    train_dataset,
    validation_data=validation_dataset,
    epochs=EPOCHS,
    callbacks=[early_stopping],
    verbose=2,
)

# ---------------------------------------------------------------------------
# Inference
# ---------------------------------------------------------------------------
prediction_model = keras.models.Model(
    model.input[0], model.get_layer(name="dense2").output
)


def ctc_decode(y_pred, input_length, greedy=True):
    input_shape = ops.shape(y_pred)
    num_samples, num_steps = input_shape[0], input_shape[1]
    y_pred = ops.log(ops.transpose(y_pred, axes=[1, 0, 2]) + keras.backend.epsilon())
    input_length = ops.cast(input_length, dtype="int32")

    if greedy:
        (decoded, log_prob) = tf.nn.ctc_greedy_decoder(
            inputs=y_pred, sequence_length=input_length
        )
    else:
        (decoded, log_prob) = tf.compat.v1.nn.ctc_beam_search_decoder(
            inputs=y_pred, sequence_length=input_length, beam_width=20, top_paths=1
        )
    decoded_dense = []
    for st in decoded:
        st = tf.SparseTensor(st.indices, st.values, (num_samples, num_steps))
        decoded_dense.append(tf.sparse.to_dense(sp_input=st, default_value=-1))
    return (decoded_dense, log_prob)


def decode_batch_predictions(pred):
    input_len = np.ones(pred.shape[0]) * pred.shape[1]
    results = ctc_decode(pred, input_length=input_len, greedy=True)[0][0][:, :MAX_LENGTH]
    output_text = []
    for res in results:
        res = tf.strings.reduce_join(num_to_char(res)).numpy().decode("utf-8")
        output_text.append(res)
    return output_text


for batch in validation_dataset.take(1):
    batch_images = batch["image"]
    batch_labels = batch["label"]

    preds = prediction_model.predict(batch_images, verbose=0)
    print("raw prediction shape:", preds.shape)
    pred_texts = decode_batch_predictions(preds)

    orig_texts = []
    for label in batch_labels:
        label = tf.strings.reduce_join(num_to_char(label)).numpy().decode("utf-8")
        orig_texts.append(label)

    for i in range(min(4, len(pred_texts))):
        print(f"Prediction: {pred_texts[i]!r:10}  Truth: {orig_texts[i]}")
