"""PPO-Clip for continuous control with a diagonal Gaussian policy (Keras 3).

Functional model with two heads (policy mean, state value) plus a custom layer that
owns the state-independent log-std parameter. Rollout data is shuffled into
minibatches with tf.data and optimised for several epochs with the clipped surrogate
objective, clipped value loss and an entropy bonus. The "environment" is a batch of
random linear-quadratic regulators implemented in numpy.
"""
import math
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


class Config:
    seed = 3
    obs_dim = 6
    act_dim = 2
    num_envs = 8
    horizon = 64            # steps per env per rollout
    iterations = 6
    ppo_epochs = 4
    minibatch_size = 128
    gamma = 0.99
    lam = 0.95
    clip_ratio = 0.2
    value_clip = 0.2
    vf_coef = 0.5
    ent_coef = 0.0
    lr = 3e-4
    target_kl = 0.05
    init_log_std = -0.5


keras.utils.set_random_seed(Config.seed)
LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------- env
class BatchedLQR:
    """x' = A x + B u + noise, reward = -(x'Qx + u'Ru). Episodes of fixed length."""

    def __init__(self, n, obs_dim, act_dim, ep_len=100, seed=0):
        rng = np.random.default_rng(seed)
        self.rng = rng
        A = np.eye(obs_dim) + 0.05 * rng.standard_normal((obs_dim, obs_dim))
        A *= 0.98 / np.max(np.abs(np.linalg.eigvals(A)))  # keep the open-loop system stable
        self.A = A.astype(np.float32)
        self.B = (0.1 * rng.standard_normal((obs_dim, act_dim))).astype(np.float32)
        self.n, self.obs_dim, self.ep_len = n, obs_dim, ep_len
        self.x = np.zeros((n, obs_dim), np.float32)
        self.t = np.zeros(n, np.int64)

    def reset(self):
        self.x = self.rng.normal(size=(self.n, self.obs_dim)).astype(np.float32)
        self.t[:] = 0
        return self.x.copy()

    def step(self, u):
        u = np.clip(u, -2.0, 2.0)
        noise = 0.01 * self.rng.standard_normal(self.x.shape).astype(np.float32)
        self.x = self.x @ self.A.T + u @ self.B.T + noise
        self.x = np.clip(self.x, -10, 10)
        cost = np.sum(self.x ** 2, axis=1) + 0.1 * np.sum(u ** 2, axis=1)
        self.t += 1
        done = self.t >= self.ep_len
        if done.any():
            self.x[done] = self.rng.normal(size=(done.sum(), self.obs_dim))
            self.t[done] = 0
        return self.x.copy(), (-0.1 * cost).astype(np.float32), done.astype(np.float32)


# --------------------------------------------------------------------------- model
class GaussianLogStd(layers.Layer):
    """Adds a trainable, state-independent log std and broadcasts it to the batch."""

    def __init__(self, act_dim, init_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.act_dim = act_dim
        self.init_value = init_value

    def build(self, input_shape):
        self.log_std = self.add_weight(
            name="log_std",
            shape=(self.act_dim,),
            initializer=keras.initializers.Constant(self.init_value),
            trainable=True,
        )

    def call(self, mean):
        return ops.zeros_like(mean) + self.log_std  # broadcast (act_dim,) -> (B, act_dim)


def build_actor_critic(cfg):
    obs = keras.Input(shape=(cfg.obs_dim,), name="obs")

    pi = layers.Dense(64, activation="tanh", name="pi_fc1")(obs)
    pi = layers.Dense(64, activation="tanh", name="pi_fc2")(pi)
    mean = layers.Dense(
        cfg.act_dim, kernel_initializer=keras.initializers.Orthogonal(0.01), name="mu"
    )(pi)
    log_std = GaussianLogStd(cfg.act_dim, cfg.init_log_std, name="log_std")(mean)

    vf = layers.Dense(64, activation="tanh", name="vf_fc1")(obs)
    vf = layers.Dense(64, activation="tanh", name="vf_fc2")(vf)
    value = layers.Dense(1, name="v")(vf)
    value = layers.Reshape((), name="v_flat")(value)

    return keras.Model(obs, {"mean": mean, "log_std": log_std, "value": value}, name="ppo_ac")


def gaussian_log_prob(x, mean, log_std):
    z = (x - mean) * ops.exp(-log_std)
    return ops.sum(-0.5 * ops.square(z) - log_std - 0.5 * LOG_2PI, axis=-1)


def gaussian_entropy(log_std):
    return ops.sum(log_std + 0.5 * (1.0 + LOG_2PI), axis=-1)


# --------------------------------------------------------------------------- PPO
model = build_actor_critic(Config)
model.summary(line_length=90)
optimizer = keras.optimizers.Adam(Config.lr, epsilon=1e-5, global_clipnorm=0.5)


@tf.function
def policy_step(obs):
    out = model(obs, training=False)
    std = ops.exp(out["log_std"])
    action = out["mean"] + std * tf.random.normal(tf.shape(out["mean"]))
    logp = gaussian_log_prob(action, out["mean"], out["log_std"])
    return action, logp, out["value"]


@tf.function
def ppo_update(obs, act, old_logp, adv, ret, old_val):
    with tf.GradientTape() as tape:
        out = model(obs, training=True)
        logp = gaussian_log_prob(act, out["mean"], out["log_std"])
        ratio = ops.exp(logp - old_logp)
        surr1 = ratio * adv
        surr2 = ops.clip(ratio, 1.0 - Config.clip_ratio, 1.0 + Config.clip_ratio) * adv
        pi_loss = -ops.mean(ops.minimum(surr1, surr2))

        v = out["value"]
        v_clipped = old_val + ops.clip(v - old_val, -Config.value_clip, Config.value_clip)
        v_loss = 0.5 * ops.mean(ops.maximum(ops.square(v - ret), ops.square(v_clipped - ret)))

        entropy = ops.mean(gaussian_entropy(out["log_std"]))
        loss = pi_loss + Config.vf_coef * v_loss - Config.ent_coef * entropy

    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))

    approx_kl = ops.mean(old_logp - logp)
    clip_frac = ops.mean(ops.cast(ops.abs(ratio - 1.0) > Config.clip_ratio, "float32"))
    return pi_loss, v_loss, entropy, approx_kl, clip_frac


def discount_gae(rew, val, done, last_val, gamma, lam):
    T = len(rew)
    adv = np.zeros_like(rew)
    gae = 0.0
    for t in reversed(range(T)):
        nxt = last_val if t == T - 1 else val[t + 1]
        mask = 1.0 - done[t]
        delta = rew[t] + gamma * nxt * mask - val[t]
        gae = delta + gamma * lam * mask * gae
        adv[t] = gae
    return adv


def collect(env, obs, cfg):
    T, N = cfg.horizon, cfg.num_envs
    buf = {
        "obs": np.zeros((T, N, cfg.obs_dim), np.float32),
        "act": np.zeros((T, N, cfg.act_dim), np.float32),
        "logp": np.zeros((T, N), np.float32),
        "val": np.zeros((T, N), np.float32),
        "rew": np.zeros((T, N), np.float32),
        "done": np.zeros((T, N), np.float32),
    }
    for t in range(T):
        a, logp, v = policy_step(obs)
        a = a.numpy()
        buf["obs"][t], buf["act"][t] = obs, a
        buf["logp"][t], buf["val"][t] = logp.numpy(), v.numpy()
        obs, buf["rew"][t], buf["done"][t] = env.step(a)
    _, _, last_val = policy_step(obs)
    adv = discount_gae(buf["rew"], buf["val"], buf["done"], last_val.numpy(), cfg.gamma, cfg.lam)
    buf["adv"] = adv
    buf["ret"] = adv + buf["val"]
    return obs, buf


def make_dataset(buf, cfg):
    flat = {k: v.reshape((-1,) + v.shape[2:]) for k, v in buf.items() if k not in ("rew", "done")}
    flat["adv"] = (flat["adv"] - flat["adv"].mean()) / (flat["adv"].std() + 1e-8)
    ds = tf.data.Dataset.from_tensor_slices(
        (flat["obs"], flat["act"], flat["logp"], flat["adv"], flat["ret"], flat["val"])
    )
    n = flat["obs"].shape[0]
    return ds.shuffle(n, seed=cfg.seed).batch(cfg.minibatch_size, drop_remainder=True)


def train(cfg=Config):
    env = BatchedLQR(cfg.num_envs, cfg.obs_dim, cfg.act_dim, seed=cfg.seed)
    obs = env.reset()
    for it in range(cfg.iterations):
        t0 = time.time()
        obs, buf = collect(env, obs, cfg)
        ds = make_dataset(buf, cfg)

        stats = []
        early_stop = False
        for epoch in range(cfg.ppo_epochs):
            for mb in ds:
                stats.append([float(x) for x in ppo_update(*mb)])
            # early stopping on KL, checked eagerly between epochs
            if np.mean([s[3] for s in stats[-4:]]) > 1.5 * cfg.target_kl:
                early_stop = True
                break
        pi_l, v_l, ent, kl, cf = np.mean(stats, axis=0)
        std = np.exp(model.get_layer("log_std").log_std.numpy())
        print(
            f"it {it} | ep_rew/step {buf['rew'].mean():+.3f} | pi {pi_l:+.4f} v {v_l:.4f} "
            f"ent {ent:.3f} kl {kl:.4f} clipfrac {cf:.2f} | std {np.round(std, 3)} "
            f"| {'early-stop ' if early_stop else ''}{time.time() - t0:.1f}s"
        )


if __name__ == "__main__":
    train()
