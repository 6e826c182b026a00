"""Tests of cumor.measured_readers: XDI, text/CSV, Athena readers, mu expressions, errors.

Real data: the five XDI files shipped in ``cumor/data/measured`` (XAS Data Library,
public domain; PROVENANCE.md there). ``data/measured/larch_pre_edge.json`` holds
xraylarch's ``pre_edge`` E0 and edge step of each (defaults, mu = ln(i0/itrans)), and
the two ``.prj`` files are Athena projects written by xraylarch from the XDI files;
``data/measured/make_larch_fixtures.py`` made all three (xraylarch in its own venv).
xraylarch is not needed here except for reading the .prj files (skipped without it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from cumor.measured_readers import (CU_K_E0_RANGE, HC_EV_ANGSTROM, MEASURED_REFERENCES,
                                    MuExpression, check_cu_k_edge, measured_reference_path,
                                    read_spectrum)
from cumor.normalise import edge_energy, find_e0, normalise_spectrum

DATA = Path(__file__).parent / "data" / "measured"
LARCH = json.loads((DATA / "larch_pre_edge.json").read_text())
FILES = sorted(LARCH["files"])
CUO = measured_reference_path("CuO")
FOIL = measured_reference_path("Cu_foil")


def _edge_step(energy, mu, e0, **windows):
    """Edge step of cumor.normalise.normalise_spectrum (same as cumor.measured.edge_step)."""
    norm = normalise_spectrum(energy, mu, e0, **windows)
    coef = np.linalg.lstsq(np.c_[np.ones_like(energy), energy - e0, norm], mu, rcond=None)[0]
    return float(coef[2])


def _xdi_columns(path):
    """Raw columns of an XDI file by its labels, read independently of cumor."""
    labels = {}
    for line in Path(path).read_text().splitlines():
        if line.startswith("# Column."):
            n, name = line[len("# Column."):].split(":", 1)
            labels[name.split()[0]] = int(n) - 1
    data = np.loadtxt(path)
    return {name: data[:, i] for name, i in labels.items()}


# --------------------------------------------------------------------------- #
# the packaged references, against independent reading and larch
# --------------------------------------------------------------------------- #
def test_references_are_packaged_with_provenance():
    assert sorted(MEASURED_REFERENCES.values()) == FILES
    for name in MEASURED_REFERENCES:
        assert measured_reference_path(name).is_file()
    prov = (FOIL.parent / "PROVENANCE.md").read_text()
    assert "public domain" in prov and "8aba6186" in prov
    assert all(f in prov for f in FILES)
    with pytest.raises(ValueError, match="no measured reference 'Ni'"):
        measured_reference_path("Ni")


@pytest.mark.parametrize("name", FILES)
def test_xdi_reference_read_by_labels(name):
    path = FOIL.parent / name
    spec = read_spectrum(path)
    cols = _xdi_columns(path)
    assert spec.format == "xdi" and spec.mu_source == "ln(i0/itrans)"
    assert spec.energy_source == "energy"
    np.testing.assert_array_equal(spec.energy, cols["energy"])
    np.testing.assert_allclose(spec.mu, np.log(cols["i0"] / cols["itrans"]), rtol=1e-12)
    ref = LARCH["files"][name]
    assert spec.energy.size == ref["n_points"]
    assert [spec.energy[0], spec.energy[-1]] == pytest.approx(ref["energy_range"])
    assert spec.header["Element.symbol"].strip() == "Cu"
    assert spec.header["Element.edge"].strip() == "K"
    assert spec.header["Mono.d_spacing"].strip() in ("1.92009", "3.13477")


def test_column_order_is_taken_from_the_labels():
    """Cu foil has itrans before i0, CuO i0 before itrans: both give a rising edge."""
    for path in (FOIL, CUO):
        spec = read_spectrum(path)
        e0 = find_e0(spec.energy, spec.mu)
        assert _edge_step(spec.energy, spec.mu, e0) > 0.5
        assert read_spectrum(path, mu="ln(i0/itrans)").mu == pytest.approx(spec.mu)
    foil = read_spectrum(FOIL, mu="ln(col3/col2)")  # positions, 1-based
    np.testing.assert_allclose(foil.mu, read_spectrum(FOIL).mu)


# The difference of cumor's derivative-maximum E0 (cumor.normalise.find_e0: inside the
# rising edge, 0.5 eV smoothing, parabolic refinement within half a step) to larch's
# pre_edge E0 (also a derivative maximum), with the reason, for every file. Since issue
# 12 spectra are aligned on edge_energy (0.3 of the edge step) instead, see
# EDGE_ENERGY below; find_e0 is its starting point.
E0_DIFFERENCE = {
    "Cu_Foil_rt_2016Foils.xdi": (
        0.5, "same derivative maximum (the foil's first inflection point); cumor's "
             "parabolic refinement vs larch's point on the 0.1 eV grid"),
    "Cu2S_13K_01.xdi": (
        0.5, "same derivative maximum; smoothing and refinement differ"),
    "Cu_azurite_13K_01.xdi": (
        0.5, "two nearly equal derivative maxima (shoulder 8985.5, main edge 8991.5 eV); "
             "both take the main edge, 0.2 eV from smoothing"),
    "CuS_covellite_13K_01.xdi": (
        0.5, "flat-topped derivative 8982-8985 eV; both find 8983.0 eV since the rising-"
             "edge window's 10 % level is measured from the foot of the edge (before issue "
             "12: from the first point, above the falling pre-edge, so the window started "
             "at 8984.8 and E0 was 8984.2)"),
    "CuO_tenorite_13K_01.xdi": (
        8.0, "two derivative maxima of similar height: the 1s-4p shoulder at 8983.8 eV, "
             "whose smoothed derivative exceeds the main edge's, is cumor's; larch takes "
             "the main edge 8990.3 eV. This jump between features is why spectra are "
             "aligned on edge_energy"),
}


@pytest.mark.parametrize("name", FILES)
def test_e0_difference_to_larch_is_listed(name, capsys, request):
    spec = read_spectrum(FOIL.parent / name)
    e0 = find_e0(spec.energy, spec.mu)
    larch_e0 = LARCH["files"][name]["e0"]
    assert CU_K_E0_RANGE[0] <= e0 <= CU_K_E0_RANGE[1]
    bound, reason = E0_DIFFERENCE[name]
    if request.config.getoption("verbose") > 0:  # the listing, with pytest -v
        with capsys.disabled():
            print(f"\n{name}: E0 cumor {e0:.2f} eV, larch {larch_e0:.2f} eV, "
                  f"difference {e0 - larch_e0:+.2f} eV ({reason})")
    assert abs(e0 - larch_e0) <= bound, reason


# E0 of the alignment (cumor.normalise.edge_energy: first crossing of 0.3 of the edge
# step, windows E0-40..-15 / +20..+90 eV): on the steep first rise of every file.
EDGE_ENERGY = {
    "Cu_Foil_rt_2016Foils.xdi": 8980.09,  # the foil's 0.5 plateau (8981-8985) is above
    "Cu2S_13K_01.xdi": 8980.11,
    "CuO_tenorite_13K_01.xdi": 8984.09,  # below the 1s-4p shoulder's 0.49-0.51 plateau
    "CuS_covellite_13K_01.xdi": 8982.11,
    "Cu_azurite_13K_01.xdi": 8984.99,
}


@pytest.mark.parametrize("name", FILES)
def test_edge_energy_of_the_references(name):
    spec = read_spectrum(FOIL.parent / name)
    assert edge_energy(spec.energy, spec.mu) == pytest.approx(EDGE_ENERGY[name], abs=0.02)


# Edge step with cumor's normalisation (E0 = edge_energy, pre-edge line over E0-40..-15
# eV, post-edge line over E0+20..+90 eV, interval-weighted) vs larch's defaults
# (pre-edge line over about E0-220..-110, post-edge *quadratic* over E0+25..the end,
# ~E0+650 eV, at larch's E0).
_WINDOW_REASON = (
    "cumor's post-edge line over E0+20..+90 eV (short enough for a measurement that "
    "ends ~100 eV above the edge, and inside FEFF's range) lies under the XANES "
    "oscillations; larch's quadratic over E0+25 eV..the end of a 650 eV scan follows "
    "the smooth atomic background: cumor's step is 4.5-10.2 % smaller on these five "
    "files (test_edge_step_within_12_percent_of_larch). With larch's E0 and windows "
    "cumor reproduces larch's step within 0.5 % (test_edge_step_with_larch_windows), so "
    "the reading is right. Theory and experiment share cumor's windows, so the ratio "
    "cancels in their comparison.")
EDGE_STEP_XFAIL = set(FILES)


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=_WINDOW_REASON))
    if n in EDGE_STEP_XFAIL else n for n in FILES])
def test_edge_step_within_3_percent_of_larch(name):
    spec = read_spectrum(FOIL.parent / name)
    ours = _edge_step(spec.energy, spec.mu, edge_energy(spec.energy, spec.mu))
    assert ours == pytest.approx(LARCH["files"][name]["edge_step"], rel=0.03)


@pytest.mark.parametrize("name", FILES)
def test_edge_step_within_12_percent_of_larch(name):
    spec = read_spectrum(FOIL.parent / name)
    ours = _edge_step(spec.energy, spec.mu, edge_energy(spec.energy, spec.mu))
    ratio = ours / LARCH["files"][name]["edge_step"]
    assert 0.88 <= ratio <= 0.97, _WINDOW_REASON


@pytest.mark.parametrize("name", FILES)
def test_edge_step_with_larch_windows(name):
    """Same mu, same E0 and windows as larch: the same edge step (reading is right)."""
    ref = LARCH["files"][name]
    spec = read_spectrum(FOIL.parent / name)
    ours = _edge_step(spec.energy, spec.mu, ref["e0"], pre=(ref["pre1"], ref["pre2"]),
                      post=(ref["norm1"], ref["norm2"]), post_order=ref["nnorm"],
                      weighted=False)  # larch fits every point alike
    assert ours == pytest.approx(ref["edge_step"], rel=0.005)


def test_edge_step_helper_matches():
    from cumor.measured import edge_step

    spec = read_spectrum(CUO)
    e0 = find_e0(spec.energy, spec.mu)
    assert edge_step(spec.energy, spec.mu, e0) == pytest.approx(
        _edge_step(spec.energy, spec.mu, e0), rel=1e-12)
    # a known step: mu = 0.1 + 1e-5 E + 2.5 * (edge)
    e = np.linspace(8800, 9300, 500)
    mu = 0.1 + 1e-5 * (e - 8800) + 2.5 / (1 + np.exp(-(e - 8980) / 1.5))
    assert edge_step(e, mu, 8980.0) == pytest.approx(2.5, rel=1e-3)


# --------------------------------------------------------------------------- #
# mu expressions
# --------------------------------------------------------------------------- #
def test_expressions_over_columns():
    cols = {"i0": np.array([4.0, 9.0]), "itrans": np.array([1.0, 3.0])}
    for text, want in [("ln(i0/itrans)", np.log([4.0, 3.0])),
                       ("log(i0) - LN(itrans)", np.log([4.0, 3.0])),
                       ("-log(itrans/i0)", np.log([4.0, 3.0])),
                       ("sqrt(I0) * 2 + -1", [3.0, 5.0]),
                       ("exp(0) * (i0 + itrans) / 5", [1.0, 2.4]),
                       ("log10(i0 * 25) + abs(-itrans)", [3.0, np.log10(225) + 3])]:
        np.testing.assert_allclose(MuExpression(text).evaluate(cols), want, err_msg=text)
    assert MuExpression(" ln(i0/itrans) ").names == ["i0", "itrans"]


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "open('x')", "i0.real", "i0[0]", "i0 ** 2",
    "lambda: 1", "i0 if i0 else itrans", "'i0'", "True", "[i0]", "i0 < itrans",
    "ln(i0, 2)", "ln(x=i0)", "np.log(i0)", "(i0 := 1)", "f'{i0}'", "ln(i0/",
    "", "i0; itrans",
])
def test_unsafe_or_malformed_expressions_are_refused(text):
    with pytest.raises(ValueError, match="mu expression"):
        MuExpression(text)


def test_unknown_column_in_mu_names_file_and_columns():
    with pytest.raises(ValueError, match=r"unknown column itrns \(columns: energy, i0, "
                                         r"itrans, irefer") as err:
        read_spectrum(CUO, mu="ln(i0/itrns)")
    assert str(CUO) in str(err.value)
    with pytest.raises(ValueError, match="unknown columns a, b"):
        read_spectrum(CUO, mu="a/b")


def test_non_finite_mu_names_the_point(tmp_path):
    lines = ["# energy i0 itrans"] + [f"{8900 + i} {1.0 if i != 7 else 0.0} 2.0"
                                      for i in range(20)]
    path = tmp_path / "zero.dat"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"line 9: non-finite mu .* data point index 7: "
                                         r"mu = ln\(i0/itrans\) with i0 = 0, itrans = 2"):
        read_spectrum(path)


# --------------------------------------------------------------------------- #
# XDI: made-up layouts
# --------------------------------------------------------------------------- #
def _xdi(tmp_path, labels, columns, header="", name="s.xdi"):
    """An XDI file with the given Column labels and column arrays."""
    lines = ["# XDI/1.0 test/1.0"]
    lines += [f"# Column.{i + 1}: {lab}" for i, lab in enumerate(labels)]
    lines += [f"# {h}" for h in header.splitlines() if h]
    lines += ["# ///", "# made up", "#----", "# " + " ".join(l.split()[0] for l in labels)]
    lines += [" ".join(f"{v:.8g}" for v in row) for row in np.column_stack(columns)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def cuo():
    cols = _xdi_columns(CUO)
    return cols["energy"], cols["i0"], cols["itrans"]


def test_xdi_fluorescence_and_mu_columns(tmp_path, cuo):
    e, i0, it = cuo
    fl = 1e3 * np.log(i0 / it)  # stand-in fluorescence signal
    p = _xdi(tmp_path, ["energy eV", "i0", "ifluor"], [e, i0, fl * i0])
    spec = read_spectrum(p)
    assert spec.mu_source == "ifluor/i0"
    np.testing.assert_allclose(spec.mu, fl)
    p = _xdi(tmp_path, ["energy eV", "I0", "IFluor_Sum"], [e, i0, fl * i0], name="sum.xdi")
    assert read_spectrum(p).mu_source == "ifluor_sum/i0"
    p = _xdi(tmp_path, ["energy eV", "i0", "itrans", "ifluor"], [e, i0, it, fl],
             name="both.xdi")
    assert read_spectrum(p).mu_source == "ln(i0/itrans)"  # transmission wins
    assert read_spectrum(p, mu="ifluor/i0").mu_source == "ifluor/i0"
    for col in ("mutrans", "mufluor", "mu", "normalized"):
        p = _xdi(tmp_path, ["energy eV", "i0", col], [e, i0, fl], name=f"{col}.xdi")
        spec = read_spectrum(p)
        assert spec.mu_source == col
        np.testing.assert_allclose(spec.mu, fl)
    p = _xdi(tmp_path, ["energy eV", "i0", "ch1", "ch2"], [e, i0, fl * i0, fl * i0],
             name="multi.xdi")
    with pytest.raises(ValueError, match=r"cannot tell mu .* e\.g\. mu='ln\(i0/itrans\)'"):
        read_spectrum(p)
    np.testing.assert_allclose(read_spectrum(p, mu="(ch1 + ch2) / i0 / 2").mu, fl)


def test_xdi_energy_in_kev_and_from_angle(tmp_path, cuo):
    e, i0, it = cuo
    p = _xdi(tmp_path, ["energy keV", "i0", "itrans"], [e / 1000, i0, it])
    np.testing.assert_allclose(read_spectrum(p).energy, e, rtol=1e-8)
    d = 1.92009
    angle = np.degrees(np.arcsin(HC_EV_ANGSTROM / (2 * d * e)))
    p = _xdi(tmp_path, ["angle degrees", "i0", "itrans"], [angle, i0, it],
             header=f"Mono.d_spacing: {d}", name="angle.xdi")
    spec = read_spectrum(p)
    assert spec.energy_source == "angle -> energy"
    np.testing.assert_allclose(spec.energy, e, rtol=1e-7)
    p = _xdi(tmp_path, ["angle degrees", "i0", "itrans"], [angle, i0, it], name="nod.xdi")
    with pytest.raises(ValueError, match="Mono.d_spacing"):
        read_spectrum(p)


def test_xdi_no_energy_column(tmp_path, cuo):
    e, i0, it = cuo
    p = _xdi(tmp_path, ["mono_energy", "i0", "itrans"], [e, i0, it])
    with pytest.raises(ValueError, match=r"no energy column .*XDI columns: mono_energy, "
                                         r"i0, itrans") as err:
        read_spectrum(p)
    assert str(p) in str(err.value)
    # a named energy column that is not there
    with pytest.raises(ValueError, match="no energy column named 'mono'"):
        read_spectrum(CUO, energy="mono")
    assert read_spectrum(p, energy="mono_energy").energy[0] == e[0]


@pytest.mark.parametrize("header, message", [
    ("Element.symbol: Ni\nElement.edge: K", "Ni K-edge spectrum"),
    ("Element.symbol: Cu\nElement.edge: L3", "Cu L3-edge spectrum"),
    ("Element.symbol: Zn", "Zn"),
])
def test_xdi_element_not_cu_k(tmp_path, cuo, header, message):
    e, i0, it = cuo
    p = _xdi(tmp_path, ["energy eV", "i0", "itrans"], [e, i0, it], header=header)
    with pytest.raises(ValueError, match=f"{message}.*Cu K-edge spectra only") as err:
        read_spectrum(p)
    assert str(p) in str(err.value)


def test_xdi_bad_labels(tmp_path, cuo):
    e, i0, it = cuo
    p = _xdi(tmp_path, ["energy eV", "i0", "itrans", "irefer"], [e, i0, it])
    with pytest.raises(ValueError, match="labels Column.4 but the data have 3 columns"):
        read_spectrum(p)
    p = tmp_path / "nolabels.xdi"
    p.write_text("# XDI/1.0\n# ///\n#---\n" + "\n".join(f"{x} {y} {z}"
                                                       for x, y, z in zip(e, i0, it)))
    with pytest.raises(ValueError, match="without '# Column.N: name' labels"):
        read_spectrum(p)


@pytest.mark.parametrize("swap, kind", [("repeat", "repeated"), ("swap", "unsorted")])
def test_xdi_non_monotonic_energy_names_the_index(tmp_path, cuo, swap, kind):
    e, i0, it = (a.copy() for a in cuo)
    if swap == "repeat":
        e[150] = e[149]
    else:
        e[149], e[150] = e[150], e[149]
    p = _xdi(tmp_path, ["energy eV", "i0", "itrans"], [e, i0, it])
    header_lines = 1 + 3 + 4  # XDI line, 3 labels, ///, comment, ----, column line
    with pytest.raises(ValueError, match=rf"line {header_lines + 151}: energy is not "
                                         rf"monotonic at data point index 150: .*\({kind}\)"):
        read_spectrum(p)


def test_decreasing_energy_is_reversed(tmp_path, cuo):
    e, i0, it = cuo
    p = _xdi(tmp_path, ["energy eV", "i0", "itrans"], [e[::-1], i0[::-1], it[::-1]])
    np.testing.assert_array_equal(read_spectrum(p).energy, e)


# --------------------------------------------------------------------------- #
# text and CSV with a header line
# --------------------------------------------------------------------------- #
def _text(tmp_path, header, rows, sep=" ", name="s.dat", preamble="! exported\n"):
    path = tmp_path / name
    body = "\n".join(sep.join(f"{v:.10g}" for v in row) for row in rows)
    path.write_text(preamble + (header + "\n" if header else "") + body + "\n")
    return path


@pytest.mark.parametrize("header, sep", [
    ("energy,i0,itrans", ","),
    ("E (eV); I0; It", ";"),
    ("#  energy  i0  itrans", "  "),
    ("Energy [eV]\tI0 [counts]\tItrans [counts]", "\t"),
])
def test_csv_header_names_columns(tmp_path, cuo, header, sep):
    e, i0, it = cuo
    p = _text(tmp_path, header, np.column_stack([e, i0, it]), sep=sep)
    spec = read_spectrum(p)
    assert spec.format == "text"
    assert spec.mu_source in ("ln(i0/itrans)", "ln(i0/it)")
    np.testing.assert_allclose(spec.mu, np.log(i0 / it), atol=1e-9)
    np.testing.assert_allclose(spec.energy, e)


def test_csv_energy_column_found_by_name_and_expression(tmp_path, cuo):
    e, i0, it = cuo
    p = _text(tmp_path, "i0,itrans,energy", np.column_stack([i0, it, e]), sep=",")
    spec = read_spectrum(p)
    np.testing.assert_allclose(spec.energy, e)
    np.testing.assert_allclose(spec.mu, np.log(i0 / it), atol=1e-9)
    np.testing.assert_allclose(read_spectrum(p, mu="ln(col1/col2)").mu, spec.mu)
    with pytest.raises(ValueError, match=r"no energy column 'mono' \(columns: i0, itrans, "
                                         r"energy, col1"):
        read_spectrum(p, energy="mono")
    p = _text(tmp_path, "energy (keV),mu", np.column_stack([e / 1000, i0]), sep=",",
              name="kev.csv")
    np.testing.assert_allclose(read_spectrum(p, energy="energy").energy, e, rtol=1e-9)


def test_text_without_names_uses_positions_and_col_aliases(tmp_path, cuo):
    e, i0, it = cuo
    p = _text(tmp_path, "", np.column_stack([e, i0, it]))
    spec = read_spectrum(p)
    assert spec.mu_source == "col2"  # the original behaviour: column 1 is mu
    np.testing.assert_allclose(spec.mu, i0)
    np.testing.assert_allclose(read_spectrum(p, mu="ln(col2/col3)").mu, np.log(i0 / it))
    np.testing.assert_allclose(read_spectrum(p, mu_column=2).mu, it)
    with pytest.raises(ValueError, match=r"unknown columns i0, itrans \(columns: col1, col2, "
                                         r"col3\)"):
        read_spectrum(p, mu="ln(i0/itrans)")
    # names that imply no rule: columns 0 and 1 as before
    p = _text(tmp_path, "x y z", np.column_stack([e, i0, it]), name="xyz.dat")
    assert read_spectrum(p).mu_source == "y"


def test_two_named_columns_are_energy_and_mu_whatever_the_names(tmp_path, cuo):
    e, i0, _ = cuo
    p = _text(tmp_path, "photon_energy absorption", np.column_stack([e, i0]))
    spec = read_spectrum(p)
    np.testing.assert_allclose(spec.energy, e)
    np.testing.assert_allclose(spec.mu, i0)


def test_text_non_monotonic_names_index_and_line(tmp_path, cuo):
    e, i0, it = (a.copy() for a in cuo)
    e[20] = e[25]
    p = _text(tmp_path, "energy,i0,itrans", np.column_stack([e, i0, it]), sep=",")
    with pytest.raises(ValueError, match=r"line 24: energy is not monotonic at data point "
                                         r"index 21: .*\(unsorted\)"):
        read_spectrum(p)


# --------------------------------------------------------------------------- #
# Athena projects
# --------------------------------------------------------------------------- #
def test_athena_without_larch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "larch.io.athena_project", None)  # import fails
    with pytest.raises(ValueError, match=r"needs xraylarch.*pip install 'cumor\[athena\]'") \
            as err:
        read_spectrum(DATA / "CuO_tenorite_13K_01.prj")
    assert "CuO_tenorite_13K_01.prj" in str(err.value)


def _larch():
    return pytest.importorskip(
        "larch.io.athena_project",
        reason="xraylarch not installed (optional extra: pip install -e '.[athena]')")


def test_athena_project_one_group():
    _larch()
    spec = read_spectrum(DATA / "CuO_tenorite_13K_01.prj")
    xdi = read_spectrum(CUO)
    assert spec.format == "athena" and spec.mu_source == "mu"
    assert spec.header["group"] == "CuO_tenorite_13K_01.xdi"
    np.testing.assert_allclose(spec.energy, xdi.energy, rtol=1e-9)
    np.testing.assert_allclose(spec.mu, xdi.mu, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(read_spectrum(DATA / "CuO_tenorite_13K_01.prj",
                                             mu="2 * mu").mu, 2 * spec.mu)


def test_athena_project_two_groups():
    _larch()
    prj = DATA / "Cu_two_groups.prj"
    with pytest.raises(ValueError, match=r"holds 2 groups \(Cu_Foil_rt_2016Foils.xdi, "
                                         r"CuO_tenorite_13K_01.xdi\); choose one"):
        read_spectrum(prj)
    foil = read_spectrum(prj, group="Cu_Foil_rt_2016Foils.xdi")
    np.testing.assert_allclose(foil.mu, read_spectrum(FOIL).mu, rtol=1e-6, atol=1e-7)
    assert read_spectrum(prj, group="cuo_tenorite_13k_01.XDI").energy.size == 398
    with pytest.raises(ValueError, match="no group 'Cu2S' in the Athena project"):
        read_spectrum(prj, group="Cu2S")
    with pytest.raises(ValueError, match="unknown column itrans"):
        read_spectrum(prj, group="Cu_Foil_rt_2016Foils.xdi", mu="ln(i0/itrans)")


def test_not_an_athena_project(tmp_path):
    _larch()
    p = tmp_path / "bad.prj"
    p.write_text("not a project\n")
    with pytest.raises(ValueError, match="bad.prj: not a readable Athena project"):
        read_spectrum(p)


# --------------------------------------------------------------------------- #
# other file errors and the edge check
# --------------------------------------------------------------------------- #
def test_file_errors(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_spectrum(tmp_path / "nope.xdi")
    with pytest.raises(ValueError, match="is a directory"):
        read_spectrum(tmp_path)
    p = tmp_path / "bin.dat"
    p.write_bytes(b"\xff\xfe\x00\x01" * 10)
    with pytest.raises(ValueError, match="not a text file"):
        read_spectrum(p)


@pytest.mark.parametrize("e0", [8333.0, 8959.0, 9011.0, 0.0, 9659.0])
def test_edge_not_cu_k(e0):
    with pytest.raises(ValueError, match=rf"s.xdi: E0 = {e0:.1f} eV is not a Cu K edge"):
        check_cu_k_edge(e0, source="s.xdi")


@pytest.mark.parametrize("e0", [8960.0, 8979.0, 8995.0, 9010.0])
def test_edge_cu_k_accepted(e0):
    check_cu_k_edge(e0, source="s.xdi")
