"""Relax Cu-MOR structures with CHGNet, a universal machine-learned potential, via ASE.

CHGNet (Deng et al., Nat. Mach. Intell. 5, 1031 (2023), doi:10.1038/s42256-023-00716-3;
trained on the Materials Project trajectories MPtrj, PBE/PBE+U) ships its weights inside
the ``chgnet`` wheel (``chgnet/pretrained/0.3.0``), so it loads with no network. Why it
is the default (measured, see the README): on Cu2O and CuO at their measured cells it
gives Cu-O 1.849 A (measured 1.849) and 1.94/1.97 A (1.95/1.96); a Cu+ at an AlO4 of MOR
relaxes to Cu-O 1.96/2.08 A, in the EXAFS range of Cu-zeolites (1.95-2.05 A, Lamberti et
al. 1997); a [Cu-O-Cu]2+ keeps Cu-O(bridge) 1.73-1.74 A (measured 1.75 A). The cell is
never relaxed: the MPtrj models lose tenorite's distortion under cell relaxation.

Grid values are held by the same stiff harmonic restraints as on the LAMMPS path (the
Cu1-Al1 bond and, for 2 Cu, the dihedral Al2-Al1-Cu1-Cu2; :func:`restraint_energy`),
added to CHGNet's energy, so every optimiser (the preconditioned LBFGS with its line
search included) sees one smooth energy; ``fixed`` atoms are held by ``FixAtoms``. Energy and forces only are evaluated (no stress: the cell is fixed), with
one torch thread per process (the workflow runs relaxations side by side).
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
from ase import Atoms
from ase.geometry import find_mic

__all__ = ["chgnet_calculator", "relax_with_chgnet"]

#: CHGNet models whose weights ship in the chgnet 0.4.2 wheel.
SHIPPED_MODELS = ("0.3.0", "0.2.0")
#: ASE optimisers offered; PreconLBFGS (exponential preconditioner) needed 46-51 force
#: calls per Cu-MOR structure where FIRE needed 78-100 (measured, fmax 0.05 eV/A).
OPTIMIZERS = ("PreconLBFGS", "FIRE", "BFGS")


@lru_cache(maxsize=2)
def _model(name: str):
    import torch
    from chgnet.model import CHGNet

    torch.set_num_threads(1)
    return CHGNet.load(model_name=name, use_device="cpu", verbose=False)


def chgnet_calculator(model: str = "0.3.0"):
    """An ASE calculator of CHGNet ``model`` computing energy and forces only.

    Raises
    ------
    ValueError
        For a model whose weights are not in the wheel.
    """
    if model not in SHIPPED_MODELS:
        raise ValueError(f"relax.forcefield.model {model!r}: use one of {SHIPPED_MODELS} (shipped in the wheel)")
    from chgnet.model.dynamics import CHGNetCalculator

    class _EnergyForces(CHGNetCalculator):
        implemented_properties = ["energy", "free_energy", "forces"]

        def calculate(self, atoms=None, properties=None, system_changes=None, task="ef"):
            return super().calculate(atoms, properties, system_changes, task="ef")

    return _EnergyForces(model=_model(model), use_device="cpu", on_isolated_atoms="ignore")


def restraint_energy(atoms: Atoms, restraints) -> float:
    """Energy (eV) of the harmonic restraints, the same form and constants as LAMMPS'.

    Bond: K (r - r0)^2; dihedral: K [1 - cos(phi - phi0)] (``fix restrain``'s
    K [1 + cos(phi - d)] with d = phi0 + 180 deg); K from :mod:`cumor.relax`.
    """
    from cumor.relax import RESTRAINT_BOND_K, RESTRAINT_DIHEDRAL_K

    energy = 0.0
    for r in restraints:
        if r.kind == "bond":
            energy += RESTRAINT_BOND_K * (atoms.get_distance(*r.atoms, mic=True) - r.target) ** 2
        else:
            phi = np.radians(atoms.get_dihedral(*r.atoms, mic=True) - r.target)
            energy += RESTRAINT_DIHEDRAL_K * (1.0 - np.cos(phi))
    return float(energy)


def _restraint_calculator(restraints):
    """ASE calculator of :func:`restraint_energy` (forces by central differences, 1e-5 A)."""
    from ase.calculators.calculator import Calculator, all_changes

    class _Restraints(Calculator):
        implemented_properties = ["energy", "free_energy", "forces"]

        def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
            super().calculate(atoms, properties, system_changes)
            probe = self.atoms.copy()
            forces = np.zeros((len(probe), 3))
            step = 1e-5
            for index in sorted({i for r in restraints for i in r.atoms}):
                for axis in range(3):
                    probe.positions[index, axis] += step
                    up = restraint_energy(probe, restraints)
                    probe.positions[index, axis] -= 2 * step
                    down = restraint_energy(probe, restraints)
                    probe.positions[index, axis] += step
                    forces[index, axis] = -(up - down) / (2 * step)
            energy = restraint_energy(self.atoms, restraints)
            self.results = {"energy": energy, "free_energy": energy, "forces": forces}

    return _Restraints()


def _constraints(fixed: Sequence[int]) -> list:
    from ase.constraints import FixAtoms

    return [FixAtoms(indices=list(fixed))] if len(fixed) else []


def _optimizer(name: str, atoms: Atoms, logfile):
    if name == "PreconLBFGS":
        from ase.optimize.precon import Exp, PreconLBFGS

        return PreconLBFGS(atoms, precon=Exp(), use_armijo=True, logfile=logfile)
    if name == "FIRE":
        from ase.optimize import FIRE

        return FIRE(atoms, logfile=logfile)
    if name == "BFGS":
        from ase.optimize import BFGS

        return BFGS(atoms, logfile=logfile)
    raise ValueError(f"relax.forcefield.optimizer {name!r}: use one of {OPTIMIZERS}")


def relax_with_chgnet(
    atoms: Atoms,
    model: str = "0.3.0",
    optimizer: str = "PreconLBFGS",
    fixed: Sequence[int] = (),
    fmax: float = 0.05,
    max_steps: int = 500,
    logfile: str | os.PathLike | None = None,
    restraints: Sequence = (),
) -> tuple[Atoms, dict]:
    """Relax positions (cell fixed) with CHGNet; same contract as :func:`cumor.relax.relax_structure`.

    Returns
    -------
    relaxed : ase.Atoms
        A copy with relaxed positions (each atom moved by its minimum-image displacement).
    info : dict
        ``energy_initial``, ``energy_final`` (eV), ``n_steps``, ``converged``,
        ``max_displacement`` (A), ``fmax_final`` (eV/A) and ``seconds``.
    """
    start = time.perf_counter()
    work = atoms.copy()
    if restraints:
        from ase.calculators.mixing import SumCalculator

        work.calc = SumCalculator([chgnet_calculator(model), _restraint_calculator(list(restraints))])
    else:
        work.calc = chgnet_calculator(model)
    energy_initial = float(work.get_potential_energy())
    work.set_constraint(_constraints(fixed))
    if logfile is not None:
        Path(logfile).parent.mkdir(parents=True, exist_ok=True)
    log = os.fspath(logfile) if logfile is not None else None
    opt = _optimizer(optimizer, work, log)
    converged = bool(opt.run(fmax=fmax, steps=max_steps))
    forces = work.get_forces()  # constrained forces: what the optimiser converged on
    energy_final = float(work.get_potential_energy())
    displacement, _ = find_mic(work.positions - atoms.positions, atoms.cell, atoms.pbc)
    relaxed = atoms.copy()
    relaxed.calc = None
    relaxed.positions = atoms.positions + displacement
    fmax_final = float(np.linalg.norm(forces, axis=1).max())
    info = {
        "energy_initial": energy_initial,
        "energy_final": energy_final,
        "n_steps": int(opt.nsteps),
        "converged": converged and fmax_final <= fmax,
        "max_displacement": float(np.linalg.norm(displacement, axis=1).max()),
        "fmax_final": fmax_final,
        "seconds": time.perf_counter() - start,
    }
    return relaxed, info
