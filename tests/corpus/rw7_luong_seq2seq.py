"""Seq2seq translation toy (eng -> fra) with Luong (dot) attention.

Classic "keras lstm_seq2seq" layout extended with attention: the encoder LSTM
returns its full sequence plus (h, c) states, which initialise the decoder
LSTM. Luong attention (keras.layers.Attention, dot-product score) over the
encoder outputs, concat + tanh projection, softmax. Separate encoder /
decoder inference models and a greedy decoding loop.
"""
import numpy as np
import keras
from keras import layers
from keras.utils import pad_sequences

LATENT = 48
EMB = 32
BATCH = 4
EPOCHS = 1

pairs = [
    ("i am cold", "je suis froid"),
    ("i am hungry", "j ai faim"),
    ("he is tall", "il est grand"),
    ("she is happy", "elle est heureuse"),
    ("we are tired", "nous sommes fatigues"),
    ("they are here", "ils sont ici"),
    ("i see a cat", "je vois un chat"),
    ("you are late", "tu es en retard"),
    ("it is raining", "il pleut"),
    ("i love music", "j aime la musique"),
    ("he eats bread", "il mange du pain"),
    ("we go home", "nous rentrons"),
]

START, END = "<s>", "</s>"


def make_vocab(sents, specials=()):
    vocab = {"<pad>": 0}
    for tok in specials:
        vocab[tok] = len(vocab)
    for s in sents:
        for tok in s.split():
            if tok not in vocab:
                vocab[tok] = len(vocab)
    return vocab


src_vocab = make_vocab([p[0] for p in pairs], specials=["<unk>"])
tgt_vocab = make_vocab([p[1] for p in pairs], specials=["<unk>", START, END])
inv_tgt = {v: k for k, v in tgt_vocab.items()}

max_src = max(len(p[0].split()) for p in pairs)
max_tgt = max(len(p[1].split()) for p in pairs) + 2  # + start/end


def encode(sent, vocab):
    return [vocab.get(t, vocab["<unk>"]) for t in sent.split()]


enc_in = pad_sequences([encode(s, src_vocab) for s, _ in pairs], maxlen=max_src, padding="post")
tgt_seqs = [[tgt_vocab[START]] + encode(t, tgt_vocab) + [tgt_vocab[END]] for _, t in pairs]
tgt_seqs = pad_sequences(tgt_seqs, maxlen=max_tgt, padding="post")
dec_in = tgt_seqs[:, :-1]
dec_out = tgt_seqs[:, 1:]
print("enc", enc_in.shape, "dec_in", dec_in.shape, "dec_out", dec_out.shape)

n_src, n_tgt = len(src_vocab), len(tgt_vocab)

# ---------------- training graph ----------------
encoder_inputs = keras.Input(shape=(None,), name="encoder_inputs")
enc_emb_layer = layers.Embedding(n_src, EMB, mask_zero=True, name="enc_emb")
enc_x = enc_emb_layer(encoder_inputs)
encoder_lstm = layers.LSTM(LATENT, return_sequences=True, return_state=True, name="encoder_lstm")
encoder_outputs, state_h, state_c = encoder_lstm(enc_x)
encoder_states = [state_h, state_c]

decoder_inputs = keras.Input(shape=(None,), name="decoder_inputs")
dec_emb_layer = layers.Embedding(n_tgt, EMB, mask_zero=True, name="dec_emb")
decoder_lstm = layers.LSTM(LATENT, return_sequences=True, return_state=True, name="decoder_lstm")
dec_x = dec_emb_layer(decoder_inputs)
decoder_outputs, _, _ = decoder_lstm(dec_x, initial_state=encoder_states)

luong = layers.Attention(score_mode="dot", name="luong_attention")
concat = layers.Concatenate(axis=-1, name="concat_ctx")
attn_proj = layers.Dense(LATENT, activation="tanh", name="attentional_hidden")
decoder_dense = layers.Dense(n_tgt, activation="softmax", name="decoder_softmax")


def attend(dec_seq, enc_seq):
    context = luong([dec_seq, enc_seq])
    h_tilde = attn_proj(concat([context, dec_seq]))
    return decoder_dense(h_tilde)


preds = attend(decoder_outputs, encoder_outputs)
model = keras.Model([encoder_inputs, decoder_inputs], preds, name="seq2seq_luong")
model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.summary()
model.fit([enc_in, dec_in], dec_out, batch_size=BATCH, epochs=EPOCHS, verbose=2)

# ---------------- inference graphs ----------------
encoder_model = keras.Model(encoder_inputs, [encoder_outputs] + encoder_states, name="encoder_inf")

inf_enc_out = keras.Input(shape=(None, LATENT), name="inf_enc_out")
inf_h = keras.Input(shape=(LATENT,), name="inf_h")
inf_c = keras.Input(shape=(LATENT,), name="inf_c")
inf_tok = keras.Input(shape=(1,), name="inf_token")
d = dec_emb_layer(inf_tok)
d, h_new, c_new = decoder_lstm(d, initial_state=[inf_h, inf_c])
step_probs = attend(d, inf_enc_out)
decoder_model = keras.Model(
    [inf_tok, inf_enc_out, inf_h, inf_c], [step_probs, h_new, c_new], name="decoder_inf"
)
decoder_model.summary(line_length=100)


def decode_sequence(sentence, max_steps=max_tgt):
    src = pad_sequences([encode(sentence, src_vocab)], maxlen=max_src, padding="post")
    enc_seq, h, c = encoder_model.predict(src, verbose=0)
    tok = np.array([[tgt_vocab[START]]])
    out_words = []
    for _ in range(max_steps):
        probs, h, c = decoder_model.predict([tok, enc_seq, h, c], verbose=0)
        step = probs[0, -1, :].copy()
        step[tgt_vocab["<pad>"]] = 0.0  # never emit padding
        idx = int(np.argmax(step))
        word = inv_tgt.get(idx, "<unk>")
        if word == END:
            break
        out_words.append(word)
        tok = np.array([[idx]])
    return " ".join(out_words)


for s in ["i am cold", "she is happy", "i love music"]:
    print(f"{s!r:>18} -> {decode_sequence(s)!r}")
