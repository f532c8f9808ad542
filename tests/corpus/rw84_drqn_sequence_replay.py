"""Recurrent DQN (DRQN / R2D2-lite) on a partially observable task.

The agent only sees a noisy position (no velocity), so it needs memory. Replay
stores fixed-length sequences in numpy; during training the first BURN_IN steps
only warm up the GRU state (no loss), and the remaining steps get Double-DQN
n-step=1 targets from a target network. Acting uses a batch of envs with one
carried GRU state per env.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

cfg = {
    "num_envs": 8,
    "obs_dim": 2,         # noisy position + previous action scalar
    "num_actions": 3,
    "seq_len": 12,
    "burn_in": 4,
    "gru_units": 48,
    "replay_seqs": 400,
    "batch_seqs": 16,
    "gamma": 0.95,
    "lr": 1e-3,
    "collect_rounds": 14,
    "target_every": 5,
    "eps": 0.2,
    "seed": 21,
}
tf.random.set_seed(cfg["seed"])
rng = np.random.default_rng(cfg["seed"])


class HiddenVelocityEnv:
    """Keep a drifting particle near the origin; velocity is not observed."""

    def __init__(self, n):
        self.n = n

    def reset(self):
        self.x = rng.uniform(-1, 1, self.n)
        self.v = rng.uniform(-0.1, 0.1, self.n)
        self.prev_a = np.ones(self.n, np.int64)
        return self.obs()

    def obs(self):
        noisy_x = self.x + 0.02 * rng.standard_normal(self.n)
        return np.stack([noisy_x, (self.prev_a - 1.0)], -1).astype(np.float32)

    def step(self, a):
        self.v = 0.9 * self.v + 0.03 * (a - 1)
        self.x = np.clip(self.x + self.v, -2, 2)
        self.prev_a = a
        r = (1.0 - np.abs(self.x)).astype(np.float32)
        return self.obs(), r


class RecurrentQNet(keras.Model):
    def __init__(self, num_actions, units, **kw):
        super().__init__(**kw)
        self.encoder = keras.layers.Dense(32, activation="relu")
        self.gru = keras.layers.GRU(units, return_sequences=True, return_state=True)
        self.q_head = keras.layers.Dense(num_actions)

    def call(self, obs_seq, initial_state=None, training=False):
        # obs_seq: (B, T, obs_dim) -> q: (B, T, A), final state: (B, units)
        z = self.encoder(obs_seq)
        if initial_state is None:
            seq, state = self.gru(z, training=training)
        else:
            seq, state = self.gru(z, initial_state=initial_state, training=training)
        return self.q_head(seq), state

    def zero_state(self, batch):
        return tf.zeros((batch, self.gru.units))


class SequenceReplay:
    def __init__(self, capacity, seq_len, obs_dim, units):
        self.obs = np.zeros((capacity, seq_len + 1, obs_dim), np.float32)  # +1 for bootstrap
        self.act = np.zeros((capacity, seq_len), np.int32)
        self.rew = np.zeros((capacity, seq_len), np.float32)
        self.h0 = np.zeros((capacity, units), np.float32)  # stored recurrent state
        self.capacity, self.ptr, self.size = capacity, 0, 0

    def add(self, obs, act, rew, h0):
        """All args batched over envs: obs (N, T+1, D), act/rew (N, T), h0 (N, U)."""
        n = obs.shape[0]
        idx = (self.ptr + np.arange(n)) % self.capacity
        self.obs[idx], self.act[idx], self.rew[idx], self.h0[idx] = obs, act, rew, h0
        self.ptr = int((self.ptr + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def sample(self, b):
        idx = rng.choice(self.size, size=b, replace=False)
        return self.obs[idx], self.act[idx], self.rew[idx], self.h0[idx]


online = RecurrentQNet(cfg["num_actions"], cfg["gru_units"], name="drqn")
target = RecurrentQNet(cfg["num_actions"], cfg["gru_units"], name="drqn_target")
dummy = tf.zeros((1, cfg["seq_len"], cfg["obs_dim"]))
online(dummy)
target(dummy)
target.set_weights(online.get_weights())
online.summary()
opt = keras.optimizers.Adam(cfg["lr"])


@tf.function
def act_step(obs, h):
    """One step for all envs: obs (N, D) -> greedy actions (N,), new state."""
    q, h_new = online(obs[:, None, :], initial_state=h)
    return tf.argmax(q[:, 0, :], axis=-1, output_type=tf.int32), h_new


@tf.function
def learn(obs, act, rew, h0):
    B = cfg["burn_in"]
    # Burn-in: refresh the stored state with the current weights, no gradient.
    _, h_online = online(obs[:, :B], initial_state=h0)
    _, h_target = target(obs[:, :B], initial_state=h0)
    h_online = tf.stop_gradient(h_online)

    train_obs = obs[:, B:]  # (batch, T-B+1, D) includes bootstrap step
    q_next_online, _ = online(train_obs, initial_state=h_online)
    q_next_target, _ = target(train_obs, initial_state=h_target)
    next_a = tf.argmax(q_next_online[:, 1:], axis=-1, output_type=tf.int32)
    next_q = tf.gather(q_next_target[:, 1:], next_a, batch_dims=2)  # (batch, T-B)
    y = rew[:, B:] + cfg["gamma"] * next_q

    with tf.GradientTape() as tape:
        q_seq, _ = online(train_obs[:, :-1], initial_state=h_online, training=True)
        q_taken = tf.gather(q_seq, act[:, B:], batch_dims=2)
        loss = tf.reduce_mean(keras.losses.huber(tf.stop_gradient(y)[..., None], q_taken[..., None]))
    grads = tape.gradient(loss, online.trainable_variables)
    opt.apply_gradients(zip(grads, online.trainable_variables))
    return loss, tf.reduce_mean(q_taken)


def collect_sequences(env, obs, h):
    n, T = cfg["num_envs"], cfg["seq_len"]
    obs_seq = np.zeros((n, T + 1, cfg["obs_dim"]), np.float32)
    act_seq = np.zeros((n, T), np.int32)
    rew_seq = np.zeros((n, T), np.float32)
    h_start = h.numpy()
    for t in range(T):
        greedy, h = act_step(tf.constant(obs), h)
        random_a = rng.integers(0, cfg["num_actions"], n)
        a = np.where(rng.random(n) < cfg["eps"], random_a, greedy.numpy())
        obs_seq[:, t], act_seq[:, t] = obs, a
        obs, rew_seq[:, t] = env.step(a)
    obs_seq[:, T] = obs
    return obs, h, (obs_seq, act_seq, rew_seq, h_start)


def main():
    env = HiddenVelocityEnv(cfg["num_envs"])
    replay = SequenceReplay(cfg["replay_seqs"], cfg["seq_len"], cfg["obs_dim"], cfg["gru_units"])
    obs, h = env.reset(), online.zero_state(cfg["num_envs"])

    for rnd in range(cfg["collect_rounds"]):
        obs, h, seqs = collect_sequences(env, obs, h)
        replay.add(*seqs)
        mean_r = seqs[2].mean()

        if replay.size >= cfg["batch_seqs"]:
            for _ in range(4):
                batch = [tf.constant(x) for x in replay.sample(cfg["batch_seqs"])]
                loss, mean_q = learn(*batch)
            print(f"round {rnd:2d} | reward/step {mean_r:+.3f} | loss {float(loss):.4f} "
                  f"| mean Q {float(mean_q):.3f} | replay {replay.size}")
        if rnd % cfg["target_every"] == 0:
            target.set_weights(online.get_weights())

        # every few rounds, start fresh episodes (and reset their memory)
        if rnd % 5 == 4:
            obs, h = env.reset(), online.zero_state(cfg["num_envs"])


if __name__ == "__main__":
    main()
