"""Edge finding and normalisation on synthetic arctan edges."""

import math

import numpy as np
import pytest

from cumor.normalise import energy_grid, find_e0, normalise_spectrum, to_relative_grid

E0 = 8980.0


def arctan_edge(energy, e0=E0, width=1.5, step=2.5, pre_slope=-1e-3, offset=0.3, wiggle=0.0):
    """Sloped background + arctan edge of height ``step`` (+ post-edge wiggles)."""
    rel = energy - e0
    mu = offset + pre_slope * rel + step * (0.5 + np.arctan(rel / width) / np.pi)
    # Damped oscillation switched on smoothly ~15 eV above the edge, like
    # XANES/EXAFS structure.
    switch = 0.5 * (1.0 + np.tanh((rel - 15.0) / 2.0))
    mu += wiggle * step * np.sin(rel / 3.0) * np.exp(-rel / 60.0) * switch
    return mu


def erf_edge(energy, e0=E0, width=1.5, step=2.5, pre_slope=-1e-3, offset=0.3):
    """Sloped background + Gaussian-broadened (erf) edge without long tails."""
    rel = energy - e0
    erf = np.vectorize(math.erf)
    return offset + pre_slope * rel + step * 0.5 * (1.0 + erf(rel / width))


def feff_like_grid(start=-40.0, stop=120.0):
    """Non-uniform grid like FEFF's: coarse below, fine at, sparse above the edge."""
    return E0 + np.concatenate(
        [np.arange(start, -10, 3.0), np.arange(-10, 25, 0.5), np.arange(25, stop, 2.0)]
    )


def test_find_e0_on_synthetic_edge():
    energy = feff_like_grid()
    assert find_e0(energy, arctan_edge(energy)) == pytest.approx(E0, abs=0.15)


def test_find_e0_ignores_steep_post_edge_wiggles():
    # Wiggles whose rising slopes rival the edge must not win.
    energy = feff_like_grid()
    mu = arctan_edge(energy, width=3.0, wiggle=0.4)
    slope_edge = np.gradient(arctan_edge(energy, width=3.0), energy).max()
    slope_all = np.gradient(mu, energy)[energy > E0 + 10].max()
    assert slope_all > 0.5 * slope_edge  # the test is meaningful
    assert find_e0(energy, mu) == pytest.approx(E0, abs=0.3)


def test_find_e0_ignores_small_pre_edge_peak():
    energy = feff_like_grid()
    mu = arctan_edge(energy) + 0.08 * np.exp(-0.5 * ((energy - (E0 - 8)) / 0.6) ** 2)
    assert find_e0(energy, mu) == pytest.approx(E0, abs=0.3)


def test_find_e0_rejects_flat_and_bad_input():
    energy = feff_like_grid()
    with pytest.raises(ValueError, match="no absorption edge"):
        find_e0(energy, np.ones_like(energy))
    with pytest.raises(ValueError, match="increasing"):
        find_e0(energy[::-1], arctan_edge(energy))
    with pytest.raises(ValueError, match="finite"):
        find_e0(energy, np.full_like(energy, np.nan))
    with pytest.raises(ValueError, match="equal length"):
        find_e0(energy, arctan_edge(energy)[:-1])


def test_normalise_gives_unit_edge_step():
    energy = E0 + np.arange(-80.0, 200.0, 0.5)
    mu = arctan_edge(energy, step=2.5, pre_slope=-2e-3)
    norm = normalise_spectrum(energy, mu, E0)
    assert np.all(np.isfinite(norm))
    # Refitting the normalised spectrum gives pre-line 0 and step 1 at E0.
    pre = (energy >= E0 - 60) & (energy <= E0 - 15)
    post = (energy >= E0 + 30) & (energy <= E0 + 150)
    pre_at_e0 = np.polyval(np.polyfit(energy[pre], norm[pre], 1), E0)
    post_at_e0 = np.polyval(np.polyfit(energy[post], norm[post], 1), E0)
    assert pre_at_e0 == pytest.approx(0.0, abs=1e-9)
    assert post_at_e0 - pre_at_e0 == pytest.approx(1.0, abs=1e-9)


def test_normalise_removes_background_and_step():
    # An erf edge has no long tails, so the true normalised curve is known.
    energy = E0 + np.arange(-80.0, 200.0, 0.5)
    mu = erf_edge(energy, step=2.5, pre_slope=-2e-3)
    norm = normalise_spectrum(energy, mu, E0)
    truth = 0.5 * (1.0 + np.vectorize(math.erf)((energy - E0) / 1.5))
    assert norm == pytest.approx(truth, abs=1e-6)


def test_normalise_quadratic_post_edge():
    energy = E0 + np.arange(-80.0, 200.0, 0.5)
    # Curved post-edge (step 2.5): a quadratic fit measures the step exactly.
    curvature = 1e-5 * (energy - E0) ** 2 * (energy > E0)
    norm = normalise_spectrum(energy, erf_edge(energy) + curvature, E0, post_order=2)
    above = energy > E0 + 30
    assert norm[above] - curvature[above] / 2.5 == pytest.approx(1.0, abs=1e-6)
    linear = normalise_spectrum(energy, erf_edge(energy) + curvature, E0, post_order=1)
    assert abs(linear[above] - curvature[above] / 2.5 - 1.0).max() > 0.01


def test_normalise_falls_back_when_pre_edge_is_short():
    # Data start 10 eV below the edge: pre window (-60, -15) holds nothing,
    # the first point is used as a constant baseline.
    energy = E0 + np.arange(-10.0, 120.0, 0.5)
    mu = erf_edge(energy, pre_slope=0.0, step=2.0)
    norm = normalise_spectrum(energy, mu, E0)
    assert norm[0] == pytest.approx(0.0, abs=1e-12)
    assert norm[energy > E0 + 30] == pytest.approx(1.0, abs=1e-6)


def test_normalise_partially_covered_pre_window():
    # FEFF-like start at -20 eV: only a few points in the window, still works.
    energy = E0 + np.arange(-20.0, 120.0, 1.0)
    norm = normalise_spectrum(energy, erf_edge(energy), E0)
    assert np.all(np.isfinite(norm))
    assert abs(norm[energy < E0 - 15]).max() < 1e-6
    assert norm[energy > E0 + 30] == pytest.approx(1.0, abs=1e-6)


def test_normalise_errors():
    energy = E0 + np.arange(-50.0, 120.0, 0.5)
    mu = arctan_edge(energy)
    with pytest.raises(ValueError, match="misses the edge"):
        normalise_spectrum(energy, mu, E0 + 500)
    with pytest.raises(ValueError, match="misses the edge"):
        normalise_spectrum(energy, mu, energy[0] - 1)
    with pytest.raises(ValueError, match="post-edge window"):
        normalise_spectrum(energy, mu, E0, post=(200, 300))
    with pytest.raises(ValueError, match="not positive"):
        normalise_spectrum(energy, -mu, E0)
    with pytest.raises(ValueError, match="post_order"):
        normalise_spectrum(energy, mu, E0, post_order=5)


def test_to_relative_grid_interpolates_around_e0():
    energy = E0 + np.arange(-40.0, 120.0, 0.5)
    mu = energy - E0  # identity in relative energy
    grid = energy_grid(-30, 100, 0.25)
    assert to_relative_grid(energy, mu, E0, grid) == pytest.approx(grid)
    # Exactly matching ends are covered.
    assert to_relative_grid(energy, mu, E0, [-40.0, 119.5]) == pytest.approx([-40.0, 119.5])


def test_to_relative_grid_refuses_to_extrapolate():
    energy = E0 + np.arange(-20.0, 120.0, 0.5)
    with pytest.raises(ValueError, match="not covered"):
        to_relative_grid(energy, energy, E0, energy_grid(-30, 100, 1.0))
    with pytest.raises(ValueError, match="not covered"):
        to_relative_grid(energy, energy, E0 + 30, energy_grid(-10, 100, 1.0))


def test_energy_grid():
    grid = energy_grid(-30, 100, 0.5)
    assert grid[0] == -30 and grid[-1] == 100 and len(grid) == 261
    assert np.allclose(np.diff(grid), 0.5)
    # Round-off must not drop the end point.
    assert energy_grid(0.0, 0.3, 0.1)[-1] == pytest.approx(0.3)
    assert len(energy_grid(0, 1, 0.3)) == 4  # 0, 0.3, 0.6, 0.9
    with pytest.raises(ValueError):
        energy_grid(0, 10, 0)
    with pytest.raises(ValueError):
        energy_grid(10, 0, 1)
