"""Tests of cumor.measured and the `cumor classify` command.

There is no measured Cu-MOR spectrum in the repository (the measured Cu
references shipped with the package, ``cumor/data/measured``, are Cu foil and Cu
compounds; their readers are tested in test_measured_readers.py). The test input
``data/measured/feff_5.12_1Cu_p000.dat`` is a *simulated* FEFF10 spectrum of a
test-config structure written as a user would give a measurement (absolute
energy, mu); ``..._dataset.json`` is the same structure's data-set spectrum. The
classifiers used here are tiny ensembles trained on synthetic data: the tests
check the pipeline (reading, normalisation, bookkeeping, robustness check,
outputs), never a predicted class.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cumor import cli
from cumor.ensemble import member_seeds, save_ensemble, train_ensemble
from cumor.measured import (classify_spectrum, read_measured_spectrum, spectrum_features,
                            write_classification)
from cumor.measured_readers import measured_reference_path

DATA = Path(__file__).parent / "data" / "measured"
SPECTRUM = DATA / "feff_5.12_1Cu_p000.dat"
DATASET_ROW = json.loads((DATA / "feff_5.12_1Cu_p000_dataset.json").read_text())
GRID = np.asarray(DATASET_ROW["energy"])
CLASSES = ["12", "8", "8.12", "8.8", "6.12", "5.12"]


@pytest.fixture(scope="module")
def raw():
    return read_measured_spectrum(SPECTRUM)


@pytest.fixture(scope="module")
def ensemble():
    """2 MLPs on synthetic spectra on the data set's grid, plus the real data-set row."""
    rng = np.random.default_rng(0)
    base = np.asarray(DATASET_ROW["mu"])
    X, y, ids = [base], ["5.12"], ["5.12_1Cu/p000"]
    for k, cls in enumerate(CLASSES):
        for i in range(10):
            bump = 0.3 * np.exp(-0.5 * ((GRID - 8.0 * k) / 4.0) ** 2)
            X.append(base + bump + 0.02 * rng.standard_normal(GRID.size))
            y.append(cls)
            ids.append(f"synthetic/{cls}/{i}")
    return train_ensemble(np.array(X), np.array(y), CLASSES, member_seeds(0, 2),
                          energy_grid=GRID, library_ids=np.array(ids),
                          ml={"epochs": 40, "hidden": 16, "lr": 0.01, "dropout": 0.25,
                              "batch_size": None, "log_every": 40, "standardize": True})


# --------------------------------------------------------------------------- #
# reading
# --------------------------------------------------------------------------- #
def test_read_two_column_file_with_comments_and_header(raw):
    energy, mu = raw
    assert len(energy) == 133 and energy[0] == pytest.approx(8947.0751, abs=1e-4)
    assert np.all(np.diff(energy) > 0)


def test_read_csv_semicolons_extra_columns_and_reversed(tmp_path, raw):
    energy, mu = raw
    csv = tmp_path / "s.csv"
    csv.write_text("! exported\nE,mu,I0\n" + "\n".join(
        f"{e},{m},1.0" for e, m in zip(energy[::-1], mu[::-1])) + "\n")
    e2, m2 = read_measured_spectrum(csv)
    np.testing.assert_array_equal(e2, energy)
    np.testing.assert_array_equal(m2, mu)
    semi = tmp_path / "s.txt"
    semi.write_text("% x\n" + "\n".join(f"{e};{m}" for e, m in zip(energy, mu)))
    np.testing.assert_array_equal(read_measured_spectrum(semi)[1], mu)


def _write(tmp_path, text, name="bad.dat"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, message", [
    ("", "empty file"),
    ("   \n\n", "empty file"),
    ("# only a comment\nenergy mu\nfoo bar\n", "no numeric data"),
    ("\n".join(str(8950 + i) for i in range(20)), "only one column"),
    ("\n".join(f"{8950 + i} {i}" for i in range(5)), "only 5 data points"),
    ("\n".join(f"{8950 + i} {i}" for i in range(12)) + "\n8000 1\n", "not monotonic"),
    ("\n".join(f"{8950 + i // 2} {i}" for i in range(12)), "not monotonic"),
    ("\n".join(f"{8950 + i} {i}" for i in range(12)) + "\nend of data\n", "non-numeric"),
    ("\n".join(f"{8950 + i} {i}" for i in range(12)) + "\n8963 1 2\n", "3 columns"),
    ("\n".join(f"{8950 + i} nan" for i in range(12)), "non-finite"),
    ("\n".join(f"{8.95 + 0.01 * i} {i}" for i in range(30)), "keV"),
])
def test_reader_errors_name_file_and_problem(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=message) as err:
        read_measured_spectrum(path)
    assert str(path) in str(err.value)


def test_read_xdi_and_expression_through_the_wrapper():
    energy, mu = read_measured_spectrum(measured_reference_path("CuO"))
    assert energy.size == 398 and np.all(np.diff(energy) > 0)
    _, mu2 = read_measured_spectrum(measured_reference_path("CuO"), mu="ln(i0) - ln(itrans)")
    np.testing.assert_allclose(mu2, mu, atol=1e-12)


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_measured_spectrum(tmp_path / "nope.dat")


# --------------------------------------------------------------------------- #
# normalisation
# --------------------------------------------------------------------------- #
def test_features_equal_the_data_set_normalisation(raw):
    """Same steps as the simulated spectra: the data-set row is reproduced exactly."""
    features, e0 = spectrum_features(*raw, GRID)
    assert e0 == pytest.approx(DATASET_ROW["e0"][0], abs=1e-9)
    np.testing.assert_allclose(features, DATASET_ROW["mu"], atol=1e-12)


def test_absolute_shift_cancels_and_offset_moves_along_relative_axis(raw):
    energy, mu = raw
    f0, e0 = spectrum_features(energy, mu, GRID)
    f_abs, e0_abs = spectrum_features(energy + 7.3, mu, GRID)  # calibration shift
    assert e0_abs == pytest.approx(e0 + 7.3, abs=1e-6)
    np.testing.assert_allclose(f_abs, f0, atol=1e-9)
    # an offset of +d places the feature measured at E0 + e at e + d
    f_off, _ = spectrum_features(energy, mu, GRID, energy_offset=2.0)
    from cumor.normalise import normalise_spectrum
    norm = normalise_spectrum(energy, mu, e0)
    np.testing.assert_allclose(f_off, np.interp(e0 + GRID - 2.0, energy, norm), atol=1e-12)


@pytest.mark.parametrize("window, message", [
    ((8985.0, 9200.0), "misses the edge"),   # starts above the edge
    ((8900.0, 8975.0), "misses the edge"),   # ends before the edge
    ((8947.0, 9030.0), "misses the edge"),   # edge inside, grid end (E0+60) not covered
])
def test_range_missing_the_edge(tmp_path, raw, window, message):
    energy, mu = raw
    keep = (energy >= window[0]) & (energy <= window[1])
    path = _write(tmp_path, "\n".join(f"{e} {m}" for e, m in zip(energy[keep], mu[keep])))
    e, m = read_measured_spectrum(path)
    with pytest.raises(ValueError, match=message) as err:
        spectrum_features(e, m, GRID, source=str(path))
    assert str(path) in str(err.value)


def test_no_edge_at_all(tmp_path):
    e = np.linspace(8900, 9100, 200)
    with pytest.raises(ValueError, match="bad.dat"):
        spectrum_features(e, np.full(e.size, 1.0), GRID, source=str(tmp_path / "bad.dat"))


# --------------------------------------------------------------------------- #
# classification
# --------------------------------------------------------------------------- #
def test_classify_spectrum(ensemble, tmp_path):
    res = classify_spectrum(SPECTRUM, ensemble, energy_offset=0.0, shift_check=1.0,
                            n_nearest=3)
    assert set(res["probability"]) == set(res["spread"]) == set(CLASSES)
    assert sum(res["probability"].values()) == pytest.approx(1.0, abs=1e-6)
    assert all(s >= 0 for s in res["spread"].values())
    assert res["predicted"] == max(res["probability"], key=res["probability"].get)
    assert res["shift_check"]["shifts"] == [0.0, -1.0, 1.0]
    flips = {r["predicted"] for r in res["shift_check"]["results"]} != {res["predicted"]}
    assert res["shift_check"]["flips"] == flips
    assert any("shifted" in w for w in res["warnings"]) == flips
    # the nearest training spectrum is the data-set row of the same structure
    assert res["nearest"][0]["id"] == "5.12_1Cu/p000"
    assert res["nearest"][0]["distance"] < 1e-6
    write_classification(res, tmp_path / "r.json", tmp_path / "r.png", ensemble=ensemble)
    back = json.loads((tmp_path / "r.json").read_text())
    assert back["predicted"] == res["predicted"]
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"


class _EdgeStub:
    """Classifier stub: class A when normalised mu at +1 eV exceeds a threshold.

    On the rising edge that value falls when the spectrum is shifted to higher
    relative energy, so a threshold just below the unshifted value makes the
    prediction flip at +1 eV: a controlled test of the robustness check.
    """

    classes = ["A", "B"]
    size = 1
    library_X = None

    def __init__(self, threshold):
        self.energy_grid = GRID
        self.i = int(np.argmin(np.abs(GRID - 1.0)))
        self.threshold = threshold

    def member_proba(self, x):
        x = np.atleast_2d(x)
        p = 1.0 / (1.0 + np.exp(-200.0 * (x[:, self.i] - self.threshold)))
        return np.stack([np.c_[p, 1 - p]])

    def predict_proba(self, x):
        p = self.member_proba(x)
        return p.mean(0), p.std(0)


def test_flip_is_detected_and_warned(raw):
    f0, _ = spectrum_features(*raw, GRID)
    stub = _EdgeStub(threshold=f0[_EdgeStub(0).i] - 0.02)
    res = classify_spectrum(SPECTRUM, stub, shift_check=1.0)
    assert res["predicted"] == "A"
    by_shift = {r["shift"]: r["predicted"] for r in res["shift_check"]["results"]}
    assert by_shift == {0.0: "A", -1.0: "A", 1.0: "B"}
    assert res["shift_check"]["flips"]
    assert any("changes from A to B" in w for w in res["warnings"])
    stable = classify_spectrum(SPECTRUM, _EdgeStub(threshold=-5.0), shift_check=1.0)
    assert not stable["shift_check"]["flips"] and stable["warnings"] == []


@pytest.mark.parametrize("name", ["Cu_foil", "CuO", "Cu2S", "CuS", "azurite"])
def test_classify_measured_references(ensemble, name):
    """Every shipped measured reference goes through classification without conversion."""
    res = classify_spectrum(measured_reference_path(name), ensemble, n_nearest=1)
    assert res["format"] == "xdi" and res["mu_source"] == "ln(i0/itrans)"
    assert 8960 <= res["e0"] <= 9010 and res["edge_step"] > 0.3
    assert sum(res["probability"].values()) == pytest.approx(1.0, abs=1e-6)


def test_edge_that_is_not_cu_k(tmp_path, ensemble, raw):
    """The Cu spectrum moved to 600 eV lower (a Ni K edge's place) is refused as not Cu K."""
    energy, mu = raw
    path = _write(tmp_path, "\n".join(f"{e - 600.0} {m}" for e, m in zip(energy, mu)))
    with pytest.raises(ValueError, match=r"E0 = 83\d\d\.\d eV is not a Cu K edge") as err:
        classify_spectrum(path, ensemble)
    assert str(path) in str(err.value)
    res = classify_spectrum(path, ensemble, edge_check=False)  # relative/shifted scale
    assert res["e0"] == pytest.approx(classify_spectrum(SPECTRUM, ensemble)["e0"] - 600.0)


def test_xdi_range_that_misses_the_grid(tmp_path, ensemble):
    """An XDI file cut at E0 + 15 eV does not cover the classifier grid (to E0 + 60)."""
    src = measured_reference_path("Cu_foil").read_text().splitlines()
    keep = [ln for ln in src if ln.startswith("#") or float(ln.split()[0]) < 8995.0]
    path = _write(tmp_path, "\n".join(keep) + "\n", name="cut.xdi")
    with pytest.raises(ValueError, match=r"cut.xdi: energy range 8879.0\.\.899\d\.\d eV "
                                         r"misses the edge or does not cover E0-15\.\.E0\+60"):
        classify_spectrum(path, ensemble)


# --------------------------------------------------------------------------- #
# command line
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def model_dir(ensemble, tmp_path_factory):
    d = tmp_path_factory.mktemp("model")
    save_ensemble(ensemble, d / cli.ENSEMBLE_FILE)
    return d


def test_cli_classify(model_dir, tmp_path, capsys):
    rc = cli.main(["classify", str(SPECTRUM), "--model-dir", str(model_dir),
                   "--energy-offset", "0.5", "--out-dir", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "probability" in out and "spread" in out and "shift" in out
    res = json.loads((tmp_path / "feff_5.12_1Cu_p000.classification.json").read_text())
    assert res["energy_offset"] == 0.5 and res["model_file"].endswith("ensemble.pt")
    assert (tmp_path / "feff_5.12_1Cu_p000.classification.png").stat().st_size > 0


def test_cli_errors(model_dir, tmp_path, capsys):
    bad = _write(tmp_path, "energy mu\n")
    assert cli.main(["classify", str(bad), "--model-dir", str(model_dir),
                     "--out-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "no numeric data" in err
    assert not list(tmp_path.glob("*.classification.*"))  # no partial output
    assert cli.main(["classify", str(SPECTRUM), "--model-dir", str(tmp_path / "none")]) == 2
    assert "no ensemble found" in capsys.readouterr().err


def test_cli_reads_xdi_with_mu_expression(model_dir, tmp_path, capsys):
    cuo = measured_reference_path("CuO")
    rc = cli.main(["classify", str(cuo), "--model-dir", str(model_dir), "--out-dir",
                   str(tmp_path), "--mu", "ln(i0/itrans)", "--nearest", "1"])
    assert rc == 0
    assert "xdi file, mu = ln(i0/itrans)" in capsys.readouterr().out
    res = json.loads((tmp_path / "CuO_tenorite_13K_01.classification.json").read_text())
    assert res["mu_source"] == "ln(i0/itrans)"


def test_cli_mu_and_edge_errors(model_dir, tmp_path, capsys, raw):
    cuo = measured_reference_path("CuO")
    assert cli.main(["classify", str(cuo), "--model-dir", str(model_dir), "--out-dir",
                     str(tmp_path), "--mu", "ln(i0/it)"]) == 2
    err = capsys.readouterr().err
    assert str(cuo) in err and "unknown column it " in err and "itrans" in err
    assert cli.main(["classify", str(cuo), "--model-dir", str(model_dir), "--out-dir",
                     str(tmp_path), "--mu", "__import__('os')"]) == 2
    assert "not allowed" in capsys.readouterr().err
    energy, mu = raw
    low = _write(tmp_path, "\n".join(f"{e - 600.0} {m}" for e, m in zip(energy, mu)),
                 name="low.dat")
    args = ["classify", str(low), "--model-dir", str(model_dir), "--out-dir", str(tmp_path),
            "--shift-check", "0"]
    assert cli.main(args) == 2
    assert "is not a Cu K edge" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.classification.*"))
    assert cli.main(args + ["--skip-edge-check"]) == 0


def test_console_script_entry_point():
    run = subprocess.run([sys.executable, "-c", "import sys; from cumor.cli import main; "
                          "sys.exit(main())", "classify", "--help"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "--energy-offset" in run.stdout
