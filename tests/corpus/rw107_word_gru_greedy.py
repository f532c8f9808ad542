# Word-level GRU language model: train with full sequences, then rebuild an
# "inference" model that exposes the GRU state so greedy decoding can feed
# one token at a time instead of re-running the whole prefix.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "max_tokens": 200,
    "seq_len": 12,
    "embed_dim": 48,
    "gru_units": 64,
    "batch_size": 16,
    "epochs": 2,
    "max_new_tokens": 15,
}

rng = np.random.default_rng(123)

templates = [
    "the {adj} {noun} {verb} over the {noun2}",
    "a {noun} {verb} near the {adj} {noun2}",
    "every {noun} {verb} with a {adj} {noun2}",
    "my {adj} {noun} never {verb} the {noun2}",
]
words = {
    "adj": ["quick", "lazy", "green", "tiny", "happy", "silent"],
    "noun": ["fox", "dog", "child", "engineer", "teacher", "bird"],
    "noun2": ["fence", "table", "hill", "bridge", "window", "lake"],
    "verb": ["jumps", "runs", "sings", "walks", "talks", "rests"],
}


def sample_sentence():
    t = templates[rng.integers(len(templates))]
    fill = {k: v[rng.integers(len(v))] for k, v in words.items()}
    return "<s> " + t.format(**fill) + " </s>"


sentences = [sample_sentence() for _ in range(300)]
print(sentences[:3])

vectorize = layers.TextVectorization(
    max_tokens=CONFIG["max_tokens"],
    standardize=None,  # keep <s> / </s> intact
    output_mode="int",
    output_sequence_length=CONFIG["seq_len"] + 1,
)
vectorize.adapt(sentences)
vocab = vectorize.get_vocabulary()
word_to_id = {w: i for i, w in enumerate(vocab)}
VOCAB_SIZE = len(vocab)
print(f"{VOCAB_SIZE} tokens in vocab")


def to_xy(batch_text):
    ids = vectorize(batch_text)
    return ids[:, :-1], ids[:, 1:]


train_ds = (
    tf.data.Dataset.from_tensor_slices(sentences)
    .shuffle(300)
    .batch(CONFIG["batch_size"])
    .map(to_xy, num_parallel_calls=tf.data.AUTOTUNE)
    .cache()
    .prefetch(tf.data.AUTOTUNE)
)

# shared layers so the training model and step model use the same weights
embedding = layers.Embedding(VOCAB_SIZE, CONFIG["embed_dim"], mask_zero=True, name="emb")
gru = layers.GRU(CONFIG["gru_units"], return_sequences=True, return_state=True, name="gru")
head = layers.Dense(VOCAB_SIZE, name="head")

tokens_in = keras.Input(shape=(None,), dtype="int64", name="tokens")
seq, _ = gru(embedding(tokens_in))
train_model = keras.Model(tokens_in, head(seq), name="word_lm")

train_model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
    metrics=["accuracy"],
)
history = train_model.fit(train_ds, epochs=CONFIG["epochs"], verbose=2)
print({k: [round(v, 4) for v in vals] for k, vals in history.history.items()})

# step model: one token + previous state -> logits + new state
step_tok = keras.Input(shape=(1,), dtype="int64", name="step_token")
state_in = keras.Input(shape=(CONFIG["gru_units"],), name="state_in")
step_seq, state_out = gru(embedding(step_tok), initial_state=state_in)
step_model = keras.Model([step_tok, state_in], [head(step_seq), state_out], name="word_lm_step")


def greedy_decode(prompt, max_new=CONFIG["max_new_tokens"]):
    prompt_ids = [word_to_id.get(w, 1) for w in prompt.split()]
    state = np.zeros((1, CONFIG["gru_units"]), dtype="float32")
    logits = None
    # warm up the state on the prompt
    for tid in prompt_ids:
        logits, state = step_model.predict_on_batch([np.array([[tid]]), state])
    out = list(prompt_ids)
    for _ in range(max_new):
        next_id = int(np.argmax(logits[0, -1]))
        out.append(next_id)
        if vocab[next_id] == "</s>":
            break
        logits, state = step_model.predict_on_batch([np.array([[next_id]]), state])
    return " ".join(vocab[i] for i in out)


for prompt in ["<s> the", "<s> a lazy", "<s> my"]:
    print(f"{prompt:>12} => {greedy_decode(prompt)}")

# sanity check: step model and full model agree on the first position
probe = vectorize(["<s> the quick fox"])[:, :4]
full_logits = train_model(probe, training=False).numpy()
st = np.zeros((1, CONFIG["gru_units"]), "float32")
step_logits, _ = step_model.predict_on_batch([probe[:, :1].numpy(), st])
print("max |diff| first step:", float(np.abs(full_logits[0, 0] - step_logits[0, 0]).max()))
