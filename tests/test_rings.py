import collections

import numpy as np

from cumor.rings import KNOWN_RING_LABELS, distance_to_channel, find_wall_rings


def test_ring_counts_per_size(mor_rings):
    """Per cell: the smallest rings at every T-O-T angle and the windows."""
    sizes = collections.Counter((r.kind, r.size) for r in mor_rings)
    assert sizes[("wall", 4)] == 4
    assert sizes[("wall", 5)] == 48
    assert sizes[("wall", 6)] == 8
    assert sizes[("wall", 7)] == 32
    # two 12-ring channels and two 8-ring channels, two windows each per c period
    assert sizes[("window", 12)] == 4
    # 4 channel windows of the 8-ring channel + 8 side-pocket windows along b
    assert sizes[("window", 8)] == 12


def test_ring_labels(mor_rings):
    labels = collections.Counter(r.label for r in mor_rings)
    assert set(labels) == set(KNOWN_RING_LABELS)
    assert labels["12"] == 4 and labels["8"] == 4
    assert labels["8.12"] == 4 and labels["8.8"] == 4
    assert labels["6.12"] == 8 and labels["5.12"] == 16


def test_channel_windows_are_centred_on_their_axis(mor, mor_rings):
    for ring in mor_rings:
        if ring.label in ("12", "8"):
            assert distance_to_channel(mor, ring.centroid(mor), ring.label) < 0.05


def test_twelve_ring_window_opens_along_c(mor, mor_rings):
    for ring in (r for r in mor_rings if r.label == "12"):
        assert abs(ring.normal(mor)[2]) > 0.9


def test_side_pocket_windows_open_along_b(mor, mor_rings):
    for ring in (r for r in mor_rings if r.label in ("8.12", "8.8")):
        assert abs(ring.normal(mor)[1]) > 0.99


def test_ring_bonds_are_t_o_t(mor, mor_rings):
    """Consecutive T atoms are bridged by the listed O at T-O bond length."""
    for ring in mor_rings:
        t, o = ring.t_positions(mor), ring.o_positions(mor)
        for k in range(ring.size):
            assert np.linalg.norm(t[k] - o[k]) < 1.8
            assert np.linalg.norm(t[(k + 1) % ring.size] - o[k]) < 1.8


def test_wall_search_respects_max_size(mor):
    assert max(r.size for r in find_wall_rings(mor, max_size=5)) == 5
