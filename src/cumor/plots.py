"""Figures of the workflow (for now: the classification figures).

Figures are built on :class:`matplotlib.figure.Figure` directly instead of
through ``pyplot``: no GUI backend is ever selected (PNG is rendered by Agg, PDF
by the pdf backend, picked from the file suffix), nothing is registered in
pyplot's global figure list, so no figure can leak across calls or processes
and nothing needs closing. Every output is written atomically.
"""

from __future__ import annotations

import os
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cumor.atomic_io import atomic_path


def _save(fig: Figure, paths: Iterable[str | os.PathLike]) -> None:
    """Save ``fig`` to every path; the format follows each path's suffix."""
    paths = list(paths)
    if not paths:
        raise ValueError("no output paths given")
    for path in paths:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, bbox_inches="tight", dpi=200)


def plot_confusion_matrix(
    cm: np.ndarray,
    labels: Sequence,
    paths: Iterable[str | os.PathLike],
    title: str | None = None,
) -> None:
    """Plot an annotated (normalised) confusion matrix.

    Parameters
    ----------
    cm : numpy.ndarray, shape (n, n)
        Rows true classes, columns predicted classes, e.g. from
        :func:`cumor.classifier.normalised_confusion_matrix`. Values are shown
        with two decimals; the colour scale is fixed to [0, 1] so figures of
        different models are comparable.
    labels : sequence of str
        Class names in row/column order.
    paths : iterable of path-like
        Every file to write (e.g. ``.png`` and ``.pdf``).
    title : str, optional
    """
    cm = np.asarray(cm, dtype=float)
    n = len(labels)
    if cm.shape != (n, n):
        raise ValueError(f"cm shape {cm.shape} does not match {n} labels")
    fig = Figure(figsize=(1.0 + 0.8 * n, 0.8 + 0.8 * n))
    ax = fig.add_subplot()
    im = ax.imshow(cm, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    for i in range(n):
        for j in range(n):
            # white text on dark cells so the number stays readable
            ax.text(j, i, f"{cm[i, j]:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if cm[i, j] > 0.5 else "black")
    ticks = np.arange(n)
    ax.set_xticks(ticks, [str(c) for c in labels])
    ax.set_yticks(ticks, [str(c) for c in labels])
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    if title:
        ax.set_title(title)
    _save(fig, paths)


def plot_f1_history(
    history: pd.DataFrame,
    paths: Iterable[str | os.PathLike],
    title: str | None = None,
) -> None:
    """Plot macro F1 against epoch for the training and test sets.

    Parameters
    ----------
    history : pandas.DataFrame
        Columns ``epoch``, ``f1_train`` and optionally ``f1_test`` (as in
        :attr:`cumor.classifier.TrainResult.history`); an all-NaN ``f1_test``
        is skipped.
    paths : iterable of path-like
        Every file to write (e.g. ``.png`` and ``.pdf``).
    title : str, optional
    """
    fig = Figure(figsize=(5.0, 3.5))
    ax = fig.add_subplot()
    ax.plot(history["epoch"], history["f1_train"], label="train")
    if "f1_test" in history and history["f1_test"].notna().any():
        ax.plot(history["epoch"], history["f1_test"], label="test")
    ax.set_xlabel("Epoch")
    ax.set_ylabel("F1 score (macro)")
    ax.set_ylim(0.0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
    _save(fig, paths)
