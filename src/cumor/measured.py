"""Measured Cu K-edge spectra: read, normalise like the simulations, classify.

A measured spectrum goes through the same steps as every simulated absorber
(:func:`cumor.engines.base.compute_average_spectrum`), in one function,
:func:`cumor.normalise.normalised_on_grid`: E0 at 0.3 of the edge step
(:func:`cumor.normalise.edge_energy`), pre-edge line over E0-40..-15 eV
subtracted and edge step 1 from a post-edge line over E0+20..+90 eV
(:func:`cumor.normalise.normalise_spectrum`), interpolation onto the
classifier's grid relative to E0 (:func:`cumor.normalise.to_relative_grid`).
Simulated spectra are in addition calibrated (energy offset, broadening,
:mod:`cumor.calibration`) before that; measured spectra are not.

Energy offset. Because every spectrum is placed on a grid relative to its *own*
E0, a constant shift of the absolute energy scale (monochromator calibration,
or FEFF's absolute edge position) cancels out. What does not cancel is a
difference between theory and experiment in where E0 falls relative to the
spectral features (a broader or differently shaped edge moves the 0.3 step
crossing; FEFF's features sit closer to E0 than measured ones, see the README on
theory vs experiment). The
``energy_offset`` (eV) therefore moves the measured spectrum along the
E0-relative axis: a feature measured at E0 + e is placed at e + offset. The
robustness check repeats the prediction with the offset changed by -shift and
+shift (default +-1 eV, about the theory-experiment uncertainty of E0) and reports
whether the predicted class changes.

Reading. :mod:`cumor.measured_readers` reads XDI (columns by their labels, mu from
ln(i0/itrans), ifluor/i0 or a mu column), text/CSV (two columns, or named columns
with a header line) and Athena projects (optional xraylarch); ``mu="ln(i0/itrans)"``
(CLI ``--mu``) is a safe expression over the column names for any other layout.
:func:`classify_spectrum` refuses an E0 outside the Cu K range
(:data:`cumor.measured_readers.CU_K_E0_RANGE`) unless ``edge_check=False``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cumor.ensemble import Ensemble, nearest_spectra
from cumor.measured_readers import check_cu_k_edge, read_spectrum
from cumor.normalise import edge_energy, normalise_spectrum, to_relative_grid

__all__ = [
    "read_measured_spectrum",
    "edge_step",
    "spectrum_features",
    "classify_spectrum",
    "write_classification",
]

def read_measured_spectrum(path, energy_column: int = 0, mu_column: int = 1, *,
                           mu: str | None = None, energy: str | None = None,
                           group: str | None = None):
    """Energy and mu of a measured spectrum file (XDI, text/CSV or Athena project).

    Thin wrapper of :func:`cumor.measured_readers.read_spectrum`, which documents the
    formats and the rules for mu. A two-column text file is energy and mu (comment
    lines ``# ! % ; // *``, blank lines and a header line before the data allowed;
    whitespace, comma or semicolon separated); ``energy_column`` and ``mu_column``
    (0-based) pick two columns of a wider file without column names.

    Parameters
    ----------
    path : path-like
    energy_column, mu_column : int
        0-based column indices (text files without usable column names).
    mu : str, optional
        Expression for mu over the column names, e.g. ``"ln(i0/itrans)"``.
    energy : str, optional
        Name of the energy column.
    group : str, optional
        Athena project: label of the group.

    Returns
    -------
    energy, mu : numpy.ndarray
        Energy strictly increasing.

    Raises
    ------
    ValueError
        Naming the file and the problem (see :func:`~cumor.measured_readers.read_spectrum`).
    """
    spec = read_spectrum(path, mu=mu, energy=energy, energy_column=energy_column,
                         mu_column=mu_column, group=group)
    return spec.energy, spec.mu


def edge_step(energy, mu, e0: float) -> float:
    """Edge step of ``mu`` at ``e0`` as :func:`cumor.normalise.normalise_spectrum` measures it.

    ``normalise_spectrum`` returns ``(mu - pre_line(E)) / step``; with the linear
    pre-edge line, ``mu = a + b E + step * norm`` holds at every point, so a
    least-squares fit of ``mu`` on ``(1, E - e0, norm)`` returns the step exactly
    (to round-off). Same windows and fallbacks as the normalisation itself.
    """
    energy = np.asarray(energy, float)
    mu = np.asarray(mu, float)
    norm = normalise_spectrum(energy, mu, e0)
    design = np.c_[np.ones_like(energy), energy - float(e0), norm]
    coef = np.linalg.lstsq(design, mu, rcond=None)[0]
    return float(coef[2])


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
        e0 = edge_energy(energy, mu)
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
    *,
    mu: str | None = None,
    energy: str | None = None,
    group: str | None = None,
    edge_check: bool = True,
) -> dict:
    """Class probabilities of a measured spectrum, with spread and robustness check.

    Parameters
    ----------
    path : path-like
        Spectrum file: XDI, text/CSV or Athena project
        (:func:`cumor.measured_readers.read_spectrum`).
    ensemble : Ensemble
        From :func:`cumor.ensemble.load_ensemble`.
    energy_offset : float
        Theory-experiment offset along the E0-relative axis (eV), see module doc.
    shift_check : float
        The prediction is repeated at ``energy_offset -+ shift_check``; 0 skips.
    n_nearest : int
        How many nearest training spectra to report.
    mu, energy, group : str, optional
        Passed to :func:`~cumor.measured_readers.read_spectrum`: expression for mu
        over the column names, the energy column, the Athena group.
    edge_check : bool
        Refuse an E0 outside :data:`cumor.measured_readers.CU_K_E0_RANGE` (not a Cu K
        edge on an absolute energy scale). Switch off for a spectrum on a relative or
        shifted energy scale.

    Returns
    -------
    dict
        ``input``, ``format``, ``mu_source``, ``e0``, ``edge_step`` (of the raw
        mu, :func:`edge_step`), ``energy_offset``, ``classes``, ``probability`` and
        ``spread`` (``{class: value}``; mean and standard deviation over the
        ensemble members), ``predicted``, ``shift_check`` (per shift: predicted
        class and probabilities; ``flips``), ``warnings`` (list of str),
        ``nearest`` (:func:`cumor.ensemble.nearest_spectra`), ``features``
        (the normalised spectrum on the grid) and ``energy_grid``.
    """
    spec = read_spectrum(path, mu=mu, energy=energy, group=group)
    energy, mu = spec.energy, spec.mu
    if edge_check:
        # before the grid check, so that another element's edge is named as such
        try:
            e0_found = edge_energy(energy, mu)
        except ValueError:
            e0_found = None  # no edge at all: spectrum_features says so
        if e0_found is not None:
            check_cu_k_edge(e0_found, source=str(path))
    features, e0 = spectrum_features(energy, mu, ensemble.energy_grid, energy_offset,
                                     source=str(path))
    mean, std = ensemble.predict_proba(features)
    classes = [str(c) for c in ensemble.classes]
    predicted = classes[int(np.argmax(mean[0]))]
    result = {
        "input": str(path),
        "format": spec.format,
        "mu_source": spec.mu_source,
        "n_points": int(len(energy)),
        "e0": e0,
        "edge_step": edge_step(energy, mu, e0),
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
