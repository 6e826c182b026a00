"""The paper's classification protocol on a spectra table, and the results table.

Random stratified split (test 33 %) of the (augmented) spectra, the MLP trained
with Adam and cross-entropy, macro/weighted F1 on train and test, normalised
confusion matrix on the test set, and the paper's three scikit-learn baselines on
the same split. :func:`summary_table` puts these next to the leakage-free
protocols of :mod:`cumor.evaluation` and the paper's numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from cumor.atomic_io import atomic_path
from cumor.classifier import (
    TrainResult,
    classification_metrics,
    fit_baselines,
    normalised_confusion_matrix,
    predict,
    split_train_test,
    train_mlp,
)
from cumor.dataset import energies, intensity_columns
from cumor.models import RING_CLASSES


@dataclass
class ProtocolResult:
    """Everything the ``train`` rule writes."""

    train: TrainResult
    labels: list[str]
    metrics: dict
    confusion: np.ndarray
    energy_grid: np.ndarray
    scaler: "Standardizer | None" = None


#: Smallest scale (normalised mu, i.e. fraction of the edge step) of
#: :class:`Standardizer`: an energy point where the training spectra differ by less
#: than 2 % of the edge step is not stretched beyond that. 2 % is the size of the
#: differences the normalisation itself leaves between theory and experiment below
#: and at the foot of the edge (pre-edge line residue, noise).
SCALE_FLOOR = 0.02


@dataclass
class Standardizer:
    """Per-energy standardisation of spectra, ``(X - mean) / scale``, fitted on training data.

    All simulated spectra share one dominant shape (edge, white line); the classes
    differ by small changes on top of it. Fed raw, the paper's MLP with Adam at
    lr 0.01 often collapses to predicting one class (all ReLUs switch off at
    once because every input looks alike); standardising each energy point over
    the training spectra removes the common shape and fixes that. The paper
    does not mention input scaling: ``ml.standardize: false`` gives the literal
    setup (:meth:`identity`). The scaler is fitted on the training part only and
    stored with every saved model, so new spectra get the same transform.

    The scale has a floor, :data:`SCALE_FLOOR` (in units of the edge step): below
    the edge (E0-15 eV) the training spectra spread by ~1e-3, and dividing by that
    would turn a pre-edge difference of a measured spectrum (noise, a 1s-3d
    feature, the residue of the pre-edge line) into the largest input of all.
    """

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X, floor: float | None = None) -> "Standardizer":
        X = np.asarray(X, dtype=np.float64)
        floor = SCALE_FLOOR if floor is None else float(floor)
        scale = np.maximum(X.std(axis=0), floor)
        scale[~(scale > 1e-12)] = 1.0  # constant features stay as they are
        return cls(X.mean(axis=0), scale)

    @classmethod
    def identity(cls, n_features: int) -> "Standardizer":
        return cls(np.zeros(n_features), np.ones(n_features))

    def transform(self, X) -> np.ndarray:
        """Standardised float32 copy of ``X`` (rows are spectra)."""
        X = np.asarray(X, dtype=np.float64)
        if X.shape[-1] != len(self.mean):
            raise ValueError(f"spectra have {X.shape[-1]} points, scaler expects {len(self.mean)}")
        return ((X - self.mean) / self.scale).astype(np.float32)

    def as_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Standardizer":
        return cls(np.asarray(d["mean"], float), np.asarray(d["scale"], float))


def fit_mlp(X_train, y_train, X_test, y_test, ml: dict, *, classes, seed: int,
            history: bool = True, log: Callable[[str], None] | None = None,
            n_threads: int | None = 1) -> tuple[TrainResult, Standardizer]:
    """Standardise (if ``ml["standardize"]``, fitted on the training part) and train the MLP.

    Returns the :class:`~cumor.classifier.TrainResult` and the scaler; predict
    with ``predict(result.model, scaler.transform(X))``. ``X_test`` may be None.
    ``history=False`` evaluates F1 only after the last epoch (faster).
    """
    X_train = np.asarray(X_train, dtype=np.float32)
    scaler = (Standardizer.fit(X_train) if ml.get("standardize", True)
              else Standardizer.identity(X_train.shape[1]))
    kw = dict(n_hidden=ml["hidden"], epochs=ml["epochs"], lr=ml["lr"], dropout=ml["dropout"],
              batch_size=ml["batch_size"], log_every=ml["log_every"])
    if not history:
        kw.update(eval_every=ml["epochs"], log_every=ml["epochs"])
    result = train_mlp(scaler.transform(X_train), y_train,
                       None if X_test is None else scaler.transform(X_test), y_test,
                       seed=seed, classes=classes, log=log, n_threads=n_threads, **kw)
    return result, scaler


def class_labels(table: pd.DataFrame) -> list[str]:
    """Ring classes present in the table, in the paper's order."""
    present = set(table["ring_class"].astype(str))
    return [c for c in RING_CLASSES if c in present]


def run_paper_protocol(
    table: pd.DataFrame,
    ml: dict,
    log: Callable[[str], None] | None = None,
    n_threads: int | None = 1,
    baselines: bool = False,
) -> ProtocolResult:
    """Split, train and evaluate the paper's MLP on a spectra table.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cumor.dataset.build_dataset`, or augmented by
        :func:`cumor.augment.augment_with_references` (the paper's protocol:
        the random split then ignores which base spectrum a mixture came from).
    ml : dict
        The config's ``ml`` section (test_size, epochs, lr, hidden, dropout,
        batch_size, seed, log_every, standardize).
    log : callable, optional
        Receives progress lines.
    n_threads : int, optional
        Torch threads. Results are bit-identical only for the same thread count.
    baselines : bool
        Also fit ExtraTrees, KNeighbors and RandomForest on the same split
        (``metrics["baselines"][name]["train"|"test"|"fit_seconds"]``).

    Returns
    -------
    ProtocolResult
    """
    X = table[intensity_columns(table)].to_numpy(np.float32, copy=True)
    y = table["ring_class"].astype(str).to_numpy()
    labels = class_labels(table)
    train_idx, test_idx = split_train_test(y, test_size=ml["test_size"], seed=ml["seed"])
    result, scaler = fit_mlp(X[train_idx], y[train_idx], X[test_idx], y[test_idx], ml,
                             classes=labels, seed=ml["seed"], log=log, n_threads=n_threads)
    pred_train = predict(result.model, scaler.transform(X[train_idx]))
    pred_test = predict(result.model, scaler.transform(X[test_idx]))
    metrics = {
        "protocol": "paper: random stratified split of all spectra",
        "n_train": int(len(train_idx)),
        "n_test": int(len(test_idx)),
        "train": classification_metrics(y[train_idx], pred_train, labels),
        "test": classification_metrics(y[test_idx], pred_test, labels),
        "training_seconds": result.seconds,
        "settings": dict(ml),
        "n_threads": n_threads,
    }
    confusion = normalised_confusion_matrix(y[test_idx], pred_test, labels)
    metrics["confusion_matrix"] = {"labels": labels, "rows_true_cols_pred": confusion.tolist()}
    if "oxide" in table.columns:
        metrics["rows_by_oxide"] = {str(k): int(v) for k, v in
                                    table["oxide"].value_counts().sort_index().items()}
        shared = set(table["base_id"].iloc[train_idx]) & set(table["base_id"].iloc[test_idx])
        metrics["base_ids_on_both_sides"] = len(shared)
    if baselines:
        fitted = fit_baselines(X[train_idx], y[train_idx], X[test_idx], y[test_idx],
                               seed=ml["seed"], labels=labels)
        metrics["baselines"] = {name: {k: v for k, v in b.items() if k != "y_pred_test"}
                                for name, b in fitted.items()}
        if log is not None:
            for name, b in fitted.items():
                log(f"{name}: test F1 macro {b['test']['f1_macro']:.4f}, "
                    f"train {b['train']['f1_macro']:.4f} ({b['fit_seconds']:.1f} s)")
    return ProtocolResult(result, labels, metrics, confusion, energies(table), scaler)


def write_json(path: str | Path, data: dict) -> None:
    """Write JSON atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=_json_default))


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value)}")


# --------------------------------------------------------------------------- #
# Results table
# --------------------------------------------------------------------------- #
#: The paper's F1 scores (Technical Physics 69(4), 2024; the paper does not say
#: whether F1 is macro- or weighted-averaged).
PAPER_F1 = {
    "MLP": {"train": 0.974, "test": 0.966},
    "ExtraTrees": {"test": 0.80},
    "KNeighbors": {"test": 0.65},
    "RandomForest": {"test": 0.79},
    "MLP 10-fold CV": {"test": 0.89},
}

SUMMARY_COLUMNS = [
    "protocol", "classifier", "evaluated_on", "n_train", "n_test",
    "f1_macro_train", "f1_macro", "f1_weighted", "f1_macro_std", "f1_weighted_std",
    "paper_f1_train", "paper_f1", "note",
]


def summary_table(paper: dict, cv: dict, base_split: dict, lmo: dict) -> pd.DataFrame:
    """Every F1 of the paper's and the leakage-free protocols in one table.

    Parameters
    ----------
    paper : dict
        ``metrics`` of :func:`run_paper_protocol` (with ``baselines``).
    cv : dict
        :func:`cumor.evaluation.cross_validate_mlp`.
    base_split : dict
        :func:`cumor.evaluation.base_split_protocol`.
    lmo : dict
        :func:`cumor.evaluation.leave_models_out`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS`; one row per (protocol, classifier,
        evaluated set). ``f1_*`` are ours, ``paper_f1*`` the paper's (NaN where
        the paper has no number). Standard deviations are over folds.
    """
    nan = float("nan")
    rows = []

    def row(protocol, clf, on, n_train, n_test, m_train, m_test, std=(nan, nan), paper_key=None,
            note=""):
        p = PAPER_F1.get(paper_key or "", {})
        rows.append({
            "protocol": protocol, "classifier": clf, "evaluated_on": on,
            "n_train": n_train, "n_test": n_test,
            "f1_macro_train": m_train["f1_macro"] if m_train else nan,
            "f1_macro": m_test["f1_macro"], "f1_weighted": m_test["f1_weighted"],
            "f1_macro_std": std[0], "f1_weighted_std": std[1],
            "paper_f1_train": p.get("train", nan), "paper_f1": p.get("test", nan), "note": note,
        })

    proto = "paper: random stratified split of the augmented set"
    leak = (f"{paper.get('base_ids_on_both_sides', 'n/a')} base spectra have rows on both sides"
            if "base_ids_on_both_sides" in paper else "")
    row(proto, "MLP", "test", paper["n_train"], paper["n_test"], paper["train"], paper["test"],
        paper_key="MLP", note=leak)
    for name, b in paper.get("baselines", {}).items():
        row(proto, name, "test", paper["n_train"], paper["n_test"], b["train"], b["test"],
            paper_key=name)
    row(f"paper: {cv['n_folds']}-fold CV of the non-augmented set", "MLP",
        "held-out folds (mean +- std)", nan, cv["n_samples"], None,
        {"f1_macro": cv["f1_macro"]["mean"], "f1_weighted": cv["f1_weighted"]["mean"]},
        std=(cv["f1_macro"]["std"], cv["f1_weighted"]["std"]), paper_key="MLP 10-fold CV",
        note=(f"{cv['n_folds']} instead of {cv['n_folds_requested']} folds (smallest class)"
              if cv["n_folds"] < cv["n_folds_requested"] else ""))
    proto = "leakage-free: split base spectra, augment each side"
    row(proto, "MLP", "test base spectra + their mixtures", base_split["n_train"],
        base_split["n_test"], base_split["train"], base_split["test"])
    row(proto, "MLP", "test base spectra only", base_split["n_train"], base_split["n_test_base"],
        base_split["train"], base_split["test_base_only"])
    for name, b in base_split.get("baselines", {}).items():
        row(proto, name, "test base spectra + their mixtures", base_split["n_train"],
            base_split["n_test"], b["train"], b["test"])
    proto = f"leakage-free: leave models out ({lmo['n_folds']}-fold GroupKFold by model)"
    unseen = lmo.get("n_folds_with_unseen_classes", 0)
    note = (f"{unseen} of {lmo['n_folds']} folds test a class absent from training "
            f"(classes with one model)" if unseen else "")
    row(proto, "MLP", "pooled out-of-fold, all rows", nan, lmo["n_samples"], None, lmo["pooled"],
        std=(lmo["f1_macro"]["std"], lmo["f1_weighted"]["std"]), note=note)
    row(proto, "MLP", "pooled out-of-fold, base spectra only", nan,
        lmo["pooled_base_only"]["n_samples"], None, lmo["pooled_base_only"], note=note)
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    for col in ("n_train", "n_test"):
        out[col] = out[col].astype("Int64")
    return out


def table_markdown(table: pd.DataFrame, digits: int = 3) -> str:
    """GitHub-flavoured Markdown of a table; NaN shown as an empty cell."""

    def fmt(v):
        if v is pd.NA:
            return ""
        if isinstance(v, (float, np.floating)):
            return "" if np.isnan(v) else f"{v:.{digits}f}"
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(table.columns) + " |",
             "|" + "|".join("---" for _ in table.columns) + "|"]
    for rec in table.itertuples(index=False):
        lines.append("| " + " | ".join(fmt(v) for v in rec) + " |")
    return "\n".join(lines) + "\n"
