"""PPO (clipped surrogate) with a Gaussian actor-critic on a toy continuous-control task.

The environment is a tiny point-mass "reach the target" problem written in numpy so
the script has no gym dependency. Actor and critic are separate functional Keras
models; the log-std is a free trainable variable (state-independent), as in the
original PPO paper / OpenAI baselines.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 69
OBS_DIM = 4          # [pos_x, pos_y, target_x, target_y]
ACT_DIM = 2          # velocity command
HIDDEN = 64
ROLLOUT_STEPS = 256
EPOCHS_PER_UPDATE = 4
MINIBATCH = 64
N_UPDATES = 3
GAMMA = 0.99
LAM = 0.95
CLIP_EPS = 0.2
VF_COEF = 0.5
ENT_COEF = 0.0
LR = 3e-4
MAX_EP_LEN = 50

np.random.seed(SEED)
tf.random.set_seed(SEED)


class PointReachEnv:
    """Move a point toward a random target; reward = -distance."""

    def __init__(self, max_steps=MAX_EP_LEN):
        self.max_steps = max_steps
        self.rng = np.random.default_rng(SEED)

    def reset(self):
        self.pos = self.rng.uniform(-1, 1, size=2).astype(np.float32)
        self.target = self.rng.uniform(-1, 1, size=2).astype(np.float32)
        self.t = 0
        return self._obs()

    def _obs(self):
        return np.concatenate([self.pos, self.target]).astype(np.float32)

    def step(self, action):
        action = np.clip(action, -1.0, 1.0)
        self.pos = np.clip(self.pos + 0.1 * action, -2, 2)
        self.t += 1
        dist = np.linalg.norm(self.pos - self.target)
        reward = -dist
        done = dist < 0.05 or self.t >= self.max_steps
        return self._obs(), float(reward), bool(done)


def build_actor():
    obs = keras.Input(shape=(OBS_DIM,), name="obs")
    x = layers.Dense(HIDDEN, activation="tanh")(obs)
    x = layers.Dense(HIDDEN, activation="tanh")(x)
    mu = layers.Dense(ACT_DIM, kernel_initializer=keras.initializers.Orthogonal(0.01),
                      name="mu")(x)
    return keras.Model(obs, mu, name="actor")


def build_critic():
    obs = keras.Input(shape=(OBS_DIM,), name="obs")
    x = layers.Dense(HIDDEN, activation="tanh")(obs)
    x = layers.Dense(HIDDEN, activation="tanh")(x)
    v = layers.Dense(1, kernel_initializer=keras.initializers.Orthogonal(1.0))(x)
    v = layers.Reshape(())(v)  # (batch,) value estimates
    return keras.Model(obs, v, name="critic")


actor = build_actor()
critic = build_critic()
log_std = tf.Variable(-0.5 * tf.ones(ACT_DIM), name="log_std")
optimizer = keras.optimizers.Adam(learning_rate=LR, epsilon=1e-5)
actor.summary()


def gaussian_log_prob(x, mu, log_std_):
    # sum over action dimension -> (batch,)
    pre = -0.5 * (((x - mu) / tf.exp(log_std_)) ** 2 + 2.0 * log_std_ + np.log(2.0 * np.pi))
    return tf.reduce_sum(pre, axis=-1)


def gaussian_entropy(log_std_):
    return tf.reduce_sum(log_std_ + 0.5 * np.log(2.0 * np.pi * np.e), axis=-1)


@tf.function
def policy_step(obs):
    mu = actor(obs)
    std = tf.exp(log_std)
    action = mu + std * tf.random.normal(tf.shape(mu))
    logp = gaussian_log_prob(action, mu, log_std)
    value = critic(obs)
    return action, logp, value


def compute_gae(rewards, values, dones, last_value):
    """Generalized advantage estimation, numpy, backward pass."""
    T = len(rewards)
    adv = np.zeros(T, dtype=np.float32)
    last_gae = 0.0
    for t in reversed(range(T)):
        next_value = last_value if t == T - 1 else values[t + 1]
        nonterminal = 1.0 - dones[t]
        delta = rewards[t] + GAMMA * next_value * nonterminal - values[t]
        last_gae = delta + GAMMA * LAM * nonterminal * last_gae
        adv[t] = last_gae
    returns = adv + values
    return adv, returns


def collect_rollout(env, obs):
    buf = {k: [] for k in ("obs", "act", "logp", "val", "rew", "done")}
    ep_returns, ep_ret = [], 0.0
    for _ in range(ROLLOUT_STEPS):
        a, lp, v = policy_step(obs[None, :])
        a = a.numpy()[0]
        next_obs, r, d = env.step(a)
        buf["obs"].append(obs)
        buf["act"].append(a)
        buf["logp"].append(lp.numpy()[0])
        buf["val"].append(v.numpy()[0])
        buf["rew"].append(r)
        buf["done"].append(float(d))
        ep_ret += r
        obs = next_obs
        if d:
            ep_returns.append(ep_ret)
            ep_ret = 0.0
            obs = env.reset()
    last_v = critic(obs[None, :]).numpy()[0]
    batch = {k: np.asarray(v, dtype=np.float32) for k, v in buf.items()}
    adv, ret = compute_gae(batch["rew"], batch["val"], batch["done"], last_v)
    batch["adv"] = (adv - adv.mean()) / (adv.std() + 1e-8)
    batch["ret"] = ret
    return batch, obs, ep_returns


@tf.function
def train_step(obs, act, old_logp, adv, ret):
    with tf.GradientTape() as tape:
        mu = actor(obs, training=True)
        logp = gaussian_log_prob(act, mu, log_std)
        ratio = tf.exp(logp - old_logp)
        clipped = tf.clip_by_value(ratio, 1.0 - CLIP_EPS, 1.0 + CLIP_EPS)
        pi_loss = -tf.reduce_mean(tf.minimum(ratio * adv, clipped * adv))
        v = critic(obs, training=True)
        v_loss = tf.reduce_mean(tf.square(ret - v))
        ent = gaussian_entropy(log_std)
        loss = pi_loss + VF_COEF * v_loss - ENT_COEF * ent
    variables = actor.trainable_variables + critic.trainable_variables + [log_std]
    grads = tape.gradient(loss, variables)
    grads, _ = tf.clip_by_global_norm(grads, 0.5)
    optimizer.apply_gradients(zip(grads, variables))
    approx_kl = tf.reduce_mean(old_logp - logp)
    clip_frac = tf.reduce_mean(tf.cast(tf.abs(ratio - 1.0) > CLIP_EPS, tf.float32))
    return pi_loss, v_loss, approx_kl, clip_frac


def main():
    env = PointReachEnv()
    obs = env.reset()
    for update in range(N_UPDATES):
        batch, obs, ep_returns = collect_rollout(env, obs)
        ds = (tf.data.Dataset.from_tensor_slices(
                (batch["obs"], batch["act"], batch["logp"], batch["adv"], batch["ret"]))
              .shuffle(ROLLOUT_STEPS, seed=SEED)
              .batch(MINIBATCH, drop_remainder=True))
        stats = []
        for _ in range(EPOCHS_PER_UPDATE):
            for mb in ds:
                stats.append([s.numpy() for s in train_step(*mb)])
        pi_l, v_l, kl, cf = np.mean(stats, axis=0)
        mean_ret = np.mean(ep_returns) if ep_returns else float("nan")
        print(f"update {update}: ep_ret={mean_ret:.2f} pi_loss={pi_l:.4f} "
              f"v_loss={v_l:.4f} kl={kl:.4f} clipfrac={cf:.3f} "
              f"std={np.exp(log_std.numpy()).round(3)}")


if __name__ == "__main__":
    main()
