"""A stage over a batch of grid points: cache hits, failure records, order."""

import numpy as np
import pytest

from cumor.batches import build_structure_batch, spectrum_batch
from cumor.models import GridPoint
from cumor.normalise import energy_grid
from cumor.spectrum_cache import spectrum_cache_key, store_cached_spectrum
from cumor.spectrum_io import is_failed, spectrum_record
from cumor.structure_io import structure_meta

SPEC = {
    "class": "8", "n_cu": 1, "ring": "8", "placement": "ring_plane",
    "grid": {"cu_al": {"min": 2.5, "max": 3.0, "n": 2}},
}
SETTINGS = {"cluster_radius": 5.0}
GRID = energy_grid(-10.0, 20.0, 1.0)


@pytest.fixture(scope="module")
def batch(mor_rings):
    points = [GridPoint("8_1Cu", "p000", 2.5), GridPoint("8_1Cu", "p001", 3.0)]
    return build_structure_batch(SPEC, points, rings=mor_rings)


def test_structure_batch_follows_the_points(batch):
    assert [a.info["point"] for a in batch] == ["p000", "p001"]
    assert [a.info["cu_al"] for a in batch] == pytest.approx([2.5, 3.0])


def _cached(atoms, work_root, value):
    """Put a finished spectrum of ``atoms`` in its cache, as a killed run would have."""
    meta = structure_meta(atoms)
    result = {"energy": GRID, "mu": np.full(GRID.size, value), "e0": [8980.0],
              "seconds": [1.0], "absorbers": [144]}
    record = spectrum_record(result, meta, "feff")
    workdir = work_root / "feff" / meta["model"] / meta["point"]
    store_cached_spectrum(workdir, spectrum_cache_key(atoms, "feff", SETTINGS, GRID), record)
    return record


def test_cached_spectra_are_not_recomputed(tmp_path, batch):
    """Both structures cached: the batch returns the cached records (FEFF never runs)."""
    expected = [_cached(atoms, tmp_path, value) for atoms, value in zip(batch, (0.5, 0.7))]
    records = spectrum_batch(batch, "feff", SETTINGS, GRID, tmp_path)
    assert records == expected


def test_cache_key_follows_settings_and_atoms(batch):
    key = spectrum_cache_key(batch[0], "feff", SETTINGS, GRID)
    assert key == spectrum_cache_key(batch[0].copy(), "feff", dict(SETTINGS), GRID)
    assert key != spectrum_cache_key(batch[0], "feff", {"cluster_radius": 6.0}, GRID)
    assert key != spectrum_cache_key(batch[1], "feff", SETTINGS, GRID)
    assert key != spectrum_cache_key(batch[0], "feff", SETTINGS, GRID[:-1])


def test_failed_structure_is_recorded_and_the_batch_goes_on(tmp_path, batch):
    """A structure the engine cannot do (no Cu absorber) gets a failure record."""
    no_cu = batch[0].copy()
    del no_cu[[a.index for a in no_cu if a.symbol == "Cu"]]
    expected = _cached(batch[1], tmp_path, 0.7)
    records = spectrum_batch([no_cu, batch[1]], "feff", SETTINGS, GRID, tmp_path)
    assert is_failed(records[0]) and "no Cu atom" in records[0]["error"]
    assert records[0]["meta"]["point"] == "p000"
    assert records[1] == expected
    # a failure is never cached: a rerun tries it again
    assert not (tmp_path / "feff" / "8_1Cu" / "p000" / "spectrum.json").exists()
