"""Convergence of a spectrum with numerical settings (the paper's Fig. 1).

The paper checked its FDMNES spectra against two numerical settings: the cluster
radius (4, 5, 6, 7 A; saturated at 6 A, Fig. 1a) and the finite-difference grid
step ``Adimp`` (0.5, 0.2, 0.05 A at 6 A; no significant change, Fig. 1b). This
module describes such a study as a list of :class:`ConvergenceStep` (one spectrum
each) and turns the computed spectra into a table of cost and change:

* :func:`convergence_steps` -- the steps of both panels for one engine; equal
  settings (e.g. radius 6 A in panel a and "SCF off" in panel b) share one
  spectrum, named by :func:`setting_key`;
* :func:`r_factor` -- the difference between two spectra on the common grid;
* :func:`convergence_table` -- per step: seconds per spectrum and the R-factor
  against the next (more converged) step and against the last one of its panel.

Values in a panel are listed from the cheapest to the most converged setting
(growing radius, finer grid, SCF off then on), so "next" and "last" are the
better-converged references.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "PANEL_TITLES",
    "RADIUS_PANEL",
    "ConvergenceStep",
    "convergence_steps",
    "choose_structure",
    "configured_setting_key",
    "convergence_table",
    "engine_comparison_table",
    "format_value",
    "panel_b",
    "r_factor",
    "setting_key",
]

#: Panel (a): the cluster radius, an engine setting of both engines.
RADIUS_PANEL = "cluster_radius"

#: Figure titles of the panels (engine setting -> text).
PANEL_TITLES = {
    "cluster_radius": "cluster radius",
    "scf_radius": "self-consistent potential (SCF radius; off = no SCF)",
    "fms_radius": "full-multiple-scattering radius (off = whole cluster)",
    "adimp": "finite-difference grid step Adimp",
    "scf": "self-consistent potential (off / on)",
    "overlap": "muffin-tin overlap (FDMNES Overlap; off = FDMNES's 0.1)",
}

#: Panel-b settings that are not lengths (no "A" in their legend).
_UNITLESS = {"overlap"}


def panel_b(convergence: Mapping, engine: str, settings: Mapping) -> tuple[str, list]:
    """Setting and values of panel b for an engine as configured.

    Parameters
    ----------
    convergence : mapping
        ``figures.convergence`` of the config: ``feff`` holds ``parameter`` and
        ``values``; ``fdmnes`` holds one such pair per FDMNES mode (``fdm``,
        ``green``), since a finite-difference grid step means nothing to the
        multiple-scattering mode.
    engine : str
        ``"feff"`` or ``"fdmnes"``.
    settings : mapping
        The engine's settings (``xanes.<engine>``); FDMNES's ``mode`` picks the pair
        (default ``fdm``).

    Returns
    -------
    parameter : str
    values : list
    """
    panel = convergence[engine]
    if engine == "fdmnes":
        mode = str(settings.get("mode") or "fdm").strip().lower()
        if mode not in panel:
            raise ValueError(
                f"figures.convergence.fdmnes has no panel b for mode {mode!r}; "
                f"it has {sorted(panel)}"
            )
        panel = panel[mode]
    return panel["parameter"], list(panel["values"])


def r_factor(reference, other) -> float:
    """R-factor of ``other`` against ``reference`` on their common energy grid.

    .. math:: R = \\frac{\\sum_i (a_i - b_i)^2}{\\sum_i a_i^2}

    with ``a`` the reference and ``b`` the other spectrum, both normalised (edge
    step 1) and on the same energy points -- every spectrum of the workflow is on
    the ``xanes.energy_grid`` relative to its own E0. R is 0 for identical
    spectra and dimensionless; as a rule of thumb, R < 1e-3 is a difference
    hardly visible in a plot of normalised spectra. It is not symmetric:
    the reference's norm sets the scale.

    Parameters
    ----------
    reference, other : array_like, 1-D, same length
        Normalised mu on the common grid.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On different lengths, an empty or all-zero reference, or non-finite
        values.
    """
    a = np.asarray(reference, dtype=float)
    b = np.asarray(other, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"need two 1-D spectra of equal length, got {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("spectra contain non-finite values")
    norm = float(np.sum(a**2))
    if not norm > 0:
        raise ValueError("reference spectrum is empty or zero")
    return float(np.sum((a - b) ** 2) / norm)


def format_value(value) -> str:
    """A setting value for names and labels: ``None`` -> ``"off"``, 6.0 -> ``"6"``."""
    if value is None:
        return "off"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "-".join(format_value(v) for v in value)
    return str(value)


def setting_key(radius: float, overrides: Mapping | None = None, base: Mapping | None = None) -> str:
    """File-name-safe name of one engine setting of the study.

    ``r<radius>`` followed by ``_<key>-<value>`` for every override that differs
    from ``base`` (sorted by key), e.g. ``r6``, ``r6_scf_radius-4``,
    ``r6_adimp-0.2``. Settings that are equal get the same name, so the workflow
    computes their spectrum once.
    """
    base = dict(base or {})
    parts = [f"r{format_value(float(radius))}"]
    for key in sorted(overrides or {}):
        value = overrides[key]
        if key == RADIUS_PANEL or _same(value, base.get(key)):
            continue
        parts.append(f"{key}-{format_value(value)}")
    return "_".join(parts)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b))
    return a == b


def _configured_radius(base_settings: Mapping, default_radius: float) -> float:
    return float(base_settings.get(RADIUS_PANEL) or default_radius)


def configured_setting_key(base_settings: Mapping, default_radius: float = 6.0) -> str:
    """:func:`setting_key` of the configured settings themselves (the data set's).

    The study's step with this key is the spectrum the data set already has.

    Parameters
    ----------
    base_settings : mapping
        The engine's configured settings (``xanes.<engine>``).
    default_radius : float, optional
        Cluster radius when ``base_settings`` has none (as in
        :func:`convergence_steps`).
    """
    return setting_key(_configured_radius(base_settings, default_radius), {}, base_settings)


@dataclasses.dataclass(frozen=True)
class ConvergenceStep:
    """One spectrum of the convergence study.

    Attributes
    ----------
    panel : str
        ``"cluster_radius"`` (panel a) or the engine parameter of panel b.
    value : object
        The panel's setting at this step (radius in A, SCF radius or None, ...).
    key : str
        :func:`setting_key`; the spectrum's file name.
    overrides : dict
        Engine settings applied on top of the configured ones.
    """

    panel: str
    value: object
    key: str
    overrides: dict

    @property
    def label(self) -> str:
        """Legend text: the value, with "A" for lengths (radii and grid steps),
        e.g. ``"6 A"``, ``"off"``, ``"on"``; the muffin-tin overlap has no unit."""
        numeric = isinstance(self.value, (int, float)) and not isinstance(self.value, bool)
        unit = " A" if numeric and self.panel not in _UNITLESS else ""
        return format_value(self.value) + unit


def convergence_steps(
    base_settings: Mapping,
    radii: Sequence[float],
    parameter: str,
    values: Sequence,
    default_radius: float = 6.0,
    resolve: Callable[[dict], Mapping] | None = None,
) -> list[ConvergenceStep]:
    """The steps of both panels of the study for one engine.

    Panel a varies ``cluster_radius`` over ``radii``, everything else as
    configured. Panel b varies ``parameter`` over ``values`` at the configured
    cluster radius (the one the data set uses).

    Parameters
    ----------
    base_settings : mapping
        The engine's configured settings (``xanes.<engine>``).
    radii : sequence of float
        Cluster radii (A), smallest first.
    parameter : str
        Engine setting of panel b (``scf_radius`` for FEFF, ``adimp`` or ``scf``
        for FDMNES; :func:`panel_b`).
    values : sequence
        Its values, cheapest first.
    default_radius : float, optional
        Cluster radius when ``base_settings`` has none (the engines' default).
    resolve : callable, optional
        Settings -> the settings the engine uses (e.g. ``lambda s:
        get_engine(name, s).settings``). With it, a panel-b value that the
        engine resolves to the configured one is the configured setting (same
        key, same spectrum) although it is spelt differently: FDMNES ``adimp``
        0.5 when the config says null (0.5 A in mode fdm).

    Returns
    -------
    list of ConvergenceStep
        Panel a then panel b, in the given order.

    Raises
    ------
    ValueError
        If a list is empty, a radius is not positive, or a panel repeats a value.
    """
    if not radii or not values:
        raise ValueError("the convergence study needs at least one radius and one value")
    if parameter == RADIUS_PANEL:
        raise ValueError("panel b must vary a setting other than cluster_radius")
    for name, series in ((RADIUS_PANEL, radii), (parameter, values)):
        keys = [format_value(v) for v in series]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{name}: repeated value in {list(series)}")
    base = dict(base_settings)
    base_radius = _configured_radius(base, default_radius)
    steps = []
    for radius in radii:
        if not float(radius) > 0:
            raise ValueError(f"cluster radius must be positive, got {radius}")
        overrides = {RADIUS_PANEL: float(radius)}
        steps.append(ConvergenceStep(RADIUS_PANEL, float(radius),
                                     setting_key(radius, overrides, base), overrides))
    resolved_base = resolve(base) if resolve is not None else None
    for value in values:
        overrides = {RADIUS_PANEL: base_radius, parameter: value}
        named = overrides
        if resolve is not None and _same(
            resolve({**base, **overrides}).get(parameter), resolved_base.get(parameter)
        ):
            named = {RADIUS_PANEL: base_radius}  # what the engine computes is the base
        steps.append(ConvergenceStep(parameter, value,
                                     setting_key(base_radius, named, base), overrides))
    return steps


def convergence_table(steps: Sequence[ConvergenceStep], spectra: Mapping[str, dict]) -> pd.DataFrame:
    """Cost and change of every step.

    Parameters
    ----------
    steps : sequence of ConvergenceStep
        From :func:`convergence_steps`.
    spectra : mapping
        ``key`` -> spectrum record (:func:`cumor.spectrum_io.read_spectrum`:
        ``mu`` on the common grid and ``seconds``, engine seconds per absorber).

    Returns
    -------
    pandas.DataFrame
        One row per step: ``panel``, ``value`` (text), ``setting`` (the key),
        ``n_absorbers``, ``seconds`` (engine seconds for the whole spectrum,
        summed over the computed absorbers), ``r_vs_next`` (R-factor of this
        step against the next step of its panel; empty for the last) and
        ``r_vs_last`` (against the panel's last, most converged step).
    """
    rows = []
    for panel in dict.fromkeys(s.panel for s in steps):
        series = [s for s in steps if s.panel == panel]
        last = spectra[series[-1].key]["mu"]
        for i, step in enumerate(series):
            record = spectra[step.key]
            mu = record["mu"]
            rows.append({
                "panel": panel,
                "value": format_value(step.value),
                "setting": step.key,
                "n_absorbers": len(record["seconds"]),
                "seconds": float(np.sum(record["seconds"])),
                "r_vs_next": (r_factor(spectra[series[i + 1].key]["mu"], mu)
                              if i + 1 < len(series) else np.nan),
                "r_vs_last": r_factor(last, mu),
            })
    return pd.DataFrame(rows)


def engine_comparison_table(spectra: Mapping[str, Mapping[str, dict]]) -> pd.DataFrame:
    """R-factor and cost of the same structures through two engines.

    Parameters
    ----------
    spectra : mapping
        ``{engine: {structure label: spectrum record}}`` for exactly two engines
        (records as from :func:`cumor.spectrum_io.read_spectrum`).

    Returns
    -------
    pandas.DataFrame
        One row per structure both engines have: ``structure``,
        ``seconds_<engine>`` for each, and ``r_factor`` (second engine against
        the first).
    """
    engines = list(spectra)
    if len(engines) != 2:
        raise ValueError(f"need spectra of exactly two engines, got {engines}")
    first, second = engines
    rows = []
    for label, a in spectra[first].items():
        b = spectra[second].get(label)
        if b is None:
            continue
        rows.append({
            "structure": label,
            f"seconds_{first}": float(np.sum(a["seconds"])),
            f"seconds_{second}": float(np.sum(b["seconds"])),
            "r_factor": r_factor(a["mu"], b["mu"]),
        })
    return pd.DataFrame(rows)


def choose_structure(model: str | None, point: str | None, points_of: Mapping[str, Sequence]) -> tuple[str, str, list[str]]:
    """The grid point whose structure the convergence study uses.

    Parameters
    ----------
    model, point : str or None
        Configured model and grid point (``figures.convergence``).
    points_of : mapping
        Selected model -> its selected grid points (objects with ``.point``),
        in selection order (the first model is the fallback).

    Returns
    -------
    model, point : str
        The choice: the configured model if it is selected, else the first
        selected model; the configured point if that model has it, else the
        model's middle selected point.
    notes : list of str
        Why the configured choice was replaced (empty if it was not).
    """
    if not points_of:
        raise ValueError("no model is selected")
    notes = []
    if model not in points_of:
        fallback = next(iter(points_of))
        if model is not None:
            notes.append(f"model {model} is not selected; using the first selected model {fallback}")
        model = fallback
    names = [p.point for p in points_of[model]]
    if point not in names:
        middle = names[len(names) // 2]
        if point is not None:
            notes.append(f"{model} has no selected point {point}; using its middle point {middle}")
        point = middle
    return model, point, notes
