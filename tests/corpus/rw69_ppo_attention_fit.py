"""PPO with an attention-based actor-critic over a set of entities, trained via model.fit.

Observations are (agent_state, landmarks[N, 3]).  The agent embedding queries the
landmark embeddings with MultiHeadAttention (permutation-invariant encoder), and the
policy is a tanh-squashed diagonal Gaussian (SAC-style log-prob correction).
The PPO update lives in an overridden `train_step`, so each rollout is just
`agent.fit(dataset, epochs=...)` -- a pattern common in Keras-first RL repos.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

N_LANDMARKS = 5
LANDMARK_FEATS = 3   # dx, dy, is_active
AGENT_FEATS = 4      # x, y, vx, vy
ACTION_DIM = 2
EMBED = 32
HEADS = 2

ROLLOUT_LEN = 192
ITERATIONS = 3
EPOCHS = 2
BATCH = 48
GAMMA, LAMBDA = 0.99, 0.95
LOG_2PI = math.log(2.0 * math.pi)

keras.utils.set_random_seed(11)
rng = np.random.default_rng(11)


# --------------------------------------------------------------------------- env
class LandmarkEnv:
    def __init__(self, max_steps=48):
        self.max_steps = max_steps

    def reset(self):
        self.pos = rng.uniform(-1, 1, 2)
        self.vel = np.zeros(2)
        self.landmarks = rng.uniform(-1, 1, (N_LANDMARKS, 2))
        self.active = np.ones(N_LANDMARKS)
        self.t = 0
        return self._obs()

    def _obs(self):
        rel = self.landmarks - self.pos
        lm = np.concatenate([rel, self.active[:, None]], axis=-1).astype(np.float32)
        agent = np.concatenate([self.pos, self.vel]).astype(np.float32)
        return agent, lm

    def step(self, action):
        self.vel = 0.8 * self.vel + 0.05 * np.asarray(action)
        self.pos = np.clip(self.pos + self.vel, -1.2, 1.2)
        d = np.linalg.norm(self.landmarks - self.pos, axis=-1)
        hit = (d < 0.15) & (self.active > 0)
        self.active[hit] = 0.0
        reward = hit.sum() - 0.01 * np.min(np.where(self.active > 0, d, 3.0))
        self.t += 1
        done = self.t >= self.max_steps or self.active.sum() == 0
        return self._obs(), float(reward), bool(done)


# ----------------------------------------------------------------------- layers
class StateIndependentLogStd(layers.Layer):
    """Trainable log-std vector broadcast to the batch dimension of its input."""

    def __init__(self, action_dim, init_value=-0.5, **kwargs):
        super().__init__(**kwargs)
        self.action_dim = action_dim
        self.init_value = init_value

    def build(self, input_shape):
        self.log_std = self.add_weight(
            name="log_std", shape=(self.action_dim,),
            initializer=keras.initializers.Constant(self.init_value), trainable=True)

    def call(self, mu):
        return ops.zeros_like(mu) + ops.clip(self.log_std, -5.0, 1.0)


def build_policy_value_net():
    agent_in = keras.Input(shape=(AGENT_FEATS,), name="agent")
    lm_in = keras.Input(shape=(N_LANDMARKS, LANDMARK_FEATS), name="landmarks")

    q = layers.Dense(EMBED, activation="relu")(agent_in)
    q_tok = layers.Reshape((1, EMBED))(q)                       # (B, 1, E)
    kv = layers.Dense(EMBED, activation="relu")(lm_in)          # (B, N, E)

    # mask out collected landmarks: attention_mask shape (B, 1, N)
    active = layers.Lambda(lambda x: x[:, None, :, 2] > 0.5, name="active_mask")(lm_in)
    attn = layers.MultiHeadAttention(num_heads=HEADS, key_dim=EMBED // HEADS)(
        q_tok, kv, attention_mask=active)
    ctx = layers.Flatten()(layers.Add()([q_tok, attn]))         # residual, (B, E)
    h = layers.Concatenate()([ctx, agent_in])
    h = layers.Dense(64, activation="tanh")(h)

    mu = layers.Dense(ACTION_DIM, name="mu")(h)
    log_std = StateIndependentLogStd(ACTION_DIM, name="log_std")(mu)
    value = layers.Dense(1, name="value")(h)
    return keras.Model([agent_in, lm_in], [mu, log_std, value], name="attn_actor_critic")


def squashed_log_prob(u, mu, log_std):
    """log pi(a) for a = tanh(u), u ~ N(mu, std)."""
    std = ops.exp(log_std)
    gauss = -0.5 * (ops.square((u - mu) / std) + 2.0 * log_std + LOG_2PI)
    correction = 2.0 * (math.log(2.0) - u - ops.softplus(-2.0 * u))  # log(1 - tanh(u)^2)
    return ops.sum(gauss - correction, axis=-1)


# ------------------------------------------------------------------------ agent
class PPOAgent(keras.Model):
    def __init__(self, clip_ratio=0.2, vf_coef=0.5, ent_coef=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.net = build_policy_value_net()
        self.clip_ratio, self.vf_coef, self.ent_coef = clip_ratio, vf_coef, ent_coef
        self.pi_loss_tracker = keras.metrics.Mean(name="pi_loss")
        self.v_loss_tracker = keras.metrics.Mean(name="v_loss")
        self.kl_tracker = keras.metrics.Mean(name="approx_kl")

    @property
    def metrics(self):
        return [self.pi_loss_tracker, self.v_loss_tracker, self.kl_tracker]

    def call(self, inputs, training=False):
        return self.net(inputs, training=training)

    def act(self, agent_obs, lm_obs):
        mu, log_std, value = self.net([agent_obs[None], lm_obs[None]])
        u = mu + ops.exp(log_std) * keras.random.normal(ops.shape(mu))
        logp = squashed_log_prob(u, mu, log_std)
        return (ops.convert_to_numpy(u)[0], float(logp[0]), float(value[0, 0]))

    def train_step(self, data):
        inputs, batch = data
        adv = batch["adv"]
        adv = (adv - ops.mean(adv)) / (ops.std(adv) + 1e-8)
        with tf.GradientTape() as tape:
            mu, log_std, value = self.net(inputs, training=True)
            logp = squashed_log_prob(batch["u"], mu, log_std)
            ratio = ops.exp(logp - batch["logp"])
            clipped = ops.clip(ratio, 1.0 - self.clip_ratio, 1.0 + self.clip_ratio)
            pi_loss = -ops.mean(ops.minimum(ratio * adv, clipped * adv))
            v_loss = ops.mean(ops.square(batch["ret"] - ops.squeeze(value, -1)))
            entropy = ops.mean(ops.sum(log_std, axis=-1))  # up to a constant
            loss = pi_loss + self.vf_coef * v_loss - self.ent_coef * entropy
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.pi_loss_tracker.update_state(pi_loss)
        self.v_loss_tracker.update_state(v_loss)
        self.kl_tracker.update_state(ops.mean(batch["logp"] - logp))
        return {m.name: m.result() for m in self.metrics}


# ---------------------------------------------------------------------- rollout
def collect(agent, env, state):
    agent_buf, lm_buf, u_buf, logp_buf, val_buf, rew_buf, done_buf = ([] for _ in range(7))
    ep_returns, ep_ret = [], 0.0
    for _ in range(ROLLOUT_LEN):
        u, logp, v = agent.act(*state)
        next_state, r, done = env.step(np.tanh(u))
        agent_buf.append(state[0]); lm_buf.append(state[1])
        u_buf.append(u); logp_buf.append(logp); val_buf.append(v)
        rew_buf.append(r); done_buf.append(done)
        ep_ret += r
        state = next_state
        if done:
            ep_returns.append(ep_ret)
            ep_ret, state = 0.0, env.reset()
    last_v = float(agent.net([state[0][None], state[1][None]])[2][0, 0])

    vals = np.append(val_buf, last_v).astype(np.float32)
    rews, dones = np.asarray(rew_buf, np.float32), np.asarray(done_buf, np.float32)
    adv = np.zeros_like(rews)
    gae = 0.0
    for t in reversed(range(ROLLOUT_LEN)):
        delta = rews[t] + GAMMA * vals[t + 1] * (1 - dones[t]) - vals[t]
        gae = delta + GAMMA * LAMBDA * (1 - dones[t]) * gae
        adv[t] = gae
    inputs = {"agent": np.stack(agent_buf), "landmarks": np.stack(lm_buf)}
    targets = {"u": np.stack(u_buf).astype(np.float32),
               "logp": np.asarray(logp_buf, np.float32),
               "adv": adv,
               "ret": adv + vals[:-1]}
    return inputs, targets, state, ep_returns


def main():
    env = LandmarkEnv()
    agent = PPOAgent(name="ppo_agent")
    agent.compile(optimizer=keras.optimizers.Adam(3e-4))
    state = env.reset()
    agent.act(*state)  # build weights
    agent.net.summary()

    for it in range(ITERATIONS):
        inputs, targets, state, ep_returns = collect(agent, env, state)
        ds = (tf.data.Dataset.from_tensor_slices((inputs, targets))
              .shuffle(ROLLOUT_LEN).batch(BATCH, drop_remainder=True))
        hist = agent.fit(ds, epochs=EPOCHS, shuffle=False, verbose=0)
        last = {k: round(v[-1], 4) for k, v in hist.history.items()}
        print(f"iter {it}: episodes={len(ep_returns)} "
              f"mean_return={np.mean(ep_returns) if ep_returns else float('nan'):.3f} {last}")
    print("log_std:", agent.net.get_layer("log_std").log_std.numpy())


if __name__ == "__main__":
    main()
