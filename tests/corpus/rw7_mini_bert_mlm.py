"""Mini BERT-style masked language model (MLM) pretraining toy.

TextVectorization adapted on a handful of sentences, a custom BERT-ish masking
function (80/10/10), and a stack of MultiHeadAttention encoder blocks with
learned position embeddings. Trains one epoch and prints top predictions
for a masked sentence.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

config = {
    "max_len": 16,
    "vocab_size": 200,
    "embed_dim": 32,
    "num_heads": 2,
    "ff_dim": 64,
    "num_layers": 2,
    "batch_size": 8,
    "lr": 1e-3,
    "mask_prob": 0.15,
}

texts = [
    "this movie was great and i loved it",
    "the plot was boring and the acting was bad",
    "what a wonderful film with amazing music",
    "i did not like the ending at all",
    "the actors did a fantastic job",
    "terrible script but nice camera work",
    "one of the best movies i have seen this year",
    "worst movie ever do not watch it",
    "the story was simple but very touching",
    "i would watch it again with my friends",
    "a slow start but a strong finish",
    "the music and the visuals were stunning",
] * 4

vectorizer = layers.TextVectorization(
    max_tokens=config["vocab_size"],
    output_mode="int",
    output_sequence_length=config["max_len"],
    standardize="lower_and_strip_punctuation",
)
# reserve a [mask] token at the end of the vocabulary
vectorizer.adapt(texts)
vocab = vectorizer.get_vocabulary()
vocab = vocab[2: config["vocab_size"] - 1] + ["[mask]"]
vectorizer.set_vocabulary(vocab)
vocab = vectorizer.get_vocabulary()
VOCAB_SIZE = len(vocab)
MASK_ID = vocab.index("[mask]")
id2tok = dict(enumerate(vocab))
print(f"vocab={VOCAB_SIZE}, mask id={MASK_ID}")


def mask_input_and_labels(encoded, mask_prob=config["mask_prob"]):
    """BERT-style masking. Returns (inputs, labels, sample_weights)."""
    encoded = np.array(encoded)
    inp_mask = np.random.rand(*encoded.shape) < mask_prob
    inp_mask[encoded <= 1] = False  # never mask pad / OOV
    # make sure each row masks at least one real token
    for r in range(encoded.shape[0]):
        if not inp_mask[r].any():
            real = np.where(encoded[r] > 1)[0]
            if len(real):
                inp_mask[r, np.random.choice(real)] = True
    labels = -1 * np.ones_like(encoded)
    labels[inp_mask] = encoded[inp_mask]

    masked = np.copy(encoded)
    to_mask = inp_mask & (np.random.rand(*encoded.shape) < 0.90)
    masked[to_mask] = MASK_ID
    # 10% of those get a random token instead
    rand_tok = to_mask & (np.random.rand(*encoded.shape) < 1 / 9)
    masked[rand_tok] = np.random.randint(3, MASK_ID, rand_tok.sum())

    sample_weights = np.ones_like(labels, dtype="float32")
    sample_weights[labels == -1] = 0.0
    y = np.copy(encoded)
    return masked, y, sample_weights


encoded = vectorizer(np.array(texts)).numpy()
x_masked, y_labels, w = mask_input_and_labels(encoded)
mlm_ds = (
    tf.data.Dataset.from_tensor_slices((x_masked, y_labels, w))
    .shuffle(100)
    .batch(config["batch_size"])
)


def bert_module(query, key, value, i):
    attn = layers.MultiHeadAttention(
        num_heads=config["num_heads"],
        key_dim=config["embed_dim"] // config["num_heads"],
        name=f"encoder_{i}_multiheadattention",
    )(query, key, value)
    attn = layers.Dropout(0.1, name=f"encoder_{i}_att_dropout")(attn)
    attn = layers.LayerNormalization(epsilon=1e-6, name=f"encoder_{i}_att_layernormalization")(query + attn)

    ffn = keras.Sequential(
        [layers.Dense(config["ff_dim"], activation="gelu"), layers.Dense(config["embed_dim"])],
        name=f"encoder_{i}_ffn",
    )
    ffn_out = ffn(attn)
    ffn_out = layers.Dropout(0.1, name=f"encoder_{i}_ffn_dropout")(ffn_out)
    return layers.LayerNormalization(epsilon=1e-6, name=f"encoder_{i}_ffn_layernormalization")(attn + ffn_out)


class PositionEmbedding(layers.Layer):
    def __init__(self, max_len, dim, **kw):
        super().__init__(**kw)
        self.pos = layers.Embedding(max_len, dim)

    def call(self, x):
        positions = tf.range(start=0, limit=tf.shape(x)[1], delta=1)
        return x + self.pos(positions)


class MaskedLanguageModel(keras.Model):
    def train_step(self, data):
        features, labels, sample_weight = data
        with tf.GradientTape() as tape:
            preds = self(features, training=True)
            loss = self.compute_loss(x=features, y=labels, y_pred=preds, sample_weight=sample_weight)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for m in self.metrics:
            if m.name == "loss":
                m.update_state(loss)
            else:
                m.update_state(labels, preds, sample_weight=sample_weight)
        return {m.name: m.result() for m in self.metrics}


def create_mlm():
    inputs = layers.Input((config["max_len"],), dtype="int64", name="input_ids")
    x = layers.Embedding(VOCAB_SIZE, config["embed_dim"], name="word_embedding")(inputs)
    x = PositionEmbedding(config["max_len"], config["embed_dim"], name="position_embedding")(x)
    for i in range(config["num_layers"]):
        x = bert_module(x, x, x, i)
    out = layers.Dense(VOCAB_SIZE, activation="softmax", name="mlm_cls")(x)
    model = MaskedLanguageModel(inputs, out, name="masked_bert_model")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config["lr"]),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        weighted_metrics=["sparse_categorical_accuracy"],
    )
    return model


bert = create_mlm()
bert.summary()
bert.fit(mlm_ds, epochs=1, verbose=2)

# quick fill-mask check
# note: standardize strips the brackets from "[mask]", so mask the id directly
probe = "the music was great and i loved it"
ids = vectorizer([probe]).numpy()
mpos = 3
ids[0, mpos] = MASK_ID
probs = bert.predict(ids, verbose=0)[0, mpos]
top = probs.argsort()[-5:][::-1]
for t in top:
    print(f"  {id2tok[t]:<12} {probs[t]:.4f}")

# reuse the encoder as a feature extractor
encoder = keras.Model(bert.input, bert.get_layer("encoder_1_ffn_layernormalization").output)
feats = encoder.predict(ids, verbose=0)
print("encoder features:", feats.shape)
