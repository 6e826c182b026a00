"""Engine interface, clusters, site averaging and the engine registry."""

from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from cumor.engines import available_engines, get_engine
from cumor.engines.base import (
    AbsorberSpectrum,
    EngineError,
    SpectrumEngine,
    cluster_around,
    compute_average_spectrum,
)
from cumor.engines.feff import FeffEngine
from cumor.normalise import energy_grid
from cumor.references import build_cu2o


def brute_force_distances(atoms, absorber, radius, n=4):
    """Distances from the absorber to all atoms of a big supercell (reference)."""
    shifts = np.array([(i, j, k) for i in range(-n, n + 1) for j in range(-n, n + 1)
                       for k in range(-n, n + 1)])
    pos = atoms.positions[None, :, :] + (shifts @ atoms.cell.array)[:, None, :]
    d = np.linalg.norm(pos.reshape(-1, 3) - atoms.positions[absorber], axis=1)
    return np.sort(d[d <= radius])


# ---------------------------------------------------------------- clusters


def test_cluster_simple_cubic_shells():
    atoms = Atoms("Cu", cell=np.eye(3) * 3.0, pbc=True)
    # 1 + 6 (3.0) + 12 (4.24) + 8 (5.20) atoms within 5.3 A.
    cluster = cluster_around(atoms, 0, 5.3)
    assert len(cluster) == 27
    dist = np.linalg.norm(cluster.positions, axis=1)
    assert dist[0] == 0.0
    assert np.all(np.diff(dist) >= 0)
    assert np.allclose(np.unique(dist.round(6)), [0, 3.0, np.sqrt(18), np.sqrt(27)])
    assert not cluster.pbc.any()
    assert np.allclose(cluster.cell.array, 0)
    assert np.all(cluster.arrays["source_index"] == 0)


def test_cluster_cuprite_matches_brute_force():
    atoms = build_cu2o()
    assert atoms.get_chemical_formula() == "Cu4O2"
    absorber = 2
    cluster = cluster_around(atoms, absorber, 5.0)
    # Shells: Cu, 2 O (1.85), 12 Cu (3.02), 6 O (3.54), 6 Cu (4.27), 6 O (4.65).
    assert len(cluster) == 33
    assert cluster.get_chemical_formula() == "Cu19O14"
    assert cluster.get_chemical_symbols()[0] == "Cu"
    assert cluster.info["absorber_index"] == absorber
    assert np.allclose(cluster.positions[0], 0.0)
    dist = np.linalg.norm(cluster.positions, axis=1)
    assert dist == pytest.approx(brute_force_distances(atoms, absorber, 5.0))
    # First shell: linear O-Cu-O at a*sqrt(3)/4.
    assert cluster.get_chemical_symbols()[1:3] == ["O", "O"]
    assert dist[1] == pytest.approx(4.2696 * np.sqrt(3) / 4, abs=1e-4)
    # Source indices point back to atoms of the right element.
    src = cluster.arrays["source_index"]
    assert list(atoms.numbers[src]) == list(cluster.numbers)


def test_cluster_ignores_wrapping_of_input_positions():
    atoms = build_cu2o()
    shifted = atoms.copy()
    shifted.positions += np.array([[5 * 4.2696, -3 * 4.2696, 0]] * len(atoms))  # unwrapped
    shifted.positions[3] += 4.2696 * np.array([1, 0, -2])
    d1 = np.linalg.norm(cluster_around(atoms, 0, 6.0).positions, axis=1)
    d2 = np.linalg.norm(cluster_around(shifted, 0, 6.0).positions, axis=1)
    assert d1 == pytest.approx(d2)


def test_cluster_cell_smaller_than_radius_and_skewed_cell():
    atoms = bulk("Cu", "fcc", a=3.61)  # primitive, skewed, 2.55 A vectors
    cluster = cluster_around(atoms, 0, 6.0)
    dist = np.linalg.norm(cluster.positions, axis=1)
    assert dist[1:] == pytest.approx(brute_force_distances(atoms, 0, 6.0, n=6)[1:])
    assert (np.abs(dist - 3.61 / np.sqrt(2)) < 1e-6).sum() == 12  # fcc first shell


def test_cluster_non_periodic_and_partially_periodic():
    mol = Atoms("CuO2", positions=[(0, 0, 0), (1.8, 0, 0), (-1.8, 0, 0)])
    cluster = cluster_around(mol, 1, 2.0)
    assert cluster.get_chemical_symbols() == ["O", "Cu"]
    assert np.allclose(cluster.positions[1], [-1.8, 0, 0])
    # Chain periodic along x only: images along x, none along y/z.
    chain = Atoms("Cu", cell=[2.5, 2.5, 2.5], pbc=[True, False, False])
    assert len(cluster_around(chain, 0, 5.1)) == 5  # 0, +-2.5, +-5.0


def test_cluster_errors():
    atoms = build_cu2o()
    with pytest.raises(ValueError, match="radius"):
        cluster_around(atoms, 0, 0.0)
    with pytest.raises(ValueError, match="out of range"):
        cluster_around(atoms, 6, 3.0)
    assert len(cluster_around(atoms, -1, 3.0)) == len(cluster_around(atoms, 5, 3.0))


# -------------------------------------------------------- interface pieces


def test_engine_error_names_workdir_and_log(tmp_path):
    err = EngineError("boom", tmp_path, tmp_path / "feff.log")
    assert isinstance(err, RuntimeError)
    assert str(tmp_path) in str(err) and "feff.log" in str(err)
    assert err.workdir == tmp_path and err.log_path == tmp_path / "feff.log"


def test_absorber_spectrum_validates_shapes():
    spec = AbsorberSpectrum([1, 2, 3], [0, 1, 2], absorber=0, seconds=1.0, meta={})
    assert spec.energy.dtype == float
    with pytest.raises(ValueError):
        AbsorberSpectrum([1, 2, 3], [0, 1], absorber=0, seconds=1.0, meta={})


def test_spectrum_engine_is_abstract():
    with pytest.raises(TypeError):
        SpectrumEngine()


# ---------------------------------------------------------------- registry


def test_registry_returns_feff_engine():
    assert "feff" in available_engines()
    engine = get_engine("feff", {"cluster_radius": 5.0})
    assert isinstance(engine, FeffEngine) and isinstance(engine, SpectrumEngine)
    assert engine.name == "feff"
    assert engine.settings["cluster_radius"] == 5.0
    assert isinstance(get_engine("FEFF", {}), FeffEngine)


def test_registry_unknown_engine_lists_known_ones():
    with pytest.raises(ValueError, match=r"'fdmnes2'.*feff"):
        get_engine("fdmnes2", {})


def test_registry_rejects_bad_settings():
    with pytest.raises(ValueError, match="cluster_radiuss"):
        get_engine("feff", {"cluster_radiuss": 5.0})


# ------------------------------------------------------------ site average


class FakeEngine(SpectrumEngine):
    """Erf edges whose absolute E0 depends on the absorber index."""

    name = "fake"

    def __init__(self, broken=()):
        self.calls = []
        self.broken = set(broken)

    def compute(self, atoms, absorber, workdir):
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        self.calls.append((absorber, workdir))
        energy = np.arange(8930.0, 9120.0, 0.5)
        e0 = 8980.0 + absorber  # different sites, different edges
        from math import erf

        mu = 0.1 + 2.0 * 0.5 * (1 + np.vectorize(erf)((energy - e0) / 1.5))
        if absorber in self.broken:
            mu = np.ones_like(energy)  # no edge at all
        return AbsorberSpectrum(energy, mu, absorber, seconds=0.5 + absorber, meta={})


def test_compute_average_spectrum_aligns_sites_on_their_e0(tmp_path):
    atoms = Atoms("OCuSiCu", positions=[(0, 0, 0), (2, 0, 0), (4, 0, 0), (6, 0, 0)])
    engine = FakeEngine()
    grid = energy_grid(-30, 100, 0.5)
    result = compute_average_spectrum(atoms, engine, tmp_path, grid)

    assert result["absorbers"] == [1, 3]
    assert [call[1] for call in engine.calls] == [tmp_path / "Cu1", tmp_path / "Cu3"]
    # E0 at 0.3 of the step of an erf edge of width 1.5 eV: 0.3708 x 1.5 eV below its middle
    assert result["e0"] == pytest.approx([8981.0 - 0.556, 8983.0 - 0.556], abs=0.1)  # + smoothing
    assert result["seconds"] == [1.5, 3.5]
    assert np.array_equal(result["energy"], grid)
    assert result["mu"].shape == grid.shape and np.all(np.isfinite(result["mu"]))
    # Identical shapes after alignment: the average is a clean unit-step edge.
    assert result["mu"][grid < -15] == pytest.approx(0.0, abs=1e-3)
    assert result["mu"][grid > 20] == pytest.approx(1.0, abs=1e-3)
    assert np.interp(0.0, grid, result["mu"]) == pytest.approx(0.3, abs=0.02)


def test_compute_average_spectrum_without_absorber(tmp_path):
    with pytest.raises(EngineError, match="no Cu atom") as info:
        compute_average_spectrum(Atoms("SiO2"), FakeEngine(), tmp_path, [0.0, 1.0])
    assert str(tmp_path) in str(info.value)


def test_compute_average_spectrum_unusable_site_names_its_dir(tmp_path):
    # an O next to Cu0 only makes the two Cu non-equivalent: both are computed
    atoms = Atoms("CuCuO", positions=[(0, 0, 0), (3, 0, 0), (-1.9, 0, 0)])
    with pytest.raises(EngineError, match="absorber 1") as info:
        compute_average_spectrum(atoms, FakeEngine(broken={1}), tmp_path, [0.0, 1.0])
    assert str(tmp_path / "Cu1") in str(info.value)


def test_equivalent_absorbers_group_symmetric_cu():
    """The Cu of cuprite are all equivalent; a displaced one is not."""
    from cumor.engines.base import equivalent_absorbers

    cu2o = build_cu2o()
    cu = [i for i, s in enumerate(cu2o.get_chemical_symbols()) if s == "Cu"]
    assert equivalent_absorbers(cu2o, cu, 5.0) == [cu]
    cu2o.positions[cu[0]] += [0.1, 0.0, 0.0]
    groups = equivalent_absorbers(cu2o, cu, 5.0)
    assert [cu[0]] in groups and len(groups) > 1
