"""Measured Cu K-edge spectra: read, normalise like the simulations, classify.

A measured spectrum goes through the same steps as every simulated absorber
(:func:`cumor.engines.base.compute_average_spectrum`): E0 from the maximum of
the first derivative on the rising edge (:func:`cumor.normalise.find_e0`),
pre-edge line subtracted and edge step 1 (:func:`cumor.normalise.
normalise_spectrum`), interpolation onto the classifier's grid relative to E0
(:func:`cumor.normalise.to_relative_grid`).

Energy offset. Because every spectrum is placed on a grid relative to its *own*
E0, a constant shift of the absolute energy scale (monochromator calibration,
or FEFF's absolute edge position) cancels out. What does not cancel is a
difference between theory and experiment in where E0 falls relative to the
spectral features (a pre-edge shoulder or a broader edge moves the derivative
maximum; FEFF's self-energy stretches the energy axis a little). The
``energy_offset`` (eV) therefore moves the measured spectrum along the
E0-relative axis: a feature measured at E0 + e is placed at e + offset. The
robustness check repeats the prediction with the offset changed by -shift and
+shift (default +-1 eV, about the accuracy of E0 from a derivative) and reports
whether the predicted class changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from cumor.ensemble import Ensemble, nearest_spectra
from cumor.normalise import find_e0, normalise_spectrum, to_relative_grid

__all__ = [
    "read_measured_spectrum",
    "spectrum_features",
    "classify_spectrum",
    "write_classification",
]

#: Lines starting with one of these are comments.
COMMENT_PREFIXES = ("#", "!", "%", ";", "//", "*")
_SPLIT = re.compile(r"[,;\s]+")
#: Smallest number of data points accepted.
MIN_POINTS = 10


def read_measured_spectrum(path, energy_column: int = 0, mu_column: int = 1):
    """Read a two-column (energy, mu) text or CSV file.

    Accepted: whitespace-, comma- or semicolon-separated columns; comment lines
    starting with ``# ! % ; // *``; blank lines; non-numeric header lines
    *before* the first data row (e.g. ``energy,mu``). More than two columns are
    allowed (``energy_column`` and ``mu_column`` pick two). Energies in eV,
    strictly increasing or strictly decreasing (then reversed).

    Parameters
    ----------
    path : path-like
    energy_column, mu_column : int
        0-based column indices.

    Returns
    -------
    energy, mu : numpy.ndarray
        Energy strictly increasing.

    Raises
    ------
    ValueError
        Naming the file and the problem: missing or empty file, no numeric data,
        a single column, ragged rows, text after the data started, non-finite
        values, too few points, energy not monotonic or repeated, energies that
        look like keV.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file") from None
    except OSError as err:
        raise ValueError(f"{path}: cannot read ({err})") from err
    if not text.strip():
        raise ValueError(f"{path}: empty file")

    rows, linenos, width = [], [], None
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith(COMMENT_PREFIXES):
            continue
        fields = [f for f in _SPLIT.split(s) if f]
        try:
            values = [float(f) for f in fields]
        except ValueError:
            if rows:
                raise ValueError(f"{path}, line {lineno}: non-numeric data {s[:40]!r} after "
                                 f"the data started") from None
            continue  # header line before the data
        if len(values) < 2:
            raise ValueError(f"{path}, line {lineno}: only one column; need energy (eV) "
                             f"and mu in two columns")
        if width is None:
            width = len(values)
        elif len(values) != width:
            raise ValueError(f"{path}, line {lineno}: {len(values)} columns, earlier "
                             f"rows have {width}")
        rows.append(values)
        linenos.append(lineno)
    if not rows:
        raise ValueError(f"{path}: no numeric data (need two columns: energy in eV, mu)")
    data = np.asarray(rows, float)
    if max(energy_column, mu_column) >= data.shape[1]:
        raise ValueError(f"{path}: asked for columns {energy_column} and {mu_column}, "
                         f"file has {data.shape[1]}")
    energy, mu = data[:, energy_column], data[:, mu_column]
    if not (np.all(np.isfinite(energy)) and np.all(np.isfinite(mu))):
        bad = linenos[int(np.argmin(np.isfinite(energy) & np.isfinite(mu)))]
        raise ValueError(f"{path}, line {bad}: non-finite value (nan or inf)")
    if len(energy) < MIN_POINTS:
        raise ValueError(f"{path}: only {len(energy)} data points; need at least {MIN_POINTS}")
    step = np.diff(energy)
    if np.all(step < 0):
        energy, mu, step = energy[::-1], mu[::-1], -step[::-1]
        linenos = linenos[::-1]
    if not np.all(step > 0):
        i = int(np.argmax(step <= 0)) + 1
        raise ValueError(f"{path}, line {linenos[i]}: energy is not monotonic "
                         f"({energy[i - 1]:g} then {energy[i]:g} eV); sort the data or "
                         f"remove repeated energies")
    if energy[-1] - energy[0] < 5.0:
        raise ValueError(f"{path}: energy spans only {energy[-1] - energy[0]:g} units; "
                         f"energies must be in eV (keV given?)")
    return energy, mu


def spectrum_features(energy, mu, grid, energy_offset: float = 0.0, source: str = "spectrum"):
    """Normalised spectrum on the classifier's E0-relative grid.

    Parameters
    ----------
    energy, mu : array_like
        Raw spectrum (absolute or arbitrary-zero energies in eV).
    grid : array_like
        Feature energies relative to E0 (the ensemble's ``energy_grid``).
    energy_offset : float
        Shift (eV) of the measured spectrum along the E0-relative axis: the
        feature measured at ``E0 + e`` is placed at ``e + energy_offset``.
    source : str
        Named in error messages (the file).

    Returns
    -------
    features : numpy.ndarray
        ``mu`` normalised and interpolated at ``grid``.
    e0 : float
        Edge energy found in the data (eV, the data's own zero).

    Raises
    ------
    ValueError
        If the data do not contain the edge, do not cover the grid (including the
        offset), or do not look like an absorption edge after normalisation.
    """
    energy = np.asarray(energy, float)
    mu = np.asarray(mu, float)
    grid = np.asarray(grid, float)
    span = f"{energy[0]:.1f}..{energy[-1]:.1f} eV" if energy.size else "empty"
    try:
        e0 = find_e0(energy, mu)
        norm = normalise_spectrum(energy, mu, e0)
        features = to_relative_grid(energy, norm, e0 - float(energy_offset), grid)
    except ValueError as err:
        raise ValueError(
            f"{source}: energy range {span} misses the edge or does not cover "
            f"E0{grid.min() - energy_offset:+g}..E0{grid.max() - energy_offset:+g} eV "
            f"needed by the classifier: {err}"
        ) from None
    rel = energy - e0
    pre = norm[(rel >= -30.0) & (rel <= -10.0)]
    post = norm[(rel >= 20.0) & (rel <= 60.0)]
    if (pre.size and abs(float(np.mean(pre))) > 0.25) or (
            post.size and not 0.5 < float(np.mean(post)) < 2.0):
        raise ValueError(
            f"{source}: does not look like a normalised absorption edge at E0 = {e0:.2f} eV "
            f"(mean normalised mu {np.mean(pre) if pre.size else float('nan'):.2f} before, "
            f"{np.mean(post) if post.size else float('nan'):.2f} after the edge; expected ~0 "
            f"and ~1). Is the edge inside the energy range {span}?"
        )
    return features, float(e0)


def classify_spectrum(
    path,
    ensemble: Ensemble,
    energy_offset: float = 0.0,
    shift_check: float = 1.0,
    n_nearest: int = 5,
) -> dict:
    """Class probabilities of a measured spectrum, with spread and robustness check.

    Parameters
    ----------
    path : path-like
        Two-column spectrum file (:func:`read_measured_spectrum`).
    ensemble : Ensemble
        From :func:`cumor.ensemble.load_ensemble`.
    energy_offset : float
        Theory-experiment offset along the E0-relative axis (eV), see module doc.
    shift_check : float
        The prediction is repeated at ``energy_offset -+ shift_check``; 0 skips.
    n_nearest : int
        How many nearest training spectra to report.

    Returns
    -------
    dict
        ``input``, ``e0``, ``energy_offset``, ``classes``, ``probability`` and
        ``spread`` (``{class: value}``; mean and standard deviation over the
        ensemble members), ``predicted``, ``shift_check`` (per shift: predicted
        class and probabilities; ``flips``), ``warnings`` (list of str),
        ``nearest`` (:func:`cumor.ensemble.nearest_spectra`), ``features``
        (the normalised spectrum on the grid) and ``energy_grid``.
    """
    energy, mu = read_measured_spectrum(path)
    features, e0 = spectrum_features(energy, mu, ensemble.energy_grid, energy_offset,
                                     source=str(path))
    mean, std = ensemble.predict_proba(features)
    classes = [str(c) for c in ensemble.classes]
    predicted = classes[int(np.argmax(mean[0]))]
    result = {
        "input": str(path),
        "n_points": int(len(energy)),
        "e0": e0,
        "energy_offset": float(energy_offset),
        "classes": classes,
        "probability": {c: float(p) for c, p in zip(classes, mean[0])},
        "spread": {c: float(s) for c, s in zip(classes, std[0])},
        "member_predictions": [classes[int(np.argmax(p[0]))]
                               for p in ensemble.member_proba(features)],
        "predicted": predicted,
        "ensemble_size": ensemble.size,
        "warnings": [],
    }
    checks = [{"shift": 0.0, "predicted": predicted, "probability": result["probability"]}]
    if shift_check:
        for s in (-abs(shift_check), abs(shift_check)):
            f, _ = spectrum_features(energy, mu, ensemble.energy_grid, energy_offset + s,
                                     source=str(path))
            m, _ = ensemble.predict_proba(f)
            checks.append({"shift": float(s), "predicted": classes[int(np.argmax(m[0]))],
                           "probability": {c: float(p) for c, p in zip(classes, m[0])}})
    flips = sorted({c["predicted"] for c in checks} - {predicted}, key=classes.index)
    result["shift_check"] = {"shifts": [c["shift"] for c in checks], "results": checks,
                             "flips": bool(flips)}
    if flips:
        result["warnings"].append(
            f"predicted class changes from {predicted} to {', '.join(flips)} when the "
            f"spectrum is shifted by +-{abs(shift_check):g} eV: the assignment is not robust "
            f"against the uncertainty of E0 / the theory-experiment energy offset")
    if len(set(result["member_predictions"])) > 1:
        result["warnings"].append(
            f"ensemble members disagree: {result['member_predictions']}")
    top_spread = result["spread"][predicted]
    if top_spread > 0.2:
        result["warnings"].append(
            f"large ensemble spread of the top probability ({top_spread:.2f})")
    if ensemble.library_X is not None and n_nearest > 0:
        result["nearest"] = nearest_spectra(ensemble, features, n_nearest)
    result["features"] = features.tolist()
    result["energy_grid"] = np.asarray(ensemble.energy_grid, float).tolist()
    return result


def write_classification(result: dict, json_path, png_path=None, ensemble: Ensemble | None = None,
                         title: str | None = None) -> None:
    """Write a :func:`classify_spectrum` result as JSON and (optionally) a figure.

    The figure (:func:`cumor.plots.plot_measured`) shows the normalised
    measured spectrum over its nearest training spectra and the class
    probabilities with their ensemble spread; it needs ``ensemble`` for the
    training spectra.
    """
    from cumor.plots import plot_measured
    from cumor.protocol import write_json

    write_json(json_path, result)
    if png_path is not None:
        nearest = result.get("nearest", [])
        lib = []
        if ensemble is not None and ensemble.library_X is not None:
            lib = [(n["id"], n["ring_class"], ensemble.library_X[n["index"]]) for n in nearest]
        paths = [png_path] if not isinstance(png_path, (list, tuple)) else list(png_path)
        plot_measured(result, lib, paths, title=title or Path(result["input"]).name)
