"""Tests of cumor.references: the oxide crystals (composition, cell, bonds, equivalence)."""

from __future__ import annotations

import numpy as np
import pytest
from ase.neighborlist import neighbor_list

from cumor import references as R
from cumor.engines.base import AbsorberSpectrum, SpectrumEngine


def _cu_o_distances(atoms, cutoff=2.2):
    i, j, d = neighbor_list("ijd", atoms, cutoff)
    sym = np.array(atoms.get_chemical_symbols())
    out = {}
    for a in np.nonzero(sym == "Cu")[0]:
        sel = (i == a) & (sym[j] == "O")
        out[int(a)] = np.sort(d[sel])
    return out


def test_cuo_tenorite():
    atoms = R.build_cuo()
    assert atoms.get_chemical_formula() == "Cu4O4"
    assert atoms.pbc.all()
    np.testing.assert_allclose(atoms.cell.cellpar(), [4.6837, 3.4226, 5.1288, 90, 99.54, 90],
                               atol=1e-6)
    assert atoms.get_volume() == pytest.approx(81.08, abs=0.01)  # Asbrink & Norrby
    # Square-planar Cu(II): 2 x 1.951 + 2 x 1.961 A
    for d in _cu_o_distances(atoms).values():
        np.testing.assert_allclose(d, [1.951, 1.951, 1.961, 1.961], atol=2e-3)
    assert R.equivalent_cu_sites(atoms)
    assert "Asbrink" in atoms.info["reference"]["citation"]


def test_cu2o_cuprite():
    atoms = R.build_cu2o()
    assert atoms.get_chemical_formula() == "Cu4O2"
    np.testing.assert_allclose(atoms.cell.cellpar(), [4.2696] * 3 + [90] * 3, atol=1e-9)
    # Cu on 4b at the origin (origin choice 2), O on 2a at (1/4, 1/4, 1/4)
    frac = atoms.get_scaled_positions()
    sym = np.array(atoms.get_chemical_symbols())
    assert any(np.allclose(f, 0) for f in frac[sym == "Cu"])
    assert any(np.allclose(f, 0.25) for f in frac[sym == "O"])
    # Linear O-Cu-O, Cu-O = a sqrt(3) / 4
    for d in _cu_o_distances(atoms).values():
        np.testing.assert_allclose(d, [4.2696 * np.sqrt(3) / 4] * 2, atol=1e-9)
    assert R.equivalent_cu_sites(atoms)


def test_build_reference_unknown_name():
    with pytest.raises(ValueError, match="CuS"):
        R.build_reference("Ni")


class _FakeEngine(SpectrumEngine):
    """Arctan edge at 8980 eV: checks bookkeeping only (FEFF is tested elsewhere)."""

    name = "fake"

    def __init__(self):
        self.calls = []

    def compute(self, atoms, absorber, workdir):
        self.calls.append(absorber)
        e = np.linspace(8930.0, 9100.0, 341)
        mu = 0.5 + np.arctan((e - 8980.0) / 2.0) / np.pi + 0.01 * (e - 8930.0) / 170.0
        return AbsorberSpectrum(energy=e, mu=mu, absorber=absorber, seconds=0.1)


def test_compute_reference_spectrum_uses_one_absorber(tmp_path):
    engine = _FakeEngine()
    grid = np.arange(-15.0, 60.01, 0.5)
    result, meta = R.compute_reference_spectrum("Cu2O", engine, tmp_path, grid)
    assert engine.calls == [0]  # one Cu absorber only
    assert result["absorbers"] == [0] and len(result["e0"]) == 1
    np.testing.assert_array_equal(result["energy"], grid)
    assert result["mu"].shape == grid.shape
    from cumor.normalise import edge_energy

    raw = engine.compute(None, 0, tmp_path)
    assert result["e0"][0] == pytest.approx(edge_energy(raw.energy, raw.mu), abs=1e-9)
    assert result["e0"][0] == pytest.approx(8980.0 - 2.0 * np.tan(0.2 * np.pi), abs=0.3)
    assert meta["reference"] == "Cu2O" and meta["equivalent_cu"] and meta["n_cu"] == 4


def test_cu_fcc_and_covellite():
    cu = R.build_cu_fcc()
    assert cu.get_chemical_formula() == "Cu4"
    i, j, d = neighbor_list("ijd", cu, 2.6)
    np.testing.assert_allclose(d[i == 0], [3.6149 / np.sqrt(2)] * 12, atol=1e-9)
    assert R.equivalent_cu_sites(cu)
    cus = R.build_covellite()
    assert cus.get_chemical_formula() == "Cu6S6"
    np.testing.assert_allclose(cus.cell.cellpar(), [3.7938, 3.7938, 16.341, 90, 90, 120],
                               atol=1e-9)
    assert not R.equivalent_cu_sites(cus)  # Cu(1) 2d and Cu(2) 4f
    i, j, d = neighbor_list("ijd", cus, 2.4)
    sym = np.array(cus.get_chemical_symbols())
    kinds = cus.get_array("spacegroup_kinds")
    cu1 = np.nonzero(kinds == 0)[0][0]
    cu2 = np.nonzero(kinds == 1)[0][0]
    # Evans & Konnert (1976): Cu(1)-S 2.1905 (x3); Cu(2)-S 2.302 (x3), 2.331; S-S 2.071
    np.testing.assert_allclose(np.sort(d[i == cu1]), [2.1905] * 3, atol=1e-3)
    np.testing.assert_allclose(np.sort(d[i == cu2]), [2.302] * 3 + [2.331], atol=4e-3)
    s2 = np.nonzero(kinds == 3)[0][0]
    assert np.sort(d[(i == s2) & (sym[j] == "S")])[0] == pytest.approx(2.071, abs=1e-3)
    assert set(R.MEASURED_CRYSTALS) <= set(R.REFERENCES)
