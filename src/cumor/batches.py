"""The structure, relax and xanes stages over one batch of grid points.

One Snakemake job handles a batch (:func:`cumor.config.batch_table`): Python
start-up, imports and engine set-up are paid once per batch instead of once per
structure, and the DAG of the 2100-structure default config stays small. Each
function returns one result per grid point, in the batch's order.

Resume inside a batch: finished spectra are also kept per structure
(:mod:`cumor.spectrum_cache`), so a rerun of a killed xanes job recomputes only
the structures it had not finished. Structure building and relaxation take
seconds per structure and are simply redone.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ase import Atoms

from cumor.engines import get_engine
from cumor.engines.base import EngineError, compute_average_spectrum
from cumor.models import GridPoint, build_cu_model
from cumor.relax import ForceField, Restraint, relax_structure
from cumor.spectrum_cache import (
    load_cached_spectrum,
    spectrum_cache_key,
    store_cached_spectrum,
)
from cumor.spectrum_io import failed_record, spectrum_record
from cumor.structure_io import structure_meta

_LOG = logging.getLogger(__name__)


def build_structure_batch(spec: dict, points: list[GridPoint], rings=None) -> list[Atoms]:
    """Build one model's structure at each grid point of a batch.

    Parameters
    ----------
    spec : dict
        The model's config entry.
    points : list of GridPoint
        The batch's grid points (one model).
    rings : sequence of Ring, optional
        The framework's ring catalogue (found once per run by the workflow).
    """
    structures = []
    for point in points:
        atoms = build_cu_model(spec, point, rings=rings)
        _LOG.info("built %s %s: %d atoms", point.model, point.point, len(atoms))
        structures.append(atoms)
    return structures


def held_far_from_cu(atoms: Atoms, free_radius: float | None) -> list[int]:
    """Atoms farther than ``free_radius`` (A, minimum image) from every Cu; [] for None."""
    if free_radius is None:
        return []
    import numpy as np

    cu = [int(i) for i in atoms.info["cu_indices"]]
    near = np.min([atoms.get_distances(c, range(len(atoms)), mic=True) for c in cu], axis=0)
    return [int(i) for i in np.flatnonzero(near > free_radius)]


def grid_restraints(atoms: Atoms) -> list[Restraint]:
    """The restraints that keep a structure's grid values through relaxation.

    The grid's Cu1-Al1 distance (``info['grid_pair']``, target ``info['cu_al']``)
    and, for a 2-Cu chain, its rotation: the dihedral Al2-Al1-Cu1-Cu2
    (``info['grid_dihedral']``, target its built value).
    """
    restraints = []
    if "grid_pair" in atoms.info:
        restraints.append(Restraint("bond", tuple(atoms.info["grid_pair"]), float(atoms.info["cu_al"])))
    if "grid_dihedral" in atoms.info:
        quad = tuple(int(i) for i in atoms.info["grid_dihedral"])
        restraints.append(Restraint("dihedral", quad, float(atoms.get_dihedral(*quad, mic=True))))
    return restraints


def relax_batch(
    structures: list[Atoms],
    forcefield: ForceField,
    fmax: float,
    max_steps: int,
    lammps_log_stem: str | None = None,
    free_radius: float | None = None,
) -> list[Atoms]:
    """Relax every structure of a batch with LAMMPS (see :func:`cumor.relax.relax_structure`).

    Parameters
    ----------
    structures : list of ase.Atoms
        Workflow structures (``info`` holds ``model``, ``point`` and ``fixed``).
    forcefield : ForceField
        From :func:`cumor.relax.forcefield_from_config`.
    fmax, max_steps
        Convergence threshold (eV/A) and iteration cap.
    lammps_log_stem : str, optional
        Optimiser logs go to ``<stem>.<point>.lammps.log``; without it they are
        temporary.
    free_radius : float, optional
        Atoms farther than this (A) from every Cu are held (:func:`held_far_from_cu`).

    Returns
    -------
    list of ase.Atoms
        Relaxed copies, their ``info`` extended by ``relax_*`` keys.
    """
    relaxed_batch = []
    for atoms in structures:
        point = atoms.info["point"]
        logfile = f"{lammps_log_stem}.{point}.lammps.log" if lammps_log_stem else None
        relaxed, info = relax_structure(
            atoms,
            forcefield,
            fixed=sorted(set(atoms.info["fixed"]) | set(held_far_from_cu(atoms, free_radius))),
            fmax=fmax,
            max_steps=max_steps,
            logfile=logfile,
            restraints=grid_restraints(atoms),
        )
        relaxed.info.update({f"relax_{k}": v for k, v in info.items()})
        _LOG.info("relaxed %s %s: %s", atoms.info["model"], point, info)
        relaxed_batch.append(relaxed)
    return relaxed_batch


def spectrum_batch(
    structures: list[Atoms],
    engine_name: str,
    settings: dict,
    energy_grid,
    work_root: str | Path,
) -> list[dict]:
    """Site-averaged normalised spectrum of every structure of a batch.

    A structure whose spectrum is cached with the same inputs is not recomputed.
    A structure the engine fails on (:class:`cumor.engines.base.EngineError`)
    gets a failure record naming the error, and the batch goes on: one bad
    structure does not cost the others; the data set lists it as missing.

    Parameters
    ----------
    structures : list of ase.Atoms
        Workflow structures of one batch.
    engine_name : str
        ``"feff"`` or ``"fdmnes"``.
    settings : dict
        The engine's settings from the config.
    energy_grid : array_like
        Energies relative to E0 (eV) every spectrum is interpolated onto.
    work_root : path-like
        Engine files go to ``<work_root>/<engine>/<model>/<point>/``.

    Returns
    -------
    list of dict
        JSON-safe records (:func:`cumor.spectrum_io.spectrum_record` or
        :func:`cumor.spectrum_io.failed_record`), one per structure.
    """
    engine = get_engine(engine_name, settings)
    records = []
    for atoms in structures:
        meta = structure_meta(atoms)
        where = f"{meta['model']} {meta['point']}"
        workdir = Path(work_root, engine_name, meta["model"], meta["point"])
        key = spectrum_cache_key(atoms, engine_name, settings, energy_grid)
        record = load_cached_spectrum(workdir, key)
        if record is not None:
            _LOG.info("%s: spectrum from the cache in %s", where, workdir)
            records.append(record)
            continue
        try:
            result = compute_average_spectrum(atoms, engine, workdir, energy_grid)
            record = spectrum_record(result, meta, engine_name)
        except (EngineError, ValueError) as err:
            _LOG.error("%s: no spectrum, %s", where, err)
            records.append(failed_record(meta, engine_name, f"{type(err).__name__}: {err}"))
            continue
        store_cached_spectrum(workdir, key, record)
        _LOG.info("%s: E0 %s eV, %s s", where, record["e0"], record["seconds"])
        records.append(record)
    return records
