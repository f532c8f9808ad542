"""
Pawpularity-style regression: ResNet50 image branch + tabular metadata branch,
trained with a hand-written GradientTape loop inside a K-fold CV.

- target is a 1..100 score, trained as BCE on target/100 (the trick that
  worked well in the PetFinder competition), reported as RMSE
- a fresh model + optimizer per fold, best-epoch weights kept in memory
- hflip TTA at inference, fold-averaged test predictions

ResNet50 is built with weights=None (offline kernel); data is synthetic.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras


@dataclass
class Config:
    seed: int = 7
    img_size: int = 32
    n_meta: int = 12
    n_train: int = 32
    n_test: int = 8
    n_folds: int = 2
    epochs: int = 1
    max_steps: int = 2
    batch_size: int = 8
    lr: float = 2e-4
    weight_decay: float = 1e-6
    meta_units: list = field(default_factory=lambda: [32, 16])


cfg = Config()
keras.utils.set_random_seed(cfg.seed)


def make_data(n, with_target=True):
    images = tf.random.uniform((n, cfg.img_size, cfg.img_size, 3), 0, 255).numpy()
    meta = np.random.binomial(1, 0.3, size=(n, cfg.n_meta)).astype("float32")
    if not with_target:
        return images, meta
    score = 30 + 20 * meta[:, :3].sum(1) + np.random.normal(0, 10, size=n)
    return images, meta, np.clip(score, 1, 100).astype("float32")


class PawNet(keras.Model):
    """Image backbone + meta MLP, concatenated into a single logit."""

    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.preprocess = keras.layers.Lambda(
            keras.applications.resnet50.preprocess_input, name="caffe_preprocess"
        )
        self.backbone = keras.applications.ResNet50(
            include_top=False, weights=None,
            input_shape=(cfg.img_size, cfg.img_size, 3), pooling="avg",
        )
        self.img_proj = keras.layers.Dense(64, activation="relu")
        self.meta_mlp = keras.Sequential(
            [keras.layers.Dense(u, activation="relu") for u in cfg.meta_units], name="meta_mlp"
        )
        self.dropout = keras.layers.Dropout(0.2)
        self.out = keras.layers.Dense(1)  # logit; sigmoid * 100 = pawpularity

    def call(self, inputs, training=False):
        image, meta = inputs
        x = self.preprocess(image)
        x = self.backbone(x, training=training)          # (B, 2048)
        x = self.img_proj(x)                              # (B, 64)
        m = self.meta_mlp(meta)                           # (B, 16)
        h = tf.concat([x, m], axis=-1)                    # (B, 80)
        return self.out(self.dropout(h, training=training))


class FoldTrainer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.model = PawNet(cfg, name="pawnet")
        self.optimizer = keras.optimizers.AdamW(cfg.lr, weight_decay=cfg.weight_decay)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.train_loss = keras.metrics.Mean()

    def train_step(self, image, meta, target):
        with tf.GradientTape() as tape:
            logits = self.model((image, meta), training=True)
            loss = self.loss_fn(target[:, None] / 100.0, logits)
        grads = tape.gradient(loss, self.model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        self.train_loss.update_state(loss)

    def predict(self, images, meta, tta=True):
        preds = []
        for i in range(0, len(images), self.cfg.batch_size):
            img = tf.convert_to_tensor(images[i : i + self.cfg.batch_size])
            m = meta[i : i + self.cfg.batch_size]
            p = tf.sigmoid(self.model((img, m), training=False))
            if tta:
                p_flip = tf.sigmoid(self.model((img[:, :, ::-1, :], m), training=False))
                p = 0.5 * (p + p_flip)
            preds.append(p.numpy()[:, 0] * 100.0)
        return np.concatenate(preds)

    def fit(self, train_arrays, valid_arrays):
        ds = (
            tf.data.Dataset.from_tensor_slices(train_arrays)
            .shuffle(len(train_arrays[0]), seed=self.cfg.seed)
            .batch(self.cfg.batch_size, drop_remainder=True)
        )
        best_rmse, best_weights = np.inf, None
        for epoch in range(self.cfg.epochs):
            self.train_loss.reset_state()
            for step, (img, meta, y) in enumerate(ds.take(self.cfg.max_steps)):
                self.train_step(img, meta, y)
            val_pred = self.predict(valid_arrays[0], valid_arrays[1])
            rmse = float(np.sqrt(np.mean((val_pred - valid_arrays[2]) ** 2)))
            print(f"  epoch {epoch} loss={self.train_loss.result():.4f} val_rmse={rmse:.3f}")
            if rmse < best_rmse:
                best_rmse, best_weights = rmse, self.model.get_weights()
        self.model.set_weights(best_weights)
        return best_rmse


def assign_folds(target, n_folds, seed):
    # bin the continuous target (Sturges' rule) then stratify on the bins
    n_bins = int(np.floor(1 + np.log2(len(target))))
    bins = np.digitize(target, np.quantile(target, np.linspace(0, 1, n_bins + 1)[1:-1]))
    rng = np.random.default_rng(seed)
    folds = np.empty(len(target), dtype=int)
    for b in np.unique(bins):
        idx = rng.permutation(np.flatnonzero(bins == b))
        folds[idx] = np.arange(len(idx)) % n_folds
    return folds


if __name__ == "__main__":
    X_img, X_meta, y = make_data(cfg.n_train)
    T_img, T_meta = make_data(cfg.n_test, with_target=False)
    folds = assign_folds(y, cfg.n_folds, cfg.seed)

    oof = np.zeros_like(y)
    test_pred = np.zeros(cfg.n_test, dtype="float32")
    fold_scores = []

    for fold in range(cfg.n_folds):
        tr, va = folds != fold, folds == fold
        print(f"Fold {fold}: train={tr.sum()} valid={va.sum()}")
        keras.backend.clear_session()
        trainer = FoldTrainer(cfg)
        score = trainer.fit((X_img[tr], X_meta[tr], y[tr]), (X_img[va], X_meta[va], y[va]))
        fold_scores.append(score)
        oof[va] = trainer.predict(X_img[va], X_meta[va])
        test_pred += trainer.predict(T_img, T_meta) / cfg.n_folds

    cv = np.sqrt(np.mean((oof - y) ** 2))
    print("fold RMSE:", np.round(fold_scores, 3), f"| CV RMSE: {cv:.3f}")
    print("test predictions:", test_pred.round(2))
