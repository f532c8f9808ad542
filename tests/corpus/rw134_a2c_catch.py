# Synchronous advantage actor-critic (A2C) on a vectorised numpy "Catch" game.
# Shared conv trunk -> policy logits head + state-value head (subclassed Model).
# n-step returns are computed inside a tf.function with tf.scan.
import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers

H, W = 7, 5
N_ENVS = 16
ROLLOUT = 6
UPDATES = 40
GAMMA = 0.9
VALUE_COEF = 0.5
ENTROPY_COEF = 0.02
LR = 2e-3

np.random.seed(0)
tf.random.set_seed(0)


class VecCatch:
    """N independent Catch boards. Ball falls one row per step, paddle on bottom row.
    Actions: 0 left, 1 stay, 2 right. Reward +1 catch / -1 miss at the last row."""

    def __init__(self, n):
        self.n = n
        self.ball_r = np.zeros(n, np.int32)
        self.ball_c = np.zeros(n, np.int32)
        self.paddle = np.zeros(n, np.int32)
        self.reset_idx(np.arange(n))

    def reset_idx(self, idx):
        self.ball_r[idx] = 0
        self.ball_c[idx] = np.random.randint(0, W, size=len(idx))
        self.paddle[idx] = np.random.randint(0, W, size=len(idx))

    def render(self):
        boards = np.zeros((self.n, H, W, 1), np.float32)
        ar = np.arange(self.n)
        boards[ar, self.ball_r, self.ball_c, 0] = 1.0
        boards[ar, H - 1, self.paddle, 0] = 1.0
        return boards

    def step(self, actions):
        self.paddle = np.clip(self.paddle + actions - 1, 0, W - 1)
        self.ball_r += 1
        done = self.ball_r == H - 1
        reward = np.where(done, np.where(self.ball_c == self.paddle, 1.0, -1.0), 0.0)
        obs_before_reset = self.render()
        if done.any():
            self.reset_idx(np.flatnonzero(done))
        return self.render(), reward.astype(np.float32), done.astype(np.float32), obs_before_reset


class ActorCritic(keras.Model):
    def __init__(self, n_actions):
        super().__init__()
        self.trunk = keras.Sequential([
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
        ], name="trunk")
        self.policy_head = layers.Dense(n_actions, name="pi")
        self.value_head = layers.Dense(1, name="v")

    def call(self, obs):
        z = self.trunk(obs)
        return self.policy_head(z), tf.squeeze(self.value_head(z), axis=-1)


model = ActorCritic(n_actions=3)
model(tf.zeros((1, H, W, 1)))
model.summary()
optimizer = keras.optimizers.Adam(LR)


@tf.function
def act(obs):
    logits, values = model(obs)
    actions = tf.random.categorical(logits, 1)[:, 0]
    return tf.cast(actions, tf.int32), values


@tf.function
def nstep_returns(rewards, dones, bootstrap):
    # rewards/dones: [T, N]; iterate backwards with tf.scan (no python loop on tensors)
    def step(carry, inp):
        r, d = inp
        return r + GAMMA * carry * (1.0 - d)
    rets = tf.scan(step, (rewards, dones), initializer=bootstrap, reverse=True)
    return rets


@tf.function
def train_step(obs, actions, returns):
    with tf.GradientTape() as tape:
        logits, values = model(obs)
        adv = returns - values
        logp = tf.nn.log_softmax(logits)
        logp_a = tf.reduce_sum(logp * tf.one_hot(actions, 3), axis=-1)
        policy_loss = -tf.reduce_mean(logp_a * tf.stop_gradient(adv))
        value_loss = tf.reduce_mean(tf.square(adv))
        entropy = -tf.reduce_mean(tf.reduce_sum(tf.exp(logp) * logp, axis=-1))
        total = policy_loss + VALUE_COEF * value_loss - ENTROPY_COEF * entropy
    grads = tape.gradient(total, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 0.5)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return {"policy": policy_loss, "value": value_loss, "entropy": entropy}


env = VecCatch(N_ENVS)
obs = env.render()
catches, misses = 0, 0
for update in range(1, UPDATES + 1):
    buf_obs, buf_act, buf_rew, buf_done = [], [], [], []
    for _ in range(ROLLOUT):
        a, _ = act(tf.constant(obs))
        a = a.numpy()
        next_obs, r, d, _ = env.step(a)
        buf_obs.append(obs)
        buf_act.append(a)
        buf_rew.append(r)
        buf_done.append(d)
        catches += int((r > 0).sum())
        misses += int((r < 0).sum())
        obs = next_obs

    _, last_v = model(tf.constant(obs))
    returns = nstep_returns(tf.constant(np.stack(buf_rew)),
                            tf.constant(np.stack(buf_done)), last_v)
    flat_obs = np.concatenate(buf_obs)               # [T*N, H, W, 1]
    flat_act = np.concatenate(buf_act)
    flat_ret = tf.reshape(returns, [-1])
    stats = train_step(tf.constant(flat_obs), tf.constant(flat_act), flat_ret)

    if update % 5 == 0:
        rate = catches / max(catches + misses, 1)
        s = {k: float(v) for k, v in stats.items()}
        print(f"update {update:3d}  catch-rate {rate:.2f}  "
              f"pi {s['policy']:+.3f}  v {s['value']:.3f}  H {s['entropy']:.3f}")
        catches, misses = 0, 0
