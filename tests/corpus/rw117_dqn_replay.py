"""Vanilla DQN on a toy synthetic environment.

Q-network + target network, a uniform numpy replay buffer and a
GradientTape training step. The "environment" is a tiny random MDP
so the script needs no gym install.
"""
import random
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
STATE_DIM = 8
NUM_ACTIONS = 4
BUFFER_SIZE = 2000
BATCH_SIZE = 32
GAMMA = 0.99
LEARNING_RATE = 1e-3
TARGET_SYNC_EVERY = 50
TOTAL_STEPS = 400
WARMUP_STEPS = 64
EPS_START, EPS_END, EPS_DECAY_STEPS = 1.0, 0.05, 300

random.seed(SEED)
np.random.seed(SEED)
tf.random.set_seed(SEED)


class ToyEnv:
    """Random linear dynamics; reward is higher for the action aligned with the state."""

    def __init__(self, state_dim, num_actions, max_len=25):
        self.state_dim = state_dim
        self.num_actions = num_actions
        self.max_len = max_len
        self.proj = np.random.randn(num_actions, state_dim).astype(np.float32)
        self.trans = np.random.randn(num_actions, state_dim, state_dim).astype(np.float32) * 0.3
        self.t = 0
        self.state = None

    def reset(self):
        self.t = 0
        self.state = np.random.randn(self.state_dim).astype(np.float32)
        return self.state.copy()

    def step(self, action):
        reward = float(np.tanh(self.proj[action] @ self.state))
        nxt = np.tanh(self.trans[action] @ self.state + 0.1 * np.random.randn(self.state_dim))
        self.state = nxt.astype(np.float32)
        self.t += 1
        done = self.t >= self.max_len
        return self.state.copy(), reward, done


class ReplayBuffer:
    def __init__(self, capacity, state_dim):
        self.capacity = capacity
        self.states = np.zeros((capacity, state_dim), dtype=np.float32)
        self.next_states = np.zeros((capacity, state_dim), dtype=np.float32)
        self.actions = np.zeros((capacity,), dtype=np.int32)
        self.rewards = np.zeros((capacity,), dtype=np.float32)
        self.dones = np.zeros((capacity,), dtype=np.float32)
        self.ptr = 0
        self.size = 0

    def add(self, s, a, r, s2, d):
        i = self.ptr
        self.states[i] = s
        self.actions[i] = a
        self.rewards[i] = r
        self.next_states[i] = s2
        self.dones[i] = float(d)
        self.ptr = (self.ptr + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size):
        idx = np.random.randint(0, self.size, size=batch_size)
        return (self.states[idx], self.actions[idx], self.rewards[idx],
                self.next_states[idx], self.dones[idx])

    def __len__(self):
        return self.size


def build_q_network(state_dim, num_actions, hidden=(64, 64), name="q_net"):
    inputs = keras.Input(shape=(state_dim,), name="state")
    x = inputs
    for i, units in enumerate(hidden):
        x = layers.Dense(units, activation="relu", name=f"fc{i}")(x)
    q_values = layers.Dense(num_actions, name="q_values")(x)
    return keras.Model(inputs, q_values, name=name)


q_net = build_q_network(STATE_DIM, NUM_ACTIONS)
target_net = build_q_network(STATE_DIM, NUM_ACTIONS, name="target_q_net")
target_net.set_weights(q_net.get_weights())
optimizer = keras.optimizers.Adam(learning_rate=LEARNING_RATE, clipnorm=10.0)
huber = keras.losses.Huber()


@tf.function
def train_step(states, actions, rewards, next_states, dones):
    next_q = target_net(next_states, training=False)
    max_next_q = tf.reduce_max(next_q, axis=1)
    targets = rewards + GAMMA * (1.0 - dones) * max_next_q
    targets = tf.stop_gradient(targets)
    with tf.GradientTape() as tape:
        q = q_net(states, training=True)
        action_mask = tf.one_hot(actions, NUM_ACTIONS)
        q_taken = tf.reduce_sum(q * action_mask, axis=1)
        loss = huber(targets, q_taken)
    grads = tape.gradient(loss, q_net.trainable_variables)
    optimizer.apply_gradients(zip(grads, q_net.trainable_variables))
    return loss, tf.reduce_mean(q_taken)


def epsilon_at(step):
    frac = min(1.0, step / EPS_DECAY_STEPS)
    return EPS_START + frac * (EPS_END - EPS_START)


def select_action(state, eps):
    if random.random() < eps:
        return random.randrange(NUM_ACTIONS)
    q = q_net(state[None, :], training=False)
    return int(np.argmax(q.numpy()[0]))


def main():
    env = ToyEnv(STATE_DIM, NUM_ACTIONS)
    buffer = ReplayBuffer(BUFFER_SIZE, STATE_DIM)
    state = env.reset()
    episode_return, returns, losses = 0.0, [], []

    for step in range(1, TOTAL_STEPS + 1):
        action = select_action(state, epsilon_at(step))
        next_state, reward, done = env.step(action)
        buffer.add(state, action, reward, next_state, done)
        episode_return += reward
        state = next_state

        if done:
            returns.append(episode_return)
            episode_return = 0.0
            state = env.reset()

        if len(buffer) >= WARMUP_STEPS:
            batch = [tf.convert_to_tensor(x) for x in buffer.sample(BATCH_SIZE)]
            loss, mean_q = train_step(*batch)
            losses.append(float(loss))

        if step % TARGET_SYNC_EVERY == 0:
            target_net.set_weights(q_net.get_weights())
            recent = np.mean(returns[-5:]) if returns else float("nan")
            recent_loss = np.mean(losses[-50:]) if losses else float("nan")
            print(f"step {step:4d} | eps {epsilon_at(step):.2f} | "
                  f"loss {recent_loss:.4f} | avg return (last 5) {recent:.3f}")

    print(f"finished {len(returns)} episodes, buffer size {len(buffer)}")


if __name__ == "__main__":
    main()
