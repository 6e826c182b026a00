"""Tests of cumor.convergence: the R-factor, the steps of the Fig. 1 study, its table."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cumor.convergence import (
    ConvergenceStep,
    choose_structure,
    configured_setting_key,
    convergence_steps,
    convergence_table,
    engine_comparison_table,
    format_value,
    panel_b,
    r_factor,
    setting_key,
)

E = np.arange(-15.0, 60.01, 0.5)


def edge(shift=0.0):
    """A normalised edge with a white line: 0 below, 1 far above."""
    return 1.0 / (1.0 + np.exp(-(E - shift))) + 0.3 * np.exp(-(((E - 8.0 - shift) / 3.0) ** 2))


def test_r_factor_is_zero_for_equal_spectra_and_matches_definition():
    a = edge()
    assert r_factor(a, a) == 0.0
    b = a + 0.01
    assert r_factor(a, b) == pytest.approx(len(a) * 1e-4 / np.sum(a**2))
    # the reference's norm sets the scale: not symmetric
    assert r_factor(a, 2 * a) == pytest.approx(1.0)
    assert r_factor(2 * a, a) == pytest.approx(0.25)
    # a small edge shift is a small R, a larger one larger
    assert 0 < r_factor(a, edge(0.2)) < r_factor(a, edge(1.0))


@pytest.mark.parametrize(
    "a, b, message",
    [
        (np.ones(3), np.ones(4), "equal length"),
        (np.ones((2, 2)), np.ones((2, 2)), "1-D"),
        (np.zeros(3), np.ones(3), "zero"),
        (np.array([1.0, np.nan]), np.ones(2), "non-finite"),
    ],
)
def test_r_factor_rejects_bad_input(a, b, message):
    with pytest.raises(ValueError, match=message):
        r_factor(a, b)


def test_configured_setting_key_is_the_data_sets_setting():
    assert configured_setting_key({"cluster_radius": 6.0, "scf_radius": None}) == "r6"
    assert configured_setting_key({}) == "r6"  # the engines' default radius
    assert configured_setting_key({"cluster_radius": 5}) == "r5"
    steps = convergence_steps({"cluster_radius": 5.0}, [4, 5], "fms_radius", [None, 3.0])
    assert configured_setting_key({"cluster_radius": 5.0}) in {s.key for s in steps}


def test_format_value_and_setting_key():
    assert [format_value(v) for v in (None, 6.0, 0.05, True, (0.5, 10.0))] == [
        "off", "6", "0.05", "on", "0.5-10"]
    base = {"cluster_radius": 6.0, "scf_radius": None, "adimp": 0.5}
    assert setting_key(6.0, {"cluster_radius": 6.0}, base) == "r6"
    assert setting_key(6, {"scf_radius": None}, base) == "r6"  # = the configured setting
    assert setting_key(6, {"scf_radius": 4.0}, base) == "r6_scf_radius-4"
    assert setting_key(6, {"adimp": 0.5}, base) == "r6"
    assert setting_key(6, {"adimp": 0.05}, base) == "r6_adimp-0.05"
    assert setting_key(6, {"scf_radius": None}, {"scf_radius": 3.0}) == "r6_scf_radius-off"


def test_convergence_steps_share_the_configured_setting():
    steps = convergence_steps({"cluster_radius": 6.0, "scf_radius": None}, [4, 5, 6, 7],
                              "scf_radius", [None, 4.0])
    assert [(s.panel, s.key) for s in steps] == [
        ("cluster_radius", "r4"), ("cluster_radius", "r5"), ("cluster_radius", "r6"),
        ("cluster_radius", "r7"), ("scf_radius", "r6"), ("scf_radius", "r6_scf_radius-4")]
    assert steps[-1].overrides == {"cluster_radius": 6.0, "scf_radius": 4.0}
    assert [s.label for s in steps[-2:]] == ["off", "4 A"]
    # FDMNES: panel b at the configured radius (5 A here), the paper's grid steps
    fdm = convergence_steps({"cluster_radius": 5.0, "adimp": 0.5}, [4, 5], "adimp",
                            [0.5, 0.2, 0.05])
    assert [s.key for s in fdm] == ["r4", "r5", "r5", "r5_adimp-0.2", "r5_adimp-0.05"]


@pytest.mark.parametrize(
    "radii, parameter, values, message",
    [
        ([], "scf_radius", [None], "at least one"),
        ([4, 4.0], "scf_radius", [None], "repeated"),
        ([4], "adimp", [0.5, 0.5], "repeated"),
        ([0], "adimp", [0.5], "positive"),
        ([4], "cluster_radius", [5], "other than"),
    ],
)
def test_convergence_steps_reject_bad_series(radii, parameter, values, message):
    with pytest.raises(ValueError, match=message):
        convergence_steps({}, radii, parameter, values)


def test_convergence_table_seconds_and_r_factors():
    steps = convergence_steps({"cluster_radius": 6.0}, [4, 5, 6], "scf_radius", [None, 4.0])
    spectra = {
        "r4": {"mu": edge(1.0), "seconds": [11.0]},
        "r5": {"mu": edge(0.3), "seconds": [14.0]},
        "r6": {"mu": edge(0.0), "seconds": [20.0, 4.0]},  # two absorbers
        "r6_scf_radius-4": {"mu": edge(0.1), "seconds": [110.0, 100.0]},
    }
    table = convergence_table(steps, spectra)
    assert list(table["setting"]) == ["r4", "r5", "r6", "r6", "r6_scf_radius-4"]
    assert list(table["value"]) == ["4", "5", "6", "off", "4"]
    assert list(table["seconds"]) == [11.0, 14.0, 24.0, 24.0, 210.0]
    assert list(table["n_absorbers"]) == [1, 1, 2, 2, 2]
    radius = table[table["panel"] == "cluster_radius"]
    assert radius["r_vs_next"].iloc[0] == pytest.approx(r_factor(edge(0.3), edge(1.0)))
    assert radius["r_vs_last"].iloc[0] == pytest.approx(r_factor(edge(0.0), edge(1.0)))
    assert np.isnan(radius["r_vs_next"].iloc[-1]) and radius["r_vs_last"].iloc[-1] == 0.0
    # converging series: the change shrinks towards the last setting
    assert radius["r_vs_last"].iloc[0] > radius["r_vs_last"].iloc[1] > 0


def test_choose_structure_falls_back_to_a_selected_point():
    pts = lambda *names: [SimpleNamespace(point=n) for n in names]  # noqa: E731
    points_of = {"12.5_1Cu": pts("p000", "p016", "p033"), "5.12_1Cu": pts("p000", "p016")}
    assert choose_structure("5.12_1Cu", "p016", points_of) == ("5.12_1Cu", "p016", [])
    assert choose_structure(None, None, points_of) == ("12.5_1Cu", "p016", [])
    model, point, notes = choose_structure("8.3Si_2Cu", "p030", points_of)
    assert (model, point) == ("12.5_1Cu", "p016")
    assert "8.3Si_2Cu is not selected" in notes[0] and "no selected point p030" in notes[1]
    with pytest.raises(ValueError):
        choose_structure("x", None, {})


def test_engine_comparison_table():
    spectra = {
        "feff": {"a/p000": {"mu": edge(), "seconds": [20.0]},
                 "b/p001": {"mu": edge(), "seconds": [30.0]}},
        "fdmnes": {"a/p000": {"mu": edge(0.5), "seconds": [600.0]}},
    }
    table = engine_comparison_table(spectra)
    assert isinstance(table, pd.DataFrame) and list(table["structure"]) == ["a/p000"]
    assert table.loc[0, "seconds_fdmnes"] == 600.0
    assert table.loc[0, "r_factor"] == pytest.approx(r_factor(edge(), edge(0.5)))
    with pytest.raises(ValueError, match="two engines"):
        engine_comparison_table({"feff": {}})


def test_convergence_step_is_plain_data():
    """The workflow passes steps to the figure job as dicts (rule params)."""
    step = ConvergenceStep("adimp", 0.2, "r6_adimp-0.2", {"adimp": 0.2})
    assert step.label == "0.2 A"
    assert ConvergenceStep(**dataclasses.asdict(step)) == step


FIG1 = {
    "feff": {"parameter": "scf_radius", "values": [None, 4.0]},
    "fdmnes": {"fdm": {"parameter": "adimp", "values": [0.5, 0.2, 0.05]},
               "green": {"parameter": "scf", "values": [False, True]}},
}


def test_panel_b_follows_the_engine_and_the_fdmnes_mode():
    assert panel_b(FIG1, "feff", {}) == ("scf_radius", [None, 4.0])
    assert panel_b(FIG1, "fdmnes", {"mode": "fdm"}) == ("adimp", [0.5, 0.2, 0.05])
    assert panel_b(FIG1, "fdmnes", {}) == ("adimp", [0.5, 0.2, 0.05])  # fdm = default
    assert panel_b(FIG1, "fdmnes", {"mode": "green"}) == ("scf", [False, True])
    with pytest.raises(ValueError, match="no panel b for mode 'green'"):
        panel_b({"fdmnes": {"fdm": FIG1["fdmnes"]["fdm"]}}, "fdmnes", {"mode": "green"})


def test_green_panel_b_steps_share_the_data_sets_spectrum():
    """SCF off is the data set's setting (key r6); on is one more spectrum."""
    base = {"mode": "green", "cluster_radius": 6.0, "scf": False, "overlap": None}
    steps = convergence_steps(base, [4, 6], "scf", [False, True])
    assert [s.key for s in steps] == ["r4", "r6", "r6", "r6_scf-on"]
    assert [s.label for s in steps[2:]] == ["off", "on"]
    steps = convergence_steps(base, [6], "overlap", [0.0, 0.2])
    assert [s.key for s in steps] == ["r6", "r6_overlap-0", "r6_overlap-0.2"]
    assert [s.label for s in steps[1:]] == ["0", "0.2"]  # no unit: a fraction


def test_steps_resolved_like_the_engine_reuse_the_data_sets_spectrum():
    """adimp null in the config is 0.5 A in FDMNES's fdm mode: the panel's 0.5 A is the
    data set's spectrum (key r6), not a second 8-hour run. FEFF's fms_radius null
    (resolved to the cluster radius) stays the data set's too."""
    from cumor.engines import get_engine

    def engine(name):
        return lambda settings: get_engine(name, settings).settings

    base = {"mode": "fdm", "adimp": None, "cluster_radius": 6.0}
    steps = convergence_steps(base, [6], "adimp", [0.5, 0.2], resolve=engine("fdmnes"))
    assert [s.key for s in steps] == ["r6", "r6", "r6_adimp-0.2"]
    assert steps[1].overrides["adimp"] == 0.5
    unresolved = convergence_steps(base, [6], "adimp", [0.5, 0.2])
    assert [s.key for s in unresolved] == ["r6", "r6_adimp-0.5", "r6_adimp-0.2"]
    feff = {"cluster_radius": 6.0, "fms_radius": None, "scf_radius": None}
    steps = convergence_steps(feff, [5, 6], "fms_radius", [None, 4.0], resolve=engine("feff"))
    assert [s.key for s in steps] == ["r5", "r6", "r6", "r6_fms_radius-4"]
