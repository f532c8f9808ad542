"""Sequence-to-sequence Transformer for toy English -> "Pig-Latin-ish" translation.

Modelled on the keras.io English-to-Spanish example: two TextVectorization
layers (source / target with [start] [end] markers), a PositionalEmbedding
layer, a TransformerEncoder and a TransformerDecoder with causal
self-attention, trained with model.fit and decoded greedily.
All ops inside the custom layers are keras.ops so the code is backend-agnostic.
"""
import random
import re
import string

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SEED = 11
random.seed(SEED)
keras.utils.set_random_seed(SEED)

VOCAB_SIZE = 400
SEQUENCE_LENGTH = 12
BATCH_SIZE = 32
EMBED_DIM = 64
LATENT_DIM = 128
NUM_HEADS = 4
EPOCHS = 1

# ----------------------------------------------------------------------------
# Synthetic parallel corpus
# ----------------------------------------------------------------------------
NOUNS = "cat dog house tree car book river city friend teacher child garden".split()
VERBS = "sees likes finds wants reads paints builds visits".split()
ADJS = "big small red old new happy quiet green".split()


def to_pig_latin(word):
    if word[0] in "aeiou":
        return word + "way"
    return word[1:] + word[0] + "ay"


def make_pair():
    words = ["the", random.choice(ADJS), random.choice(NOUNS), random.choice(VERBS),
             "a", random.choice(NOUNS)]
    if random.random() < 0.5:
        words += ["in", "the", random.choice(NOUNS)]
    src = " ".join(words)
    tgt = "[start] " + " ".join(to_pig_latin(w) for w in words) + " [end]"
    return src, tgt


text_pairs = [make_pair() for _ in range(800)]
random.shuffle(text_pairs)
num_val = int(0.15 * len(text_pairs))
train_pairs, val_pairs = text_pairs[num_val:], text_pairs[:num_val]
print(f"{len(train_pairs)} training pairs, {len(val_pairs)} validation pairs")
print("example:", random.choice(train_pairs))

strip_chars = string.punctuation.replace("[", "").replace("]", "")


def target_standardization(input_string):
    lowercase = tf.strings.lower(input_string)
    return tf.strings.regex_replace(lowercase, "[%s]" % re.escape(strip_chars), "")


source_vectorization = layers.TextVectorization(
    max_tokens=VOCAB_SIZE, output_mode="int", output_sequence_length=SEQUENCE_LENGTH)
target_vectorization = layers.TextVectorization(
    max_tokens=VOCAB_SIZE, output_mode="int", output_sequence_length=SEQUENCE_LENGTH + 1,
    standardize=target_standardization)
source_vectorization.adapt([p[0] for p in train_pairs])
target_vectorization.adapt([p[1] for p in train_pairs])


def format_dataset(src, tgt):
    src = source_vectorization(src)
    tgt = target_vectorization(tgt)
    # decoder input is target shifted right; label is target shifted left
    return ({"encoder_inputs": src, "decoder_inputs": tgt[:, :-1]}, tgt[:, 1:])


def make_dataset(pairs):
    src_texts, tgt_texts = zip(*pairs)
    ds = tf.data.Dataset.from_tensor_slices((list(src_texts), list(tgt_texts)))
    ds = ds.batch(BATCH_SIZE).map(format_dataset, num_parallel_calls=4)
    return ds.shuffle(64).prefetch(16).cache()


train_ds = make_dataset(train_pairs)
val_ds = make_dataset(val_pairs)
inputs_spec, targets_spec = train_ds.element_spec
print("encoder_inputs:", inputs_spec["encoder_inputs"].shape,
      "decoder_inputs:", inputs_spec["decoder_inputs"].shape, "targets:", targets_spec.shape)


# ----------------------------------------------------------------------------
# Layers
# ----------------------------------------------------------------------------
class PositionalEmbedding(layers.Layer):
    def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_embeddings = layers.Embedding(vocab_size, embed_dim)
        self.position_embeddings = layers.Embedding(sequence_length, embed_dim)
        self.sequence_length = sequence_length
        self.vocab_size = vocab_size
        self.embed_dim = embed_dim

    def call(self, inputs):
        length = ops.shape(inputs)[-1]
        positions = ops.arange(0, length, 1)
        return self.token_embeddings(inputs) + self.position_embeddings(positions)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)

    def get_config(self):
        config = super().get_config()
        config.update(sequence_length=self.sequence_length, vocab_size=self.vocab_size,
                      embed_dim=self.embed_dim)
        return config


class TransformerEncoder(layers.Layer):
    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential([layers.Dense(dense_dim, activation="relu"),
                                            layers.Dense(embed_dim)])
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, mask=None):
        padding_mask = None
        if mask is not None:
            padding_mask = ops.cast(mask[:, None, :], dtype="int32")
        attention_output = self.attention(query=inputs, value=inputs, key=inputs,
                                          attention_mask=padding_mask)
        proj_input = self.layernorm_1(inputs + attention_output)
        return self.layernorm_2(proj_input + self.dense_proj(proj_input))


class TransformerDecoder(layers.Layer):
    def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.attention_2 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential([layers.Dense(latent_dim, activation="relu"),
                                            layers.Dense(embed_dim)])
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.layernorm_3 = layers.LayerNormalization()
        self.supports_masking = True

    def get_causal_attention_mask(self, inputs):
        input_shape = ops.shape(inputs)
        batch_size, sequence_length = input_shape[0], input_shape[1]
        i = ops.arange(sequence_length)[:, None]
        j = ops.arange(sequence_length)
        mask = ops.cast(i >= j, dtype="int32")
        mask = ops.reshape(mask, (1, sequence_length, sequence_length))
        return ops.broadcast_to(mask, (batch_size, sequence_length, sequence_length))

    def call(self, inputs, mask=None, encoder_outputs=None, encoder_mask=None):
        causal_mask = self.get_causal_attention_mask(inputs)
        if mask is not None:
            padding_mask = ops.cast(mask[:, None, :], dtype="int32")
            padding_mask = ops.minimum(padding_mask, causal_mask)
        else:
            padding_mask = causal_mask
        cross_mask = None
        if encoder_mask is not None:
            cross_mask = ops.cast(encoder_mask[:, None, :], dtype="int32")

        attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs,
                                              attention_mask=padding_mask)
        out_1 = self.layernorm_1(inputs + attention_output_1)
        attention_output_2 = self.attention_2(query=out_1, value=encoder_outputs,
                                              key=encoder_outputs, attention_mask=cross_mask)
        out_2 = self.layernorm_2(out_1 + attention_output_2)
        return self.layernorm_3(out_2 + self.dense_proj(out_2))


# ----------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------
encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="encoder_inputs")
x = PositionalEmbedding(SEQUENCE_LENGTH, VOCAB_SIZE, EMBED_DIM)(encoder_inputs)
encoder_outputs = TransformerEncoder(EMBED_DIM, LATENT_DIM, NUM_HEADS)(x)
encoder_pad_mask = layers.Lambda(lambda t: ops.not_equal(t, 0), name="enc_pad_mask")(encoder_inputs)

decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
x = PositionalEmbedding(SEQUENCE_LENGTH, VOCAB_SIZE, EMBED_DIM)(decoder_inputs)
x = TransformerDecoder(EMBED_DIM, LATENT_DIM, NUM_HEADS)(
    x, encoder_outputs=encoder_outputs, encoder_mask=encoder_pad_mask)
x = layers.Dropout(0.5)(x)
decoder_outputs = layers.Dense(VOCAB_SIZE, activation="softmax")(x)

transformer = keras.Model({"encoder_inputs": encoder_inputs, "decoder_inputs": decoder_inputs},
                          decoder_outputs, name="transformer")
transformer.summary()
transformer.compile("rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
transformer.fit(train_ds, epochs=EPOCHS, validation_data=val_ds, verbose=2)

# ----------------------------------------------------------------------------
# Greedy decoding
# ----------------------------------------------------------------------------
tgt_vocab = target_vectorization.get_vocabulary()
tgt_index_lookup = dict(zip(range(len(tgt_vocab)), tgt_vocab))


def decode_sequence(input_sentence):
    tokenized_input_sentence = source_vectorization([input_sentence])
    decoded_sentence = "[start]"
    for i in range(SEQUENCE_LENGTH):
        tokenized_target_sentence = target_vectorization([decoded_sentence])[:, :-1]
        predictions = transformer({"encoder_inputs": tokenized_input_sentence,
                                   "decoder_inputs": tokenized_target_sentence})
        sampled_token_index = int(np.argmax(ops.convert_to_numpy(predictions[0, i, :])))
        sampled_token = tgt_index_lookup[sampled_token_index]
        decoded_sentence += " " + sampled_token
        if sampled_token == "[end]":
            break
    return decoded_sentence


for src, ref in val_pairs[:2]:
    print("src :", src)
    print("ref :", ref)
    print("pred:", decode_sequence(src))
