import numpy as np
import pytest
import yaml
from pathlib import Path

from cumor.config import structure_table
from cumor.models import (
    MIN_CU_O,
    RING_CLASSES,
    GridPoint,
    build_cu_model,
    check_clashes,
    model_grid,
)
from cumor.rings import nearest_channel

CONFIG = yaml.safe_load((Path(__file__).parents[1] / "config" / "config.yaml").read_text())


@pytest.fixture(scope="module")
def default_structures():
    return [(p, build_cu_model(CONFIG["models"][p.model], p)) for p in structure_table(CONFIG)]


def test_catalogue_has_every_class():
    classes = {spec["class"] for spec in CONFIG["models"].values()}
    assert classes == set(RING_CLASSES)


def test_cu_al_distance_equals_grid_value(default_structures):
    for point, atoms in default_structures:
        cu, al = atoms.info["cu_indices"][0], atoms.info["al_index"]
        assert atoms.get_distance(cu, al, mic=True) == pytest.approx(point.cu_al, abs=0.01)


def test_composition_and_charge_balance(default_structures):
    for point, atoms in default_structures:
        symbols = atoms.get_chemical_symbols()
        assert symbols.count("Cu") == atoms.info["n_cu"] == 1
        # one framework charge (Al for Si) per Cu+
        assert symbols.count("Al") == 1
        assert symbols.count("Si") + symbols.count("Al") == 48


def test_no_clashes_in_default_grid(default_structures):
    for point, atoms in default_structures:
        check_clashes(atoms)  # raises on a clash
        cu = atoms.info["cu_indices"][0]
        others = [i for i in range(len(atoms)) if i != cu]
        d = atoms.get_distances(cu, others, mic=True)
        o = [k for k, i in enumerate(others) if atoms[i].symbol == "O"]
        assert d[o].min() >= MIN_CU_O


def test_channel_models_put_cu_in_their_channel(mor, default_structures):
    for point, atoms in default_structures:
        if atoms.info["ring_class"] in ("12", "8"):
            cu = atoms.positions[atoms.info["cu_indices"][0]]
            assert nearest_channel(mor, cu)[0] == atoms.info["ring_class"]


def test_grid_points_are_stable_and_named():
    spec = {"grid": {"cu_al": {"min": 2.0, "max": 3.0, "n": 3}, "tilt": [0, 10]}}
    points = model_grid("x_1Cu", spec)
    assert [p.point for p in points] == [f"p{i:03d}" for i in range(6)]
    assert [p.cu_al for p in points[:3]] == [2.0, 2.5, 3.0]
    assert {p.tilt for p in points} == {0.0, 10.0}


def test_clash_is_reported_with_model_and_point():
    spec = dict(CONFIG["models"]["5.12_1Cu"], placement="toward", height=0.0)
    with pytest.raises(ValueError, match=r"5.12_1Cu.*p000.*apart"):
        build_cu_model(spec, GridPoint("5.12_1Cu", "p000", 3.5, 0.0))


def test_unknown_ring_and_site_are_errors():
    spec = dict(CONFIG["models"]["8_1Cu"], ring="9.12")
    with pytest.raises(ValueError, match="9.12"):
        build_cu_model(spec, GridPoint("8_1Cu", "p000", 3.5, 0.0))
    spec = dict(CONFIG["models"]["8_1Cu"], al_site="T4")
    with pytest.raises(ValueError, match="al_site 'T4'"):
        build_cu_model(spec, GridPoint("8_1Cu", "p000", 3.5, 0.0))
