"""Tests of cumor.fidelity and cumor.calibration on stored FEFF10 outputs (no FEFF run).

``data/fidelity/feff_base.json`` holds the raw FEFF10 crystal spectra of the Cu foil
and covellite at the data set's settings (made by rule ``fidelity``'s engine runs);
the measurements are the packaged XDI files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cumor import fidelity as F
from cumor.calibration import Calibration, apply_calibration, broaden
from cumor.engines.base import AbsorberSpectrum, SpectrumEngine
from cumor.normalise import edge_energy, energy_grid
from cumor.references import build_covellite

DATA = json.loads((Path(__file__).parent / "data" / "fidelity" / "feff_base.json").read_text())
GRID = energy_grid(-15.0, 60.0, 0.5)


def _sim(name):
    s = DATA["spectra"][name]
    return {"energy": np.asarray(s["energy"]), "mu": np.asarray(s["mu"]),
            "seconds": s["seconds"], "n_atoms": s["n_atoms"]}


@pytest.fixture(scope="module")
def measured():
    return {name: F.calibrated_measurement(name) for name in ("Cu_foil", "CuS")}


def test_measurements_are_put_on_the_foil_scale(measured):
    foil, cus = measured["Cu_foil"], measured["CuS"]
    assert foil["calibrated_by"] == "the sample (a Cu foil)"
    assert foil["shift"] == pytest.approx(-1.06, abs=0.02)  # first inflection 8980.06
    assert cus["calibrated_by"].startswith("reference foil")
    assert cus["shift"] == pytest.approx(-0.18, abs=0.02)
    from cumor.normalise import find_e0
    assert find_e0(foil["energy"], foil["mu"]) == pytest.approx(8979.0, abs=1e-6)


def test_broadening_keeps_area_and_widens():
    e = np.arange(8900.0, 9100.0, 0.5)
    line = np.exp(-0.5 * ((e - 9000.0) / 0.5) ** 2)
    g, b = broaden(e, line, gaussian_fwhm=3.0)
    assert np.trapezoid(b, g) == pytest.approx(np.trapezoid(line, e), rel=1e-3)
    fwhm = np.ptp(g[b >= b.max() / 2])
    assert fwhm == pytest.approx(np.hypot(3.0, 0.5 * 2.3548), abs=0.15)
    # the Lorentzian acts only above the edge
    step = 1.0 / (1.0 + np.exp(-(e - 8950.0))) + line
    g2, b2 = broaden(e, step, lorentzian_slope=0.1, lorentzian_max=5.0, edge=8950.0)
    below = g2 < 8945
    np.testing.assert_allclose(b2[below], np.interp(g2[below], e, step), atol=1e-12)
    assert b2.max() < step.max() - 0.2
    with pytest.raises(ValueError, match="gaussian_fwhm"):
        Calibration(gaussian_fwhm=-1.0)
    with pytest.raises(ValueError, match="unknown calibration"):
        Calibration.from_settings({"offset": 1.0})


def test_offset_moves_e0_only():
    sim = _sim("Cu_foil")
    e0 = edge_energy(sim["energy"], sim["mu"])
    e, m = apply_calibration(sim["energy"], sim["mu"], {"energy_offset": -9.8})
    assert edge_energy(e, m) == pytest.approx(e0 - 9.8, abs=1e-6)
    np.testing.assert_array_equal(m, sim["mu"])


def test_compare_and_fit_on_stored_feff_spectra(measured):
    sims = {n: _sim(n) for n in ("Cu_foil", "CuS")}
    raw = {n: (s["energy"], s["mu"]) for n, s in sims.items()}
    c = F.compare(*raw["Cu_foil"], measured["Cu_foil"], GRID)
    # FEFF's absolute Cu K edge is ~9.7 eV above the calibrated measurement
    assert c["e0_sim"] - c["e0_measured"] == pytest.approx(9.7, abs=0.3)
    assert 0.02 < c["r"] < 0.06 and 0.05 < c["r_before"] < 0.12
    fit = F.fit_calibration(raw, measured, ["Cu_foil"], GRID, [0.0, 2.0, 4.0])
    cal = fit["calibration"]
    assert fit["fitted_on"] == ["Cu_foil"] and fit["offset_from"] == "Cu_foil"
    scan = {(r["reference"], r["gaussian_fwhm"]): r["r"] for r in fit["scan"]}
    assert fit["mean_r_fit"] == min(scan[("Cu_foil", f)] for f in (0.0, 2.0, 4.0))
    assert {r["role"] for r in fit["scan"] if r["reference"] == "CuS"} == {"validation"}
    # the offset puts the broadened simulated foil E0 on the measured one
    e, m = apply_calibration(*raw["Cu_foil"], cal)
    assert edge_energy(e, m) == pytest.approx(c["e0_measured"], abs=0.01)
    rows, curves = F.fidelity_table({"base": sims}, measured, GRID, cal, ["Cu_foil"])
    by = {r["reference"]: r for r in rows}
    assert by["Cu_foil"]["e0_error_calibrated"] == pytest.approx(0.0, abs=0.01)
    assert by["Cu_foil"]["role"] == "fit" and by["CuS"]["role"] == "validation"
    assert by["CuS"]["n_atoms"] == [51, 49]
    assert curves["base"]["CuS"]["calibrated"].shape == GRID.shape
    text = F.markdown_table(rows, cal, fit)
    assert "fitted on Cu_foil" in text and "| base | CuS | validation |" in text


def test_plot_fidelity(tmp_path, measured):
    from cumor.plots import plot_fidelity

    sims = {"base": {n: _sim(n) for n in ("Cu_foil", "CuS")}}
    rows, curves = F.fidelity_table(sims, measured, GRID, Calibration(gaussian_fwhm=1.0),
                                    ["Cu_foil"])
    plot_fidelity(GRID, curves, rows, [tmp_path / "f.png", tmp_path / "f.pdf"])
    assert (tmp_path / "f.png").stat().st_size > 1000 and (tmp_path / "f.pdf").is_file()


class _FakeEngine(SpectrumEngine):
    name = "fake"

    def __init__(self, settings=None):
        self.settings = {"cluster_radius": 6.0, **(settings or {})}
        self.calls = []

    def compute(self, atoms, absorber, workdir):
        self.calls.append(absorber)
        e = np.linspace(8940.0, 9100.0, 321)
        mu = 0.5 + np.arctan((e - 8985.0 - absorber) / 1.5) / np.pi
        return AbsorberSpectrum(e, mu, absorber, seconds=1.0, meta={"n_atoms": 50})


def test_raw_site_spectra_groups_sites_and_caches(tmp_path):
    atoms = build_covellite()
    engine = _FakeEngine()
    sites = F.raw_site_spectra(atoms, engine, tmp_path)
    assert [(s["absorber"], s["multiplicity"], s["cached"]) for s in sites] == \
        [(0, 2, False), (2, 4, False)]
    again = F.raw_site_spectra(atoms, _FakeEngine({"calibration": {"gaussian_fwhm": 2.0}}),
                               tmp_path)
    assert all(s["cached"] for s in again)  # the calibration is not an engine input
    changed = F.raw_site_spectra(atoms, _FakeEngine({"core_hole": "FSR"}), tmp_path)
    assert not any(s["cached"] for s in changed)
    energy, mu = F.crystal_spectrum(sites)
    # weights 2 : 4 of edges at 8985 and 8987 eV
    expected = (2 * (0.5 + np.arctan((energy - 8985.0) / 1.5) / np.pi)
                + 4 * (0.5 + np.arctan((energy - 8987.0) / 1.5) / np.pi)) / 6
    np.testing.assert_allclose(mu, expected, atol=1e-12)
