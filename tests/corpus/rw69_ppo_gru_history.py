"""PPO with a recurrent (GRU) actor-critic on a partially-observable task.

The agent only sees a noisy position of a moving target, never its velocity, so the
policy gets a sliding window of the last K observations and runs a GRU over them.
Discrete actions, shared encoder, subclassed keras.Model.  Rollouts are turned into
a tf.data pipeline for the PPO minibatch epochs.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

K_HISTORY = 8
OBS_DIM = 2          # [noisy target position, agent position]
N_ACTIONS = 3        # move -1, 0, +1
N_ENVS = 4
HORIZON = 64         # steps per env per rollout
PPO_EPOCHS = 3
MINIBATCH_SIZE = 64
N_ITERATIONS = 3
GAMMA, GAE_LAMBDA = 0.98, 0.9
CLIP = 0.2

tf.random.set_seed(3)
rng = np.random.default_rng(3)


class ChaseEnv:
    """Batched 1-D chase: target drifts with hidden velocity; reward = -|agent - target|."""

    def __init__(self, n_envs, ep_len=40):
        self.n, self.ep_len = n_envs, ep_len
        self.reset_all()

    def reset_all(self):
        self.target = rng.uniform(-1, 1, self.n)
        self.vel = rng.choice([-0.05, 0.05], self.n)
        self.agent = np.zeros(self.n)
        self.t = np.zeros(self.n, dtype=int)
        self.history = np.zeros((self.n, K_HISTORY, OBS_DIM), dtype=np.float32)
        self._push_obs(np.ones(self.n, dtype=bool))
        return self.history.copy()

    def _push_obs(self, reset_mask):
        obs = np.stack([self.target + 0.05 * rng.normal(size=self.n), self.agent], -1)
        self.history[reset_mask] = 0.0
        self.history = np.roll(self.history, shift=-1, axis=1)
        self.history[:, -1] = obs

    def step(self, actions):
        self.agent = np.clip(self.agent + 0.1 * (actions - 1), -2, 2)
        self.target = self.target + self.vel
        bounce = np.abs(self.target) > 1.5
        self.vel[bounce] *= -1
        self.t += 1
        rew = -np.abs(self.agent - self.target).astype(np.float32)
        done = self.t >= self.ep_len
        if done.any():
            k = done.sum()
            self.target[done] = rng.uniform(-1, 1, k)
            self.vel[done] = rng.choice([-0.05, 0.05], k)
            self.agent[done] = 0.0
            self.t[done] = 0
        self._push_obs(done)
        return self.history.copy(), rew, done.astype(np.float32)


class RecurrentActorCritic(keras.Model):
    def __init__(self, n_actions, units=32, **kwargs):
        super().__init__(**kwargs)
        self.embed = keras.layers.TimeDistributed(keras.layers.Dense(units, activation="relu"))
        self.gru = keras.layers.GRU(units, return_sequences=False)
        self.pi_head = keras.layers.Dense(n_actions, name="logits")
        self.v_head = keras.layers.Dense(1, name="value")

    def call(self, obs_seq, training=False):
        # obs_seq: (batch, K, obs_dim)
        h = self.embed(obs_seq)
        h = self.gru(h, training=training)
        logits = self.pi_head(h)
        value = tf.squeeze(self.v_head(h), axis=-1)
        return logits, value


model = RecurrentActorCritic(N_ACTIONS, name="recurrent_ac")
model(tf.zeros((1, K_HISTORY, OBS_DIM)))  # build
model.summary()
optimizer = keras.optimizers.Adam(learning_rate=1e-3)


@tf.function
def sample_action(obs_seq):
    logits, value = model(obs_seq)
    action = tf.random.categorical(logits, 1, dtype=tf.int32)[:, 0]
    logp = -tf.nn.sparse_softmax_cross_entropy_with_logits(labels=action, logits=logits)
    return action, logp, value


def gae(rewards, values, dones, last_values):
    # arrays are (T, N)
    T = rewards.shape[0]
    adv = np.zeros_like(rewards)
    lastgaelam = np.zeros(rewards.shape[1], dtype=np.float32)
    for t in reversed(range(T)):
        nextv = last_values if t == T - 1 else values[t + 1]
        nonterm = 1.0 - dones[t]
        delta = rewards[t] + GAMMA * nextv * nonterm - values[t]
        lastgaelam = delta + GAMMA * GAE_LAMBDA * nonterm * lastgaelam
        adv[t] = lastgaelam
    return adv, adv + values


@tf.function
def ppo_update(obs_seq, actions, old_logp, advantages, returns, old_values):
    advantages = (advantages - tf.reduce_mean(advantages)) / (tf.math.reduce_std(advantages) + 1e-8)
    with tf.GradientTape() as tape:
        logits, values = model(obs_seq, training=True)
        logp = -tf.nn.sparse_softmax_cross_entropy_with_logits(labels=actions, logits=logits)
        ratio = tf.exp(logp - old_logp)
        surr1 = ratio * advantages
        surr2 = tf.clip_by_value(ratio, 1 - CLIP, 1 + CLIP) * advantages
        policy_loss = -tf.reduce_mean(tf.minimum(surr1, surr2))
        # clipped value loss (as in openai/baselines ppo2)
        v_clipped = old_values + tf.clip_by_value(values - old_values, -CLIP, CLIP)
        v_loss = 0.5 * tf.reduce_mean(tf.maximum(tf.square(values - returns),
                                                 tf.square(v_clipped - returns)))
        probs = tf.nn.softmax(logits)
        entropy = -tf.reduce_mean(tf.reduce_sum(probs * tf.nn.log_softmax(logits), axis=-1))
        total = policy_loss + 0.5 * v_loss - 0.01 * entropy
    grads = tape.gradient(total, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 0.5)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return policy_loss, v_loss, entropy


def rollout(env, obs):
    shape = (HORIZON, N_ENVS)
    b_obs = np.zeros(shape + (K_HISTORY, OBS_DIM), np.float32)
    b_act = np.zeros(shape, np.int32)
    b_logp, b_val, b_rew, b_done = (np.zeros(shape, np.float32) for _ in range(4))
    for t in range(HORIZON):
        a, lp, v = sample_action(tf.constant(obs))
        b_obs[t], b_act[t], b_logp[t], b_val[t] = obs, a.numpy(), lp.numpy(), v.numpy()
        obs, b_rew[t], b_done[t] = env.step(b_act[t])
    _, last_v = model(tf.constant(obs))
    adv, ret = gae(b_rew, b_val, b_done, last_v.numpy())
    flat = lambda x: x.reshape((HORIZON * N_ENVS,) + x.shape[2:])
    data = tuple(map(flat, (b_obs, b_act, b_logp, adv, ret, b_val)))
    return data, obs, b_rew.mean()


def main():
    env = ChaseEnv(N_ENVS)
    obs = env.reset_all()
    for it in range(N_ITERATIONS):
        data, obs, mean_rew = rollout(env, obs)
        dataset = (tf.data.Dataset.from_tensor_slices(data)
                   .shuffle(HORIZON * N_ENVS)
                   .batch(MINIBATCH_SIZE)
                   .prefetch(tf.data.AUTOTUNE))
        for epoch in range(PPO_EPOCHS):
            losses = [ppo_update(*mb) for mb in dataset]
        pl, vl, ent = (float(np.mean([l[i] for l in losses])) for i in range(3))
        print(f"iter {it}: mean_reward={mean_rew:.3f} policy={pl:+.4f} value={vl:.4f} entropy={ent:.3f}")


if __name__ == "__main__":
    main()
