"""The spectra table: one row per structure, metadata columns + intensities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cumor.atomic_io import atomic_path
from cumor.spectrum_io import read_spectrum

#: Prefix of intensity columns; the rest of the name is the energy rel. E0 (eV).
MU_PREFIX = "mu_"


def mu_column(energy: float) -> str:
    """Column name of the intensity at ``energy`` eV relative to E0."""
    return f"{MU_PREFIX}{energy:+.2f}"


def build_dataset(spectrum_paths: list[str | Path]) -> pd.DataFrame:
    """Collect per-structure spectra into one table.

    Parameters
    ----------
    spectrum_paths : list of path-like
        Files written by :func:`cumor.spectrum_io.write_spectrum`.

    Returns
    -------
    pandas.DataFrame
        Columns: ``structure_id`` (``<model>/<point>``), the structure metadata
        (model, ring_class, n_cu, cu_al, tilt, ring, relaxation QA), ``engine``,
        ``e0_mean`` and ``e0_all`` (eV, every absorber), ``seconds`` (engine time
        summed over absorbers), and one ``mu_<E>`` column per grid energy.

    Raises
    ------
    ValueError
        If no spectra are given or two spectra are on different energy grids
        (the message names the file).
    """
    if not spectrum_paths:
        raise ValueError("no spectra to collect")
    rows, grid = [], None
    for path in spectrum_paths:
        record = read_spectrum(path)
        if grid is None:
            grid = record["energy"]
        elif record["energy"].shape != grid.shape or not np.allclose(record["energy"], grid):
            raise ValueError(f"{path}: energy grid differs from {spectrum_paths[0]}")
        meta = record["meta"]
        row = {"structure_id": f"{meta['model']}/{meta['point']}", **meta}
        row.update(
            engine=record["engine"],
            e0_mean=float(np.mean(record["e0"])),
            e0_all=" ".join(f"{e:.3f}" for e in record["e0"]),
            seconds=float(np.sum(record["seconds"])),
        )
        row.update({mu_column(e): v for e, v in zip(grid, record["mu"])})
        rows.append(row)
    table = pd.DataFrame(rows)
    table["ring_class"] = table["ring_class"].astype(str)
    return table


def intensity_columns(table: pd.DataFrame) -> list[str]:
    """The ``mu_<E>`` columns in energy order."""
    return [c for c in table.columns if c.startswith(MU_PREFIX)]


def energies(table: pd.DataFrame) -> np.ndarray:
    """Energy grid (eV relative to E0) of a data set."""
    return np.array([float(c[len(MU_PREFIX):]) for c in intensity_columns(table)])


def write_dataset(path: str | Path, table: pd.DataFrame) -> None:
    """Write the table to parquet atomically."""
    with atomic_path(path) as tmp:
        table.to_parquet(tmp, index=False)
