"""REINFORCE (Monte-Carlo policy gradient) with a running-mean baseline.

Toy env: a 1-D corridor with a noisy position reading. The agent must walk
right to reach the exit; stepping left past the wall costs a penalty.
Several episodes are collected per update and their returns are
normalised before computing the policy-gradient loss.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

N_CELLS = 10
MAX_LEN = 25
GAMMA = 0.97
LEARNING_RATE = 3e-3
EPISODES_PER_UPDATE = 8
N_UPDATES = 15
ENTROPY_COEF = 0.01
BASELINE_MOMENTUM = 0.9

rng = np.random.default_rng(2024)
keras.utils.set_random_seed(2024)


def corridor_reset():
    return {"pos": int(rng.integers(0, 3)), "t": 0}


def corridor_observe(state):
    # one-hot cell + noisy scalar position + time fraction
    onehot = np.eye(N_CELLS, dtype=np.float32)[state["pos"]]
    noisy = state["pos"] / (N_CELLS - 1) + rng.normal(0, 0.05)
    extras = np.array([noisy, state["t"] / MAX_LEN], dtype=np.float32)
    return np.concatenate([onehot, extras])


def corridor_step(state, action):
    """action 0 = left, 1 = stay, 2 = right."""
    delta = action - 1
    state["pos"] += delta
    state["t"] += 1
    if state["pos"] < 0:
        state["pos"] = 0
        return -0.5, state["t"] >= MAX_LEN
    if state["pos"] >= N_CELLS - 1:
        return 5.0, True
    return -0.05, state["t"] >= MAX_LEN


def discounted_returns(rewards, gamma=GAMMA):
    out = np.zeros(len(rewards), dtype=np.float32)
    running = 0.0
    for i in reversed(range(len(rewards))):
        running = rewards[i] + gamma * running
        out[i] = running
    return out


OBS_DIM = N_CELLS + 2
N_ACTIONS = 3

policy = keras.Sequential(
    [
        keras.Input(shape=(OBS_DIM,)),
        keras.layers.Dense(32, activation="tanh"),
        keras.layers.Dense(32, activation="tanh"),
        keras.layers.Dense(N_ACTIONS, name="logits"),
    ],
    name="policy",
)
policy.summary()
optimizer = keras.optimizers.RMSprop(learning_rate=LEARNING_RATE)


def run_episode():
    state = corridor_reset()
    observations, actions, rewards = [], [], []
    done = False
    while not done:
        obs = corridor_observe(state)
        logits = policy(obs[None, :], training=False)
        action = int(tf.random.categorical(logits, num_samples=1)[0, 0])
        reward, done = corridor_step(state, action)
        observations.append(obs)
        actions.append(action)
        rewards.append(reward)
    return np.stack(observations), np.array(actions, np.int32), rewards


def reinforce_loss(logits, actions, advantages):
    log_probs = tf.nn.log_softmax(logits)
    chosen = tf.gather(log_probs, actions, batch_dims=1)
    probs = tf.nn.softmax(logits)
    entropy = -tf.reduce_sum(probs * log_probs, axis=-1)
    pg = -tf.reduce_mean(chosen * advantages)
    return pg - ENTROPY_COEF * tf.reduce_mean(entropy), tf.reduce_mean(entropy)


baseline = 0.0
t0 = time.perf_counter()
for update in range(N_UPDATES):
    episodes = [run_episode() for _ in range(EPISODES_PER_UPDATE)]
    obs_batch = np.concatenate([e[0] for e in episodes])
    act_batch = np.concatenate([e[1] for e in episodes])
    ret_batch = np.concatenate([discounted_returns(e[2]) for e in episodes])
    total_rewards = [sum(e[2]) for e in episodes]

    baseline = BASELINE_MOMENTUM * baseline + (1 - BASELINE_MOMENTUM) * ret_batch.mean()
    adv = ret_batch - baseline
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)

    with tf.GradientTape() as tape:
        logits = policy(obs_batch, training=True)
        loss, ent = reinforce_loss(logits, act_batch, tf.constant(adv, tf.float32))
    grads = tape.gradient(loss, policy.trainable_weights)
    grads, gnorm = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, policy.trainable_weights))

    lengths = [len(e[1]) for e in episodes]
    print(
        f"[{update + 1:02d}/{N_UPDATES}] reward={np.mean(total_rewards):6.2f} "
        f"len={np.mean(lengths):5.1f} loss={loss.numpy():+.4f} "
        f"entropy={ent.numpy():.3f} |g|={gnorm.numpy():.2f} baseline={baseline:.2f}"
    )

print(f"training took {time.perf_counter() - t0:.1f}s")

# inspect the learned action distribution per cell (time fraction fixed at 0)
probe = np.stack([corridor_observe({"pos": p, "t": 0}) for p in range(N_CELLS)])
probs = tf.nn.softmax(policy(probe)).numpy()
for p, row in enumerate(probs):
    print(f"cell {p}: left={row[0]:.2f} stay={row[1]:.2f} right={row[2]:.2f}")
