"""Evaluation protocols beyond the paper's single random split.

The paper splits the *augmented* set at random (:func:`cumor.protocol.
run_paper_protocol`): the three oxide mixtures of one base spectrum and the base
spectrum itself then usually sit on both sides of the split, and neighbouring
grid points of one model (nearly identical spectra) always do. Test scores of
that protocol measure interpolation between near-duplicates. This module adds:

* :func:`cross_validate_mlp` -- the paper's k-fold cross-validation of the MLP on
  the NON-augmented spectra (stratified, shuffled; fewer folds when a class has
  fewer spectra than folds).
* :func:`base_split_protocol` -- split the *base* spectra first (stratified by
  class; every base spectrum is its own ``base_id`` group), then augment the
  training part and, separately, the test part. No base spectrum contributes to
  both sides. The test score is reported on the test base spectra with their
  augmentations (same kind of population as the paper's test set) and on the
  base spectra alone.
* :func:`leave_models_out` -- :class:`~sklearn.model_selection.GroupKFold` over
  the augmented set with the *model* (Table 1 entry) as group: a model's grid
  points and mixtures are never on both sides. This asks whether the classifier
  recognises a ring class in a Cu arrangement it has not seen, which is the
  question a measured spectrum poses. A class with a single model can not be
  predicted when that model is held out; such folds are recorded.

All functions return plain dicts (JSON-serialisable) with macro and weighted F1.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from cumor.augment import augment_with_references, base_rows
from cumor.classifier import classification_metrics, fit_baselines, predict
from cumor.dataset import intensity_columns
from cumor.protocol import class_labels, fit_mlp

__all__ = [
    "class_labels",
    "xy",
    "n_folds_for",
    "cross_validate_mlp",
    "base_split",
    "base_split_protocol",
    "leave_models_out_folds",
    "leave_models_out",
]

Log = Callable[[str], None]


def _quiet(_msg: str) -> None:
    pass


def xy(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix (float32 intensities) and label vector (str) of a table."""
    X = table[intensity_columns(table)].to_numpy(np.float32, copy=True)
    y = table["ring_class"].astype(str).to_numpy()
    return X, y


def n_folds_for(y, requested: int, log: Log | None = None) -> int:
    """Number of stratified folds possible: ``min(requested, smallest class size)``.

    Raises
    ------
    ValueError
        If a class has fewer than 2 samples (no stratified split possible).
    """
    _, counts = np.unique(np.asarray(y), return_counts=True)
    n = int(min(requested, counts.min()))
    if n < 2:
        raise ValueError(f"cross-validation needs >= 2 spectra per class; smallest class "
                         f"has {counts.min()}")
    if n < requested and log is not None:
        log(f"cross-validation: {n} folds instead of {requested} (smallest class has "
            f"{counts.min()} spectra)")
    return n


def _summary(values: Sequence[float]) -> dict:
    v = np.asarray(values, float)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
            "values": v.tolist()}


def cross_validate_mlp(
    table: pd.DataFrame,
    ml: Mapping,
    n_folds: int,
    *,
    log: Log | None = None,
    n_threads: int | None = 1,
) -> dict:
    """Stratified k-fold cross-validation of the MLP on the non-augmented spectra.

    Parameters
    ----------
    table : pandas.DataFrame
        Data set; augmented rows (``oxide != "none"``), if any, are dropped.
    ml : mapping
        The config's ``ml`` section (seed, epochs, lr, hidden, ...).
    n_folds : int
        Folds wanted (paper: 10); reduced to the smallest class size, logged.

    Returns
    -------
    dict
        ``n_folds_requested``, ``n_folds``, ``folds`` (per fold n_train, n_test,
        f1_macro, f1_weighted), ``f1_macro`` and ``f1_weighted`` as
        ``{mean, std, values}`` (std with ddof=1), ``training_seconds``.
    """
    from sklearn.model_selection import StratifiedKFold

    log = log or _quiet
    table = base_rows(table)
    X, y = xy(table)
    labels = class_labels(table)
    k = n_folds_for(y, n_folds, log)
    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=ml["seed"])
    folds, seconds = [], 0.0
    for i, (tr, te) in enumerate(cv.split(X, y)):
        res, scaler = fit_mlp(X[tr], y[tr], X[te], y[te], ml, classes=labels,
                              seed=ml["seed"] + i, history=False, n_threads=n_threads)
        m = classification_metrics(y[te], predict(res.model, scaler.transform(X[te])), labels)
        seconds += res.seconds
        folds.append({"fold": i, "n_train": int(len(tr)), "n_test": int(len(te)),
                      "f1_macro": m["f1_macro"], "f1_weighted": m["f1_weighted"]})
        log(f"CV fold {i + 1}/{k}: F1 macro {m['f1_macro']:.4f}, weighted "
            f"{m['f1_weighted']:.4f} ({res.seconds:.1f} s)")
    return {
        "protocol": f"{k}-fold stratified cross-validation of the MLP on the non-augmented spectra",
        "n_samples": int(len(y)),
        "n_folds_requested": int(n_folds),
        "n_folds": k,
        "folds": folds,
        "f1_macro": _summary([f["f1_macro"] for f in folds]),
        "f1_weighted": _summary([f["f1_weighted"] for f in folds]),
        "training_seconds": seconds,
    }


def base_split(table: pd.DataFrame, test_size: float, seed: int) -> tuple[list[str], list[str]]:
    """Stratified split of the base spectra ids (``structure_id`` of base rows).

    Returns
    -------
    train_ids, test_ids : list of str
        Disjoint; every base spectrum is on exactly one side.
    """
    from cumor.classifier import split_train_test

    base = base_rows(table)
    ids = base["structure_id"].to_numpy()
    tr, te = split_train_test(base["ring_class"].astype(str).to_numpy(), test_size=test_size,
                              seed=seed)
    return ids[tr].tolist(), ids[te].tolist()


def base_split_protocol(
    table: pd.DataFrame,
    references: Mapping[str, tuple[np.ndarray, np.ndarray]],
    fractions: Sequence[float],
    ml: Mapping,
    *,
    baselines: bool = True,
    log: Log | None = None,
    n_threads: int | None = 1,
) -> dict:
    """Split by base spectrum, then augment each side: no base_id on both sides.

    Parameters
    ----------
    table : pandas.DataFrame
        The non-augmented data set (augmented rows are dropped).
    references, fractions
        As for :func:`cumor.augment.augment_with_references`.
    ml : mapping
        The ``ml`` config (test_size, seed, MLP settings).
    baselines : bool
        Also fit the three scikit-learn baselines on the same split.

    Returns
    -------
    dict
        ``train`` (metrics on the augmented training set), ``test`` (test base
        spectra + their mixtures), ``test_base_only``; macro and weighted F1
        each; ``baselines`` (same three evaluations per baseline) when asked;
        ``n_train``, ``n_test``, ``n_test_base``, ``overlap_base_ids`` (0 by
        construction, recorded as evidence); ``history`` (F1 per epoch).
    """
    log = log or _quiet
    base = base_rows(table)
    labels = class_labels(base)
    train_ids, test_ids = base_split(base, ml["test_size"], ml["seed"])
    by_id = base.set_index("structure_id", drop=False)
    train_aug = augment_with_references(by_id.loc[train_ids].reset_index(drop=True),
                                        references, fractions)
    test_aug = augment_with_references(by_id.loc[test_ids].reset_index(drop=True),
                                       references, fractions)
    overlap = set(train_aug["base_id"]) & set(test_aug["base_id"])
    if overlap:  # impossible by construction; a guard against future edits
        raise AssertionError(f"base ids on both sides: {sorted(overlap)[:5]}")
    Xtr, ytr = xy(train_aug)
    Xte, yte = xy(test_aug)
    is_base = (test_aug["oxide"] == "none").to_numpy()
    log(f"base-id split: {len(train_ids)} train / {len(test_ids)} test base spectra -> "
        f"{len(ytr)} / {len(yte)} rows after augmenting each side")
    res, scaler = fit_mlp(Xtr, ytr, Xte, yte, ml, classes=labels, seed=ml["seed"], log=log,
                          n_threads=n_threads)
    pred_te = predict(res.model, scaler.transform(Xte))
    out = {
        "protocol": "split base spectra (stratified), then augment train and test separately",
        "n_train": int(len(ytr)),
        "n_test": int(len(yte)),
        "n_train_base": len(train_ids),
        "n_test_base": len(test_ids),
        "overlap_base_ids": 0,
        "train": classification_metrics(ytr, predict(res.model, scaler.transform(Xtr)), labels),
        "test": classification_metrics(yte, pred_te, labels),
        "test_base_only": classification_metrics(yte[is_base], pred_te[is_base], labels),
        "training_seconds": res.seconds,
        "history": res.history.to_dict(orient="list"),
    }
    if baselines:
        fitted = fit_baselines(Xtr, ytr, Xte, yte, seed=ml["seed"], labels=labels)
        out["baselines"] = {}
        for name, b in fitted.items():
            pred = np.asarray(b["y_pred_test"], dtype=object)
            out["baselines"][name] = {
                "train": b["train"], "test": b["test"],
                "test_base_only": classification_metrics(yte[is_base], pred[is_base], labels),
                "fit_seconds": b["fit_seconds"],
            }
            log(f"base-id split, {name}: test F1 macro {b['test']['f1_macro']:.4f}")
    log(f"base-id split, MLP: test F1 macro {out['test']['f1_macro']:.4f} "
        f"(base only {out['test_base_only']['f1_macro']:.4f}), "
        f"train {out['train']['f1_macro']:.4f}")
    return out


def leave_models_out_folds(groups, n_folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """GroupKFold folds with ``min(n_folds, n_groups)`` splits (groups = models).

    Raises
    ------
    ValueError
        With fewer than 2 groups.
    """
    from sklearn.model_selection import GroupKFold

    groups = np.asarray(groups)
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ValueError(f"leave-models-out needs >= 2 models, got {n_groups}")
    k = min(int(n_folds), n_groups)
    return list(GroupKFold(n_splits=k).split(np.zeros(len(groups)), groups=groups))


def leave_models_out(
    table: pd.DataFrame,
    ml: Mapping,
    n_folds: int,
    *,
    log: Log | None = None,
    n_threads: int | None = 1,
) -> dict:
    """Grouped k-fold by model on the augmented set; pooled out-of-fold F1.

    Parameters
    ----------
    table : pandas.DataFrame
        Augmented data set (needs ``model`` and ``oxide``; a non-augmented table
        works too).
    ml : mapping
        The ``ml`` config.
    n_folds : int
        Folds wanted; at most the number of models.

    Returns
    -------
    dict
        ``pooled`` (metrics of all out-of-fold predictions together) and
        ``pooled_base_only``; ``folds`` (per fold: held-out models, F1 macro and
        weighted, ``unseen_classes`` = test classes absent from training);
        ``f1_macro`` / ``f1_weighted`` as ``{mean, std, values}`` over folds;
        ``n_folds``, ``n_models``.
    """
    log = log or _quiet
    X, y = xy(table)
    labels = class_labels(table)
    models = table["model"].astype(str).to_numpy()
    is_base = (table["oxide"] == "none").to_numpy() if "oxide" in table else np.ones(len(y), bool)
    folds_idx = leave_models_out_folds(models, n_folds)
    pred = np.empty(len(y), dtype=object)
    folds, seconds = [], 0.0
    n_models_per_class = table.groupby("ring_class")["model"].nunique().to_dict()
    for i, (tr, te) in enumerate(folds_idx):
        if set(models[tr]) & set(models[te]):  # impossible with GroupKFold; guard
            raise AssertionError("a model is on both sides of a leave-models-out fold")
        res, scaler = fit_mlp(X[tr], y[tr], X[te], y[te], ml, classes=labels,
                              seed=ml["seed"] + i, history=False, n_threads=n_threads)
        pred[te] = predict(res.model, scaler.transform(X[te]))
        m = classification_metrics(y[te], pred[te], labels)
        unseen = sorted(set(y[te]) - set(y[tr]), key=labels.index)
        seconds += res.seconds
        folds.append({"fold": i, "test_models": sorted(set(models[te])),
                      "n_train": int(len(tr)), "n_test": int(len(te)),
                      "f1_macro": m["f1_macro"], "f1_weighted": m["f1_weighted"],
                      "unseen_classes": unseen})
        log(f"leave-models-out fold {i + 1}/{len(folds_idx)} (test {', '.join(sorted(set(models[te])))}): "
            f"F1 macro {m['f1_macro']:.4f}" + (f"; classes never seen in training: {unseen}"
                                               if unseen else ""))
    return {
        "protocol": "GroupKFold by model on the augmented set (no model on both sides)",
        "n_models": int(len(np.unique(models))),
        "n_models_per_class": {str(k): int(v) for k, v in n_models_per_class.items()},
        "n_folds_requested": int(n_folds),
        "n_folds": len(folds_idx),
        "n_samples": int(len(y)),
        "folds": folds,
        "pooled": classification_metrics(y, pred, labels),
        "pooled_base_only": classification_metrics(y[is_base], pred[is_base], labels),
        "f1_macro": _summary([f["f1_macro"] for f in folds]),
        "f1_weighted": _summary([f["f1_weighted"] for f in folds]),
        "n_folds_with_unseen_classes": sum(bool(f["unseen_classes"]) for f in folds),
        "training_seconds": seconds,
    }
