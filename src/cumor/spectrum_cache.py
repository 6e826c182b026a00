"""Finished spectra kept per structure, so a rerun of a killed batch job resumes.

A batch job computes several structures; if it is killed, Snakemake reruns it
whole and deletes its outputs first. Each finished spectrum is therefore also
stored in the structure's engine work directory, under a key of everything it
depends on (atoms, engine, engine settings, energy grid). A rerun takes a
structure's spectrum from there when the key matches and computes only the rest.
Failed spectra are never cached: a rerun tries them again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from ase import Atoms

from cumor.atomic_io import atomic_path
from cumor.normalise import NORMALISATION_VERSION

#: File name of the cached record inside a structure's engine work directory.
CACHE_FILE = "spectrum.json"


def spectrum_cache_key(atoms: Atoms, engine: str, settings: dict, energy_grid) -> str:
    """SHA-256 of a spectrum's inputs: atoms, engine name, its settings, the grid,
    and :data:`cumor.normalise.NORMALISATION_VERSION`.

    Parameters
    ----------
    atoms : ase.Atoms
        The structure (numbers, positions, cell and periodicity count).
    engine : str
        Engine name.
    settings : dict
        The engine's settings as the config gives them.
    energy_grid : array_like
        Energies relative to E0 the spectrum is interpolated onto.
    """
    digest = hashlib.sha256()
    for array in (atoms.numbers, atoms.positions, atoms.cell.array, atoms.pbc):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(json.dumps([engine, settings], sort_keys=True, default=str).encode())
    digest.update(np.asarray(energy_grid, float).tobytes())
    # How E0 and the normalisation are defined: spectra made the old way are stale.
    digest.update(NORMALISATION_VERSION.encode())
    return digest.hexdigest()


def load_cached_spectrum(workdir: str | Path, key: str) -> dict | None:
    """The cached record in ``workdir`` if its key is ``key``, else ``None``.

    An unreadable cache file is treated as absent (it is recomputed).
    """
    path = Path(workdir) / CACHE_FILE
    try:
        cached = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if cached.get("key") != key:
        return None
    return cached.get("record")


def store_cached_spectrum(workdir: str | Path, key: str, record: dict) -> None:
    """Store a finished spectrum record (JSON-safe) in ``workdir``, atomically."""
    with atomic_path(Path(workdir) / CACHE_FILE) as tmp:
        tmp.write_text(json.dumps({"key": key, "record": record}))
