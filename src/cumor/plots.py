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


#: Colours of the ring classes, fixed so every figure uses the same ones.
CLASS_COLOURS = {
    "12": "#1f77b4", "8": "#ff7f0e", "8.12": "#2ca02c",
    "8.8": "#d62728", "6.12": "#9467bd", "5.12": "#8c564b",
}


def _class_colour(label, i: int = 0) -> str:
    return CLASS_COLOURS.get(str(label), f"C{i % 10}")


def plot_umap(
    embedding: np.ndarray,
    labels: Sequence,
    paths: Iterable[str | os.PathLike],
    class_order: Sequence | None = None,
    markers: Sequence | None = None,
    title: str | None = None,
) -> None:
    """Scatter plot of a 2-D embedding coloured by class (the paper's Fig. 5).

    Parameters
    ----------
    embedding : numpy.ndarray, shape (n, 2)
    labels : sequence, length n
        Class of every point.
    paths : iterable of path-like
        Every file to write.
    class_order : sequence, optional
        Legend order (default: sorted unique labels).
    markers : sequence, length n, optional
        A group per point (e.g. the oxide of an augmented spectrum) drawn with
        different marker shapes.
    title : str, optional
    """
    embedding = np.asarray(embedding, float)
    labels = np.asarray(labels).astype(str)
    if embedding.ndim != 2 or embedding.shape[1] != 2 or len(embedding) != len(labels):
        raise ValueError(f"need an (n, 2) embedding and n labels, got {embedding.shape} "
                         f"and {len(labels)}")
    order = [str(c) for c in (class_order or sorted(set(labels)))]
    groups = np.asarray(markers).astype(str) if markers is not None else np.full(len(labels), "")
    # base spectra ("none" / "") first, so they get circles
    shapes = dict(zip(sorted(set(groups), key=lambda g: (g not in ("none", ""), g)), "o^sDv<>p"))
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.add_subplot()
    size = max(2.0, min(20.0, 4000.0 / max(len(labels), 1)))
    for i, c in enumerate(order):
        for g, shape in shapes.items():
            sel = (labels == c) & (groups == g)
            if sel.any():
                ax.scatter(embedding[sel, 0], embedding[sel, 1], s=size, marker=shape,
                           color=_class_colour(c, i), alpha=0.7, linewidths=0,
                           label=c if g == next(iter(shapes)) else None)
    ax.set_xlabel("UMAP 1")
    ax.set_ylabel("UMAP 2")
    ax.legend(title="class", fontsize=8, markerscale=2.0 * 20.0 / size if size < 20 else 1.0,
              loc="best")
    if len(shapes) > 1:
        ax.text(0.99, 0.01, "markers: " + ", ".join(f"{shape} {g}" for g, shape in shapes.items()),
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7)
    if title:
        ax.set_title(title)
    _save(fig, paths)


def plot_measured(
    result: dict,
    nearest: Sequence[tuple],
    paths: Iterable[str | os.PathLike],
    title: str | None = None,
) -> None:
    """A classified measured spectrum over its nearest training spectra.

    Parameters
    ----------
    result : dict
        From :func:`cumor.measured.classify_spectrum` (``energy_grid``,
        ``features``, ``classes``, ``probability``, ``spread``, ``predicted``,
        ``shift_check``).
    nearest : sequence of (id, class, spectrum)
        Training spectra to draw under the measured one.
    paths : iterable of path-like
    title : str, optional
    """
    grid = np.asarray(result["energy_grid"], float)
    fig = Figure(figsize=(9.0, 3.8))
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.0, 1.0]})
    classes = list(result["classes"])
    for k, (sid, cls, mu) in enumerate(nearest):
        ax.plot(grid, mu, lw=0.9, alpha=0.7, color=_class_colour(cls, classes.index(cls)
                                                                  if cls in classes else k),
                label=f"{sid} ({cls})")
    ax.plot(grid, result["features"], color="black", lw=1.8, label="input spectrum")
    offset = float(result.get("energy_offset", 0.0))
    ax.set_xlabel("E - E0 (eV)" + (f", input shifted by {offset:+g} eV" if offset else ""))
    ax.set_ylabel("normalised mu")
    ax.legend(fontsize=6, loc="lower right")
    ax.grid(alpha=0.3)
    p = [result["probability"][c] for c in classes]
    s = [result["spread"][c] for c in classes]
    bx.bar(range(len(classes)), p, yerr=s, capsize=3,
           color=[_class_colour(c, i) for i, c in enumerate(classes)])
    bx.set_xticks(range(len(classes)), classes)
    bx.set_ylim(0.0, 1.05)
    bx.set_xlabel("ring class")
    bx.set_ylabel("probability (ensemble mean +- std)")
    flips = result.get("shift_check", {}).get("flips", False)
    bx.set_title(f"predicted {result['predicted']}" + (" (flips at +-shift!)" if flips else ""),
                 fontsize=9, color="red" if flips else "black")
    if title:
        fig.suptitle(title, fontsize=10)
    _save(fig, paths)
