"""Figures of the workflow: classification (Figs. 5-7), convergence (Fig. 1), example
spectra (Fig. 4) and the engine comparison.

Figures are built on :class:`matplotlib.figure.Figure` directly instead of
through ``pyplot``: no GUI backend is ever selected (PNG is rendered by Agg, PDF
by the pdf backend, picked from the file suffix), nothing is registered in
pyplot's global figure list, so no figure can leak across calls or processes
and nothing needs closing. Every output is written atomically.
"""

from __future__ import annotations

import os
from typing import Iterable, Mapping, Sequence

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


def plot_convergence(
    energy,
    panels: Sequence[tuple[str, Sequence[tuple[str, np.ndarray]]]],
    paths: Iterable[str | os.PathLike],
    title: str | None = None,
) -> None:
    """The convergence figure (the paper's Fig. 1): spectra and their change.

    One column per panel (a: cluster radius, b: the engine's other setting).
    The top row shows the normalised spectra of every setting, the bottom row
    their difference from the panel's last, most converged setting.

    Parameters
    ----------
    energy : array_like, length m
        The common grid (eV relative to E0).
    panels : sequence of (title, curves)
        ``curves`` is a sequence of ``(label, mu)`` with ``mu`` of length m,
        cheapest setting first.
    paths : iterable of path-like
        Every file to write (e.g. ``.png`` and ``.pdf``).
    title : str, optional
    """
    energy = np.asarray(energy, float)
    if not panels or any(not curves for _, curves in panels):
        raise ValueError("need at least one panel, each with at least one curve")
    for _, curves in panels:
        for label, mu in curves:
            if np.shape(mu) != energy.shape:
                raise ValueError(f"curve {label!r} has {np.shape(mu)} points, the grid {energy.shape}")
    n = len(panels)
    fig = Figure(figsize=(4.6 * n, 5.6), layout="constrained")
    axes = fig.subplots(2, n, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": [2.2, 1.0]})
    for k, (panel_title, curves) in enumerate(panels):
        top, bottom = axes[0, k], axes[1, k]
        reference = np.asarray(curves[-1][1], float)
        colours = _sequence_colours(len(curves))
        for (label, mu), colour in zip(curves, colours):
            top.plot(energy, mu, color=colour, lw=1.2, label=label)
            bottom.plot(energy, np.asarray(mu, float) - reference, color=colour, lw=1.0)
        top.set_title(f"({chr(ord('a') + k)}) {panel_title}", fontsize=10)
        top.set_ylabel("normalised mu")
        top.legend(fontsize=8, loc="lower right")
        top.grid(alpha=0.3)
        bottom.axhline(0.0, color="0.5", lw=0.6)
        bottom.set_ylabel("mu - mu(last setting)", fontsize=8)
        bottom.set_xlabel("E - E0 (eV)")
        bottom.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    _save(fig, paths)


def _sequence_colours(n: int) -> list:
    """``n`` colours from light to dark along one colour map (ordered settings)."""
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(x) for x in (np.linspace(0.85, 0.0, n) if n > 1 else [0.0])]


#: Columns a model's spectra may vary over, in the order they are chosen to colour by.
EXAMPLE_PARAMETERS = (("phi", "phi (deg)"), ("cu_al", "R_Cu-Al (A)"), ("tilt", "tilt (deg)"))


def select_example_spectra(
    table: pd.DataFrame,
    models: Sequence[str],
    max_curves: int = 12,
) -> tuple[list[dict], list[str]]:
    """Pick the spectra of the example figure (the paper's Fig. 4) from a data set.

    For each requested model in the table: if its spectra vary in ``phi`` (the
    2-Cu chain rotation, Fig. 4c), the spectra over phi at one Cu-Al distance
    (the middle one among those with the most phi values); otherwise its
    spectra ordered by Cu-Al distance (then tilt). At most ``max_curves``
    evenly spaced spectra per panel. Models not in the table are skipped; if
    none is there, one model per ring class (the first of the class in the
    table) is shown instead.

    Parameters
    ----------
    table : pandas.DataFrame
        The data set (:func:`cumor.dataset.build_dataset`): ``model``,
        ``ring_class``, ``cu_al``, ``tilt``, optionally ``phi``, and the
        ``mu_<E>`` columns.
    models : sequence of str
        Requested models, in panel order.
    max_curves : int, optional

    Returns
    -------
    panels : list of dict
        ``model``, ``ring_class``, ``parameter`` (column coloured by),
        ``label`` (its axis label), ``values`` (one per curve), ``mu`` (array,
        curves x energies), ``fixed`` (text, e.g. ``"R_Cu-Al 2.58 A"`` or ``""``).
    notes : list of str
        What was skipped or replaced, for the log and the title.

    Raises
    ------
    ValueError
        If the table is empty.
    """
    from cumor.dataset import intensity_columns

    if table.empty:
        raise ValueError("the data set is empty")
    present = list(dict.fromkeys(table["model"]))
    chosen = [m for m in models if m in present]
    notes = []
    missing = [m for m in models if m not in present]
    if missing:
        notes.append(f"not in this data set, skipped: {', '.join(missing)}")
    if not chosen:
        by_class = {}
        for model, cls in zip(table["model"], table["ring_class"].astype(str)):
            by_class.setdefault(cls, model)
        order = [c for c in CLASS_COLOURS if c in by_class] + sorted(
            c for c in by_class if c not in CLASS_COLOURS)
        chosen = [by_class[c] for c in order]
        notes.append("none of the configured models is in this data set: one model per "
                     f"ring class instead ({', '.join(chosen)})")
    columns = intensity_columns(table)
    panels = []
    for model in chosen:
        rows = table[table["model"] == model]
        fixed = ""
        if "phi" in rows and rows["phi"].nunique() > 1:
            parameter = "phi"
            counts = rows.groupby("cu_al")["phi"].nunique()
            distances = sorted(counts.index[counts == counts.max()])
            r = distances[len(distances) // 2]
            rows = rows[np.isclose(rows["cu_al"], r)].sort_values("phi")
            fixed = f"R_Cu-Al {r:.2f} A"
        else:
            parameter = "cu_al" if rows["cu_al"].nunique() > 1 or "tilt" not in rows else "tilt"
            rows = rows.sort_values([c for c in ("cu_al", "tilt") if c in rows])
        if len(rows) > max_curves:
            rows = rows.iloc[np.unique(np.round(np.linspace(0, len(rows) - 1, max_curves)).astype(int))]
        panels.append({
            "model": model,
            "ring_class": str(rows["ring_class"].iloc[0]),
            "parameter": parameter,
            "label": dict(EXAMPLE_PARAMETERS)[parameter],
            "values": rows[parameter].to_numpy(float),
            "mu": rows[columns].to_numpy(float),
            "fixed": fixed,
        })
    return panels, notes


def plot_example_spectra(
    energy,
    panels: Sequence[dict],
    paths: Iterable[str | os.PathLike],
    title: str | None = None,
) -> None:
    """The example-spectra figure (the paper's Fig. 4): one panel per model.

    Parameters
    ----------
    energy : array_like
        The common grid (eV relative to E0).
    panels : sequence of dict
        From :func:`select_example_spectra`.
    paths : iterable of path-like
    title : str, optional
    """
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    energy = np.asarray(energy, float)
    if not panels:
        raise ValueError("no panels to plot")
    n = len(panels)
    ncols = 1 if n == 1 else 2 if n <= 4 else 3
    nrows = -(-n // ncols)
    fig = Figure(figsize=(4.8 * ncols, 3.6 * nrows + (0.5 if title else 0.0)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    cmap = colormaps["viridis"]
    for k, (ax, panel) in enumerate(zip(axes, panels)):
        mu = np.asarray(panel["mu"], float)
        if mu.ndim != 2 or mu.shape[1] != energy.size:
            raise ValueError(f"panel {panel['model']}: mu shape {mu.shape} does not fit the grid")
        values = np.asarray(panel["values"], float)
        lo, hi = (values.min(), values.max()) if values.size else (0.0, 1.0)
        norm = Normalize(lo, hi if hi > lo else lo + 1.0)
        for value, curve in zip(values, mu):
            ax.plot(energy, curve, color=cmap(norm(value)), lw=1.0)
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=panel["label"], pad=0.02)
        extra = f"{panel['fixed']}, " if panel.get("fixed") else ""
        ax.set_title(f"({chr(ord('a') + k)}) {panel['model']} (class {panel['ring_class']})\n"
                     f"{extra}{len(values)} spectra", fontsize=9)
        ax.set_xlabel("E - E0 (eV)")
        ax.set_ylabel("normalised mu")
        ax.grid(alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    _save(fig, paths)


def plot_engine_comparison(
    energy,
    spectra: Mapping[str, Mapping[str, np.ndarray]],
    paths: Iterable[str | os.PathLike],
    title: str | None = None,
) -> None:
    """The same structures through two engines, one panel per structure.

    Parameters
    ----------
    energy : array_like, length m
        The common grid (eV relative to E0).
    spectra : mapping
        Exactly two engines: ``{engine: {structure label: mu}}``; the labels
        both engines have are plotted (in the first engine's order). Each panel
        title gives the R-factor (:func:`cumor.convergence.r_factor`) of the
        second engine against the first.
    paths : iterable of path-like
    title : str, optional

    Raises
    ------
    ValueError
        Without exactly two engines or without a structure they share.
    """
    from cumor.convergence import r_factor

    energy = np.asarray(energy, float)
    engines = list(spectra)
    if len(engines) != 2:
        raise ValueError(f"need spectra of exactly two engines, got {engines}")
    first, second = engines
    labels = [s for s in spectra[first] if s in spectra[second]]
    if not labels:
        raise ValueError(f"{first} and {second} have no structure in common")
    n = len(labels)
    ncols = min(n, 3)
    nrows = -(-n // ncols)
    fig = Figure(figsize=(4.2 * ncols, 3.2 * nrows + (0.4 if title else 0.0)), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True).ravel()
    for ax, label in zip(axes, labels):
        a, b = (np.asarray(spectra[e][label], float) for e in engines)
        ax.plot(energy, a, color="C0", lw=1.2, label=first)
        ax.plot(energy, b, color="C3", lw=1.2, label=second)
        ax.set_title(f"{label}  R = {r_factor(a, b):.2g}", fontsize=9)
        ax.set_xlabel("E - E0 (eV)")
        ax.set_ylabel("normalised mu")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    for ax in axes[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    _save(fig, paths)


def plot_fidelity(energy, curves: Mapping, rows: Sequence[Mapping], paths,
                  base: str = "base", title: str | None = None) -> None:
    """Simulated over measured spectrum per reference, and R per setting.

    Parameters
    ----------
    energy : array_like
        E0-relative grid (eV).
    curves : mapping
        setting -> reference -> {"measured", "uncalibrated", "calibrated"}.
    rows : sequence of mapping
        :func:`cumor.fidelity.fidelity_table` rows.
    paths : iterable of path-like
    base : str
        The setting drawn in the spectrum panels (the data set's).
    """
    energy = np.asarray(energy, float)
    refs = list(curves[base])
    n = len(refs)
    fig = Figure(figsize=(4.2 * (n + 1), 4.4), layout="constrained")
    axes = fig.subplots(1, n + 1, squeeze=False)[0]
    by = {(r["setting"], r["reference"]): r for r in rows}
    for ax, ref in zip(axes, refs):
        c = curves[base][ref]
        row = by[(base, ref)]
        ax.plot(energy, c["measured"], color="k", lw=1.6, label="measured")
        ax.plot(energy, c["uncalibrated"], color="0.55", lw=1.0, ls="--",
                label=f"{base}, uncalibrated (R {row['r_uncalibrated']:.3f})")
        ax.plot(energy, c["calibrated"], color="tab:red", lw=1.3,
                label=f"{base}, calibrated (R {row['r_calibrated']:.3f})")
        ax.set_title(f"{ref} ({row['role']})", fontsize=10)
        ax.set_xlabel("E - E0 (eV)")
        ax.set_ylabel("normalised mu")
        ax.legend(fontsize=7, loc="lower right")
        ax.grid(alpha=0.3)
    ax = axes[-1]
    settings = list(curves)
    width = 0.8 / max(1, n)
    x = np.arange(len(settings))
    for k, ref in enumerate(refs):
        values = [by[(s, ref)]["r_calibrated"] if (s, ref) in by else np.nan for s in settings]
        ax.bar(x + (k - (n - 1) / 2) * width, values, width, label=ref)
    ax.set_xticks(x, settings, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("R against the measurement (calibrated)")
    ax.set_title("R per engine setting", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title, fontsize=10)
    _save(fig, paths)
