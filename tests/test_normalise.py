"""Edge finding and normalisation on synthetic arctan edges."""

import math

import numpy as np
import pytest

import warnings

from cumor.normalise import (POST_EDGE, PRE_EDGE, WindowCutWarning, edge_energy, energy_grid,
                             find_e0, normalise_spectrum, normalised_on_grid, to_relative_grid)

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
    pre = (energy >= E0 + PRE_EDGE[0]) & (energy <= E0 + PRE_EDGE[1])
    post = (energy >= E0 + POST_EDGE[0]) & (energy <= E0 + POST_EDGE[1])
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
    # Data start 10 eV below the edge: pre window (-40, -15) holds nothing,
    # the first point is used as a constant baseline, with a warning.
    energy = E0 + np.arange(-10.0, 120.0, 0.5)
    mu = erf_edge(energy, pre_slope=0.0, step=2.0)
    with pytest.warns(WindowCutWarning, match="pre-edge window E0-40..E0-15 eV is cut"):
        norm = normalise_spectrum(energy, mu, E0)
    assert norm[0] == pytest.approx(0.0, abs=1e-12)
    assert norm[energy > E0 + 30] == pytest.approx(1.0, abs=1e-6)


def test_normalise_partially_covered_pre_window():
    # FEFF-like start at -20 eV: only a few points in the window, still works.
    energy = E0 + np.arange(-20.0, 120.0, 1.0)
    with pytest.warns(WindowCutWarning, match="pre-edge"):
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
        normalise_spectrum(energy, mu, E0, post=(200, 300), warn=False)
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


# --------------------------------------------------------------------------- #
# issue 12: E0 at a fraction of the edge step, fixed windows, sampling
# --------------------------------------------------------------------------- #
def test_full_windows_do_not_warn_and_a_short_scan_does():
    energy = E0 + np.arange(-45.0, 95.0, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        normalise_spectrum(energy, erf_edge(energy), E0)
    short = E0 + np.arange(-45.0, 70.0, 0.5)
    with pytest.warns(WindowCutWarning, match=r"post-edge window E0\+20..E0\+90 eV is cut: "
                                              r"data end at E0\+69.5 eV"):
        normalise_spectrum(short, erf_edge(short), E0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        normalise_spectrum(short, erf_edge(short), E0, warn=False)


def test_edge_energy_is_the_step_fraction_crossing():
    # erf edge of width w: normalised mu = (1 + erf((E - E0)/w)) / 2 crosses 0.3 at
    # E0 + w * erfinv(-0.4) = E0 - 0.3708 w.
    energy = feff_like_grid(-45.0, 125.0)
    mu = erf_edge(energy, width=1.5)
    assert edge_energy(energy, mu, smooth=0.0) == pytest.approx(E0 - 0.3708 * 1.5, abs=0.02)
    assert edge_energy(energy, mu, fraction=0.5, smooth=0.0) == pytest.approx(E0, abs=0.02)
    with pytest.raises(ValueError, match="fraction"):
        edge_energy(energy, mu, fraction=1.2)


def _shoulder_edge(energy, shoulder):
    """Two-step edge: a shoulder of height ``shoulder`` at E0, the main edge at E0 + 6."""
    erf = np.vectorize(math.erf)
    return (0.3 + shoulder * 0.5 * (1 + erf((energy - E0) / 0.8))
            + (1 - shoulder) * 0.5 * (1 + erf((energy - E0 - 6.0) / 0.8)))


def test_edge_energy_moves_continuously_where_the_derivative_maximum_jumps():
    """A shoulder growing from 0.40 to 0.60 of the step: find_e0 jumps from the main
    edge to the shoulder (6 eV), the 0.3 step crossing moves by a fraction of an eV."""
    energy = E0 + np.arange(-45.0, 100.0, 0.25)
    heights = np.linspace(0.40, 0.60, 9)
    derivative = [find_e0(energy, _shoulder_edge(energy, h)) for h in heights]
    crossing = [edge_energy(energy, _shoulder_edge(energy, h)) for h in heights]
    assert max(np.abs(np.diff(derivative))) > 5.0  # the jump this definition avoids
    assert max(np.abs(np.diff(crossing))) < 0.2
    assert max(crossing) - min(crossing) < 1.0


def test_normalisation_does_not_depend_on_the_sampling():
    """FEFF-like coarse/fine/k-uniform sampling vs a uniform 0.1 eV resampling of
    the same curve: the same E0 and normalised spectrum (interval-weighted fits)."""
    rel = np.concatenate([np.arange(-45.0, -10.0, 3.0), np.arange(-10.0, 25.0, 0.5),
                          3.81 * np.arange(np.sqrt(25 / 3.81), 5.7, 0.06) ** 2])
    coarse = E0 + rel
    fine = E0 + np.arange(rel[0], rel[-1], 0.1)
    mu_c = arctan_edge(coarse, wiggle=0.3)
    mu_f = arctan_edge(fine, wiggle=0.3)
    grid = energy_grid(-15, 60, 0.5)
    e0_c, on_c = normalised_on_grid(coarse, mu_c, grid)
    e0_f, on_f = normalised_on_grid(fine, mu_f, grid)
    assert e0_c == pytest.approx(e0_f, abs=0.05)
    assert np.abs(on_c - on_f).max() < 0.01
    # unweighted fits (xraylarch's way) let the dense low-k points dominate
    n_c = normalise_spectrum(coarse, mu_c, E0, weighted=False)
    n_f = normalise_spectrum(fine, mu_f, E0, weighted=False)
    assert abs(np.interp(E0 + 50, coarse, n_c) - np.interp(E0 + 50, fine, n_f)) > 0.01


def test_find_e0_window_starts_at_the_foot_of_a_falling_pre_edge():
    """A long scan whose pre-edge falls steeply: the 10 % level is measured from the
    foot of the edge, not from the first point, and E0 is the edge's."""
    energy = E0 + np.arange(-220.0, 300.0, 0.5)
    mu = arctan_edge(energy, pre_slope=0.0) + 1.5 * np.exp(-(energy - energy[0]) / 80.0)
    assert find_e0(energy, mu) == pytest.approx(E0, abs=0.2)
