"""
Image captioning: small CNN encoder -> transformer encoder block -> transformer
decoder w/ causal mask. Custom train_step with masked loss/accuracy.
Based on keras.io/examples/vision/image_captioning (EfficientNet swapped for a
toy CNN so it runs without downloading weights).
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers
from keras.layers import TextVectorization

IMAGE_SIZE = (64, 64)
VOCAB_SIZE = 50
SEQ_LENGTH = 12
EMBED_DIM = 64
FF_DIM = 128
BATCH_SIZE = 4

colors = ["red", "green", "blue"]
shapes_ = ["square", "bar", "blob"]
positions = ["left", "right", "top", "bottom"]


def fake_pair(i):
    c, s, p = colors[i % 3], shapes_[(i // 3) % 3], positions[(i // 9) % 4]
    img = np.random.rand(*IMAGE_SIZE, 3).astype("float32") * 0.1
    img[..., colors.index(c)] += 0.8
    caption = f"<start> a {c} {s} on the {p} <end>"
    return img, caption


pairs = [fake_pair(i) for i in range(24)]
images = np.stack([p[0] for p in pairs])
captions = [p[1] for p in pairs]

vectorization = TextVectorization(
    max_tokens=VOCAB_SIZE,
    output_mode="int",
    output_sequence_length=SEQ_LENGTH,
    standardize=lambda s: tf.strings.regex_replace(tf.strings.lower(s), r"[!\"#$%&()*+.,\-/:;=?@\[\\\]^_`{|}~]", ""),
)
vectorization.adapt(captions)
vocab = vectorization.get_vocabulary()
print("vocab:", len(vocab), vocab[:10])

ds = tf.data.Dataset.from_tensor_slices((images, captions))
ds = ds.map(lambda img, cap: (img, vectorization(cap))).shuffle(32).batch(BATCH_SIZE)


def get_cnn_model():
    inp = keras.Input(shape=(*IMAGE_SIZE, 3))
    x = inp
    for f in (32, 64, 96):
        x = layers.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    # (8, 8, 96) -> 64 "patches"
    x = layers.Reshape((-1, x.shape[-1]))(x)
    return keras.Model(inp, x, name="cnn_encoder")


class TransformerEncoderBlock(layers.Layer):
    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim, dropout=0.0)
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.dense_1 = layers.Dense(embed_dim, activation="relu")

    def call(self, inputs, training=None, mask=None):
        inputs = self.layernorm_1(inputs)
        inputs = self.dense_1(inputs)
        attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs, training=training)
        return self.layernorm_2(inputs + attention_output_1)


class PositionalEmbedding(layers.Layer):
    def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_embeddings = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.position_embeddings = layers.Embedding(input_dim=sequence_length, output_dim=embed_dim)
        self.embed_scale = tf.math.sqrt(tf.cast(embed_dim, tf.float32))

    def call(self, inputs):
        length = tf.shape(inputs)[-1]
        positions = tf.range(start=0, limit=length, delta=1)
        embedded_tokens = self.token_embeddings(inputs) * self.embed_scale
        return embedded_tokens + self.position_embeddings(positions)


class TransformerDecoderBlock(layers.Layer):
    def __init__(self, embed_dim, ff_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim, dropout=0.1)
        self.attention_2 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim, dropout=0.1)
        self.ffn_layer_1 = layers.Dense(ff_dim, activation="relu")
        self.ffn_layer_2 = layers.Dense(embed_dim)
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.layernorm_3 = layers.LayerNormalization()
        self.embedding = PositionalEmbedding(SEQ_LENGTH, VOCAB_SIZE, embed_dim)
        self.out = layers.Dense(VOCAB_SIZE, activation="softmax")

    def get_causal_attention_mask(self, inputs):
        input_shape = tf.shape(inputs)
        batch_size, sequence_length = input_shape[0], input_shape[1]
        i = tf.range(sequence_length)[:, tf.newaxis]
        j = tf.range(sequence_length)
        mask = tf.cast(i >= j, dtype="int32")
        mask = tf.reshape(mask, (1, sequence_length, sequence_length))
        mult = tf.concat([tf.expand_dims(batch_size, -1), tf.constant([1, 1], dtype=tf.int32)], axis=0)
        return tf.tile(mask, mult)

    def call(self, inputs, encoder_outputs, training=None, mask=None):
        inputs = self.embedding(inputs)
        causal_mask = self.get_causal_attention_mask(inputs)
        padding_mask = tf.cast(mask[:, :, tf.newaxis], dtype=tf.int32)
        combined_mask = tf.minimum(tf.cast(mask[:, tf.newaxis, :], dtype=tf.int32), causal_mask)

        attn1 = self.attention_1(query=inputs, value=inputs, key=inputs, attention_mask=combined_mask, training=training)
        out_1 = self.layernorm_1(inputs + attn1)
        attn2 = self.attention_2(query=out_1, value=encoder_outputs, key=encoder_outputs,
                                 attention_mask=padding_mask, training=training)
        out_2 = self.layernorm_2(out_1 + attn2)
        ffn_out = self.ffn_layer_2(self.ffn_layer_1(out_2))
        ffn_out = self.layernorm_3(ffn_out + out_2, training=training)
        return self.out(ffn_out)


class ImageCaptioningModel(keras.Model):
    def __init__(self, cnn_model, encoder, decoder):
        super().__init__()
        self.cnn_model, self.encoder, self.decoder = cnn_model, encoder, decoder
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc_tracker = keras.metrics.Mean(name="accuracy")

    def calculate_loss(self, y_true, y_pred, mask):
        loss = self.loss(y_true, y_pred)
        mask = tf.cast(mask, dtype=loss.dtype)
        loss *= mask
        return tf.reduce_sum(loss) / tf.reduce_sum(mask)

    def calculate_accuracy(self, y_true, y_pred, mask):
        accuracy = tf.equal(y_true, tf.argmax(y_pred, axis=2))
        accuracy = tf.math.logical_and(mask, accuracy)
        accuracy = tf.cast(accuracy, dtype=tf.float32)
        mask = tf.cast(mask, dtype=tf.float32)
        return tf.reduce_sum(accuracy) / tf.reduce_sum(mask)

    def train_step(self, batch_data):
        batch_img, batch_seq = batch_data
        with tf.GradientTape() as tape:
            img_embed = self.encoder(self.cnn_model(batch_img), training=True)
            seq_inp, seq_true = batch_seq[:, :-1], batch_seq[:, 1:]
            mask = tf.math.not_equal(seq_true, 0)
            seq_pred = self.decoder(seq_inp, img_embed, training=True, mask=tf.math.not_equal(seq_inp, 0))
            loss = self.calculate_loss(seq_true, seq_pred, mask)
            acc = self.calculate_accuracy(seq_true, seq_pred, mask)
        train_vars = self.encoder.trainable_variables + self.decoder.trainable_variables + self.cnn_model.trainable_variables
        grads = tape.gradient(loss, train_vars)
        self.optimizer.apply_gradients(zip(grads, train_vars))
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(acc)
        return {"loss": self.loss_tracker.result(), "acc": self.acc_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]


cnn_model = get_cnn_model()
encoder = TransformerEncoderBlock(embed_dim=EMBED_DIM, dense_dim=FF_DIM, num_heads=1)
decoder = TransformerDecoderBlock(embed_dim=EMBED_DIM, ff_dim=FF_DIM, num_heads=2)
caption_model = ImageCaptioningModel(cnn_model=cnn_model, encoder=encoder, decoder=decoder)
cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=False, reduction="none")
caption_model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=cross_entropy)
caption_model.fit(ds, epochs=2, verbose=2)

# greedy decoding
index_lookup = dict(zip(range(len(vocab)), vocab))
img = tf.expand_dims(images[5], 0)
encoded_img = encoder(cnn_model(img), training=False)
print("encoded image tokens:", encoded_img.shape)
decoded_caption = "<start>"
for i in range(SEQ_LENGTH - 1):
    tokenized = vectorization([decoded_caption])[:, :-1]
    mask = tf.math.not_equal(tokenized, 0)
    predictions = decoder(tokenized, encoded_img, training=False, mask=mask)
    sampled_token = index_lookup[int(np.argmax(predictions[0, i, :]))]
    if sampled_token == "<end>":
        break
    decoded_caption += " " + sampled_token
print("predicted:", decoded_caption.replace("<start> ", ""), "| truth:", captions[5])
