# Simple VQA baseline: CNN image features + BiLSTM question encoder,
# fused with a Hadamard product and classified over a fixed answer vocabulary.
# Synthetic "shapes" dataset: each image has a few coloured squares, questions
# ask about colour presence, count, or position.
import random
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

CFG = {
    "img_size": 40,
    "n_images": 300,
    "q_per_image": 2,
    "max_q_len": 10,
    "embed_dim": 48,
    "lstm_units": 64,
    "fusion_dim": 128,
    "batch_size": 32,
    "epochs": 2,
    "lr": 2e-3,
}

COLORS = {"red": (1.0, 0.1, 0.1), "green": (0.1, 0.9, 0.1), "blue": (0.1, 0.2, 1.0), "yellow": (1.0, 1.0, 0.1)}
COLOR_NAMES = list(COLORS)

random.seed(0)
np.random.seed(0)
tf.random.set_seed(0)


def draw_scene(size):
    """Returns an image and a list of (color, row, col) objects."""
    img = np.full((size, size, 3), 0.05, dtype=np.float32)
    objects = []
    n_obj = random.randint(1, 4)
    for _ in range(n_obj):
        color = random.choice(COLOR_NAMES)
        s = random.randint(5, 9)
        r, c = random.randint(0, size - s), random.randint(0, size - s)
        img[r:r + s, c:c + s] = COLORS[color]
        objects.append((color, r + s // 2, c + s // 2))
    img += np.random.normal(0, 0.03, img.shape).astype(np.float32)
    return np.clip(img, 0, 1), objects


def ask(objects, size):
    kind = random.choice(["exists", "count", "side"])
    if kind == "exists":
        color = random.choice(COLOR_NAMES)
        q = f"is there a {color} square"
        a = "yes" if any(o[0] == color for o in objects) else "no"
    elif kind == "count":
        q = "how many squares are there"
        a = str(len(objects))
    else:
        color, _, col = random.choice(objects)
        q = f"which side is the {color} square on"
        a = "left" if col < size // 2 else "right"
    return q, a


images, questions, answers = [], [], []
for _ in range(CFG["n_images"]):
    img, objs = draw_scene(CFG["img_size"])
    for _ in range(CFG["q_per_image"]):
        q, a = ask(objs, CFG["img_size"])
        images.append(img)
        questions.append(q)
        answers.append(a)

images = np.stack(images)
answer_vocab = sorted(set(answers))
answer_to_id = {a: i for i, a in enumerate(answer_vocab)}
answer_ids = np.array([answer_to_id[a] for a in answers], dtype=np.int32)
print(f"{len(images)} QA pairs, {len(answer_vocab)} answers: {answer_vocab}")
print("example:", questions[0], "->", answers[0])

# question vectorizer is adapted on the training questions only
vectorizer = layers.TextVectorization(
    max_tokens=200, output_sequence_length=CFG["max_q_len"], standardize="lower_and_strip_punctuation"
)
n_train = int(len(images) * 0.85)
vectorizer.adapt(tf.constant(questions[:n_train]))
vocab = vectorizer.get_vocabulary()
print("question vocab size:", len(vocab))
q_tokens = vectorizer(tf.constant(questions)).numpy()


def augment(sample, label):
    img = sample["image"]
    img = tf.image.random_brightness(img, 0.1)
    img = tf.clip_by_value(img, 0.0, 1.0)
    return {"image": img, "question": sample["question"]}, label


def make_ds(idx, training):
    ds = tf.data.Dataset.from_tensor_slices(
        ({"image": images[idx], "question": q_tokens[idx]}, answer_ids[idx])
    )
    if training:
        ds = ds.shuffle(len(idx)).map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(CFG["batch_size"]).prefetch(tf.data.AUTOTUNE)


perm = np.random.permutation(len(images))
train_ds = make_ds(perm[:n_train], True)
val_ds = make_ds(perm[n_train:], False)


def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_c1")(x)
    x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_c2")(x)
    return layers.MaxPooling2D(name=f"{name}_pool")(x)


def build_vqa_model(num_answers, vocab_size):
    img_in = keras.Input(shape=(CFG["img_size"], CFG["img_size"], 3), name="image")
    q_in = keras.Input(shape=(CFG["max_q_len"],), dtype="int64", name="question")

    # image branch
    x = img_in
    for i, f in enumerate([16, 32, 48]):
        x = conv_block(x, f, f"blk{i}")
    x = layers.GlobalAveragePooling2D()(x)
    img_feat = layers.Dense(CFG["fusion_dim"], activation="tanh", name="img_fc")(x)

    # question branch
    q = layers.Embedding(vocab_size, CFG["embed_dim"], mask_zero=True, name="q_embed")(q_in)
    q = layers.Bidirectional(layers.LSTM(CFG["lstm_units"]), name="q_bilstm")(q)
    q_feat = layers.Dense(CFG["fusion_dim"], activation="tanh", name="q_fc")(q)

    fused = layers.Multiply(name="hadamard")([img_feat, q_feat])
    fused = layers.Dropout(0.3)(fused)
    h = layers.Dense(128, activation="relu")(fused)
    out = layers.Dense(num_answers, activation="softmax", name="answer")(h)
    return keras.Model([img_in, q_in], out, name="vqa_baseline")


model = build_vqa_model(len(answer_vocab), len(vocab))
model.summary(line_length=100)
model.compile(
    optimizer=keras.optimizers.Adam(CFG["lr"]),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")],
)
model.fit(train_ds, validation_data=val_ds, epochs=CFG["epochs"], verbose=2)

# peek at predictions for a handful of validation questions
val_idx = perm[n_train:][:6]
probs = model.predict({"image": images[val_idx], "question": q_tokens[val_idx]}, verbose=0)
for i, p in zip(val_idx, probs):
    guess = answer_vocab[int(np.argmax(p))]
    print(f"Q: {questions[i]:<38s} gt={answers[i]:<6s} pred={guess:<6s} conf={p.max():.2f}")

# answer-type breakdown on validation set
preds = np.argmax(model.predict({"image": images[perm[n_train:]], "question": q_tokens[perm[n_train:]]}, verbose=0), -1)
for qtype, key in [("exists", "is there"), ("count", "how many"), ("side", "which side")]:
    mask = np.array([questions[i].startswith(key) for i in perm[n_train:]])
    if mask.sum():
        acc = (preds[mask] == answer_ids[perm[n_train:]][mask]).mean()
        print(f"{qtype:>7s}: n={mask.sum():3d} acc={acc:.3f}")
