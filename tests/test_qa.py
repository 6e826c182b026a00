import numpy as np
import pytest

from cumor.models import GridPoint, build_cu_model
from cumor.qa import broken_tetrahedra, cu_chemistry, qa_table, relaxation_qa

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
    cu, al = relaxed.info["grid_pair"]
    away = relaxed.get_distance(al, cu, mic=True, vector=True)
    relaxed.positions[cu] += 0.3 * away / np.linalg.norm(away)  # off the grid's Cu-Al
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


def test_chemistry_of_a_bare_and_of_a_bound_cu(structure):
    bound = cu_chemistry(structure)[0]
    assert bound["n_o"] == bound["n_o_framework"] and bound["cu_cu_min"] != bound["cu_cu_min"]  # nan
    bare = structure.copy()
    cu = bare.info["cu_indices"][0]
    # a Cu moved to the middle of the 8-ring window has no O within 2.3 A
    bare.positions[cu] = np.array([0.0, 10.267, 0.0])
    row = cu_chemistry(bare)[0]
    assert row["n_o"] == 0 and not row["coordinated"] and row["cu_o_min"] > 2.3
    record = relaxation_qa(structure, bare)
    assert record["flag_cu_uncoordinated"] and record["flagged"]


def test_cu_o_cu_angle_is_reported(mor_rings):
    from cumor.config import validated_config
    from pathlib import Path

    config = validated_config(Path(__file__).parents[1] / "config" / "config.yaml")
    spec = config["models"]["8.8.2Si_2Cu"]
    atoms = build_cu_model(spec, GridPoint("8.8.2Si_2Cu", "p000", 2.6), rings=mor_rings)
    rows = cu_chemistry(atoms)
    assert rows[0]["cu_o_cu"] == [140.0] and rows[1]["cu_cu_min"] == pytest.approx(3.383, abs=1e-3)
