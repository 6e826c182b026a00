"""FEFF10 engine: input writer, output parser, error paths, one real run."""

import numpy as np
import pytest
from ase import Atoms

import feff10
from cumor.engines import cluster_around, get_engine
from cumor.engines import feff as feff_mod
from cumor.engines.base import EngineError
from cumor.engines.feff import DEFAULT_SETTINGS, FeffEngine, feff_input, parse_xmu, run_feff
from cumor.normalise import find_e0, normalise_spectrum
from cumor.references import build_cu2o

XMU_HEADER = """\
# Cu2O                                                         FEFF 10.0.0
#  xsedge+ 50, used to normalize mu           2.4424E-04
#  -----------------------------------------------------------------------
#  omega    e    k    mu    mu0     chi     @#
"""


def zeolite_like_cluster():
    """Cu absorber with O, Al, Si and another Cu, deliberately unsorted."""
    return Atoms(
        "CuSiOCuAlO",
        positions=[(1, 1, 1), (4, 1, 1), (1, 3, 1), (1, 1, 5), (1, -2, 1), (-1, 1, 1)],
    )


def cards(text):
    """First word of every non-comment line."""
    return [line.split()[0] for line in text.splitlines() if line.strip() and line[0] != "*"]


def atom_lines(text):
    lines = text.splitlines()
    start = lines.index("ATOMS") + 1
    return [line.split() for line in lines[start:] if line.strip() and line[0] != "*"][:-1]


# ------------------------------------------------------------------ writer


def test_feff_input_has_xanes_cards_in_order():
    text = feff_input(cluster_around(build_cu2o(), 0, 4.0), {}, title="cuprite test")
    found = cards(text)
    for card in ("TITLE", "EDGE", "S02", "CONTROL", "PRINT", "EXCHANGE", "COREHOLE",
                 "FMS", "XANES", "EGRID", "POTENTIALS", "ATOMS", "END"):
        assert found.count(card) == 1, card
    assert "SCF" not in found  # SCF is off by default
    assert found.index("POTENTIALS") < found.index("ATOMS") < found.index("END")
    assert "EDGE K" in text and "COREHOLE RPA" in text and "EXCHANGE 0 0 0" in text
    assert "TITLE cuprite test" in text
    assert "CONTROL 1 1 1 1 1 1" in text
    # Default FMS sphere = cluster radius (+ rounding margin).
    assert f"FMS {DEFAULT_SETTINGS['cluster_radius'] + 0.01:g}" in text
    assert "e_grid -40 -10 3" in text and "k_grid last 5.7 0.06" in text
    assert text.endswith("END\n")


def test_feff_input_one_potential_per_element_absorber_zero():
    text = feff_input(zeolite_like_cluster(), {})
    lines = text.splitlines()
    pots = lines[lines.index("POTENTIALS") + 1 : lines.index("ATOMS")]
    pots = [p.split() for p in pots if p.strip() and not p.startswith("*")]
    # Absorber first, then scatterers ordered by Z: O, Al, Si, Cu.
    assert pots == [["0", "29", "Cu"], ["1", "8", "O"], ["2", "13", "Al"],
                    ["3", "14", "Si"], ["4", "29", "Cu"]]
    atoms = atom_lines(text)
    assert len(atoms) == 6
    ipot_of = {"O": "1", "Al": "2", "Si": "3", "Cu": "4"}
    assert atoms[0][3] == "0"
    assert [a[3] for a in atoms].count("0") == 1
    for x, y, z, ipot, tag, dist in atoms[1:]:
        assert ipot == ipot_of[tag]
        assert float(dist) == pytest.approx(np.linalg.norm([float(x), float(y), float(z)]))


def test_feff_input_puts_absorber_at_origin():
    text = feff_input(zeolite_like_cluster(), {})  # absorber at (1, 1, 1) on input
    x, y, z, ipot, tag, dist = atom_lines(text)[0]
    assert (float(x), float(y), float(z), ipot, tag) == (0.0, 0.0, 0.0, "0", "Cu")
    assert [float(v) for v in atom_lines(text)[1][:3]] == [3.0, 0.0, 0.0]


def test_feff_input_lone_absorber_gets_no_extra_cu_potential():
    text = feff_input(Atoms("CuO2", positions=[(0, 0, 0), (1.85, 0, 0), (-1.85, 0, 0)]), {})
    lines = text.splitlines()
    pots = [p for p in lines[lines.index("POTENTIALS") + 1 : lines.index("ATOMS")]
            if p.strip() and not p.startswith("*")]
    assert [p.split()[2] for p in pots] == ["Cu", "O"]


def test_feff_input_settings_switch_cards():
    cluster = zeolite_like_cluster()
    text = feff_input(cluster, {"scf_radius": 4.0, "core_hole": "fsr", "exchange": "DH",
                                "fms_radius": 5.5, "s02": 0.9, "vi0": 0.5})
    assert "\nSCF 4 0 30 0.05\n" in text  # cluster SCF, 30 iterations, mixing 0.05
    assert "SCF 3.5 0 12 0.1\n" in feff_input(
        cluster, {"scf_radius": 3.5, "scf_iterations": 12, "scf_mixing": 0.1})
    assert "\nSCF" not in feff_input(cluster, {})  # no SCF by default
    assert "COREHOLE FSR" in text
    assert "EXCHANGE 1 0 0.5" in text
    assert "FMS 5.5" in text and "S02 0.9" in text
    assert "COREHOLE NONE" in feff_input(cluster, {"core_hole": "none"})


@pytest.mark.parametrize(
    "bad",
    [
        {"core_hole": "bogus"},
        {"exchange": "PBE"},
        {"cluster_radius": -1.0},
        {"scf_radius": 0.0},
        {"scf_mixing": 0.0},
        {"scf_mixing": 1.5},
        {"scf_iterations": 0},
        {"scf_iterations": 2.5},
        {"xanes_kmax": 2.0},
        {"egrid_fine_start": -50.0},
        {"clusterradius": 6.0},
    ],
)
def test_invalid_settings_raise(bad):
    with pytest.raises(ValueError):
        FeffEngine(bad)


def test_feff10_parses_and_validates_written_input():
    cluster = cluster_around(build_cu2o(), 0, 4.0)
    text = feff_input(cluster, {}, title="Cu2O")
    parsed = feff10.FeffInput.parse_strict(text)
    assert parsed.edge == "K"
    assert parsed.num_atoms == len(cluster)
    assert [(p.ipot, p.z) for p in parsed.potentials] == [(0, 29), (1, 8), (2, 29)]
    feff10.validate(text)  # raises FeffConfigError if FEFF would reject it
    feff10.validate(feff_input(cluster, {"scf_radius": 3.0}, title="Cu2O SCF"))


# ------------------------------------------------------------------ parser


def test_parse_xmu_uses_omega_and_mu_columns(tmp_path):
    path = tmp_path / "xmu.dat"
    rows = "8981.0 -4.3 -1.2 0.047 0.046 0.001\n8982.0 -3.3 -1.1 0.055 0.054 0.0007\n"
    path.write_text(XMU_HEADER + rows)
    energy, mu = parse_xmu(path)
    assert energy.tolist() == [8981.0, 8982.0]
    assert mu.tolist() == [0.047, 0.055]


@pytest.mark.parametrize(
    "content, message",
    [
        ("# no header\n1 2 3 4 5 6\n", "column header"),
        (XMU_HEADER, "no data"),
        (XMU_HEADER + "8981.0 -4.3 -1.2 NaN 0.046 0.001\n", "non-finite"),
    ],
)
def test_parse_xmu_rejects_bad_files(tmp_path, content, message):
    path = tmp_path / "xmu.dat"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        parse_xmu(path)


# ------------------------------------------------------------- error paths


def test_compute_without_output_raises_engine_error(tmp_path, monkeypatch):
    monkeypatch.setattr(feff_mod, "run_feff", lambda workdir, timeout: {})
    (tmp_path / "xmu.dat").write_text(XMU_HEADER + "1 2 3 4 5 6\n")  # stale result
    with pytest.raises(EngineError, match="no xmu.dat") as info:
        FeffEngine({}).compute(build_cu2o(), 0, tmp_path)
    assert str(tmp_path) in str(info.value) and "feff.log" in str(info.value)
    assert (tmp_path / "feff.inp").exists()


def test_compute_with_corrupt_output_raises_engine_error(tmp_path, monkeypatch):
    def fake_run(workdir, timeout):
        (workdir / "xmu.dat").write_text(XMU_HEADER + "8981 0 0 nan 0 0\n")
        return {}

    monkeypatch.setattr(feff_mod, "run_feff", fake_run)
    with pytest.raises(EngineError, match="non-finite") as info:
        FeffEngine({}).compute(build_cu2o(), 0, tmp_path / "new" / "dir")
    assert str(tmp_path / "new" / "dir") in str(info.value)


def test_run_feff_failure_reports_log(tmp_path):
    # Real feff10 call in a child process; FEFF rejects this input at once.
    (tmp_path / "feff.inp").write_text("EDGE K\nPOTENTIALS\n 1 8 O\nATOMS\n 0 0 0 1 O\nEND\n")
    with pytest.raises(EngineError, match="absorber") as info:
        run_feff(tmp_path, timeout=120)
    assert str(tmp_path / "feff.log") in str(info.value)
    assert "FeffConfigError" in (tmp_path / "feff.log").read_text()


def test_run_feff_timeout_kills_and_reports(tmp_path, monkeypatch):
    monkeypatch.setattr(feff_mod, "_RUNNER", "import time\ntime.sleep(60)\n")
    with pytest.raises(EngineError, match="timed out") as info:
        run_feff(tmp_path, timeout=0.5)
    assert str(tmp_path) in str(info.value)


# ---------------------------------------------------------------- real run


@pytest.mark.slow
def test_real_feff_run_on_cuprite(tmp_path):
    """Cu2O, 5 A cluster (33 atoms): ~15 s on one core."""
    engine = get_engine("feff", {"cluster_radius": 5.0})
    spectrum = engine.compute(build_cu2o(), 0, tmp_path)

    assert spectrum.meta["n_atoms"] == 33
    assert spectrum.absorber == 0 and spectrum.seconds > 0
    assert len(spectrum.energy) > 100
    assert np.all(np.isfinite(spectrum.energy)) and np.all(np.isfinite(spectrum.mu))
    assert np.all(np.diff(spectrum.energy) > 0)

    e0 = find_e0(spectrum.energy, spectrum.mu)
    # FEFF's absolute scale sits some eV above experiment (Cu foil 8979 eV);
    # this run gives ~8991 eV.
    assert abs(e0 - 8979.0) < 20.0
    # The grid covers the workflow's E0-30 .. E0+100 eV window.
    assert spectrum.energy[0] < e0 - 30 and spectrum.energy[-1] > e0 + 100
    norm = normalise_spectrum(spectrum.energy, spectrum.mu, e0)
    below = norm[spectrum.energy < e0 - 15]
    above = norm[(spectrum.energy > e0 + 10) & (spectrum.energy < e0 + 100)]
    assert np.abs(below).max() < 0.1  # flat pre-edge
    assert above.mean() == pytest.approx(1.0, abs=0.25)  # rising edge, step ~1
    assert (tmp_path / "feff.log").exists() and (tmp_path / "feff.inp").exists()
