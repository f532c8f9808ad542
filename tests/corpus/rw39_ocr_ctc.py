# OCR model for reading captchas -- CNN + BiLSTM + CTC
# structure follows the keras.io "captcha_ocr" example; the captcha pngs are
# replaced by procedurally drawn digit-ish glyphs so it runs offline.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

img_width = 128
img_height = 32
max_length = 5
batch_size = 8
characters = sorted(set("0123456789abcdef"))

char_to_num = layers.StringLookup(vocabulary=list(characters), mask_token=None)
num_to_char = layers.StringLookup(vocabulary=char_to_num.get_vocabulary(), mask_token=None, invert=True)
print("vocab size:", char_to_num.vocabulary_size())

# each char gets a random 8x12 bitmap "font"
rng = np.random.RandomState(3)
FONT = {c: (rng.rand(12, 8) > 0.5).astype("float32") for c in characters}


def render(text):
    canvas = np.zeros((img_height, img_width), "float32")
    x = 4
    for ch in text:
        y = rng.randint(4, img_height - 14)
        canvas[y:y + 12, x:x + 8] = FONT[ch]
        x += 8 + rng.randint(8, 16)
    canvas += rng.normal(0, 0.1, canvas.shape)
    return np.clip(canvas, 0, 1)


labels = ["".join(rng.choice(characters, max_length)) for _ in range(48)]
images = np.stack([render(t) for t in labels])[..., None]


def encode_single_sample(img, label):
    # keras example transposes so that time axis == image width
    img = tf.image.convert_image_dtype(img, tf.float32)
    img = tf.transpose(img, perm=[1, 0, 2])
    label = char_to_num(tf.strings.unicode_split(label, input_encoding="UTF-8"))
    return {"image": img, "label": label}


train_dataset = tf.data.Dataset.from_tensor_slices((images[:40], labels[:40]))
train_dataset = (
    train_dataset.map(encode_single_sample, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(batch_size)
    .prefetch(buffer_size=tf.data.AUTOTUNE)
)
validation_dataset = tf.data.Dataset.from_tensor_slices((images[40:], labels[40:]))
validation_dataset = validation_dataset.map(encode_single_sample).batch(batch_size)


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    # same signature as the old keras.backend.ctc_batch_cost, but using tf.nn.ctc_loss
    # with dense labels (blank = last class, like keras did)
    label_length = tf.cast(tf.squeeze(label_length, axis=-1), tf.int32)
    input_length = tf.cast(tf.squeeze(input_length, axis=-1), tf.int32)
    logits = tf.math.log(y_pred + keras.backend.epsilon())
    loss = tf.nn.ctc_loss(
        labels=tf.cast(y_true, tf.int32),
        logits=logits,
        label_length=label_length,
        logit_length=input_length,
        logits_time_major=False,
        blank_index=-1,
    )
    return tf.expand_dims(loss, 1)


class CTCLayer(layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = ctc_batch_cost

    def call(self, y_true, y_pred):
        batch_len = tf.cast(tf.shape(y_true)[0], dtype="int64")
        input_length = tf.cast(tf.shape(y_pred)[1], dtype="int64")
        label_length = tf.cast(tf.shape(y_true)[1], dtype="int64")
        input_length = input_length * tf.ones(shape=(batch_len, 1), dtype="int64")
        label_length = label_length * tf.ones(shape=(batch_len, 1), dtype="int64")
        loss = self.loss_fn(y_true, y_pred, input_length, label_length)
        self.add_loss(tf.reduce_mean(loss))
        return y_pred


def build_model():
    input_img = layers.Input(shape=(img_width, img_height, 1), name="image", dtype="float32")
    labels_in = layers.Input(name="label", shape=(None,), dtype="float32")

    x = layers.Conv2D(32, (3, 3), activation="relu", kernel_initializer="he_normal", padding="same", name="Conv1")(input_img)
    x = layers.MaxPooling2D((2, 2), name="pool1")(x)
    x = layers.Conv2D(64, (3, 3), activation="relu", kernel_initializer="he_normal", padding="same", name="Conv2")(x)
    x = layers.MaxPooling2D((2, 2), name="pool2")(x)

    # two maxpools with stride 2 -> downsampled by 4
    new_shape = ((img_width // 4), (img_height // 4) * 64)
    x = layers.Reshape(target_shape=new_shape, name="reshape")(x)
    x = layers.Dense(64, activation="relu", name="dense1")(x)
    x = layers.Dropout(0.2)(x)

    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True, dropout=0.25))(x)

    x = layers.Dense(char_to_num.vocabulary_size() + 1, activation="softmax", name="dense2")(x)
    output = CTCLayer(name="ctc_loss")(labels_in, x)
    model = keras.models.Model(inputs=[input_img, labels_in], outputs=output, name="ocr_model_v1")
    model.compile(optimizer=keras.optimizers.Adam())
    return model


model = build_model()
model.summary()
early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
model.fit(train_dataset, validation_data=validation_dataset, epochs=2, callbacks=[early_stopping], verbose=2)

prediction_model = keras.models.Model(model.input[0], model.get_layer(name="dense2").output)


def decode_batch_predictions(pred):
    input_len = np.ones(pred.shape[0]) * pred.shape[1]
    results, _ = tf.nn.ctc_greedy_decoder(
        tf.math.log(tf.transpose(pred, [1, 0, 2]) + 1e-7),
        sequence_length=tf.cast(input_len, tf.int32),
    )
    dense = tf.sparse.to_dense(results[0], default_value=-1)[:, :max_length]
    output_text = []
    for res in dense:
        res = tf.strings.reduce_join(num_to_char(res[res >= 0])).numpy().decode("utf-8")
        output_text.append(res)
    return output_text


for batch in validation_dataset.take(1):
    preds = prediction_model.predict(batch["image"], verbose=0)
    print("softmax over time:", preds.shape)
    pred_texts = decode_batch_predictions(preds)
    orig = [tf.strings.reduce_join(num_to_char(l)).numpy().decode("utf-8") for l in batch["label"]]
    for p, o in zip(pred_texts, orig):
        print(f"true={o!r:8} pred={p!r}")
