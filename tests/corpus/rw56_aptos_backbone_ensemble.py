"""APTOS-style ordinal grading: two frozen CNN backbones + K-fold heads + QWK blending.

Workflow from a "fast baseline" kernel:
  1. EfficientNetB0 and ResNet50 (weights=None here; on Kaggle you'd attach the
     imagenet weights as a dataset) are used as frozen feature extractors.
     Embeddings are computed once with 4-view TTA and cached.
  2. For every backbone a small regression head is trained per fold
     (fresh Sequential model each fold) -> OOF + test predictions.
  3. Backbones are blended with a weight grid-searched on OOF QWK, and the
     continuous output is cut into grades 0..4 with optimised thresholds.
"""
import numpy as np
import keras
from keras import layers, ops

IMG = 32
N_TRAIN, N_TEST = 64, 16
N_GRADES = 5
K = 4
EMBED_BATCH = 32
HEAD_EPOCHS = 3
DEFAULT_THRESHOLDS = [0.5, 1.5, 2.5, 3.5]

keras.utils.set_random_seed(31337)
rng = np.random.default_rng(31337)

BACKBONES = {
    "effnetb0": (keras.applications.EfficientNetB0, keras.applications.efficientnet.preprocess_input),
    "resnet50": (keras.applications.ResNet50, keras.applications.resnet50.preprocess_input),
}


def fundus_like_images(n):
    """Random 'retina' images: a bright disc on a dark background plus noise."""
    yy, xx = np.mgrid[:IMG, :IMG]
    disc = ((yy - IMG / 2) ** 2 + (xx - IMG / 2) ** 2 < (IMG / 2.2) ** 2).astype("float32")
    imgs = rng.uniform(0, 60, size=(n, IMG, IMG, 3)).astype("float32")
    imgs += disc[None, :, :, None] * rng.uniform(100, 180, size=(n, 1, 1, 3)).astype("float32")
    return np.clip(imgs, 0, 255)


def tta_batch(x):
    """(B, H, W, C) -> (4, B, H, W, C): identity, hflip, vflip, hvflip."""
    return ops.stack([x, ops.flip(x, axis=2), ops.flip(x, axis=1), ops.flip(ops.flip(x, axis=1), axis=2)])


def extract_embeddings(name, *image_sets):
    ctor, preprocess = BACKBONES[name]
    backbone = ctor(include_top=False, weights=None, input_shape=(IMG, IMG, 3), pooling="avg")
    backbone.trainable = False
    outputs = [_embed(backbone, preprocess, images) for images in image_sets]
    del backbone
    keras.backend.clear_session()
    return outputs


def _embed(backbone, preprocess, images):
    feats = []
    for start in range(0, len(images), EMBED_BATCH):
        x = preprocess(ops.convert_to_tensor(images[start : start + EMBED_BATCH]))
        views = tta_batch(x)                                    # (4, B, H, W, C)
        n_views, b = views.shape[0], views.shape[1]
        flat = ops.reshape(views, (n_views * b, IMG, IMG, 3))   # one forward pass for all views
        emb = backbone(flat, training=False)                    # (4*B, D)
        emb = ops.mean(ops.reshape(emb, (n_views, b, -1)), axis=0)
        feats.append(ops.convert_to_numpy(emb))
    return np.concatenate(feats).astype("float32")


def make_head(dim):
    head = keras.Sequential([
        layers.Input((dim,)),
        layers.LayerNormalization(),
        layers.Dropout(0.3),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(1),   # regression on grade; thresholds applied later
    ])
    head.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return head


def quadratic_weighted_kappa(y_true, y_pred, n=N_GRADES):
    O = np.zeros((n, n))
    np.add.at(O, (y_true, y_pred), 1)
    W = np.subtract.outer(np.arange(n), np.arange(n)) ** 2 / (n - 1) ** 2
    E = np.outer(O.sum(1), O.sum(0)) / O.sum()
    return 1.0 - (W * O).sum() / max((W * E).sum(), 1e-9)


def apply_thresholds(pred, thr):
    return np.digitize(pred, thr).astype(int)


def optimise_thresholds(pred, y, init=DEFAULT_THRESHOLDS, n_rounds=2):
    """Coordinate-wise search, the numpy version of the popular OptimizedRounder."""
    thr = list(init)
    for _ in range(n_rounds):
        for i in range(len(thr)):
            lo = thr[i - 1] if i > 0 else -1.0
            hi = thr[i + 1] if i < len(thr) - 1 else N_GRADES
            grid = np.linspace(lo + 1e-3, hi - 1e-3, 25)
            scores = [quadratic_weighted_kappa(y, apply_thresholds(pred, thr[:i] + [g] + thr[i + 1:])) for g in grid]
            thr[i] = float(grid[int(np.argmax(scores))])
    return thr


def run_folds(X, y, X_test, fold_id):
    oof = np.zeros(len(X), dtype="float32")
    test = np.zeros(len(X_test), dtype="float32")
    for k in range(K):
        tr, va = fold_id != k, fold_id == k
        head = make_head(X.shape[1])
        head.fit(X[tr], y[tr].astype("float32"), epochs=HEAD_EPOCHS, batch_size=16, verbose=0)
        oof[va] = head.predict(X[va], verbose=0).ravel()
        test += head.predict(X_test, verbose=0).ravel() / K
    return oof, test


train_imgs, test_imgs = fundus_like_images(N_TRAIN), fundus_like_images(N_TEST)
grades = rng.choice(N_GRADES, size=N_TRAIN, p=[0.45, 0.1, 0.25, 0.1, 0.1])
fold_id = np.zeros(N_TRAIN, dtype=int)
for g in range(N_GRADES):                      # stratify on the grade
    members = np.flatnonzero(grades == g)
    fold_id[rng.permutation(members)] = np.arange(len(members)) % K

oof_preds, test_preds = {}, {}
for name in BACKBONES:
    tr_emb, te_emb = extract_embeddings(name, train_imgs, test_imgs)
    print(f"{name}: train emb {tr_emb.shape}, test emb {te_emb.shape}")
    oof_preds[name], test_preds[name] = run_folds(tr_emb, grades, te_emb, fold_id)
    qwk = quadratic_weighted_kappa(grades, apply_thresholds(oof_preds[name], DEFAULT_THRESHOLDS))
    print(f"  OOF QWK (default cuts) = {qwk:.4f}")

# blend the two backbones: w * effnet + (1 - w) * resnet
a, b = oof_preds["effnetb0"], oof_preds["resnet50"]
weights = np.linspace(0, 1, 11)
blend_scores = [quadratic_weighted_kappa(grades, apply_thresholds(w * a + (1 - w) * b, DEFAULT_THRESHOLDS))
                for w in weights]
best_w = float(weights[int(np.argmax(blend_scores))])
oof_blend = best_w * a + (1 - best_w) * b
test_blend = best_w * test_preds["effnetb0"] + (1 - best_w) * test_preds["resnet50"]

thr = optimise_thresholds(oof_blend, grades)
print(f"blend weight effnet={best_w:.1f}, thresholds={np.round(thr, 3).tolist()}")
print(f"OOF QWK blended+optimised: {quadratic_weighted_kappa(grades, apply_thresholds(oof_blend, thr)):.4f}")
print("test grade counts:", np.bincount(apply_thresholds(test_blend, thr), minlength=N_GRADES))
