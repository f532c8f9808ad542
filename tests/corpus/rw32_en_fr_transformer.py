# English -> French toy translator, transformer encoder/decoder.
# Adapted from the keras.io "English-to-Spanish translation with a sequence-to-sequence
# Transformer" tutorial, shrunk way down so it runs on a laptop in seconds.
import random
import re
import string

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.layers import Dense, Dropout, Embedding, LayerNormalization, MultiHeadAttention

SEQ_LEN = 12
VOCAB_SIZE = 300
EMBED_DIM = 32
LATENT_DIM = 64
NUM_HEADS = 2
BATCH_SIZE = 8

random.seed(0)
tf.random.set_seed(0)

raw_pairs = """i am hungry\tj'ai faim
i am tired\tje suis fatigué
she is happy\telle est heureuse
he is tall\til est grand
we are friends\tnous sommes amis
they are here\tils sont ici
the cat is black\tle chat est noir
the dog is small\tle chien est petit
i like apples\tj'aime les pommes
she likes music\telle aime la musique
we eat bread\tnous mangeons du pain
you are late\ttu es en retard
the house is big\tla maison est grande
i see the sea\tje vois la mer
he reads a book\til lit un livre
the car is red\tla voiture est rouge
it is cold\til fait froid
i drink water\tje bois de l'eau
the sun is hot\tle soleil est chaud
we love paris\tnous aimons paris"""

text_pairs = []
for line in raw_pairs.strip().split("\n"):
    eng, fra = line.split("\t")
    text_pairs.append((eng, "[start] " + fra + " [end]"))
random.shuffle(text_pairs)
n_val = 4
train_pairs, val_pairs = text_pairs[:-n_val], text_pairs[-n_val:]
print(f"{len(train_pairs)} train pairs, {len(val_pairs)} val pairs")

strip_chars = string.punctuation.replace("[", "").replace("]", "").replace("'", "")


def custom_standardization(input_string):
    lowercase = tf.strings.lower(input_string)
    return tf.strings.regex_replace(lowercase, "[%s]" % re.escape(strip_chars), "")


eng_vectorization = layers.TextVectorization(
    max_tokens=VOCAB_SIZE, output_mode="int", output_sequence_length=SEQ_LEN
)
fra_vectorization = layers.TextVectorization(
    max_tokens=VOCAB_SIZE,
    output_mode="int",
    output_sequence_length=SEQ_LEN + 1,
    standardize=custom_standardization,
)
eng_vectorization.adapt([p[0] for p in train_pairs + val_pairs])
fra_vectorization.adapt([p[1] for p in train_pairs + val_pairs])
ENG_VOCAB = eng_vectorization.vocabulary_size()
FRA_VOCAB = fra_vectorization.vocabulary_size()


def format_dataset(eng, fra):
    eng = eng_vectorization(eng)
    fra = fra_vectorization(fra)
    return ({"encoder_inputs": eng, "decoder_inputs": fra[:, :-1]}, fra[:, 1:])


def make_dataset(pairs):
    eng_texts, fra_texts = zip(*pairs)
    ds = tf.data.Dataset.from_tensor_slices((list(eng_texts), list(fra_texts)))
    ds = ds.batch(BATCH_SIZE).map(format_dataset)
    return ds.cache().prefetch(tf.data.AUTOTUNE)


train_ds = make_dataset(train_pairs)
val_ds = make_dataset(val_pairs)


class PositionalEmbedding(layers.Layer):
    def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_embeddings = Embedding(vocab_size, embed_dim)
        self.position_embeddings = Embedding(sequence_length, embed_dim)
        self.sequence_length = sequence_length

    def call(self, inputs):
        positions = tf.range(start=0, limit=tf.shape(inputs)[-1], delta=1)
        return self.token_embeddings(inputs) + self.position_embeddings(positions)

    def compute_mask(self, inputs, mask=None):
        return keras.ops.not_equal(inputs, 0)


class TransformerEncoder(layers.Layer):
    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.attention = MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential([Dense(dense_dim, activation="relu"), Dense(embed_dim)])
        self.norm_1 = LayerNormalization()
        self.norm_2 = LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, mask=None):
        padding_mask = None
        if mask is not None:
            padding_mask = tf.cast(mask[:, tf.newaxis, :], dtype="int32")
        attn = self.attention(query=inputs, value=inputs, key=inputs, attention_mask=padding_mask)
        proj_input = self.norm_1(inputs + attn)
        return self.norm_2(proj_input + self.dense_proj(proj_input))


class TransformerDecoder(layers.Layer):
    def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.self_attn = MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.cross_attn = MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential([Dense(latent_dim, activation="relu"), Dense(embed_dim)])
        self.norms = [LayerNormalization() for _ in range(3)]
        self.supports_masking = True

    def call(self, inputs, encoder_outputs, mask=None, encoder_mask=None):
        # causal mask handled by MHA itself via use_causal_mask
        x = self.self_attn(inputs, inputs, use_causal_mask=True,
                           attention_mask=None if mask is None else mask[:, tf.newaxis, :])
        x = self.norms[0](inputs + x)
        cross_mask = None if encoder_mask is None else encoder_mask[:, tf.newaxis, :]
        y = self.cross_attn(query=x, value=encoder_outputs, key=encoder_outputs,
                            attention_mask=cross_mask)
        y = self.norms[1](x + y)
        return self.norms[2](y + self.ffn(y))


def build_transformer():
    encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="encoder_inputs")
    enc_emb = PositionalEmbedding(SEQ_LEN, ENG_VOCAB, EMBED_DIM, name="src_embed")
    x = enc_emb(encoder_inputs)
    enc_mask = enc_emb.compute_mask(encoder_inputs)
    encoder_outputs = TransformerEncoder(EMBED_DIM, LATENT_DIM, NUM_HEADS, name="encoder")(x, mask=enc_mask)

    decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
    dec_emb = PositionalEmbedding(SEQ_LEN, FRA_VOCAB, EMBED_DIM, name="tgt_embed")
    y = dec_emb(decoder_inputs)
    dec_mask = dec_emb.compute_mask(decoder_inputs)
    y = TransformerDecoder(EMBED_DIM, LATENT_DIM, NUM_HEADS, name="decoder")(
        y, encoder_outputs, mask=dec_mask, encoder_mask=enc_mask
    )
    y = Dropout(0.3)(y)
    logits = Dense(FRA_VOCAB, activation="softmax", name="probs")(y)
    return keras.Model([encoder_inputs, decoder_inputs], logits, name="transformer")


transformer = build_transformer()
transformer.compile(
    optimizer="rmsprop",
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
transformer.fit(train_ds, epochs=1, validation_data=val_ds, verbose=2)

fra_vocab = fra_vectorization.get_vocabulary()
fra_index_lookup = dict(zip(range(len(fra_vocab)), fra_vocab))
MAX_DECODED = SEQ_LEN


def decode_sequence(input_sentence):
    tokenized_input = eng_vectorization([input_sentence])
    decoded = "[start]"
    for i in range(MAX_DECODED):
        tokenized_target = fra_vectorization([decoded])[:, :-1]
        preds = transformer([tokenized_input, tokenized_target], training=False)
        sampled_token_index = int(np.argmax(preds[0, i, :]))
        sampled_token = fra_index_lookup[sampled_token_index]
        decoded += " " + sampled_token
        if sampled_token == "[end]":
            break
    return decoded


for eng, fra in val_pairs[:3]:
    out = decode_sequence(eng)
    print(f"{eng:>20s} | ref: {fra[8:-6]:<24s} | hyp: {out.replace('[start]', '').strip()}")
