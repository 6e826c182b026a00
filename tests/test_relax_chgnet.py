"""CHGNet relaxation (the default force field): physics on cuprite, restraints held."""

import numpy as np
import pytest

from cumor.forcefield import default_forcefield_spec, forcefield_from_config
from cumor.references import build_cu2o
from cumor.relax import Restraint, relax_structure
from cumor.relax_chgnet import restraint_energy


@pytest.fixture(scope="module")
def chgnet():
    return forcefield_from_config(default_forcefield_spec())


def _cu_o(atoms):
    symbols = np.array(atoms.get_chemical_symbols())
    d = atoms.get_all_distances(mic=True)
    return d[np.ix_(symbols == "Cu", symbols == "O")].min(axis=1)


def test_cuprite_relaxes_back_to_the_measured_cu_o(chgnet):
    # Cu2O, Cu-O 1.849 A (Restori & Schwarzenbach, Acta Cryst. B42, 201 (1986))
    atoms = build_cu2o()
    atoms.rattle(0.05, seed=3)
    relaxed, info = relax_structure(atoms, chgnet, fmax=0.02, max_steps=200)
    assert info["converged"] and info["energy_final"] < info["energy_initial"]
    assert _cu_o(relaxed) == pytest.approx(1.849, abs=0.02)


def test_restraint_holds_a_bond_and_leaves_the_rest_free(chgnet):
    atoms = build_cu2o()
    cu = next(i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Cu")
    o = int(np.argmin([atoms.get_distance(cu, j, mic=True) if s == "O" else 9.0
                       for j, s in enumerate(atoms.get_chemical_symbols())]))
    hold = Restraint("bond", (cu, o), 1.95)
    relaxed, info = relax_structure(atoms, chgnet, restraints=[hold], fmax=0.05, max_steps=200)
    assert relaxed.get_distance(cu, o, mic=True) == pytest.approx(1.95, abs=0.01)
    assert info["max_displacement"] > 0.01


def test_restraint_energy_has_the_lammps_form():
    atoms = build_cu2o()
    bond = Restraint("bond", (0, 1), atoms.get_distance(0, 1, mic=True) + 0.1)
    assert restraint_energy(atoms, [bond]) == pytest.approx(200.0 * 0.1**2)
    quad = (0, 1, 2, 3)
    phi = atoms.get_dihedral(*quad, mic=True)
    turn = Restraint("dihedral", quad, phi + 90.0)
    assert restraint_energy(atoms, [turn]) == pytest.approx(20.0 * (1 - np.cos(np.radians(-90.0))))
