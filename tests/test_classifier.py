"""Tests of cumor.classifier on small synthetic data (seconds, CPU only)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score

from cumor import classifier as C

CLASSES = ["12", "8", "8.12", "8.8", "6.12", "5.12"]


def make_data(n_per_class=40, n_features=30, noise=0.3, seed=0):
    """Separable synthetic 'spectra': one Gaussian peak per class + noise."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(0.0, 1.0, n_features)
    X, y = [], []
    for k, label in enumerate(CLASSES):
        centre = (k + 0.5) / len(CLASSES)
        peak = np.exp(-0.5 * ((grid - centre) / 0.05) ** 2)
        X.append(peak + noise * rng.standard_normal((n_per_class, n_features)))
        y += [label] * n_per_class
    return np.vstack(X).astype(np.float64), np.array(y)


@pytest.fixture(scope="module")
def data():
    return make_data()


@pytest.fixture(scope="module")
def trained(data):
    X, y = data
    tr, te = C.split_train_test(y, seed=1)
    res = C.train_mlp(X[tr], y[tr], X[te], y[te], n_hidden=16, epochs=60, lr=0.01,
                      seed=3, classes=CLASSES, n_threads=1)
    return res, X, y, tr, te


def test_mlp_shapes_and_proba():
    torch.manual_seed(0)
    m = C.XanesMLP(30, 6, n_hidden=8)
    x = torch.randn(5, 30)
    assert m(x).shape == (5, 6)
    p = C.predict_proba(m, x.numpy())
    assert p.shape == (5, 6)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    assert C.predict(m, x.numpy()).shape == (5,)
    # architecture order from the paper, no softmax inside forward
    kinds = [type(layer) for layer in m.net]
    assert kinds == [torch.nn.Linear, torch.nn.Dropout, torch.nn.ReLU, torch.nn.Linear]
    assert m.net[1].p == 0.25
    assert m.training  # predict_proba restores the previous mode


def test_training_lowers_loss_and_learns(trained):
    res, X, y, tr, te = trained
    h = res.history
    assert list(h.columns) == ["epoch", "loss", "f1_train", "f1_test", "seconds"]
    assert len(h) == 60 and h["epoch"].tolist() == list(range(1, 61))
    assert h["loss"].iloc[-1] < 0.5 * h["loss"].iloc[0]
    assert h["f1_test"].iloc[-1] > 0.9
    assert res.n_classes == 6 and res.classes == CLASSES
    assert not res.model.training
    # the per-epoch fast F1 equals sklearn's macro F1
    pred = C.predict(res.model, X[te])
    assert h["f1_test"].iloc[-1] == pytest.approx(f1_score(y[te], pred, average="macro"))


def test_same_seed_same_history(data):
    X, y = data
    kw = dict(n_hidden=16, epochs=15, lr=0.01, batch_size=50, classes=CLASSES, n_threads=1)
    a = C.train_mlp(X, y, seed=7, **kw).history.drop(columns="seconds")
    b = C.train_mlp(X, y, seed=7, **kw).history.drop(columns="seconds")
    c = C.train_mlp(X, y, seed=8, **kw).history.drop(columns="seconds")
    assert a.equals(b)
    assert not a.equals(c)
    assert a["f1_test"].isna().all()  # no test set given


def test_training_leaves_global_state_alone(data):
    X, y = data
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    C.train_mlp(X, y, n_hidden=4, epochs=2, seed=0, n_threads=1)
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()


def test_log_and_eval_every(data):
    X, y = data
    lines = []
    res = C.train_mlp(X, y, n_hidden=4, epochs=10, seed=0, eval_every=3, log_every=3,
                      log=lines.append)
    assert res.history["epoch"].tolist() == [3, 6, 9, 10]
    assert len(lines) == 4 and lines[0].startswith("epoch") and "F1 train" in lines[0]


def test_unknown_label_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match="not in classes"):
        C.train_mlp(X, y, epochs=1, seed=0, classes=CLASSES[:3])


def test_stratified_split_keeps_classes_on_both_sides(data):
    _, y = data
    tr, te = C.split_train_test(y, test_size=0.33, seed=0)
    assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == len(y)
    assert set(y[tr]) == set(y[te]) == set(CLASSES)
    assert len(te) / len(y) == pytest.approx(0.33, abs=0.01)
    # tiny classes: 2 samples -> one each side; a singleton stays in train
    y_small = np.array(["a"] * 10 + ["b"] * 2 + ["c"])
    tr, te = C.split_train_test(y_small, test_size=0.33, seed=0)
    assert set(y_small[te]) == {"a", "b"} and "c" in set(y_small[tr])
    # different seeds give different splits, same seed the same one
    assert not np.array_equal(C.split_train_test(y, seed=1)[1], C.split_train_test(y, seed=2)[1])
    assert np.array_equal(C.split_train_test(y, seed=1)[1], C.split_train_test(y, seed=1)[1])


def test_grouped_split_has_no_shared_group(data):
    _, y = data
    groups = np.arange(len(y)) // 4  # 4 augmented copies per base spectrum
    tr, te = C.split_train_test(y, test_size=0.33, seed=0, groups=groups)
    assert len(tr) + len(te) == len(y)
    assert not set(groups[tr]) & set(groups[te])
    assert 0.25 < len(te) / len(y) < 0.42
    assert set(y[te]) == set(CLASSES)
    # fallback with fewer groups than folds
    g2 = np.repeat([0, 1], len(y) // 2)
    tr, te = C.split_train_test(y, seed=0, groups=g2)
    assert not set(g2[tr]) & set(g2[te]) and len(te) > 0


def test_metrics_and_confusion_matrix():
    y_true = np.array(["12", "12", "8", "8", "8.12", "8.12"])
    y_pred = np.array(["12", "8", "8", "8", "8.12", "12"])
    m = C.classification_metrics(y_true, y_pred, CLASSES)
    for key in ("f1_macro", "f1_weighted", "accuracy"):
        assert 0.0 <= m[key] <= 1.0
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert set(m["f1_per_class"]) == set(CLASSES)
    assert all(0.0 <= v <= 1.0 for v in m["f1_per_class"].values())
    assert m["support"]["8"] == 2 and m["support"]["5.12"] == 0
    # macro over present classes only (sklearn default label set)
    assert m["f1_macro"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))

    cm = C.normalised_confusion_matrix(y_true, y_pred, CLASSES)
    assert cm.shape == (6, 6)
    sums = cm.sum(axis=1)
    np.testing.assert_allclose(sums[:3], 1.0)
    np.testing.assert_array_equal(cm[3:], 0.0)  # classes without true samples
    assert cm[0, 0] == 0.5 and cm[0, 1] == 0.5  # rows true, columns predicted


def test_baselines_run(data):
    X, y = data
    tr, te = C.split_train_test(y, seed=0)
    out = C.fit_baselines(X[tr], y[tr], X[te], y[te], seed=0, labels=CLASSES)
    assert set(out) == {"ExtraTrees", "KNeighbors", "RandomForest"}
    for res in out.values():
        assert 0.0 <= res["test"]["f1_macro"] <= 1.0
        assert len(res["y_pred_test"]) == len(te)
    again = C.fit_baselines(X[tr], y[tr], X[te], y[te], seed=0, labels=CLASSES)
    assert again["RandomForest"]["test"] == out["RandomForest"]["test"]


def test_save_load_round_trip(trained, tmp_path):
    res, X, *_ = trained
    grid = np.linspace(8970.0, 9050.0, X.shape[1])
    path = tmp_path / "sub" / "mlp.pt"
    C.save_model(res.model, path, {"energy_grid": grid, "seed": np.int64(3)})
    model, meta = C.load_model(path)
    assert meta["classes"] == CLASSES and meta["n_hidden"] == 16
    assert meta["n_features"] == X.shape[1] and meta["seed"] == 3
    np.testing.assert_allclose(meta["energy_grid"], grid)
    np.testing.assert_array_equal(C.predict_proba(model, X), C.predict_proba(res.model, X))
    np.testing.assert_array_equal(C.predict(model, X), C.predict(res.model, X))
    assert list(path.parent.iterdir()) == [path]  # no temp file left behind
    with pytest.raises(ValueError, match="energy_grid"):
        C.save_model(res.model, tmp_path / "bad.pt", {"energy_grid": grid[:-1]})
