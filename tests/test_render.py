"""Tests of cumor.render: the Cu-centre pictures (Figs. 2 and 3) look down the anchor
ring's normal, centred on the Cu, with the ring highlighted and the Cu-O bonds drawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.path import Path as MplPath

from cumor.config import validated_config
from cumor.models import GridPoint, anchor_ring, build_cu_model, cu_centroid, model_grid
from cumor.plots import CLASS_COLOURS
from cumor.qa import CU_O_BOND, cu_chemistry
from cumor.render import (
    centre_rings,
    draw_centre,
    plot_model,
    plot_model_panel,
    project_centre,
    ring_near_cu,
)
from cumor.rings import open_normal

ROOT = Path(__file__).resolve().parents[1]
SPEC = {"class": "8", "n_cu": 1, "ring": "8", "placement": "ring_plane",
        "grid": {"cu_al": {"min": 3.5, "max": 3.5, "n": 1}}}


@pytest.fixture(scope="module")
def config():
    return validated_config(ROOT / "config" / "config.yaml")


@pytest.fixture(scope="module")
def one_cu(mor_rings):
    return build_cu_model(SPEC, GridPoint("8_1Cu", "p000", 3.5), rings=mor_rings)


def _middle(config, name, rings):
    spec = config["models"][name]
    points = model_grid(name, spec)
    return spec, build_cu_model(spec, points[len(points) // 2], rings=rings)


def test_model_pictures_are_written(tmp_path, one_cu, mor_rings):
    ring = anchor_ring(SPEC, one_cu, mor_rings)
    plot_model(one_cu, [tmp_path / "m.png"], ring)
    plot_model_panel([("a", one_cu, [ring]), ("b", one_cu)], [tmp_path / "p.png", tmp_path / "p.pdf"])
    for name in ("m.png", "p.png", "p.pdf"):
        assert (tmp_path / name).stat().st_size > 1000
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "p.pdf").read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.png", "p.pdf", "p.png"]  # atomic writes


def test_view_looks_down_the_ring_normal_at_the_cu(one_cu, mor_rings):
    ring = anchor_ring(SPEC, one_cu, mor_rings)
    view = project_centre(one_cu, ring)
    # right-handed orthonormal view axes, z = the ring's open normal (toward the viewer)
    assert np.allclose(view.rotation @ view.rotation.T, np.eye(3), atol=1e-10)
    assert np.linalg.det(view.rotation) == pytest.approx(1.0)
    framework = one_cu[: len(one_cu) - 1]  # the Cu is the last atom
    assert view.rotation[2] @ open_normal(framework, ring) == pytest.approx(1.0)
    assert abs(view.rotation[2] @ ring.normal(one_cu)) == pytest.approx(1.0)
    # the Cu centroid is the origin
    cu_rows = np.flatnonzero((view.symbols == "Cu") & ~view.ghost)
    assert np.allclose(view.xyz[cu_rows].mean(axis=0), 0.0, atol=1e-9)
    # the ring's T atoms project to a polygon around the Cu, nearly flat along z
    ring_path, (shown_ring, _) = view.rings[0][1], view.rings[0]
    assert shown_ring == ring and len(ring_path) == 2 * ring.size
    t = ring_path[0::2]
    assert np.ptp(t[:, 2]) < 0.5 * np.ptp(t[:, 0])
    assert MplPath(t[:, :2]).contains_point((0.0, 0.0))
    # T atoms and O alternate around the ring at T-O bond length
    steps = np.linalg.norm(np.diff(np.vstack([ring_path, ring_path[:1]]), axis=0), axis=1)
    assert np.all((steps > 1.5) & (steps < 1.75))


def test_view_holds_every_image_within_the_radius(one_cu, mor_rings):
    view = project_centre(one_cu, anchor_ring(SPEC, one_cu, mor_rings), radius=7.0, front=None)
    cell = np.asarray(one_cu.cell)
    rel = one_cu.positions - cu_centroid(one_cu)
    expected = sum(
        int((np.linalg.norm(rel + np.array(s) @ cell, axis=1) <= 7.0).sum())
        for s in np.ndindex(5, 5, 5)
        for s in [np.array(s) - 2]
    )
    assert len(view.xyz) == expected  # c is 7.5 A: more than the minimum image
    assert np.all(np.linalg.norm(view.xyz, axis=1) <= 7.0 + 1e-9)
    # every T-O stick has T-O length, every framework T atom in view has a stick
    d = np.linalg.norm(view.xyz[view.t_o_bonds[:, 0]] - view.xyz[view.t_o_bonds[:, 1]], axis=1)
    assert np.all(d < 1.9)
    assert set(view.symbols[view.t_o_bonds[:, 0]]) <= {"Si", "Al"}
    assert set(view.symbols[view.t_o_bonds[:, 1]]) == {"O"}


def test_cu_o_bonds_are_the_first_shell(config, mor_rings):
    for name in ("5.12_1Cu", "12.5.6_2Cu", "8.12.1_3Cu"):
        spec, atoms = _middle(config, name, mor_rings)
        view = project_centre(atoms, centre_rings(spec, atoms, mor_rings))
        bonds = view.cu_o_bonds[~view.ghost[view.cu_o_bonds[:, 0]]]
        d = np.linalg.norm(view.xyz[bonds[:, 0]] - view.xyz[bonds[:, 1]], axis=1)
        assert np.all(d < CU_O_BOND)
        per_cu = {int(row["cu"]): row["n_o"] for row in cu_chemistry(atoms)}
        drawn = {int(view.index[c]): int((bonds[:, 0] == c).sum()) for c in set(bonds[:, 0])}
        assert {cu: drawn.get(cu, 0) for cu in per_cu} == per_cu, name


def test_anchor_ring_is_highlighted_in_its_class_colour(one_cu, mor_rings):
    ring = anchor_ring(SPEC, one_cu, mor_rings)
    ax = Figure().add_subplot()
    view = draw_centre(one_cu, ax, ring, title="8_1Cu (class 8)")
    polygons = [p for p in ax.patches if isinstance(p, Polygon)]
    assert [p.get_label() for p in polygons] == ["ring 8"]
    assert polygons[0].get_edgecolor()[:3] == pytest.approx(to_rgba(CLASS_COLOURS["8"])[:3])
    sticks = min(ax.collections, key=lambda c: c.get_zorder())  # the framework, drawn first
    assert polygons[0].get_linewidth() > 2 * sticks.get_linewidth().max()
    assert np.allclose(polygons[0].get_xy()[: 2 * ring.size], view.rings[0][1][:, :2])
    assert ax.get_title() == "8_1Cu (class 8)"
    assert "8 ring" in [t.get_text() for t in ax.texts]


def test_second_al_ring_is_highlighted_too(config, mor_rings):
    spec, atoms = _middle(config, "12.5.6_2Cu", mor_rings)  # the paper's Fig. 2
    rings = centre_rings(spec, atoms, mor_rings)
    assert [r.label for r in rings] == ["5.12", "6.12"]
    assert atoms.info["al_indices"][0] in rings[0].t_indices
    assert atoms.info["al_indices"][1] in rings[1].t_indices
    ax = Figure().add_subplot()
    draw_centre(atoms, ax, rings)
    assert [p.get_label() for p in ax.patches if isinstance(p, Polygon)] == ["ring 5.12", "ring 6.12"]


def test_without_rings_the_ring_of_the_structures_class_is_used(one_cu, mor_rings):
    assert ring_near_cu(one_cu, mor_rings) == anchor_ring(SPEC, one_cu, mor_rings)


def test_projection_is_deterministic(config, mor_rings):
    spec, atoms = _middle(config, "8.8.2_3Cu", mor_rings)
    a = project_centre(atoms, centre_rings(spec, atoms, mor_rings))
    b = project_centre(atoms.copy(), centre_rings(spec, atoms, mor_rings))
    assert np.array_equal(a.index, b.index) and np.array_equal(a.xyz, b.xyz)
    assert np.array_equal(a.t_o_bonds, b.t_o_bonds) and np.array_equal(a.cu_o_bonds, b.cu_o_bonds)
