#!/usr/bin/env python
# Recurrent (LSTM) actor-critic for a partially observable "remember the cue" task.
#
# Episode: at t=0 the agent sees a cue (one of K colours); afterwards only noise.
# At the final step it must choose the action matching the cue. Everything is
# synthetic. The network carries (h, c) explicitly so it can be used both for
# step-by-step acting and for whole-sequence training with padding masks.
import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers

K_CUES = 3
OBS_DIM = K_CUES + 2          # cue one-hot + noise feature + "is_last_step" flag
LSTM_UNITS = 48
MIN_LEN, MAX_LEN = 4, 10
N_EPISODES = 192
BATCH_SIZE = 32
TRAIN_STEPS = 30

np.random.seed(11)
tf.random.set_seed(11)


def build_recurrent_policy():
    obs_seq = keras.Input(shape=(None, OBS_DIM), name="obs_seq")
    h_in = keras.Input(shape=(LSTM_UNITS,), name="h_in")
    c_in = keras.Input(shape=(LSTM_UNITS,), name="c_in")

    # Dense acts on the last axis, so no TimeDistributed wrapper is needed here
    x = layers.Dense(32, activation="relu", name="encoder")(obs_seq)
    seq, h_out, c_out = layers.LSTM(
        LSTM_UNITS, return_sequences=True, return_state=True, name="lstm")(x, initial_state=[h_in, c_in])
    logits = layers.Dense(K_CUES, name="policy_logits")(seq)
    value = layers.Dense(1, name="value")(seq)
    value = layers.Reshape((-1,), name="value_squeeze")(value)
    return keras.Model([obs_seq, h_in, c_in], [logits, value, h_out, c_out], name="lstm_ac")


policy = build_recurrent_policy()
optimizer = keras.optimizers.Adam(2e-3)


def zero_state(batch):
    return (tf.zeros((batch, LSTM_UNITS)), tf.zeros((batch, LSTM_UNITS)))


def make_episode():
    length = np.random.randint(MIN_LEN, MAX_LEN + 1)
    cue = np.random.randint(K_CUES)
    obs = np.zeros((length, OBS_DIM), dtype=np.float32)
    obs[0, cue] = 1.0
    obs[:, K_CUES] = np.random.randn(length) * 0.5
    obs[-1, K_CUES + 1] = 1.0
    return obs, cue


@tf.function(reduce_retracing=True)
def act_step(step_obs, h, c):
    logits, _, h, c = policy([step_obs, h, c], training=False)
    action = tf.random.categorical(logits[:, 0], 1, dtype=tf.int32)[:, 0]
    return action, h, c


def rollout_batch(policy, episodes):
    """Acts step-by-step (carrying LSTM state) to produce sampled actions + rewards."""
    n = len(episodes)
    lengths = np.array([len(o) for o, _ in episodes])
    T = lengths.max()
    obs = np.zeros((n, T, OBS_DIM), np.float32)
    for i, (o, _) in enumerate(episodes):
        obs[i, : len(o)] = o
    cues = np.array([c for _, c in episodes])

    h, c = zero_state(n)
    actions = np.zeros((n, T), np.int32)
    for t in range(T):
        a_t, h, c = act_step(tf.convert_to_tensor(obs[:, t : t + 1]), h, c)
        actions[:, t] = a_t.numpy()

    mask = (np.arange(T)[None, :] < lengths[:, None]).astype(np.float32)
    rewards = np.zeros((n, T), np.float32)
    last_idx = lengths - 1
    rewards[np.arange(n), last_idx] = (actions[np.arange(n), last_idx] == cues).astype(np.float32)
    # undiscounted return-to-go (only terminal reward, so it is broadcast back)
    returns = rewards[np.arange(n), last_idx][:, None] * mask
    return obs, actions, returns, mask, cues




@tf.function(reduce_retracing=True)
def train_on_sequences(obs, actions, returns, mask):
    h0, c0 = zero_state(tf.shape(obs)[0])
    with tf.GradientTape() as tape:
        logits, values, _, _ = policy([obs, h0, c0], training=True)
        logp = tf.nn.log_softmax(logits)
        logp_a = tf.gather(logp, actions, axis=-1, batch_dims=2)
        adv = tf.stop_gradient(returns - values)
        denom = tf.reduce_sum(mask)
        pg = -tf.reduce_sum(logp_a * adv * mask) / denom
        vf = tf.reduce_sum(tf.square(returns - values) * mask) / denom
        ent = -tf.reduce_sum(tf.reduce_sum(tf.exp(logp) * logp, -1) * mask) / denom
        loss = pg + 0.5 * vf - 0.01 * ent
    grads = tape.gradient(loss, policy.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 1.0)
    optimizer.apply_gradients(zip(grads, policy.trainable_variables))
    return loss, pg, vf


def main():
    policy.summary(line_length=100)
    pool = [make_episode() for _ in range(N_EPISODES)]
    for step in range(1, TRAIN_STEPS + 1):
        idx = np.random.choice(N_EPISODES, BATCH_SIZE, replace=False)
        obs, actions, returns, mask, _ = rollout_batch(policy, [pool[i] for i in idx])
        loss, pg, vf = train_on_sequences(
            tf.constant(obs), tf.constant(actions), tf.constant(returns), tf.constant(mask))
        if step % 10 == 0:
            success = returns[:, 0].mean()
            print(f"step {step:3d}  loss={float(loss):+.4f}  pg={float(pg):+.4f}  "
                  f"vf={float(vf):.4f}  success_rate={success:.2f}")

    # sanity: single-step acting matches full-sequence evaluation
    obs, _ = make_episode()
    seq_logits, _, _, _ = policy([tf.constant(obs[None]), *zero_state(1)])
    h, c = zero_state(1)
    step_logits = []
    for t in range(len(obs)):
        lg, _, h, c = policy([tf.constant(obs[None, t : t + 1]), h, c])
        step_logits.append(lg[0, 0].numpy())
    diff = np.abs(np.stack(step_logits) - seq_logits[0].numpy()).max()
    print(f"max |step-by-step - full-seq| logits diff: {diff:.2e}")


if __name__ == "__main__":
    main()
