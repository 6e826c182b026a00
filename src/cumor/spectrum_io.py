"""Spectra on disk (JSON, written atomically): one per file or one batch per file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cumor.atomic_io import atomic_path


def spectrum_record(result: dict, meta: dict, engine: str) -> dict:
    """The JSON-safe record of one structure's averaged spectrum.

    Parameters
    ----------
    result : dict
        From :func:`cumor.engines.base.compute_average_spectrum` (``energy``,
        ``mu``, ``e0``, ``seconds``, ``absorbers``).
    meta : dict
        Structure metadata (model, point, ring_class, n_cu, cu_al, ...).
    engine : str
        Engine name, recorded with the spectrum.

    Raises
    ------
    ValueError
        If the spectrum has non-finite values.
    """
    mu = np.asarray(result["mu"], float)
    if not np.all(np.isfinite(mu)):
        raise ValueError(f"{meta.get('model')}/{meta.get('point')}: spectrum has non-finite values")
    return {
        "meta": _plain(meta),
        "engine": engine,
        "energy": _plain(result["energy"]),
        "mu": _plain(mu),
        "e0": _plain(result["e0"]),
        "seconds": _plain(result["seconds"]),
        "absorbers": _plain(result["absorbers"]),
    }


def failed_record(meta: dict, engine: str, error: str) -> dict:
    """The record of a structure whose spectrum could not be computed.

    Kept in the batch file so the data set can name every missing structure
    (and refuse to build unless the config allows missing ones).
    """
    return {"meta": _plain(meta), "engine": engine, "error": str(error)}


def is_failed(record: dict) -> bool:
    """True for a record written by :func:`failed_record`."""
    return "error" in record


def write_spectrum(path: str | Path, result: dict, meta: dict, engine: str) -> None:
    """Write one averaged spectrum and its structure's metadata to JSON, atomically.

    See :func:`spectrum_record` for the parameters.
    """
    record = spectrum_record(result, meta, engine)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record))


def read_spectrum(path: str | Path) -> dict:
    """Read a spectrum written by :func:`write_spectrum` (arrays as numpy)."""
    return _with_arrays(_read_json(path))


def write_spectrum_batch(path: str | Path, records: list[dict]) -> None:
    """Write the records of one batch of grid points (spectra or failures) atomically."""
    if not records:
        raise ValueError(f"{path}: no spectra to write")
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({"records": records}))


def read_spectrum_records(path: str | Path) -> list[dict]:
    """Every record of a spectrum file: a batch file or a one-spectrum file.

    Spectra get numpy arrays; failure records (:func:`is_failed`) are returned as
    written.
    """
    data = _read_json(path)
    records = data["records"] if "records" in data else [data]
    return [r if is_failed(r) else _with_arrays(r) for r in records]


def read_point_spectrum(path: str | Path, point: str) -> dict:
    """The spectrum of grid point ``point`` from a batch or one-spectrum file.

    Raises
    ------
    ValueError
        If the file holds no record of that point, or only its failure record.
    """
    for record in read_spectrum_records(path):
        if record["meta"].get("point") == point:
            if is_failed(record):
                raise ValueError(f"{path}: no spectrum of {point}: {record['error']}")
            return record
    raise ValueError(f"{path}: holds no spectrum of grid point {point}")


def _read_json(path: str | Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable spectrum file ({err})") from err


def _with_arrays(record: dict) -> dict:
    record["energy"] = np.asarray(record["energy"], float)
    record["mu"] = np.asarray(record["mu"], float)
    return record


def _plain(value):
    """JSON-safe copy: numpy scalars and arrays to Python numbers and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
