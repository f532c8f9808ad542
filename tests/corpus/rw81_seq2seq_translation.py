"""Seq2seq Transformer for a toy "English -> Pig-Latin-ish" translation task.

Follows the structure of the classic keras.io English-to-Spanish example, but the
parallel corpus is generated on the fly: target sentences are the source words
translated through a fixed lexicon and emitted in reverse order, so the model has to
learn both word mapping and re-ordering through cross-attention.

Key pieces:
  - TextVectorization with a custom standardizer that keeps [start]/[end]
  - PositionalEmbedding with mask_zero=True (padding mask propagated via Keras masking)
  - decoder self-attention with an explicit lower-triangular causal mask
  - greedy decoding loop at inference
"""
import random
import re
import string

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

random.seed(42)
tf.random.set_seed(42)

VOCAB_SIZE = 200
SEQ_LEN = 12
EMBED_DIM = 64
LATENT_DIM = 128
NUM_HEADS = 4
BATCH_SIZE = 64
N_PAIRS = 1200

SRC_WORDS = ["i", "you", "we", "they", "see", "like", "want", "the", "a", "red", "big",
             "small", "house", "car", "dog", "tree", "book", "today", "now", "green"]
LEXICON = {w: (w[1:] + w[0] + "ay") if len(w) > 1 else w + "way" for w in SRC_WORDS}


def make_pairs(n):
    pairs = []
    for _ in range(n):
        length = random.randint(3, 7)
        src = [random.choice(SRC_WORDS) for _ in range(length)]
        tgt = [LEXICON[w] for w in reversed(src)]
        pairs.append((" ".join(src), "[start] " + " ".join(tgt) + " [end]"))
    return pairs


pairs = make_pairs(N_PAIRS)
random.shuffle(pairs)
n_val = int(0.15 * len(pairs))
train_pairs, val_pairs = pairs[:-n_val], pairs[-n_val:]
print(f"{len(train_pairs)} training pairs, {len(val_pairs)} validation pairs")
print("example:", train_pairs[0])

strip_chars = string.punctuation.replace("[", "").replace("]", "")


def custom_standardization(input_string):
    lowercase = tf.strings.lower(input_string)
    return tf.strings.regex_replace(lowercase, "[%s]" % re.escape(strip_chars), "")


source_vectorization = layers.TextVectorization(
    max_tokens=VOCAB_SIZE, output_mode="int", output_sequence_length=SEQ_LEN
)
target_vectorization = layers.TextVectorization(
    max_tokens=VOCAB_SIZE,
    output_mode="int",
    output_sequence_length=SEQ_LEN + 1,  # +1 because we shift by one for teacher forcing
    standardize=custom_standardization,
)
source_vectorization.adapt([p[0] for p in train_pairs])
target_vectorization.adapt([p[1] for p in train_pairs])


def format_dataset(src, tgt):
    src = source_vectorization(src)
    tgt = target_vectorization(tgt)
    return ({"encoder_inputs": src, "decoder_inputs": tgt[:, :-1]}, tgt[:, 1:])


def make_dataset(pairs):
    src_texts, tgt_texts = zip(*pairs)
    ds = tf.data.Dataset.from_tensor_slices((list(src_texts), list(tgt_texts)))
    ds = ds.batch(BATCH_SIZE).map(format_dataset, num_parallel_calls=4)
    return ds.cache().shuffle(64).prefetch(16)


train_ds = make_dataset(train_pairs)
val_ds = make_dataset(val_pairs)
for inputs, targets in train_ds.take(1):
    print("encoder_inputs:", inputs["encoder_inputs"].shape)
    print("decoder_inputs:", inputs["decoder_inputs"].shape)
    print("targets:", targets.shape)


class PositionalEmbedding(layers.Layer):
    def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_embeddings = layers.Embedding(vocab_size, embed_dim)
        self.position_embeddings = layers.Embedding(sequence_length, embed_dim)
        self.sequence_length = sequence_length
        self.vocab_size = vocab_size
        self.embed_dim = embed_dim

    def call(self, inputs):
        length = tf.shape(inputs)[-1]
        positions = tf.range(start=0, limit=length, delta=1)
        return self.token_embeddings(inputs) + self.position_embeddings(positions)

    def compute_mask(self, inputs, mask=None):
        # keras.ops so this also works on symbolic KerasTensors in Keras 3
        return keras.ops.not_equal(inputs, 0)

    def get_config(self):
        config = super().get_config()
        config.update({"sequence_length": self.sequence_length,
                       "vocab_size": self.vocab_size, "embed_dim": self.embed_dim})
        return config


class TransformerEncoder(layers.Layer):
    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential(
            [layers.Dense(dense_dim, activation="relu"), layers.Dense(embed_dim)]
        )
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, mask=None):
        padding_mask = None
        if mask is not None:
            padding_mask = tf.cast(mask[:, None, :], dtype="int32")
        attention_output = self.attention(query=inputs, value=inputs, key=inputs,
                                          attention_mask=padding_mask)
        proj_input = self.layernorm_1(inputs + attention_output)
        proj_output = self.dense_proj(proj_input)
        return self.layernorm_2(proj_input + proj_output)


class TransformerDecoder(layers.Layer):
    def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.attention_2 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential(
            [layers.Dense(latent_dim, activation="relu"), layers.Dense(embed_dim)]
        )
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.layernorm_3 = layers.LayerNormalization()
        self.supports_masking = True

    def get_causal_attention_mask(self, inputs):
        input_shape = tf.shape(inputs)
        batch_size, sequence_length = input_shape[0], input_shape[1]
        i = tf.range(sequence_length)[:, None]
        j = tf.range(sequence_length)
        mask = tf.cast(i >= j, dtype="int32")
        mask = tf.reshape(mask, (1, input_shape[1], input_shape[1]))
        mult = tf.concat(
            [tf.expand_dims(batch_size, -1), tf.constant([1, 1], dtype=tf.int32)], axis=0
        )
        return tf.tile(mask, mult)

    def call(self, inputs, encoder_outputs, mask=None, encoder_mask=None):
        causal_mask = self.get_causal_attention_mask(inputs)
        combined_mask = causal_mask
        if mask is not None:
            padding_mask = tf.cast(mask[:, None, :], dtype="int32")
            combined_mask = tf.minimum(padding_mask, causal_mask)
        cross_mask = None
        if encoder_mask is not None:
            cross_mask = tf.cast(encoder_mask[:, None, :], dtype="int32")

        attention_output_1 = self.attention_1(
            query=inputs, value=inputs, key=inputs, attention_mask=combined_mask
        )
        out_1 = self.layernorm_1(inputs + attention_output_1)
        attention_output_2 = self.attention_2(
            query=out_1, value=encoder_outputs, key=encoder_outputs, attention_mask=cross_mask
        )
        out_2 = self.layernorm_2(out_1 + attention_output_2)
        proj_output = self.dense_proj(out_2)
        return self.layernorm_3(out_2 + proj_output)


# ---- functional model -------------------------------------------------------
encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="encoder_inputs")
src_emb = PositionalEmbedding(SEQ_LEN, VOCAB_SIZE, EMBED_DIM, name="src_embedding")(encoder_inputs)
encoder_outputs = TransformerEncoder(EMBED_DIM, LATENT_DIM, NUM_HEADS)(src_emb)
encoder_pad_mask = layers.Lambda(lambda t: tf.not_equal(t, 0), name="src_pad_mask")(encoder_inputs)

decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
tgt_emb = PositionalEmbedding(SEQ_LEN, VOCAB_SIZE, EMBED_DIM, name="tgt_embedding")(decoder_inputs)
x = TransformerDecoder(EMBED_DIM, LATENT_DIM, NUM_HEADS)(
    tgt_emb, encoder_outputs, encoder_mask=encoder_pad_mask
)
x = layers.Dropout(0.3)(x)
decoder_outputs = layers.Dense(VOCAB_SIZE, activation="softmax")(x)
transformer = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="transformer")

transformer.summary(line_length=110)
transformer.compile(
    optimizer="rmsprop",
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
transformer.fit(train_ds, epochs=3, validation_data=val_ds, verbose=2)


# ---- greedy decoding ---------------------------------------------------------
tgt_vocab = target_vectorization.get_vocabulary()
tgt_index_lookup = dict(zip(range(len(tgt_vocab)), tgt_vocab))
max_decoded_sentence_length = SEQ_LEN


def decode_sequence(input_sentence):
    tokenized_input_sentence = source_vectorization([input_sentence])
    decoded_sentence = "[start]"
    for i in range(max_decoded_sentence_length):
        tokenized_target_sentence = target_vectorization([decoded_sentence])[:, :-1]
        predictions = transformer([tokenized_input_sentence, tokenized_target_sentence])
        sampled_token_index = np.argmax(predictions[0, i, :])
        sampled_token = tgt_index_lookup[sampled_token_index]
        decoded_sentence += " " + sampled_token
        if sampled_token == "[end]":
            break
    return decoded_sentence


for src, ref in random.sample(val_pairs, 3):
    print("src :", src)
    print("ref :", ref)
    print("pred:", decode_sequence(src))
    print("-")
