"""One spectrum per structure on disk (JSON), written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cumor.atomic_io import atomic_path


def write_spectrum(path: str | Path, result: dict, meta: dict, engine: str) -> None:
    """Write an averaged spectrum and the structure's metadata to JSON.

    Parameters
    ----------
    path : path-like
        Destination (``.json``).
    result : dict
        From :func:`cumor.engines.base.compute_average_spectrum` (``energy``,
        ``mu``, ``e0``, ``seconds``, ``absorbers``).
    meta : dict
        Structure metadata (model, point, ring_class, n_cu, cu_al, ...).
    engine : str
        Engine name, recorded with the spectrum.
    """
    mu = np.asarray(result["mu"], float)
    if not np.all(np.isfinite(mu)):
        raise ValueError(f"{path}: spectrum has non-finite values; not written")
    record = {
        "meta": _plain(meta),
        "engine": engine,
        "energy": _plain(result["energy"]),
        "mu": _plain(mu),
        "e0": _plain(result["e0"]),
        "seconds": _plain(result["seconds"]),
        "absorbers": _plain(result["absorbers"]),
    }
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record))


def read_spectrum(path: str | Path) -> dict:
    """Read a spectrum written by :func:`write_spectrum` (arrays as numpy)."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable spectrum file ({err})") from err
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
