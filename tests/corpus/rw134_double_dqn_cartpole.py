# Double DQN on a hand-rolled numpy cart-pole.
# Online net picks argmax action for s', target net evaluates it.
# Target is updated with Polyak averaging on the get_weights() lists.
import math
from collections import namedtuple

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "seed": 123,
    "gamma": 0.99,
    "lr": 5e-4,
    "tau": 0.05,
    "buffer_capacity": 5000,
    "batch_size": 64,
    "warmup": 200,
    "episodes": 12,
    "max_steps": 120,
    "eps_schedule": (1.0, 0.1, 800),   # start, end, decay steps
    "hidden": [64, 64],
}

rng = np.random.default_rng(CONFIG["seed"])
tf.random.set_seed(CONFIG["seed"])

Transition = namedtuple("Transition", "s a r s2 done")


class CartPole:
    """Classic cart-pole dynamics (Euler integration), numpy only."""
    gravity, masscart, masspole, length = 9.8, 1.0, 0.1, 0.5
    force_mag, tau = 10.0, 0.02
    theta_limit = 12 * 2 * math.pi / 360
    x_limit = 2.4

    def __init__(self, rng):
        self.rng = rng
        self.state = None

    def reset(self):
        self.state = self.rng.uniform(-0.05, 0.05, size=4).astype(np.float32)
        return self.state.copy()

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        total_mass = self.masscart + self.masspole
        pml = self.masspole * self.length
        cos_t, sin_t = math.cos(theta), math.sin(theta)
        temp = (force + pml * theta_dot ** 2 * sin_t) / total_mass
        theta_acc = (self.gravity * sin_t - cos_t * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * cos_t ** 2 / total_mass))
        x_acc = temp - pml * theta_acc * cos_t / total_mass
        x += self.tau * x_dot
        x_dot += self.tau * x_acc
        theta += self.tau * theta_dot
        theta_dot += self.tau * theta_acc
        self.state = np.array([x, x_dot, theta, theta_dot], dtype=np.float32)
        done = bool(abs(x) > self.x_limit or abs(theta) > self.theta_limit)
        return self.state.copy(), 1.0, done


class NumpyReplay:
    def __init__(self, capacity, obs_dim, rng):
        self.rng = rng
        self.capacity = capacity
        self.storage = {
            "s": np.empty((capacity, obs_dim), np.float32),
            "a": np.empty((capacity,), np.int64),
            "r": np.empty((capacity,), np.float32),
            "s2": np.empty((capacity, obs_dim), np.float32),
            "done": np.empty((capacity,), np.float32),
        }
        self.n = 0
        self.cursor = 0

    def push(self, tr: Transition):
        for key, value in tr._asdict().items():
            self.storage[key][self.cursor] = value
        self.cursor = (self.cursor + 1) % self.capacity
        self.n = min(self.n + 1, self.capacity)

    def sample(self, k):
        idx = self.rng.choice(self.n, size=k, replace=False)
        return Transition(**{key: arr[idx] for key, arr in self.storage.items()})


class QNetwork(keras.Model):
    def __init__(self, n_actions, hidden, **kwargs):
        super().__init__(**kwargs)
        self.norm = layers.LayerNormalization()
        self.blocks = [layers.Dense(h, activation="relu") for h in hidden]
        self.head = layers.Dense(n_actions)

    def call(self, x, training=False):
        x = self.norm(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def soft_update(target, online, tau):
    new_weights = [tau * w_o + (1.0 - tau) * w_t
                   for w_o, w_t in zip(online.get_weights(), target.get_weights())]
    target.set_weights(new_weights)


def epsilon_at(step, start, end, decay_steps):
    frac = min(step / decay_steps, 1.0)
    return start + frac * (end - start)


env = CartPole(rng)
obs_dim, n_actions = 4, 2
online = QNetwork(n_actions, CONFIG["hidden"], name="online")
target = QNetwork(n_actions, CONFIG["hidden"], name="target")
dummy = np.zeros((1, obs_dim), np.float32)
online(dummy)
target(dummy)
target.set_weights(online.get_weights())

opt = keras.optimizers.Adam(CONFIG["lr"], clipnorm=10.0)
huber = keras.losses.Huber(delta=1.0)
replay = NumpyReplay(CONFIG["buffer_capacity"], obs_dim, rng)
gamma = tf.constant(CONFIG["gamma"], tf.float32)


@tf.function(reduce_retracing=True)
def double_dqn_update(s, a, r, s2, done):
    # action selection with the online net, evaluation with the target net
    next_a = tf.argmax(online(s2), axis=1, output_type=tf.int64)
    next_q_target = target(s2)
    idx = tf.stack([tf.range(tf.shape(next_a, out_type=tf.int64)[0]), next_a], axis=1)
    next_val = tf.gather_nd(next_q_target, idx)
    y = r + gamma * (1.0 - done) * next_val
    with tf.GradientTape() as tape:
        q = online(s, training=True)
        q_sa = tf.reduce_sum(q * tf.one_hot(a, n_actions), axis=1)
        loss = huber(tf.stop_gradient(y), q_sa)
    grads = tape.gradient(loss, online.trainable_variables)
    opt.apply_gradients(zip(grads, online.trainable_variables))
    return loss, tf.reduce_mean(q_sa)


global_step = 0
episode_lengths = []
for episode in range(1, CONFIG["episodes"] + 1):
    s = env.reset()
    losses, qs = [], []
    for t in range(CONFIG["max_steps"]):
        eps = epsilon_at(global_step, *CONFIG["eps_schedule"])
        if rng.random() < eps:
            a = int(rng.integers(n_actions))
        else:
            a = int(np.argmax(online(s[None]).numpy()))
        s2, r, done = env.step(a)
        truncated = t == CONFIG["max_steps"] - 1
        replay.push(Transition(s, a, r, s2, float(done and not truncated)))
        s = s2
        global_step += 1

        if replay.n >= CONFIG["warmup"]:
            batch = replay.sample(CONFIG["batch_size"])
            loss, mean_q = double_dqn_update(*[tf.constant(x) for x in batch])
            losses.append(loss.numpy())
            qs.append(mean_q.numpy())
            soft_update(target, online, CONFIG["tau"])
        if done:
            break
    episode_lengths.append(t + 1)
    msg = f"episode {episode:2d}: len={t + 1:3d} eps={eps:.2f}"
    if losses:
        msg += f" loss={np.mean(losses):.4f} meanQ={np.mean(qs):.3f}"
    print(msg)

print("episode lengths:", episode_lengths)
print(f"buffer holds {replay.n} transitions after {global_step} env steps")
