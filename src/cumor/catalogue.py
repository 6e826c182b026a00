"""Golden fingerprints of the model catalogue: the same structures on every machine.

For every model: the ring it sits in and its Al sites, by crystallographic label
(T1-T4) and rounded position; for every grid point: a hash of the built structure
(symbols and Cartesian coordinates rounded to 1e-3 A, :func:`structure_fingerprint`).
``tests/data/golden/catalogue.json`` holds them for the default config; a test
rebuilds every structure and compares, so a change of the builder, of a library or of
the machine that moves an atom by more than the rounding shows up at once.

Regenerate after an intended change of the catalogue (and say why in the commit)::

    python -m cumor.catalogue config/config.yaml tests/data/golden/catalogue.json [--processes 2]
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from ase import Atoms

from cumor.tiebreak import COORD_DECIMALS

__all__ = ["structure_fingerprint", "model_sites", "catalogue_fingerprints", "write_catalogue"]


def structure_fingerprint(atoms: Atoms) -> str:
    """SHA-256 (16 hex digits) of symbols and wrapped coordinates rounded to 1e-3 A.

    Coordinates are wrapped into the cell first, and a coordinate that rounds to the
    cell edge counts as 0, so the two images of an atom on a cell face agree.
    """
    cell = np.asarray(atoms.cell)
    frac = np.linalg.solve(cell.T, atoms.positions.T).T
    xyz = np.round((frac - np.floor(frac)) @ cell, COORD_DECIMALS) + 0.0
    lengths = np.round(np.linalg.norm(cell, axis=1), COORD_DECIMALS)
    if np.allclose(cell, np.diag(np.diag(cell))):  # orthogonal cell: edge -> 0
        xyz = np.where(np.isclose(xyz, lengths[None, :], atol=0.6 * 10**-COORD_DECIMALS), 0.0, xyz)
    text = " ".join(atoms.get_chemical_symbols()) + "\n" + "\n".join(
        " ".join(f"{v:.3f}" for v in row) for row in xyz
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def model_sites(atoms: Atoms) -> dict:
    """The ring and Al sites of a built structure, by crystallographic label."""
    info = atoms.info
    sites = atoms.arrays["site"]
    return {
        "ring": str(info["ring"]),
        "al_sites": [str(sites[i]) for i in info["al_indices"]],
        "al_positions": [[round(float(x), 3) + 0.0 for x in atoms.positions[i]] for i in info["al_indices"]],
    }


def _model_fingerprints(args) -> tuple[str, dict]:
    from cumor.models import build_cu_model, centre_matches_class, framework_and_rings

    name, spec, points = args
    _, rings = framework_and_rings()
    entry: dict = {"points": {}, "off_class": []}
    for point in points:
        atoms = build_cu_model(spec, point, rings=rings)
        entry.update(model_sites(atoms), ring_index=int(spec.get("ring_index", 0)))
        entry["points"][point.point] = structure_fingerprint(atoms)
        if not centre_matches_class(atoms, str(spec["class"]), rings):
            entry["off_class"].append(point.point)
    return name, entry


def catalogue_fingerprints(config: dict, processes: int = 1) -> dict:
    """Fingerprints of every selected model and grid point of a validated config.

    Parameters
    ----------
    config : dict
        From :func:`cumor.config.validated_config`.
    processes : int
        Models are built in this many fresh (spawned) processes.

    Returns
    -------
    dict
        ``{"models": {name: {"ring", "ring_index", "al_sites", "al_positions",
        "points": {point: fingerprint}, "off_class": [points whose Cu centroid is not at
        a ring or channel of the model's class]}}}``.
    """
    from cumor.config import structure_table

    by_model: dict[str, list] = {}
    for point in structure_table(config):
        by_model.setdefault(point.model, []).append(point)
    jobs = [(name, config["models"][name], points) for name, points in by_model.items()]
    if processes > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
            results = list(pool.map(_model_fingerprints, jobs))
    else:
        results = [_model_fingerprints(job) for job in jobs]
    return {"models": dict(results)}


def write_catalogue(path, fingerprints: dict) -> None:
    """Write fingerprints as JSON (sorted keys, one model per block) atomically."""
    from cumor.atomic_io import atomic_path

    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(fingerprints, indent=1, sort_keys=True) + "\n")


def _main(argv: list[str]) -> int:
    import argparse

    from cumor.config import validated_config

    parser = argparse.ArgumentParser(prog="python -m cumor.catalogue", description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("output")
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args(argv)
    write_catalogue(args.output, catalogue_fingerprints(validated_config(args.config), args.processes))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
