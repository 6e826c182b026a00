"""Every structure of the full default grid, built without LAMMPS or FEFF."""

import collections
from pathlib import Path

import numpy as np
import pytest
import yaml

from cumor.config import structure_table
from cumor.models import (
    MIN_CU_O,
    MIN_OTHER,
    RING_CLASSES,
    GridPoint,
    build_cu_model,
    centre_matches_class,
    model_grid,
)

CONFIG = yaml.safe_load((Path(__file__).parents[1] / "config" / "config.yaml").read_text())

#: Table 1 of the paper (../shared/reference/paper-tables.md).
TABLE_1 = {
    "12": ["12.5_1Cu", "12.6_1Cu", "12.8_1Cu", "12.5.5_2Cu", "12.5.6_2Cu", "12.5.8_2Cu",
           "12.1_3Cu", "12.2_3Cu", "12.3_3Cu"],
    "8": ["8_1Cu", "8.2Si_2Cu", "8.3Si_2Cu", "8.1_3Cu", "8.2_3Cu"],
    "8.12": ["8.12_1Cu", "8.12.2Si_2Cu", "8.12.3Si_2Cu"] + [f"8.12.{k}_3Cu" for k in range(1, 7)],
    "8.8": ["8.8_1Cu", "8.8.2Si_2Cu", "8.8.3Si_2Cu"] + [f"8.8.{k}_3Cu" for k in range(1, 7)],
    "6.12": ["6.12_1Cu", "6.12_2Cu"],
    "5.12": ["5.12_1Cu"],
}


@pytest.fixture(scope="module")
def default_structures(mor_rings):
    return [
        (p, build_cu_model(CONFIG["models"][p.model], p, rings=mor_rings))
        for p in structure_table(CONFIG)
    ]


def test_catalogue_is_table_1():
    models = CONFIG["models"]
    assert len(models) == 35
    for ring_class, names in TABLE_1.items():
        for name in names:
            assert models[name]["class"] == ring_class, name
            assert models[name]["n_cu"] == int(name[-3])
    assert {spec["class"] for spec in models.values()} == set(RING_CLASSES)


def test_default_grid_is_the_papers_2100():
    table = structure_table(CONFIG)
    assert len(table) == 2100
    assert len({(p.model, p.point) for p in table}) == 2100


def test_cu_al_distance_equals_grid_value(default_structures):
    for point, atoms in default_structures:
        cu, partner = atoms.info["grid_pair"]
        expected = "O" if CONFIG["models"][point.model].get("distance") == "cu_o" else "Al"
        assert atoms[partner].symbol == expected, point
        assert atoms.get_distance(cu, partner, mic=True) == pytest.approx(point.cu_al, abs=0.01), point
        if atoms.info["n_cu"] == 2:  # both Cu of a Cu-O-Cu unit sit at the grid distance
            for c, al in zip(atoms.info["cu_indices"], atoms.info["al_indices"]):
                assert atoms.get_distance(c, al, mic=True) == pytest.approx(point.cu_al, abs=0.01)


def test_no_two_atoms_too_close(default_structures):
    for point, atoms in default_structures:
        symbols = np.array(atoms.get_chemical_symbols())
        d = atoms.get_all_distances(mic=True)
        np.fill_diagonal(d, np.inf)
        is_o, is_t = symbols == "O", np.isin(symbols, ["Si", "Al"])
        is_cu = symbols == "Cu"
        bonded = (np.outer(is_t, is_o) | np.outer(is_o, is_t)) & (d < 1.9)
        cu_o = np.outer(is_cu, is_o) | np.outer(is_o, is_cu)
        assert d[cu_o].min() >= MIN_CU_O, point
        assert d[~bonded & ~cu_o].min() >= MIN_OTHER, point


def test_cu_centroid_sits_at_a_ring_of_its_class(default_structures, mor_rings):
    for point, atoms in default_structures:
        assert centre_matches_class(atoms, atoms.info["ring_class"], mor_rings), point


def test_framework_charge_balanced_by_cu_species(default_structures):
    # Cu+ : 1 Al; [Cu-O-Cu]2+ and [Cu3O3]2+ : 2 Al
    expected = {1: (1, 0), 2: (2, 1), 3: (2, 3)}
    for point, atoms in default_structures:
        symbols = atoms.get_chemical_symbols()
        n_cu = atoms.info["n_cu"]
        n_al, n_o_extra = expected[n_cu]
        assert symbols.count("Cu") == n_cu
        assert symbols.count("Al") == n_al
        assert symbols.count("O") == 96 + n_o_extra
        assert symbols.count("Si") + n_al == 48


def test_counts_per_class(default_structures):
    counts = collections.Counter(a.info["ring_class"] for _, a in default_structures)
    assert set(counts) == set(RING_CLASSES)


def test_phi_rotation_keeps_both_cu_al_distances(mor_rings):
    spec = CONFIG["models"]["8.12.3Si_2Cu"]
    for point in model_grid("8.12.3Si_2Cu", spec)[:: 9]:
        atoms = build_cu_model(spec, point, rings=mor_rings)
        for cu, al in zip(atoms.info["cu_indices"], atoms.info["al_indices"]):
            assert atoms.get_distance(cu, al, mic=True) == pytest.approx(point.cu_al, abs=1e-6)


def test_grid_points_are_stable_and_named():
    spec = {"grid": {"cu_al": {"min": 2.0, "max": 3.0, "n": 3}, "tilt": [0, 10]}}
    points = model_grid("x_1Cu", spec)
    assert [p.point for p in points] == [f"p{i:03d}" for i in range(6)]
    assert [p.cu_al for p in points[:3]] == [2.0, 2.5, 3.0]
    assert {p.tilt for p in points} == {0.0, 10.0}
    segmented = {"grid": {"segments": [{"cu_al": {"min": 2, "max": 3, "n": 2}},
                                        {"cu_al": {"min": 4, "max": 5, "n": 3}, "phi": [0, 4]}]}}
    assert len(model_grid("y_2Cu", segmented)) == 2 + 6


def test_clash_is_reported_with_model_and_point(mor_rings):
    spec = dict(CONFIG["models"]["8.12_1Cu"], placement="ring_plane", height=0.0)
    with pytest.raises(ValueError, match=r"8.12_1Cu.*p000.*apart"):
        build_cu_model(spec, GridPoint("8.12_1Cu", "p000", 1.2, 0.0), rings=mor_rings)


def test_unknown_ring_and_site_are_errors(mor_rings):
    spec = dict(CONFIG["models"]["8_1Cu"], ring="9.12")
    with pytest.raises(ValueError, match="9.12"):
        build_cu_model(spec, GridPoint("8_1Cu", "p000", 3.5, 0.0), rings=mor_rings)
    spec = dict(CONFIG["models"]["8_1Cu"], al_site="T4")
    with pytest.raises(ValueError, match="al_site 'T4'"):
        build_cu_model(spec, GridPoint("8_1Cu", "p000", 3.5, 0.0), rings=mor_rings)
