import numpy as np

from cumor.framework import build_mor_framework, framework_facts, t_indices, t_o_t_edges


def test_composition_and_cell(mor):
    assert len(mor) == 144
    assert mor.get_chemical_formula() == "O96Si48"
    np.testing.assert_allclose(mor.cell.cellpar(), [18.256, 20.534, 7.542, 90, 90, 90])
    assert all(mor.pbc)


def test_site_labels_cover_t_and_o_sites(mor):
    labels = set(mor.arrays["site"])
    assert labels == {f"T{i}" for i in range(1, 5)} | {f"O{i}" for i in range(1, 11)}


def test_every_t_atom_has_four_t_neighbours_through_oxygen(mor):
    edges = t_o_t_edges(mor)
    assert len(edges) == 2 * 96  # every O bridges two T, both directions
    degree = np.bincount([e[0] for e in edges], minlength=len(mor))
    assert set(degree[t_indices(mor)]) == {4}


def test_facts_carry_citation():
    assert "Baerlocher" in framework_facts()["citation"]


def test_build_returns_fresh_copy():
    a, b = build_mor_framework(), build_mor_framework()
    a.positions[0] += 1.0
    assert not np.allclose(a.positions[0], b.positions[0])
