# Dueling Double-DQN with proportional prioritized replay (numpy) on a
# small pixel "collect the coin" task. Observations are 8x8x2 images.
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SIZE = 8
ACTIONS = ["up", "down", "left", "right"]
GAMMA = 0.95
BATCH = 32
CAPACITY = 4096
ALPHA, BETA0 = 0.6, 0.4
TRAIN_STEPS = 400
LEARN_START = 100
SYNC_EVERY = 100
EPS = np.linspace(1.0, 0.1, TRAIN_STEPS)

keras.utils.set_random_seed(3)
rng = np.random.default_rng(3)


class CoinEnv:
    """Agent (channel 0) must reach a coin (channel 1) within 20 moves."""
    deltas = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]])

    def reset(self):
        self.agent = rng.integers(0, SIZE, 2)
        self.coin = rng.integers(0, SIZE, 2)
        while (self.coin == self.agent).all():
            self.coin = rng.integers(0, SIZE, 2)
        self.steps = 0
        return self.obs()

    def obs(self):
        img = np.zeros((SIZE, SIZE, 2), np.float32)
        img[self.agent[0], self.agent[1], 0] = 1.0
        img[self.coin[0], self.coin[1], 1] = 1.0
        return img

    def step(self, a):
        old_d = np.abs(self.agent - self.coin).sum()
        self.agent = np.clip(self.agent + self.deltas[a], 0, SIZE - 1)
        self.steps += 1
        new_d = np.abs(self.agent - self.coin).sum()
        if new_d == 0:
            return self.obs(), 1.0, True
        shaped = 0.05 * (old_d - new_d) - 0.01
        return self.obs(), float(shaped), self.steps >= 20


class SumTreeFreePER:
    """Proportional PER without a sum tree: fine for a few thousand entries."""

    def __init__(self, capacity, obs_shape):
        self.cap = capacity
        self.s = np.zeros((capacity, *obs_shape), np.float32)
        self.s2 = np.zeros_like(self.s)
        self.a = np.zeros(capacity, np.int32)
        self.r = np.zeros(capacity, np.float32)
        self.d = np.zeros(capacity, np.float32)
        self.prio = np.zeros(capacity, np.float64)
        self.i, self.full = 0, False

    def __len__(self):
        return self.cap if self.full else self.i

    def add(self, s, a, r, s2, d):
        max_p = self.prio[: len(self)].max() if len(self) else 1.0
        self.s[self.i], self.a[self.i], self.r[self.i] = s, a, r
        self.s2[self.i], self.d[self.i] = s2, d
        self.prio[self.i] = max_p
        self.i = (self.i + 1) % self.cap
        self.full = self.full or self.i == 0

    def sample(self, n, beta):
        p = self.prio[: len(self)] ** ALPHA
        p /= p.sum()
        idx = rng.choice(len(self), size=n, p=p)
        w = (len(self) * p[idx]) ** (-beta)
        w = (w / w.max()).astype(np.float32)
        return idx, (self.s[idx], self.a[idx], self.r[idx], self.s2[idx], self.d[idx]), w

    def update(self, idx, td_err):
        self.prio[idx] = np.abs(td_err) + 1e-4


class DuelingHead(layers.Layer):
    """Q(s,a) = V(s) + A(s,a) - mean_a A(s,a)."""

    def __init__(self, n_actions, units=64, **kw):
        super().__init__(**kw)
        self.n_actions, self.units = n_actions, units
        self.v_hidden = layers.Dense(units, activation="relu")
        self.a_hidden = layers.Dense(units, activation="relu")
        self.v_out = layers.Dense(1)
        self.a_out = layers.Dense(n_actions)

    def call(self, x):
        v = self.v_out(self.v_hidden(x))
        a = self.a_out(self.a_hidden(x))
        return v + a - ops.mean(a, axis=-1, keepdims=True)

    def get_config(self):
        return {**super().get_config(), "n_actions": self.n_actions, "units": self.units}


def make_dueling_q():
    inp = keras.Input((SIZE, SIZE, 2))
    x = inp
    for filters in (16, 32):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    return keras.Model(inp, DuelingHead(len(ACTIONS), name="dueling")(x))


q_online, q_target = make_dueling_q(), make_dueling_q()
q_target.set_weights(q_online.get_weights())
opt = keras.optimizers.Adam(1e-3)


@tf.function
def learn(s, a, r, s2, d, w):
    best_next = tf.argmax(q_online(s2), axis=-1, output_type=tf.int32)
    q_next = tf.gather(q_target(s2), best_next, batch_dims=1)
    y = r + GAMMA * (1.0 - d) * q_next
    with tf.GradientTape() as tape:
        q_sa = tf.gather(q_online(s, training=True), a, batch_dims=1)
        td = y - q_sa
        # importance-weighted Huber
        abs_td = tf.abs(td)
        huber = tf.where(abs_td < 1.0, 0.5 * tf.square(td), abs_td - 0.5)
        loss = tf.reduce_mean(w * huber)
    grads = tape.gradient(loss, q_online.trainable_variables)
    opt.apply_gradients(zip(grads, q_online.trainable_variables))
    return loss, td


env = CoinEnv()
per = SumTreeFreePER(CAPACITY, (SIZE, SIZE, 2))
s = env.reset()
ep_rewards, ep_r, wins = [], 0.0, 0
for step in range(TRAIN_STEPS):
    if rng.random() < EPS[step]:
        a = int(rng.integers(len(ACTIONS)))
    else:
        a = int(ops.argmax(q_online(s[None]), axis=-1)[0])
    s2, r, done = env.step(a)
    per.add(s, a, r, s2, float(done and r > 0.5))
    ep_r += r
    s = s2
    if done:
        wins += int(r > 0.5)
        ep_rewards.append(ep_r)
        ep_r, s = 0.0, env.reset()

    if len(per) >= LEARN_START:
        beta = BETA0 + (1.0 - BETA0) * step / TRAIN_STEPS
        idx, batch, w = per.sample(BATCH, beta)
        loss, td = learn(*batch, w)
        per.update(idx, td.numpy())

    if step % SYNC_EVERY == 0 and step > 0:
        q_target.set_weights(q_online.get_weights())
        last = ep_rewards[-10:]
        print(f"step {step:4d} | episodes {len(ep_rewards):3d} | wins {wins:3d} | "
              f"avg10 {np.mean(last) if last else 0:.3f} | eps {EPS[step]:.2f} | "
              f"max prio {per.prio[:len(per)].max():.3f}")

q = q_online(env.reset()[None]).numpy()[0]
print("Q at a fresh state:", {name: round(float(v), 3) for name, v in zip(ACTIONS, q)})
