"""A tiny encoder-decoder Transformer written from scratch (no keras MultiHeadAttention).

Follows the structure of the well-known TF "Transformer model for language
understanding" tutorial: numpy sinusoidal positional encodings, explicit padding
and look-ahead masks, scaled dot-product attention via tf.matmul, a warmup LR
schedule, and a greedy autoregressive decode at the end.

Toy task: sort a sequence of integer tokens.
"""
import numpy as np
import tensorflow as tf

keras = tf.keras

# ----------------------------------------------------------------------------
# hyper-parameters
# ----------------------------------------------------------------------------
NUM_LAYERS = 2
D_MODEL = 64
NUM_HEADS = 4
DFF = 128
DROPOUT = 0.1
VOCAB = 24              # ids 0..2 reserved
PAD, BOS, EOS = 0, 1, 2
SEQ_LEN = 10
N_TRAIN = 512
BATCH = 64
STEPS = 6


def get_angles(pos, i, d_model):
    angle_rates = 1 / np.power(10000, (2 * (i // 2)) / np.float32(d_model))
    return pos * angle_rates


def positional_encoding(position, d_model):
    angle_rads = get_angles(np.arange(position)[:, np.newaxis],
                            np.arange(d_model)[np.newaxis, :],
                            d_model)
    # apply sin to even indices in the array; 2i
    angle_rads[:, 0::2] = np.sin(angle_rads[:, 0::2])
    # apply cos to odd indices in the array; 2i+1
    angle_rads[:, 1::2] = np.cos(angle_rads[:, 1::2])
    pos_encoding = angle_rads[np.newaxis, ...]
    return tf.cast(pos_encoding, dtype=tf.float32)


def create_padding_mask(seq):
    seq = tf.cast(tf.math.equal(seq, PAD), tf.float32)
    # add extra dimensions to add the padding to the attention logits.
    return seq[:, tf.newaxis, tf.newaxis, :]  # (batch_size, 1, 1, seq_len)


def create_look_ahead_mask(size):
    mask = 1 - tf.linalg.band_part(tf.ones((size, size)), -1, 0)
    return mask  # (seq_len, seq_len)


def create_masks(inp, tar):
    enc_padding_mask = create_padding_mask(inp)
    dec_padding_mask = create_padding_mask(inp)
    look_ahead_mask = create_look_ahead_mask(tf.shape(tar)[1])
    dec_target_padding_mask = create_padding_mask(tar)
    combined_mask = tf.maximum(dec_target_padding_mask, look_ahead_mask)
    return enc_padding_mask, combined_mask, dec_padding_mask


def scaled_dot_product_attention(q, k, v, mask):
    """q: (..., seq_len_q, depth), k: (..., seq_len_k, depth), v: (..., seq_len_v, depth_v)"""
    matmul_qk = tf.matmul(q, k, transpose_b=True)  # (..., seq_len_q, seq_len_k)
    dk = tf.cast(tf.shape(k)[-1], tf.float32)
    scaled_attention_logits = matmul_qk / tf.math.sqrt(dk)
    if mask is not None:
        scaled_attention_logits += (mask * -1e9)
    attention_weights = tf.nn.softmax(scaled_attention_logits, axis=-1)
    output = tf.matmul(attention_weights, v)  # (..., seq_len_q, depth_v)
    return output, attention_weights


class MultiHeadAttention(keras.layers.Layer):
    def __init__(self, d_model, num_heads):
        super().__init__()
        assert d_model % num_heads == 0
        self.num_heads = num_heads
        self.d_model = d_model
        self.depth = d_model // num_heads
        self.wq = keras.layers.Dense(d_model)
        self.wk = keras.layers.Dense(d_model)
        self.wv = keras.layers.Dense(d_model)
        self.dense = keras.layers.Dense(d_model)

    def split_heads(self, x, batch_size):
        """(batch, seq, d_model) -> (batch, num_heads, seq, depth)"""
        x = tf.reshape(x, (batch_size, -1, self.num_heads, self.depth))
        return tf.transpose(x, perm=[0, 2, 1, 3])

    def call(self, v, k, q, mask):
        batch_size = tf.shape(q)[0]
        q = self.split_heads(self.wq(q), batch_size)
        k = self.split_heads(self.wk(k), batch_size)
        v = self.split_heads(self.wv(v), batch_size)
        scaled_attention, attention_weights = scaled_dot_product_attention(q, k, v, mask)
        scaled_attention = tf.transpose(scaled_attention, perm=[0, 2, 1, 3])
        concat_attention = tf.reshape(scaled_attention, (batch_size, -1, self.d_model))
        return self.dense(concat_attention), attention_weights


def point_wise_feed_forward_network(d_model, dff):
    return keras.Sequential([
        keras.layers.Dense(dff, activation="relu"),
        keras.layers.Dense(d_model),
    ])


class EncoderLayer(keras.layers.Layer):
    def __init__(self, d_model, num_heads, dff, rate=0.1):
        super().__init__()
        self.mha = MultiHeadAttention(d_model, num_heads)
        self.ffn = point_wise_feed_forward_network(d_model, dff)
        self.layernorm1 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = keras.layers.Dropout(rate)
        self.dropout2 = keras.layers.Dropout(rate)

    def call(self, x, training, mask):
        attn_output, _ = self.mha(x, x, x, mask)
        out1 = self.layernorm1(x + self.dropout1(attn_output, training=training))
        ffn_output = self.ffn(out1)
        return self.layernorm2(out1 + self.dropout2(ffn_output, training=training))


class DecoderLayer(keras.layers.Layer):
    def __init__(self, d_model, num_heads, dff, rate=0.1):
        super().__init__()
        self.mha1 = MultiHeadAttention(d_model, num_heads)
        self.mha2 = MultiHeadAttention(d_model, num_heads)
        self.ffn = point_wise_feed_forward_network(d_model, dff)
        self.layernorm1 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.layernorm3 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = keras.layers.Dropout(rate)
        self.dropout2 = keras.layers.Dropout(rate)
        self.dropout3 = keras.layers.Dropout(rate)

    def call(self, x, enc_output, training, look_ahead_mask, padding_mask):
        attn1, w1 = self.mha1(x, x, x, look_ahead_mask)
        out1 = self.layernorm1(self.dropout1(attn1, training=training) + x)
        attn2, w2 = self.mha2(enc_output, enc_output, out1, padding_mask)
        out2 = self.layernorm2(self.dropout2(attn2, training=training) + out1)
        ffn_output = self.ffn(out2)
        out3 = self.layernorm3(self.dropout3(ffn_output, training=training) + out2)
        return out3, w1, w2


class Encoder(keras.layers.Layer):
    def __init__(self, num_layers, d_model, num_heads, dff, vocab_size, max_pos, rate=0.1):
        super().__init__()
        self.d_model = d_model
        self.num_layers = num_layers
        self.embedding = keras.layers.Embedding(vocab_size, d_model)
        self.pos_encoding = positional_encoding(max_pos, d_model)
        self.enc_layers = [EncoderLayer(d_model, num_heads, dff, rate) for _ in range(num_layers)]
        self.dropout = keras.layers.Dropout(rate)

    def call(self, x, training, mask):
        seq_len = tf.shape(x)[1]
        x = self.embedding(x)
        x *= tf.math.sqrt(tf.cast(self.d_model, tf.float32))
        x += self.pos_encoding[:, :seq_len, :]
        x = self.dropout(x, training=training)
        for layer in self.enc_layers:
            x = layer(x, training=training, mask=mask)
        return x


class Decoder(keras.layers.Layer):
    def __init__(self, num_layers, d_model, num_heads, dff, vocab_size, max_pos, rate=0.1):
        super().__init__()
        self.d_model = d_model
        self.embedding = keras.layers.Embedding(vocab_size, d_model)
        self.pos_encoding = positional_encoding(max_pos, d_model)
        self.dec_layers = [DecoderLayer(d_model, num_heads, dff, rate) for _ in range(num_layers)]
        self.dropout = keras.layers.Dropout(rate)

    def call(self, x, enc_output, training, look_ahead_mask, padding_mask):
        seq_len = tf.shape(x)[1]
        attention_weights = {}
        x = self.embedding(x)
        x *= tf.math.sqrt(tf.cast(self.d_model, tf.float32))
        x += self.pos_encoding[:, :seq_len, :]
        x = self.dropout(x, training=training)
        for i, layer in enumerate(self.dec_layers):
            x, b1, b2 = layer(x, enc_output, training=training,
                              look_ahead_mask=look_ahead_mask, padding_mask=padding_mask)
            attention_weights[f"decoder_layer{i + 1}_block1"] = b1
            attention_weights[f"decoder_layer{i + 1}_block2"] = b2
        return x, attention_weights


class Transformer(keras.Model):
    def __init__(self, num_layers, d_model, num_heads, dff, vocab_size, max_pos, rate=0.1):
        super().__init__()
        self.encoder = Encoder(num_layers, d_model, num_heads, dff, vocab_size, max_pos, rate)
        self.decoder = Decoder(num_layers, d_model, num_heads, dff, vocab_size, max_pos, rate)
        self.final_layer = keras.layers.Dense(vocab_size)

    def call(self, inputs, training=False):
        inp, tar = inputs
        enc_padding_mask, look_ahead_mask, dec_padding_mask = create_masks(inp, tar)
        enc_output = self.encoder(inp, training=training, mask=enc_padding_mask)
        dec_output, attention_weights = self.decoder(
            tar, enc_output, training=training,
            look_ahead_mask=look_ahead_mask, padding_mask=dec_padding_mask)
        return self.final_layer(dec_output), attention_weights


class CustomSchedule(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, d_model, warmup_steps=4000):
        super().__init__()
        self.d_model = tf.cast(d_model, tf.float32)
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = tf.cast(step, tf.float32) + 1.0
        arg1 = tf.math.rsqrt(step)
        arg2 = step * (self.warmup_steps ** -1.5)
        return tf.math.rsqrt(self.d_model) * tf.math.minimum(arg1, arg2)


def loss_function(real, pred):
    mask = tf.math.logical_not(tf.math.equal(real, PAD))
    loss_ = keras.losses.sparse_categorical_crossentropy(real, pred, from_logits=True)
    mask = tf.cast(mask, dtype=loss_.dtype)
    loss_ *= mask
    return tf.reduce_sum(loss_) / tf.reduce_sum(mask)


def accuracy_function(real, pred):
    accuracies = tf.equal(real, tf.cast(tf.argmax(pred, axis=2), real.dtype))
    mask = tf.math.logical_not(tf.math.equal(real, PAD))
    accuracies = tf.cast(tf.math.logical_and(mask, accuracies), tf.float32)
    return tf.reduce_sum(accuracies) / tf.reduce_sum(tf.cast(mask, tf.float32))


def make_data(n, rng):
    """variable-length integer sequences; target is the sorted sequence wrapped in BOS/EOS"""
    src, tgt = [], []
    for _ in range(n):
        length = rng.integers(3, SEQ_LEN + 1)
        seq = rng.integers(3, VOCAB, size=length)
        src.append(seq.tolist())
        tgt.append([BOS] + sorted(seq.tolist()) + [EOS])
    src = keras.utils.pad_sequences(src, maxlen=SEQ_LEN, padding="post", value=PAD)
    tgt = keras.utils.pad_sequences(tgt, maxlen=SEQ_LEN + 2, padding="post", value=PAD)
    return src.astype("int64"), tgt.astype("int64")


def greedy_decode(model, src_ids, max_len=SEQ_LEN + 2):
    encoder_input = tf.convert_to_tensor(src_ids)[tf.newaxis, :]
    output = tf.constant([[BOS]], dtype=tf.int64)
    for _ in range(max_len - 1):
        predictions, attn = model((encoder_input, output), training=False)
        predictions = predictions[:, -1:, :]  # (1, 1, vocab)
        predicted_id = tf.argmax(predictions, axis=-1)
        output = tf.concat([output, predicted_id], axis=-1)
        if int(predicted_id[0, 0]) == EOS:
            break
    return output.numpy()[0], attn


def main():
    rng = np.random.default_rng(42)
    tf.random.set_seed(42)
    src, tgt = make_data(N_TRAIN, rng)
    print("src", src.shape, "tgt", tgt.shape)
    print("look-ahead mask (4x4):\n", create_look_ahead_mask(4).numpy())

    ds = (tf.data.Dataset.from_tensor_slices((src, tgt))
          .shuffle(N_TRAIN, seed=0)
          .batch(BATCH, drop_remainder=True)
          .repeat()
          .prefetch(tf.data.AUTOTUNE))

    transformer = Transformer(NUM_LAYERS, D_MODEL, NUM_HEADS, DFF, VOCAB,
                              max_pos=64, rate=DROPOUT)
    learning_rate = CustomSchedule(D_MODEL, warmup_steps=200)
    optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.9, beta_2=0.98, epsilon=1e-9)
    train_loss = keras.metrics.Mean(name="train_loss")
    train_accuracy = keras.metrics.Mean(name="train_accuracy")

    train_step_signature = [
        tf.TensorSpec(shape=(None, None), dtype=tf.int64),
        tf.TensorSpec(shape=(None, None), dtype=tf.int64),
    ]

    @tf.function(input_signature=train_step_signature)
    def train_step(inp, tar):
        tar_inp = tar[:, :-1]
        tar_real = tar[:, 1:]
        with tf.GradientTape() as tape:
            predictions, _ = transformer((inp, tar_inp), training=True)
            loss = loss_function(tar_real, predictions)
        gradients = tape.gradient(loss, transformer.trainable_variables)
        optimizer.apply_gradients(zip(gradients, transformer.trainable_variables))
        train_loss(loss)
        train_accuracy(accuracy_function(tar_real, predictions))

    for step, (inp, tar) in enumerate(ds.take(STEPS)):
        train_step(inp, tar)
        if step % 2 == 0:
            print(f"step {step:3d} loss {float(train_loss.result()):.4f} "
                  f"acc {float(train_accuracy.result()):.4f}")

    transformer.summary()
    sample = src[0]
    decoded, attn = greedy_decode(transformer, sample)
    print("input   :", sample[sample != PAD].tolist())
    print("decoded :", [t for t in decoded.tolist() if t not in (PAD, BOS, EOS)])
    for name, w in attn.items():
        print(f"{name}: {tuple(w.shape)}")


if __name__ == "__main__":
    main()
