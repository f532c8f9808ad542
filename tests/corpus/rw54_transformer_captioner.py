"""Image captioning with a CNN encoder and a Transformer decoder (Keras 3).

Encoder: a small residual CNN backbone (swap in a pretrained keras.applications
model for real data) whose spatial feature map is flattened into a token
sequence and passed through one Transformer encoder block. Decoder: token +
learned positional embeddings, causal self-attention, cross-attention to
image tokens.
Everything is written with keras.ops so it is backend-agnostic.
"""
import numpy as np
import keras
from keras import layers, ops

# --- hyper-parameters ---------------------------------------------------------
IMAGE_SIZE = (64, 64)
VOCAB_SIZE = 40
SEQ_LENGTH = 10          # tokens incl. <start>/<end>
EMBED_DIM = 64
FF_DIM = 128
NUM_HEADS = 2
BATCH_SIZE = 8
NUM_SAMPLES = 32
PAD, START, END = 0, 1, 2


class PositionalEmbedding(layers.Layer):
    def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = sequence_length
        self.vocab_size = vocab_size
        self.embed_dim = embed_dim
        self.token_embeddings = layers.Embedding(vocab_size, embed_dim)
        self.embed_scale = float(np.sqrt(embed_dim))
        # NOTE: no compute_mask here -- padding is handled in the loss, and a
        # propagated Keras mask would be re-applied on top of our scalar loss.

    def build(self, input_shape):
        self.token_embeddings.build(input_shape)
        self.position_embeddings = self.add_weight(
            name="pos_emb",
            shape=(self.sequence_length, self.embed_dim),
            initializer="glorot_uniform",
        )

    def call(self, inputs):
        length = ops.shape(inputs)[-1]
        tok = self.token_embeddings(inputs) * self.embed_scale
        pos = self.position_embeddings[:length]          # (L, D) broadcasts over batch
        return tok + pos[None, :, :]

    def get_config(self):
        cfg = super().get_config()
        cfg.update(sequence_length=self.sequence_length, vocab_size=self.vocab_size,
                   embed_dim=self.embed_dim)
        return cfg


class TransformerEncoderBlock(layers.Layer):
    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim,
                                                     dropout=0.0)
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.dense_1 = layers.Dense(embed_dim, activation="relu")

    def call(self, inputs, training=False):
        inputs = self.layernorm_1(inputs)
        inputs = self.dense_1(inputs)
        attn = self.attention_1(query=inputs, value=inputs, key=inputs, training=training)
        return self.layernorm_2(inputs + attn)


class TransformerDecoderBlock(layers.Layer):
    def __init__(self, embed_dim, ff_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.self_attn = layers.MultiHeadAttention(num_heads, key_dim=embed_dim // num_heads,
                                                   dropout=0.1)
        self.cross_attn = layers.MultiHeadAttention(num_heads, key_dim=embed_dim // num_heads,
                                                    dropout=0.1)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"),
                                     layers.Dropout(0.1),
                                     layers.Dense(embed_dim)])
        self.ln1 = layers.LayerNormalization(epsilon=1e-6)
        self.ln2 = layers.LayerNormalization(epsilon=1e-6)
        self.ln3 = layers.LayerNormalization(epsilon=1e-6)

    def call(self, x, enc_out, training=False):
        a = self.self_attn(query=x, value=x, key=x, use_causal_mask=True, training=training)
        x = self.ln1(x + a)
        c = self.cross_attn(query=x, value=enc_out, key=enc_out, training=training)
        x = self.ln2(x + c)
        return self.ln3(x + self.ffn(x, training=training))


def residual_block(x, filters, stride):
    shortcut = x
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
    return layers.ReLU()(layers.Add()([x, shortcut]))


def tiny_resnet(x, widths):
    for w in widths:
        x = residual_block(x, w, stride=2)
    return x


def build_captioner():
    image = keras.Input(shape=IMAGE_SIZE + (3,), name="image")
    tokens = keras.Input(shape=(SEQ_LENGTH - 1,), dtype="int32", name="caption_in")

    x = layers.Rescaling(2.0, offset=-1.0)(image)              # [0,1] -> [-1,1]
    fmap = tiny_resnet(x, widths=(16, 32, 64))                 # (B, 8, 8, 64)
    img_tokens = layers.Reshape((-1, fmap.shape[-1]), name="flatten_grid")(fmap)
    img_tokens = layers.Dense(EMBED_DIM, name="img_proj")(img_tokens)
    enc_out = TransformerEncoderBlock(EMBED_DIM, FF_DIM, NUM_HEADS, name="encoder")(img_tokens)

    y = PositionalEmbedding(SEQ_LENGTH, VOCAB_SIZE, EMBED_DIM, name="pos_embed")(tokens)
    y = TransformerDecoderBlock(EMBED_DIM, FF_DIM, NUM_HEADS, name="decoder_0")(y, enc_out)
    y = TransformerDecoderBlock(EMBED_DIM, FF_DIM, NUM_HEADS, name="decoder_1")(y, enc_out)
    logits = layers.Dense(VOCAB_SIZE, name="lm_head")(y)
    return keras.Model([image, tokens], logits, name="cnn_transformer_captioner")


def masked_sparse_ce(y_true, y_pred):
    loss = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
    mask = ops.cast(ops.not_equal(y_true, PAD), loss.dtype)
    return ops.sum(loss * mask) / ops.maximum(ops.sum(mask), 1.0)


def masked_accuracy(y_true, y_pred):
    y_true = ops.cast(y_true, "int32")
    pred = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
    mask = ops.cast(ops.not_equal(y_true, PAD), "float32")
    hits = ops.cast(ops.equal(y_true, pred), "float32") * mask
    return ops.sum(hits) / ops.maximum(ops.sum(mask), 1.0)


def fake_coco(n, rng):
    images = rng.random((n,) + IMAGE_SIZE + (3,)).astype("float32")
    caps = np.zeros((n, SEQ_LENGTH), dtype="int32")
    for i in range(n):
        length = rng.integers(3, SEQ_LENGTH - 1)
        body = rng.integers(3, VOCAB_SIZE, size=length)
        seq = np.concatenate([[START], body, [END]])
        caps[i, :len(seq)] = seq
    return images, caps


def greedy_caption(model, image, max_len=SEQ_LENGTH - 1):
    seq = np.zeros((1, SEQ_LENGTH - 1), dtype="int32")
    seq[0, 0] = START
    out = []
    for i in range(max_len - 1):
        logits = model.predict_on_batch({"image": image[None], "caption_in": seq})
        next_id = int(ops.argmax(logits[0, i]))
        if next_id == END:
            break
        out.append(next_id)
        seq[0, i + 1] = next_id
    return out


def main():
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    images, caps = fake_coco(NUM_SAMPLES, rng)
    # teacher forcing: decoder input is caption[:-1], target is caption[1:]
    x = {"image": images, "caption_in": caps[:, :-1]}
    y = caps[:, 1:]

    model = build_captioner()
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=3e-4, weight_decay=1e-4),
                  loss=masked_sparse_ce, metrics=[masked_accuracy])
    print("params:", model.count_params())
    model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, validation_split=0.25, verbose=2)

    print("reference tokens:", [int(t) for t in caps[0, 1:] if t not in (PAD, END)])
    print("generated tokens:", greedy_caption(model, images[0]))


if __name__ == "__main__":
    main()
