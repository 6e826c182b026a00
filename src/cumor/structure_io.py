"""Reading and writing structures (extxyz) with their metadata in ``info``."""

from __future__ import annotations

from pathlib import Path

import ase.io
from ase import Atoms

from cumor.atomic_io import atomic_path

#: Keys every structure file of the workflow carries in its info.
REQUIRED_INFO = ("model", "point", "ring_class", "n_cu", "cu_al", "cu_indices", "fixed")
#: Info keys that are labels: extxyz would read "12" as an int and "5.12" as a float.
LABEL_INFO = ("model", "point", "ring_class", "ring")


def write_structure(path: str | Path, atoms: Atoms) -> None:
    """Write one structure to extxyz atomically (a batch of one, see :func:`write_structures`)."""
    write_structures(path, [atoms])


def write_structures(path: str | Path, structures: list[Atoms]) -> None:
    """Write several structures (one batch of grid points) to one extxyz file.

    Written atomically: a killed job leaves no file that looks complete.
    """
    if not structures:
        raise ValueError(f"{path}: no structures to write")
    frames = [atoms.copy() for atoms in structures]
    for atoms in frames:
        # lets the reader tell a whole batch from one cut at a frame boundary
        atoms.info["batch_size"] = len(frames)
    with atomic_path(path) as tmp:
        ase.io.write(tmp, frames, format="extxyz")


def read_structure(path: str | Path) -> Atoms:
    """Read a one-structure workflow file and check its metadata.

    Raises
    ------
    ValueError
        If the file cannot be parsed, holds more than one structure or lacks a
        required info key; the message names the file.
    """
    structures = read_structures(path)
    if len(structures) != 1:
        raise ValueError(f"{path}: holds {len(structures)} structures, expected one")
    return structures[0]


def read_structures(path: str | Path) -> list[Atoms]:
    """Read every structure of a workflow file (a batch of grid points), checked.

    Raises
    ------
    ValueError
        If the file cannot be parsed, is empty or a frame lacks a required info
        key; the message names the file (and the frame).
    """
    try:
        frames = ase.io.read(path, index=":", format="extxyz")
    except Exception as err:  # ASE raises many types for a corrupt file
        raise ValueError(f"{path}: not a readable extxyz structure ({err})") from err
    if not frames:
        raise ValueError(f"{path}: holds no structure")
    expected = frames[0].info.get("batch_size", len(frames))
    if len(frames) != expected:
        raise ValueError(f"{path}: holds {len(frames)} of its {expected} structures (truncated?)")
    return [_checked(atoms, f"{path} (frame {i})") for i, atoms in enumerate(frames)]


def structure_by_point(structures: list[Atoms], point: str, path: str | Path = "") -> Atoms:
    """The structure of grid point ``point`` (e.g. ``"p007"``) in a batch."""
    for atoms in structures:
        if atoms.info["point"] == point:
            return atoms
    raise ValueError(f"{path}: no structure for grid point {point}")


def _checked(atoms: Atoms, where: str) -> Atoms:
    """Check the required metadata and restore the types extxyz loses."""
    missing = [k for k in REQUIRED_INFO if k not in atoms.info]
    if missing:
        raise ValueError(f"{where}: structure info lacks {missing}")
    for key in LABEL_INFO:
        if key in atoms.info:
            atoms.info[key] = _label(atoms.info[key])
    for key in ("n_cu", "al_index", "batch_size"):
        if key in atoms.info:
            atoms.info[key] = int(atoms.info[key])
    for key in ("cu_al", "tilt", "phi"):
        if key in atoms.info:
            atoms.info[key] = float(atoms.info[key])
    for key in ("cu_indices", "fixed", "al_indices", "o_extra_indices", "grid_pair", "grid_dihedral"):
        if key in atoms.info:
            atoms.info[key] = [int(i) for i in _as_list(atoms.info[key])]
    return atoms


def _label(value) -> str:
    # 12 -> "12", 5.12 -> "5.12" (repr of a float keeps the digits as written)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value.item() if hasattr(value, "item") else value)
    return str(value)


def _as_list(value):
    # extxyz stores a one-element list as a scalar
    try:
        return list(value)
    except TypeError:
        return [value]


#: Metadata carried from a structure into its spectrum and the data set.
META_KEYS = (
    "model", "point", "ring_class", "n_cu", "cu_al", "tilt", "phi", "ring",
    "relax_energy_initial", "relax_energy_final", "relax_n_steps", "relax_converged",
    "relax_max_displacement", "relax_seconds",
)


def structure_meta(atoms: Atoms) -> dict:
    """The structure's metadata as plain Python values (JSON-safe)."""
    meta = {}
    for key in META_KEYS:
        if key in atoms.info:
            value = atoms.info[key]
            meta[key] = value.item() if hasattr(value, "item") else value
    return meta
