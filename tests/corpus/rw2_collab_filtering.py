# Collaborative Filtering for Movie Recommendations
# (MovieLens-like ratings generated at random so it runs offline)
import numpy as np
import tensorflow as tf
import keras
from keras import ops
from tensorflow.keras.layers import Input, Embedding, Dot, Flatten, Add, Dense, Concatenate, Dropout
from tensorflow.keras.models import Model

np.random.seed(42)

N_RATINGS = 64
N_USER_IDS = 20
N_MOVIE_IDS = 30
EMBEDDING_SIZE = 16

ratings_user = np.random.randint(1000, 1000 + N_USER_IDS, size=N_RATINGS)
ratings_movie = np.random.randint(1, 1 + N_MOVIE_IDS, size=N_RATINGS) * 7
ratings_value = np.random.choice([0.5, 1.0, 2.0, 3.0, 3.5, 4.0, 4.5, 5.0], size=N_RATINGS)

user_ids = list(dict.fromkeys(ratings_user.tolist()))
user2user_encoded = {x: i for i, x in enumerate(user_ids)}
userencoded2user = {i: x for i, x in enumerate(user_ids)}
movie_ids = list(dict.fromkeys(ratings_movie.tolist()))
movie2movie_encoded = {x: i for i, x in enumerate(movie_ids)}
movie_encoded2movie = {i: x for i, x in enumerate(movie_ids)}
user_col = np.array([user2user_encoded[u] for u in ratings_user])
movie_col = np.array([movie2movie_encoded[m] for m in ratings_movie])

num_users = len(user2user_encoded)
num_movies = len(movie_encoded2movie)
rating_col = ratings_value.astype(np.float32)
# min and max ratings will be used to normalize the ratings later
min_rating = rating_col.min()
max_rating = rating_col.max()

print(
    "Number of users: {}, Number of Movies: {}, Min rating: {}, Max rating: {}".format(
        num_users, num_movies, min_rating, max_rating
    )
)

perm = np.random.permutation(N_RATINGS)
x = np.stack([user_col, movie_col], axis=1)[perm]
# Normalize the targets between 0 and 1. Makes it easy to train.
y = ((rating_col - min_rating) / (max_rating - min_rating))[perm]
# Assuming training on 90% of the data and validating on 10%.
train_indices = int(0.9 * x.shape[0])
x_train, x_val, y_train, y_val = (
    x[:train_indices],
    x[train_indices:],
    y[:train_indices],
    y[train_indices:],
)


class RecommenderNet(keras.Model):
    def __init__(self, num_users, num_movies, embedding_size, **kwargs):
        super().__init__(**kwargs)
        self.num_users = num_users
        self.num_movies = num_movies
        self.embedding_size = embedding_size
        self.user_embedding = keras.layers.Embedding(
            num_users,
            embedding_size,
            embeddings_initializer="he_normal",
            embeddings_regularizer=keras.regularizers.l2(1e-6),
        )
        self.user_bias = keras.layers.Embedding(num_users, 1)
        self.movie_embedding = keras.layers.Embedding(
            num_movies,
            embedding_size,
            embeddings_initializer="he_normal",
            embeddings_regularizer=keras.regularizers.l2(1e-6),
        )
        self.movie_bias = keras.layers.Embedding(num_movies, 1)

    def call(self, inputs):
        user_vector = self.user_embedding(inputs[:, 0])
        user_bias = self.user_bias(inputs[:, 0])
        movie_vector = self.movie_embedding(inputs[:, 1])
        movie_bias = self.movie_bias(inputs[:, 1])
        dot_user_movie = ops.tensordot(user_vector, movie_vector, 2)
        # Add all the components (including bias)
        x = dot_user_movie + user_bias + movie_bias
        # The sigmoid activation forces the rating to between 0 and 1
        return ops.nn.sigmoid(x)


model = RecommenderNet(num_users, num_movies, EMBEDDING_SIZE)
model.compile(
    loss=keras.losses.BinaryCrossentropy(),
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
)

history = model.fit(
    x=x_train,
    y=y_train,
    batch_size=16,
    epochs=1,
    verbose=2,
    validation_data=(x_val, y_val),
)
model.summary()


class RecommenderNetTF(keras.Model):
    """Same thing, but the per-row dot product done with tf ops."""

    def __init__(self, num_users, num_movies, embedding_size, **kwargs):
        super().__init__(**kwargs)
        self.user_embedding = keras.layers.Embedding(num_users, embedding_size)
        self.movie_embedding = keras.layers.Embedding(num_movies, embedding_size)
        self.user_bias = keras.layers.Embedding(num_users, 1)
        self.movie_bias = keras.layers.Embedding(num_movies, 1)

    def call(self, inputs):
        u = self.user_embedding(inputs[:, 0])
        m = self.movie_embedding(inputs[:, 1])
        dot = tf.reduce_sum(u * m, axis=1, keepdims=True)
        # tensordot over the full batch would give a scalar; keep it per-row here
        x = dot + self.user_bias(inputs[:, 0]) + self.movie_bias(inputs[:, 1])
        return tf.nn.sigmoid(x)


tf_model = RecommenderNetTF(num_users, num_movies, EMBEDDING_SIZE, name="recommender_tf")
tf_model.compile(optimizer="adam", loss="mse", metrics=["mae"])
tf_model.fit(x_train, y_train, batch_size=16, epochs=1, verbose=2)
print("tf_model preds:", tf_model.predict(x_val, verbose=0).shape)


# ---------------------------------------------------------------------------
# Functional alternative: two inputs, Dot + Flatten + bias terms
# ---------------------------------------------------------------------------
def build_functional_mf(n_users, n_items, k=EMBEDDING_SIZE):
    user_in = Input(shape=(1,), name="user_id")
    item_in = Input(shape=(1,), name="movie_id")

    u = Embedding(n_users, k, name="user_emb")(user_in)
    m = Embedding(n_items, k, name="movie_emb")(item_in)
    ub = Flatten()(Embedding(n_users, 1, name="user_b")(user_in))
    mb = Flatten()(Embedding(n_items, 1, name="movie_b")(item_in))

    u = Flatten(name="user_vec")(u)
    m = Flatten(name="movie_vec")(m)
    dot = Dot(axes=1, name="dot")([u, m])
    out = Add()([dot, ub, mb])
    out = Dense(1, activation="sigmoid")(out)
    return Model([user_in, item_in], out, name="functional_mf")


def build_ncf(n_users, n_items, k=8, hidden=(32, 16)):
    """Neural CF: concatenate embeddings and run an MLP on top."""
    user_in = Input(shape=(1,), name="user")
    item_in = Input(shape=(1,), name="item")
    u = Flatten()(Embedding(n_users, k)(user_in))
    i = Flatten()(Embedding(n_items, k)(item_in))
    h = Concatenate()([u, i])
    for units in hidden:
        h = Dense(units, activation="relu")(h)
        h = Dropout(0.2)(h)
    gmf = Dot(axes=1, normalize=True)([u, i])
    h = Concatenate()([h, gmf])
    out = Dense(1, activation="sigmoid")(h)
    return Model(inputs=[user_in, item_in], outputs=out, name="ncf")


fmf = build_functional_mf(num_users, num_movies)
fmf.summary()
fmf.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
fmf.fit([x_train[:, 0], x_train[:, 1]], y_train, batch_size=16, epochs=1, verbose=2)

ncf = build_ncf(num_users, num_movies)
ncf.summary()
ncf.compile(optimizer="adam", loss="mse", metrics=[keras.metrics.RootMeanSquaredError()])
ncf.fit([x_train[:, 0], x_train[:, 1]], y_train, batch_size=16, epochs=1, verbose=2)
print(ncf.evaluate([x_val[:, 0], x_val[:, 1]], y_val, verbose=0))

# Show top 5 movie recommendations to a user
user_id = int(np.random.choice(ratings_user))
movies_watched_by_user = set(ratings_movie[ratings_user == user_id].tolist())
movies_not_watched = [m for m in movie_ids if m not in movies_watched_by_user]
movies_not_watched = [[movie2movie_encoded.get(x)] for x in movies_not_watched]
user_encoder = user2user_encoded.get(user_id)
user_movie_array = np.hstack(([[user_encoder]] * len(movies_not_watched), movies_not_watched))
ratings = model.predict(user_movie_array, verbose=0).flatten()
top_ratings_indices = ratings.argsort()[-5:][::-1]
recommended_movie_ids = [movie_encoded2movie.get(movies_not_watched[x][0]) for x in top_ratings_indices]
print("Showing recommendations for user: {}".format(user_id))
print("Top 5 movie recommendations:", recommended_movie_ids)
