"""Show, Attend and Tell -- image captioning with Bahdanau attention.

Follows the structure of the old TensorFlow captioning tutorial:
  * CNN encoder -> grid of region features (B, 64, D)
  * GRU decoder with additive attention over the regions
  * teacher forcing, masked sparse CE, greedy decoding at inference
The InceptionV3 feature extractor is replaced by a small Conv2D stack trained
from scratch, and COCO captions by a toy vocabulary of shape/color phrases.
"""
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

IMG_SHAPE = (64, 64, 3)
EMBED_DIM = 64
UNITS = 96
MAX_LEN = 8
BATCH = 8
STEPS = 4

COLORS = ["red", "green", "blue"]
SHAPES = ["square", "circle", "bar"]


def synth_image_and_caption(rng):
    c, s = rng.integers(3), rng.integers(3)
    img = np.zeros(IMG_SHAPE, np.float32)
    y0, x0 = rng.integers(8, 40, size=2)
    if SHAPES[s] == "square":
        img[y0:y0 + 16, x0:x0 + 16, c] = 1.0
    elif SHAPES[s] == "bar":
        img[y0:y0 + 4, 4:60, c] = 1.0
    else:
        yy, xx = np.mgrid[:64, :64]
        img[..., c] = ((yy - y0 - 8) ** 2 + (xx - x0 - 8) ** 2 < 64).astype(np.float32)
    caption = f"<start> a {COLORS[c]} {SHAPES[s]} on black <end>"
    return img, caption


class CNN_Encoder(tf.keras.Model):
    """Conv backbone; flattens the 8x8 spatial grid into 64 'regions'."""

    def __init__(self, embedding_dim):
        super().__init__()
        self.backbone = tf.keras.Sequential([
            layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
            layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
            layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        ])
        self.fc = layers.Dense(embedding_dim, activation="relu")

    def call(self, x):
        x = self.backbone(x)                               # (B, 8, 8, 64)
        b = tf.shape(x)[0]
        x = tf.reshape(x, (b, -1, x.shape[-1]))            # (B, 64, 64)
        return self.fc(x)


class BahdanauAttention(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.W1 = layers.Dense(units)
        self.W2 = layers.Dense(units)
        self.V = layers.Dense(1)

    def call(self, features, hidden):
        # features: (B, R, E), hidden: (B, U) -> broadcast over regions
        hidden_with_time_axis = tf.expand_dims(hidden, 1)
        attention_hidden_layer = tf.nn.tanh(self.W1(features) + self.W2(hidden_with_time_axis))
        score = self.V(attention_hidden_layer)             # (B, R, 1)
        attention_weights = tf.nn.softmax(score, axis=1)
        context_vector = tf.reduce_sum(attention_weights * features, axis=1)
        return context_vector, attention_weights


class RNN_Decoder(tf.keras.Model):
    def __init__(self, embedding_dim, units, vocab_size):
        super().__init__()
        self.units = units
        self.embedding = layers.Embedding(vocab_size, embedding_dim)
        self.gru = layers.GRU(units, return_sequences=True, return_state=True,
                              recurrent_initializer="glorot_uniform")
        self.fc1 = layers.Dense(units)
        self.fc2 = layers.Dense(vocab_size)
        self.attention = BahdanauAttention(units)

    def call(self, x, features, hidden):
        context_vector, attention_weights = self.attention(features, hidden)
        x = self.embedding(x)                                            # (B, 1, E)
        x = tf.concat([tf.expand_dims(context_vector, 1), x], axis=-1)   # (B, 1, E+E)
        output, state = self.gru(x, initial_state=hidden)
        x = self.fc1(output)
        x = tf.reshape(x, (-1, x.shape[2]))
        return self.fc2(x), state, attention_weights

    def reset_state(self, batch_size):
        return tf.zeros((batch_size, self.units))


def main():
    rng = np.random.default_rng(1)
    pairs = [synth_image_and_caption(rng) for _ in range(BATCH * STEPS)]
    images = np.stack([p[0] for p in pairs])
    captions = [p[1] for p in pairs]

    tokenizer = layers.TextVectorization(
        max_tokens=50, output_sequence_length=MAX_LEN, standardize=None)
    tokenizer.adapt(captions)
    vocab = tokenizer.get_vocabulary()
    word_to_index = {w: i for i, w in enumerate(vocab)}
    print("vocab size:", len(vocab))

    cap_vectors = tokenizer(tf.constant(captions))
    dataset = (tf.data.Dataset.from_tensor_slices((images, cap_vectors))
               .shuffle(100).batch(BATCH, drop_remainder=True))

    encoder = CNN_Encoder(EMBED_DIM)
    decoder = RNN_Decoder(EMBED_DIM, UNITS, len(vocab))
    optimizer = tf.keras.optimizers.Adam()
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, reduction="none")

    def loss_function(real, pred):
        mask = tf.math.logical_not(tf.math.equal(real, 0))
        loss_ = loss_object(real, pred)
        mask = tf.cast(mask, dtype=loss_.dtype)
        return tf.reduce_mean(loss_ * mask)

    start_id = word_to_index["<start>"]

    @tf.function
    def train_step(img_tensor, target):
        loss = 0.0
        hidden = decoder.reset_state(batch_size=target.shape[0])
        dec_input = tf.expand_dims([start_id] * target.shape[0], 1)
        with tf.GradientTape() as tape:
            features = encoder(img_tensor)
            for i in range(1, target.shape[1]):
                predictions, hidden, _ = decoder(dec_input, features, hidden)
                loss += loss_function(target[:, i], predictions)
                dec_input = tf.expand_dims(target[:, i], 1)   # teacher forcing
        total_loss = loss / int(target.shape[1])
        trainable_variables = encoder.trainable_variables + decoder.trainable_variables
        gradients = tape.gradient(loss, trainable_variables)
        optimizer.apply_gradients(zip(gradients, trainable_variables))
        return loss, total_loss

    for epoch in range(1):
        total = 0.0
        for batch, (img_tensor, target) in enumerate(dataset):
            batch_loss, t_loss = train_step(img_tensor, target)
            total += float(t_loss)
            print(f"epoch {epoch + 1} batch {batch} loss {float(batch_loss) / MAX_LEN:.4f}")
        print(f"epoch {epoch + 1} mean loss {total / STEPS:.4f}")

    # greedy decoding for one image
    def evaluate(image):
        attention_plot = np.zeros((MAX_LEN, 64))
        hidden = decoder.reset_state(batch_size=1)
        features = encoder(image[None])
        dec_input = tf.expand_dims([start_id], 0)
        result = []
        for i in range(MAX_LEN):
            predictions, hidden, attn = decoder(dec_input, features, hidden)
            attention_plot[i] = tf.reshape(attn, (-1,)).numpy()
            predicted_id = int(tf.argmax(predictions[0]))
            word = vocab[predicted_id]
            result.append(word)
            if word == "<end>":
                return result, attention_plot[:len(result)]
            dec_input = tf.expand_dims([predicted_id], 0)
        return result, attention_plot[:len(result)]

    words, attn = evaluate(images[0])
    print("reference :", captions[0])
    print("prediction:", " ".join(words))
    print("attention map per token:", attn.shape, "-> 8x8 grid", attn.reshape(-1, 8, 8).shape)


if __name__ == "__main__":
    main()
