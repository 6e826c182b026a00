import numpy as np
import pytest

from cumor.models import GridPoint, build_cu_model
from cumor.qa import broken_tetrahedra, qa_table, relaxation_qa

SPEC = {"class": "8", "n_cu": 1, "ring": "8", "placement": "ring_plane",
        "grid": {"cu_al": {"min": 3.5, "max": 3.5, "n": 1}}}


@pytest.fixture(scope="module")
def structure(mor_rings):
    return build_cu_model(SPEC, GridPoint("8_1Cu", "p000", 3.5), rings=mor_rings)


def test_unchanged_structure_is_not_flagged(structure):
    record = relaxation_qa(structure, structure.copy())
    assert record["cu_al_final"] == pytest.approx(3.5, abs=1e-6)
    assert not record["flag_framework_broken"] and not record["flag_cu_off_grid"]


def test_broken_ring_and_moved_cu_are_flagged(structure):
    relaxed = structure.copy()
    relaxed.info.update(relax_converged=True)
    o = next(i for i, s in enumerate(relaxed.get_chemical_symbols()) if s == "O")
    relaxed.positions[o] += [0.0, 0.0, 1.5]  # tears one O off its two T atoms
    relaxed.positions[relaxed.info["cu_indices"][0]] += [0.3, 0.0, 0.0]
    record = relaxation_qa(structure, relaxed)
    assert record["flag_framework_broken"] and record["flag_cu_off_grid"]
    assert record["flagged"]
    assert len(broken_tetrahedra(relaxed)) == 2


def test_table_keeps_every_structure_flagged_first(structure):
    ok = relaxation_qa(structure, structure.copy())
    bad = dict(ok, structure_id="z", flagged=True)
    table = qa_table([ok, bad])
    assert len(table) == 2 and bool(table.loc[0, "flagged"])
    assert np.isfinite(table["cu_al_final"]).all()
