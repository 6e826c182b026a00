"""Config checks that a JSON schema cannot express, and the structure table.

The workflow validates ``config/config.yaml`` against
``workflow/schemas/config.schema.yaml`` (types, defaults, unknown keys) and then
calls :func:`check_config` so that every mistake is reported before any job runs,
with the offending key and value in the message.
"""

from __future__ import annotations

import numpy as np

from cumor.models import GridPoint, grid_segments, model_grid
from cumor.rings import KNOWN_RING_LABELS


class ConfigError(ValueError):
    """A config value that cannot work; the message names key and value."""


def selected_models(config: dict) -> list[str]:
    """Names of the models to run (``select.models``), in catalogue order."""
    catalogue = config.get("models", {})
    chosen = config.get("select", {}).get("models", "all")
    if chosen == "all":
        return list(catalogue)
    unknown = [m for m in chosen if m not in catalogue]
    if unknown:
        raise ConfigError(
            f"select.models: unknown model(s) {unknown}; the catalogue (models:) has "
            f"{sorted(catalogue)}"
        )
    return list(chosen)


def check_config(config: dict) -> None:
    """Raise :class:`ConfigError` on the first value that cannot work.

    Checks the selected models (known, grid ranges ordered, known ring labels)
    and that at least one model is selected. Engine names and the force field are
    checked by their own modules (:func:`cumor.engines.get_engine`,
    :func:`cumor.relax.forcefield_from_config`).
    """
    names = selected_models(config)
    if not names:
        raise ConfigError("models: the catalogue is empty; nothing to run")
    for name in names:
        _check_model(name, config["models"][name])
    _check_figure_models(config)


def _check_figure_models(config: dict) -> None:
    """Models named under ``figures`` must be in the catalogue (a typo is an error;
    a catalogue model that is not selected is only skipped by the figure)."""
    figures = config.get("figures", {})
    catalogue = config.get("models", {})
    named = {
        "figures.convergence.model": [figures.get("convergence", {}).get("model")],
        "figures.example_spectra.models": figures.get("example_spectra", {}).get("models", []),
        "figures.engine_comparison.models": (
            [] if figures.get("engine_comparison", {}).get("models", "all") == "all"
            else figures["engine_comparison"]["models"]
        ),
    }
    for key, models in named.items():
        unknown = [m for m in models if m is not None and m not in catalogue]
        if unknown:
            raise ConfigError(f"{key}: unknown model(s) {unknown}; not in the catalogue (models:)")


def _check_model(name: str, spec: dict) -> None:
    key = f"models.{name}"
    if spec["ring"] not in KNOWN_RING_LABELS:
        raise ConfigError(
            f"{key}.ring: unknown ring {spec['ring']!r}; known: {list(KNOWN_RING_LABELS)}"
        )
    for k, segment in enumerate(grid_segments(spec["grid"])):
        where = f"{key}.grid" + (f".segments[{k}]" if "segments" in spec["grid"] else "")
        cu_al = segment["cu_al"]
        if cu_al["min"] > cu_al["max"]:
            raise ConfigError(
                f"{where}.cu_al: min {cu_al['min']} is larger than max {cu_al['max']}"
            )
    for ring_key in ("al2_ring",):
        if ring_key in spec and spec[ring_key] not in KNOWN_RING_LABELS:
            raise ConfigError(
                f"{key}.{ring_key}: unknown ring {spec[ring_key]!r}; known: {list(KNOWN_RING_LABELS)}"
            )
    if spec["n_cu"] > 1 and "separation" not in spec and "al2_ring" not in spec:
        raise ConfigError(f"{key}: n_cu {spec['n_cu']} needs `separation` or `al2_ring` for the second Al")
    suffix = f"_{spec['n_cu']}Cu"
    if not name.endswith(suffix):
        raise ConfigError(f"{key}: n_cu is {spec['n_cu']} but the name does not end in {suffix!r}")


def structure_table(config: dict) -> list[GridPoint]:
    """Every (model, grid point) the config asks for, honouring ``select``."""
    keep = config.get("select", {}).get("max_points_per_model")
    table = []
    for name in selected_models(config):
        points = model_grid(name, config["models"][name])
        if keep is not None and keep < len(points):
            picks = np.unique(np.round(np.linspace(0, len(points) - 1, keep)).astype(int))
            points = [points[i] for i in picks]
        table.extend(points)
    return table


def batch_label(index: int) -> str:
    """Name of a model's ``index``-th batch of grid points (``b000``, ``b001``, ...)."""
    return f"b{index:03d}"


def batch_table(
    structures: list[GridPoint], points_per_job: int
) -> dict[tuple[str, str], list[GridPoint]]:
    """Split every model's grid points into batches: one Snakemake job per batch.

    Snakemake's cost per job (building the DAG, starting Python, importing the
    stack) rivals a seconds-long structure or relaxation step, so each job of the
    structure / relax / xanes stages handles ``points_per_job`` consecutive grid
    points of one model.

    Parameters
    ----------
    structures : list of GridPoint
        From :func:`structure_table`, in model order.
    points_per_job : int
        Grid points per batch (>= 1); a model's last batch may hold fewer.

    Returns
    -------
    dict
        ``(model, batch label) -> grid points``, in the order of ``structures``.
    """
    if points_per_job < 1:
        raise ConfigError(f"points_per_job: must be >= 1, got {points_per_job}")
    by_model: dict[str, list[GridPoint]] = {}
    for point in structures:
        by_model.setdefault(point.model, []).append(point)
    table = {}
    for model, points in by_model.items():
        for start in range(0, len(points), points_per_job):
            label = batch_label(start // points_per_job)
            table[(model, label)] = points[start : start + points_per_job]
    return table
