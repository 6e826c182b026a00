"""Tests of the evaluation protocols, the ensemble and the results table (small data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cumor import evaluation as E
from cumor.augment import augment_with_references
from cumor.dataset import mu_column
from cumor.ensemble import (load_ensemble, member_seeds, nearest_spectra, save_ensemble,
                            train_ensemble)
from cumor.protocol import PAPER_F1, run_paper_protocol, summary_table, table_markdown

CLASSES = ["12", "8", "8.12", "8.8", "6.12", "5.12"]
GRID = np.linspace(-15.0, 60.0, 31)
ML = {"test_size": 0.33, "epochs": 30, "lr": 0.01, "hidden": 16, "dropout": 0.25,
      "batch_size": None, "standardize": True, "seed": 0, "log_every": 10, "cv_folds": 10,
      "ensemble": {"size": 3}}


def make_table(models_per_class=2, points=4, seed=0):
    """Separable synthetic spectra: edge + one class-specific peak, per-model jitter."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, cls in enumerate(CLASSES):
        for m in range(models_per_class):
            model = f"{cls}.{m}_1Cu"
            centre = 5.0 + 9.0 * k + rng.normal(0, 1.0)
            for p in range(points):
                mu = 1.0 / (1.0 + np.exp(-GRID)) + 0.6 * np.exp(
                    -0.5 * ((GRID - centre - 0.3 * p) / 3.0) ** 2)
                mu += 0.02 * rng.standard_normal(GRID.size)
                row = {"structure_id": f"{model}/p{p:03d}", "model": model, "ring_class": cls}
                row.update({mu_column(e): v for e, v in zip(GRID, mu)})
                rows.append(row)
    return pd.DataFrame(rows)


def refs():
    return {"CuO": (GRID, 1.0 / (1.0 + np.exp(-(GRID - 2.0)))),
            "Cu2O": (GRID, 1.0 / (1.0 + np.exp(-(GRID + 2.0))) + 0.2)}


@pytest.fixture(scope="module")
def table():
    return make_table()


@pytest.fixture(scope="module")
def augmented(table):
    return augment_with_references(table, refs())


def _strip_times(d):
    """Metrics without wall times (which legitimately differ between runs)."""
    if isinstance(d, dict):
        return {k: _strip_times(v) for k, v in d.items()
                if "seconds" not in k and k != "history"}
    if isinstance(d, list):
        return [_strip_times(v) for v in d]
    return d


# --------------------------------------------------------------------------- #
# base-id split
# --------------------------------------------------------------------------- #
def test_base_split_has_no_base_id_on_both_sides(table, augmented):
    train_ids, test_ids = E.base_split(augmented, 0.33, seed=1)
    assert not set(train_ids) & set(test_ids)
    assert set(train_ids) | set(test_ids) == set(table["structure_id"])
    assert len(test_ids) == pytest.approx(0.33 * len(table), abs=1)
    # every class on both sides (stratified)
    cls = table.set_index("structure_id")["ring_class"]
    assert set(cls[test_ids]) == set(cls[train_ids]) == set(CLASSES)


def test_base_split_protocol(table):
    out = E.base_split_protocol(table, refs(), (0.25, 0.5, 0.75), ML, n_threads=1)
    n = len(table)
    assert out["overlap_base_ids"] == 0
    assert out["n_train_base"] + out["n_test_base"] == n
    assert out["n_train"] + out["n_test"] == 7 * n
    assert out["n_test"] == 7 * out["n_test_base"]
    assert out["test_base_only"]["n_samples"] == out["n_test_base"]
    for key in ("train", "test", "test_base_only"):
        assert 0.0 <= out[key]["f1_macro"] <= 1.0 and 0.0 <= out[key]["f1_weighted"] <= 1.0
    assert set(out["baselines"]) == {"ExtraTrees", "KNeighbors", "RandomForest"}


def test_paper_protocol_on_augmented_set_shares_base_ids(augmented):
    """The paper's random split puts mixtures of one base spectrum on both sides."""
    res = run_paper_protocol(augmented, ML, n_threads=1, baselines=True)
    assert res.metrics["base_ids_on_both_sides"] > 0
    assert res.metrics["rows_by_oxide"] == {"Cu2O": 144, "CuO": 144, "none": 48}
    assert set(res.metrics["baselines"]) == {"ExtraTrees", "KNeighbors", "RandomForest"}


# --------------------------------------------------------------------------- #
# leave models out
# --------------------------------------------------------------------------- #
def test_leave_models_out_folds_have_no_model_on_both_sides(augmented):
    models = augmented["model"].to_numpy()
    folds = E.leave_models_out_folds(models, 5)
    assert len(folds) == 5
    seen_test = []
    for tr, te in folds:
        assert not set(models[tr]) & set(models[te])
        seen_test += list(set(models[te]))
    assert sorted(seen_test) == sorted(set(models))  # every model held out exactly once
    # capped to the number of models
    assert len(E.leave_models_out_folds(models, 100)) == augmented["model"].nunique()
    with pytest.raises(ValueError, match="2 models"):
        E.leave_models_out_folds(np.array(["a"] * 5), 3)


def test_leave_models_out(augmented):
    out = E.leave_models_out(augmented, ML, 4, n_threads=1)
    assert out["n_folds"] == 4 and out["n_models"] == 12
    assert out["pooled"]["n_samples"] == len(augmented)
    assert out["pooled_base_only"]["n_samples"] == (augmented["oxide"] == "none").sum()
    held = [m for f in out["folds"] for m in f["test_models"]]
    assert sorted(held) == sorted(augmented["model"].unique())
    assert 0.0 <= out["pooled"]["f1_macro"] <= 1.0
    assert len(out["f1_macro"]["values"]) == 4


def test_leave_models_out_records_unseen_classes():
    one_model = augment_with_references(make_table(models_per_class=1), refs())
    out = E.leave_models_out(one_model, ML, 3, n_threads=1)
    assert out["n_folds_with_unseen_classes"] == 3  # every held-out class is unseen
    assert all(f["unseen_classes"] for f in out["folds"])


# --------------------------------------------------------------------------- #
# cross-validation
# --------------------------------------------------------------------------- #
def test_cross_validation_folds_reduced_and_logged(augmented):
    lines = []
    out = E.cross_validate_mlp(augmented, ML, 10, log=lines.append, n_threads=1)
    assert out["n_folds"] == 8 and out["n_folds_requested"] == 10  # 8 spectra per class
    assert out["n_samples"] == 48  # augmented rows dropped
    assert any("8 folds instead of 10" in line for line in lines)
    assert len(out["folds"]) == 8
    assert out["f1_macro"]["std"] >= 0.0
    assert sum(f["n_test"] for f in out["folds"]) == 48


def test_cross_validation_needs_two_per_class():
    t = make_table(models_per_class=1, points=1)
    with pytest.raises(ValueError, match=">= 2 spectra per class"):
        E.cross_validate_mlp(t, ML, 10)


# --------------------------------------------------------------------------- #
# determinism
# --------------------------------------------------------------------------- #
def test_same_seed_same_metrics(table, augmented):
    a = E.cross_validate_mlp(table, ML, 3, n_threads=1)
    b = E.cross_validate_mlp(table, ML, 3, n_threads=1)
    assert _strip_times(a) == _strip_times(b)
    p1 = run_paper_protocol(augmented, ML, n_threads=1, baselines=True).metrics
    p2 = run_paper_protocol(augmented, ML, n_threads=1, baselines=True).metrics
    assert _strip_times(p1) == _strip_times(p2)
    s1 = E.base_split_protocol(table, refs(), (0.5,), ML, baselines=False, n_threads=1)
    s2 = E.base_split_protocol(table, refs(), (0.5,), ML, baselines=False, n_threads=1)
    assert _strip_times(s1) == _strip_times(s2)
    assert s1["history"]["f1_test"] == s2["history"]["f1_test"]


# --------------------------------------------------------------------------- #
# ensemble
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def ensemble(augmented):
    X, y = E.xy(augmented)
    return train_ensemble(X, y, CLASSES, member_seeds(0, 3), energy_grid=GRID,
                          ml=ML,
                          library_ids=augmented["structure_id"].to_numpy())


def test_ensemble_spread_shape(ensemble, table):
    X, _ = E.xy(table)
    mean, std = ensemble.predict_proba(X)
    assert mean.shape == std.shape == (len(X), len(CLASSES))
    np.testing.assert_allclose(mean.sum(axis=1), 1.0, rtol=1e-6)
    assert (std >= 0).all() and std.max() > 0  # members differ
    assert ensemble.member_proba(X).shape == (3, len(X), len(CLASSES))
    assert ensemble.predict(X).shape == (len(X),)
    with pytest.raises(ValueError, match="31"):
        ensemble.predict_proba(X[:, :10])


def test_ensemble_is_deterministic_and_roundtrips(ensemble, augmented, table, tmp_path):
    X_all, y_all = E.xy(augmented)
    again = train_ensemble(X_all, y_all, CLASSES, member_seeds(0, 3), energy_grid=GRID,
                           ml=ML)
    X, _ = E.xy(table)
    m1, s1 = ensemble.predict_proba(X)
    m2, s2 = again.predict_proba(X)
    np.testing.assert_array_equal(m1, m2)
    np.testing.assert_array_equal(s1, s2)
    path = tmp_path / "ens.pt"
    save_ensemble(ensemble, path, meta={"note": "test"})
    loaded = load_ensemble(path)
    m3, s3 = loaded.predict_proba(X)
    np.testing.assert_array_equal(m1, m3)
    np.testing.assert_array_equal(s1, s3)
    assert loaded.classes == CLASSES and loaded.seeds == [0, 1, 2]
    np.testing.assert_array_equal(loaded.energy_grid, GRID)
    assert loaded.meta["note"] == "test"
    near = nearest_spectra(loaded, X[0], k=3)
    assert near[0]["id"] == table["structure_id"].iloc[0] and near[0]["distance"] < 1e-6


def test_single_member_has_zero_spread(augmented):
    X, y = E.xy(augmented)
    ens = train_ensemble(X, y, CLASSES, [7], energy_grid=GRID,
                         ml=ML)
    _, std = ens.predict_proba(X[:5])
    assert (std == 0).all()


def test_load_ensemble_rejects_other_files(tmp_path):
    bad = tmp_path / "x.pt"
    bad.write_text("not torch")
    with pytest.raises(ValueError, match="x.pt"):
        load_ensemble(bad)


# --------------------------------------------------------------------------- #
# results table
# --------------------------------------------------------------------------- #
def test_summary_table_has_both_protocols(table, augmented):
    paper = run_paper_protocol(augmented, ML, n_threads=1, baselines=True).metrics
    cv = E.cross_validate_mlp(table, ML, 3, n_threads=1)
    split = E.base_split_protocol(table, refs(), (0.25, 0.5, 0.75), ML, n_threads=1)
    lmo = E.leave_models_out(augmented, ML, 3, n_threads=1)
    t = summary_table(paper, cv, split, lmo)
    assert t["protocol"].str.startswith("paper").sum() == 5  # MLP, 3 baselines, CV
    assert t["protocol"].str.startswith("leakage-free").sum() == 7
    assert {"f1_macro", "f1_weighted", "paper_f1"} <= set(t.columns)
    mlp = t[(t["classifier"] == "MLP") & t["protocol"].str.contains("random")].iloc[0]
    assert mlp["paper_f1"] == PAPER_F1["MLP"]["test"] and mlp["paper_f1_train"] == 0.974
    assert t.loc[t["classifier"] == "KNeighbors", "paper_f1"].iloc[0] == 0.65
    md = table_markdown(t)
    assert md.count("\n") == len(t) + 2 and "0.966" in md


# --------------------------------------------------------------------------- #
# standardisation
# --------------------------------------------------------------------------- #
def test_standardizer():
    from cumor.protocol import Standardizer, fit_mlp

    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, (50, 4))
    X[:, 2] = 1.5  # constant feature
    sc = Standardizer.fit(X)
    Z = sc.transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z.mean(0), 0.0, atol=1e-6)
    np.testing.assert_allclose(Z[:, [0, 1, 3]].std(0), 1.0, atol=1e-5)
    assert (Z[:, 2] == 0).all()
    back = Standardizer.from_dict(sc.as_dict())
    np.testing.assert_array_equal(back.transform(X), Z)
    with pytest.raises(ValueError, match="4"):
        sc.transform(X[:, :3])
    t = make_table()
    Xt, yt = E.xy(t)
    _, ident = fit_mlp(Xt, yt, None, None, {**ML, "standardize": False}, classes=CLASSES, seed=0)
    np.testing.assert_array_equal(ident.transform(Xt), Xt.astype(np.float32))


def test_standardizer_scale_floor():
    """A pre-edge point where the training spectra hardly differ is not stretched:
    its scale is SCALE_FLOOR (2 % of the edge step), not its ~1e-4 spread."""
    from cumor.protocol import SCALE_FLOOR, Standardizer

    rng = np.random.default_rng(1)
    X = np.c_[rng.normal(0.0, 1e-4, 200), rng.normal(1.0, 0.2, 200)]
    sc = Standardizer.fit(X)
    assert sc.scale[0] == SCALE_FLOOR == 0.02
    assert sc.scale[1] == pytest.approx(X[:, 1].std())
    measured = np.array([[0.01, 1.0]])  # 1 % of the edge step below the edge
    assert abs(sc.transform(measured)[0, 0]) < 1.0
    assert Standardizer.fit(X, floor=0.0).scale[0] == pytest.approx(X[:, 0].std())
