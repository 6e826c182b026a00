"""The paper's classification protocol on a spectra table.

Random stratified split (test 33 %), the MLP trained with Adam and cross-entropy,
macro/weighted F1 on train and test, normalised confusion matrix on the test set.
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


def class_labels(table: pd.DataFrame) -> list[str]:
    """Ring classes present in the table, in the paper's order."""
    present = set(table["ring_class"].astype(str))
    return [c for c in RING_CLASSES if c in present]


def run_paper_protocol(
    table: pd.DataFrame,
    ml: dict,
    log: Callable[[str], None] | None = None,
    n_threads: int | None = 1,
) -> ProtocolResult:
    """Split, train and evaluate the paper's MLP on a spectra table.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cumor.dataset.build_dataset`.
    ml : dict
        The config's ``ml`` section (test_size, epochs, lr, hidden, dropout,
        batch_size, seed, log_every).
    log : callable, optional
        Receives progress lines.
    n_threads : int, optional
        Torch threads. Results are bit-identical only for the same thread count.

    Returns
    -------
    ProtocolResult
    """
    X = table[intensity_columns(table)].to_numpy(np.float32)
    y = table["ring_class"].astype(str).to_numpy()
    labels = class_labels(table)
    train_idx, test_idx = split_train_test(y, test_size=ml["test_size"], seed=ml["seed"])
    result = train_mlp(
        X[train_idx], y[train_idx], X[test_idx], y[test_idx],
        n_hidden=ml["hidden"], epochs=ml["epochs"], lr=ml["lr"], dropout=ml["dropout"],
        batch_size=ml["batch_size"], seed=ml["seed"], classes=labels,
        log_every=ml["log_every"], log=log, n_threads=n_threads,
    )
    metrics = {
        "protocol": "paper: random stratified split of all spectra",
        "n_train": int(len(train_idx)),
        "n_test": int(len(test_idx)),
        "train": classification_metrics(y[train_idx], predict(result.model, X[train_idx]), labels),
        "test": classification_metrics(y[test_idx], predict(result.model, X[test_idx]), labels),
        "training_seconds": result.seconds,
        "settings": dict(ml),
        "n_threads": n_threads,
    }
    confusion = normalised_confusion_matrix(y[test_idx], predict(result.model, X[test_idx]), labels)
    metrics["confusion_matrix"] = {"labels": labels, "rows_true_cols_pred": confusion.tolist()}
    return ProtocolResult(result, labels, metrics, confusion, energies(table))


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
