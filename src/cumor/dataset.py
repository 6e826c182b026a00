"""The spectra table: one row per structure, metadata columns + intensities."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from cumor.atomic_io import atomic_path
from cumor.spectrum_io import is_failed, read_spectrum_records

#: Prefix of intensity columns; the rest of the name is the energy rel. E0 (eV).
MU_PREFIX = "mu_"


def mu_column(energy: float) -> str:
    """Column name of the intensity at ``energy`` eV relative to E0."""
    return f"{MU_PREFIX}{energy:+.2f}"


class MissingSpectraError(ValueError):
    """Some structures have no spectrum and the config does not allow that."""


def build_dataset(
    spectrum_paths: list[str | Path], allow_missing: bool = False
) -> tuple[pd.DataFrame, list[dict]]:
    """Collect spectra (batch or one-spectrum files) into one table.

    Parameters
    ----------
    spectrum_paths : list of path-like
        Files written by :func:`cumor.spectrum_io.write_spectrum_batch` (or
        :func:`cumor.spectrum_io.write_spectrum`).
    allow_missing : bool
        Build the table even if some structures have only a failure record.

    Returns
    -------
    table : pandas.DataFrame
        One row per structure with a spectrum. Columns: ``structure_id``
        (``<model>/<point>``), the structure metadata (model, ring_class, n_cu,
        cu_al, tilt, ring, relaxation QA), ``engine``, ``e0_mean`` and ``e0_all``
        (eV, every absorber), ``seconds`` (engine time summed over absorbers),
        and one ``mu_<E>`` column per grid energy.
    missing : list of dict
        ``structure_id``, ``file`` and ``error`` of every structure without a
        spectrum (empty when all are there).

    Raises
    ------
    MissingSpectraError
        If structures are missing and ``allow_missing`` is false; the message
        lists them by id with their errors.
    ValueError
        If no spectra are given or two spectra are on different energy grids
        (the message names the file).
    """
    if not spectrum_paths:
        raise ValueError("no spectra to collect")
    rows, missing, grid = [], [], None
    for path in spectrum_paths:
        for record in read_spectrum_records(path):
            meta = record["meta"]
            structure_id = f"{meta['model']}/{meta['point']}"
            if is_failed(record):
                missing.append({"structure_id": structure_id, "file": str(path),
                                "error": record["error"]})
                continue
            if grid is None:
                grid = record["energy"]
            elif record["energy"].shape != grid.shape or not np.allclose(record["energy"], grid):
                raise ValueError(f"{path}: energy grid of {structure_id} differs from the first spectrum's")
            rows.append(_row(structure_id, record, grid))
    if missing and not allow_missing:
        raise MissingSpectraError(_missing_message(missing))
    if not rows:
        raise ValueError(f"no structure has a spectrum ({len(missing)} failed)")
    table = pd.DataFrame(rows)
    table["ring_class"] = table["ring_class"].astype(str)
    return table, missing


def _row(structure_id: str, record: dict, grid: np.ndarray) -> dict:
    row = {"structure_id": structure_id, **record["meta"]}
    row.update(
        engine=record["engine"],
        e0_mean=float(np.mean(record["e0"])),
        e0_all=" ".join(f"{e:.3f}" for e in record["e0"]),
        seconds=float(np.sum(record["seconds"])),
    )
    row.update({mu_column(e): v for e, v in zip(grid, record["mu"])})
    return row


def _missing_message(missing: list[dict]) -> str:
    lines = [f"  {m['structure_id']}: {m['error']} ({m['file']})" for m in missing]
    return (
        f"{len(missing)} structure(s) have no spectrum:\n" + "\n".join(lines) + "\n"
        "Fix the cause and rerun with --forcerun xanes (finished spectra come from "
        "the cache), or set dataset.allow_missing: true to build the data set without them."
    )


#: Columns that record how long things took: they differ between identical runs.
TIMING_COLUMNS = ("seconds", "relax_seconds")


def dataset_hash(table: pd.DataFrame) -> str:
    """SHA-256 of a data set's content, timing columns left out.

    Two runs of the same config must give the same hash (see tests); the engine
    and relaxation times differ from run to run and are not content.
    """
    content = table.drop(columns=[c for c in TIMING_COLUMNS if c in table.columns])
    content = content.sort_values("structure_id").reset_index(drop=True)
    return hashlib.sha256(content.to_csv(index=False).encode()).hexdigest()


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
