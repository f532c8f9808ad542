"""Vanilla DQN with a numpy replay buffer and a periodically-synced target network.

Environment is a tiny CartPole-ish balancing task implemented in numpy so the
script runs offline.  Hyperparameters are module constants; bump NUM_EPISODES
to actually learn something.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
STATE_DIM = 4
NUM_ACTIONS = 2
GAMMA = 0.99
LR = 1e-3
BATCH_SIZE = 32
BUFFER_SIZE = 5_000
WARMUP_STEPS = 64
TARGET_UPDATE_EVERY = 50
NUM_EPISODES = 6
MAX_STEPS_PER_EPISODE = 60
EPS_START, EPS_END, EPS_DECAY_STEPS = 1.0, 0.05, 300

np.random.seed(SEED)
tf.random.set_seed(SEED)


class ToyCartPole:
    """Linearised cart-pole: state = [x, x_dot, theta, theta_dot]."""

    def __init__(self, dt=0.02, force=10.0):
        self.dt = dt
        self.force = force
        self.state = None

    def reset(self):
        self.state = np.random.uniform(-0.05, 0.05, size=(STATE_DIM,)).astype(np.float32)
        return self.state.copy()

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        f = self.force if action == 1 else -self.force
        theta_acc = 9.8 * np.sin(theta) - 0.1 * f * np.cos(theta)
        x_acc = 0.1 * f - 0.05 * theta_acc * np.cos(theta)
        x_dot += self.dt * x_acc
        x += self.dt * x_dot
        theta_dot += self.dt * theta_acc
        theta += self.dt * theta_dot
        self.state = np.array([x, x_dot, theta, theta_dot], dtype=np.float32)
        done = bool(abs(x) > 2.4 or abs(theta) > 0.21)
        reward = 0.0 if done else 1.0
        return self.state.copy(), reward, done


class ReplayBuffer:
    def __init__(self, capacity, state_dim):
        self.capacity = capacity
        self.states = np.zeros((capacity, state_dim), dtype=np.float32)
        self.actions = np.zeros((capacity,), dtype=np.int32)
        self.rewards = np.zeros((capacity,), dtype=np.float32)
        self.next_states = np.zeros((capacity, state_dim), dtype=np.float32)
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
        return (
            self.states[idx],
            self.actions[idx],
            self.rewards[idx],
            self.next_states[idx],
            self.dones[idx],
        )

    def __len__(self):
        return self.size


def build_q_network(name="q_net"):
    model = keras.Sequential(
        [
            keras.Input(shape=(STATE_DIM,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(NUM_ACTIONS, activation=None),
        ],
        name=name,
    )
    return model


q_net = build_q_network()
target_net = build_q_network("target_q_net")
target_net.set_weights(q_net.get_weights())
optimizer = keras.optimizers.Adam(learning_rate=LR)
huber = keras.losses.Huber()

q_net.summary()


@tf.function
def train_step(states, actions, rewards, next_states, dones):
    # Bellman target from the frozen network
    next_q = target_net(next_states, training=False)           # (B, A)
    max_next_q = tf.reduce_max(next_q, axis=1)                 # (B,)
    targets = rewards + GAMMA * (1.0 - dones) * max_next_q     # (B,)

    with tf.GradientTape() as tape:
        q_values = q_net(states, training=True)                # (B, A)
        action_mask = tf.one_hot(actions, NUM_ACTIONS)         # (B, A)
        q_taken = tf.reduce_sum(q_values * action_mask, axis=1)
        loss = huber(tf.stop_gradient(targets), q_taken)
    grads = tape.gradient(loss, q_net.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 10.0)
    optimizer.apply_gradients(zip(grads, q_net.trainable_variables))
    return loss


def epsilon_by_step(step):
    frac = min(1.0, step / EPS_DECAY_STEPS)
    return EPS_START + frac * (EPS_END - EPS_START)


def select_action(state, eps):
    if np.random.rand() < eps:
        return np.random.randint(NUM_ACTIONS)
    q = q_net(state[None, :], training=False)
    return int(tf.argmax(q[0]).numpy())


def main():
    env = ToyCartPole()
    buffer = ReplayBuffer(BUFFER_SIZE, STATE_DIM)
    global_step = 0
    returns = []

    for episode in range(NUM_EPISODES):
        state = env.reset()
        ep_return, losses = 0.0, []
        for _ in range(MAX_STEPS_PER_EPISODE):
            eps = epsilon_by_step(global_step)
            action = select_action(state, eps)
            next_state, reward, done = env.step(action)
            buffer.add(state, action, reward, next_state, done)
            state = next_state
            ep_return += reward
            global_step += 1

            if len(buffer) >= WARMUP_STEPS:
                batch = buffer.sample(BATCH_SIZE)
                loss = train_step(*[tf.convert_to_tensor(x) for x in batch])
                losses.append(float(loss))

            if global_step % TARGET_UPDATE_EVERY == 0:
                target_net.set_weights(q_net.get_weights())

            if done:
                break

        returns.append(ep_return)
        mean_loss = np.mean(losses) if losses else float("nan")
        print(f"episode {episode:02d} return={ep_return:5.1f} eps={eps:.2f} loss={mean_loss:.4f}")

    print("avg return over last episodes:", np.mean(returns[-3:]))


if __name__ == "__main__":
    main()
