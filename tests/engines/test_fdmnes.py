"""FDMNES engine: writer and parsers against real runs, runner error paths.

FDMNES cannot be installed here.  The writer and the parsers are checked
against real FDMNES runs (tests/data/fdmnes, see PROVENANCE.md); the runner
is checked with real programs that fail or produce nothing (``false``,
``true``, ``sh``), never with a fake FDMNES that writes spectra.
"""

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms

from cumor.engines import get_engine
from cumor.engines import fdmnes as fdmnes_mod
from cumor.engines.base import EngineError
from cumor.engines.fdmnes import (
    DEFAULT_SETTINGS,
    KEEP_FILES,
    FdmnesEngine,
    check_fdmnes_available,
    clean_workdir,
    fdmfile_text,
    fdmnes_input,
    parse_fdmnes_conv,
    parse_fdmnes_output,
    resolve_settings,
    run_fdmnes,
)
from cumor.normalise import find_e0
from cumor.references import build_cu2o

DATA = Path(__file__).resolve().parents[1] / "data" / "fdmnes"

#: Settings, Filout and absorbers that reproduce each real run's in.txt.
FIXTURES = {
    "green_1cu_r6": (
        {"mode": "green", "cluster_radius": 6.0, "energy_range": (-15, 0.5, 60)},
        "cumor",
        (1,),
    ),
    "green_2cu_r4.5": (
        {"mode": "green", "cluster_radius": 4.5, "energy_range": (-10, 0.5, 40)},
        "cu2_green",
        (1, 2),
    ),
    "fdm_1cu_r2.6": (
        {"mode": "fdm", "adimp": 0.34, "cluster_radius": 2.6, "energy_range": (-6, 2, 8)},
        "cu_fdm",
        (1,),
    ),
}

#: Keywords the writer adds to the fixtures' inputs.  Both are FDMNES defaults
#: at a K edge (excited absorber, Hedin-Lundqvist), so the physics is the same.
EXPLICIT_DEFAULTS = {"excited", "hedin"}


def input_blocks(text):
    """FDMNES input -> {keyword (lower case): [rows of tokens]}, up to End."""
    blocks, current = {}, None
    for line in text.splitlines():
        tokens = line.split()
        if not tokens or tokens[0].startswith("!"):
            continue
        try:
            float(tokens[0])
            is_value = True
        except ValueError:
            is_value = current == "filout" and not blocks[current]
        if is_value:
            blocks[current].append(tokens)
            continue
        current = tokens[0].lower()
        blocks[current] = []
        if current == "end":
            break
    return blocks


def molecule(blocks):
    """Atoms of a Molecule block (cell line skipped)."""
    rows = blocks["molecule"][1:]
    return Atoms(
        numbers=[int(r[0]) for r in rows],
        positions=[[float(v) for v in r[1:4]] for r in rows],
    )


def fixture_atoms(name):
    return molecule(input_blocks((DATA / name / "in.txt").read_text()))


def program(name):
    """Absolute path of a real system program, e.g. ``false``."""
    path = shutil.which(name)
    assert path, f"{name} not found"
    return path


@pytest.fixture
def no_fdmnes_env(monkeypatch):
    monkeypatch.delenv("FDMNES_BIN", raising=False)


@pytest.fixture
def workdir_with_input(tmp_path):
    (tmp_path / "in.txt").write_text(fdmnes_input(fixture_atoms("fdm_1cu_r2.6"), {}))
    return tmp_path


# ------------------------------------------------------------------ writer


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_writer_reproduces_real_inputs(name):
    settings, filout, absorbers = FIXTURES[name]
    reference = input_blocks((DATA / name / "in.txt").read_text())
    ours = input_blocks(fdmnes_input(fixture_atoms(name), settings, filout, absorbers))

    assert set(reference) <= set(ours)
    assert set(ours) - set(reference) == EXPLICIT_DEFAULTS
    assert ours["filout"] == reference["filout"] == [[filout]]
    for keyword in set(reference) - {"filout", "molecule"}:
        got = [[float(v) for v in row] for row in ours[keyword]]
        want = [[float(v) for v in row] for row in reference[keyword]]
        assert got == want, keyword
    assert ours["molecule"][0] == reference["molecule"][0] == "1.0 1.0 1.0 90. 90. 90.".split()
    ref_atoms, our_atoms = molecule(reference), molecule(ours)
    assert our_atoms.numbers.tolist() == ref_atoms.numbers.tolist()
    np.testing.assert_allclose(our_atoms.positions, ref_atoms.positions, atol=1e-4, rtol=0)


def test_writer_default_is_the_papers_fdm_setup():
    text = fdmnes_input(fixture_atoms("green_1cu_r6"), {})
    blocks = input_blocks(text)
    assert list(blocks) == ["filout", "range", "radius", "adimp", "absorber", "excited",
                            "hedin", "convolution", "molecule", "end"]
    assert blocks["filout"] == [["cumor"]]
    assert blocks["range"] == [["-20.", "0.5", "30.", "1.", "90."]]
    assert blocks["radius"] == [["6."]] and blocks["adimp"] == [["0.5"]]
    assert blocks["absorber"] == [["1"]]
    assert text.startswith("Filout\n cumor\n") and text.endswith("\nEnd\n")
    assert "Green" not in text and "SCF" not in text and "Nonexc" not in text


def test_writer_settings_switch_keywords():
    cluster = fixture_atoms("fdm_1cu_r2.6")
    blocks = input_blocks(fdmnes_input(cluster, {
        "mode": "green", "scf": True, "excited": False, "convolution": False,
        "energy_range": [-15, 0.5, 30, 1.0, 90]}))
    assert "green" in blocks and "adimp" not in blocks
    assert "scf" in blocks and "nonexc" in blocks and "excited" not in blocks
    assert "hedin" in blocks and "convolution" not in blocks
    assert blocks["range"] == [["-15.", "0.5", "30.", "1.", "90."]]

    blocks = input_blocks(fdmnes_input(cluster, {"adimp": [0.5, 10, 0.2, 25, 0.05]}))
    assert blocks["adimp"] == [["0.5", "10.", "0.2", "25.", "0.05"]]


@pytest.mark.parametrize(
    "cluster, kwargs, message",
    [
        (Atoms(), {}, "empty"),
        (build_cu2o(), {}, "periodic"),
        (Atoms("Cu"), {"absorbers": (0,)}, "1-based"),
        (Atoms("Cu"), {"absorbers": (2,)}, "1-based"),
        (Atoms("CuO", positions=[(0, 0, 0), (1.9, 0, 0)]), {"absorbers": (1, 1)}, "unique"),
        (Atoms("Cu"), {"absorbers": ()}, "non-empty"),
        (Atoms("Cu"), {"filout": "two words"}, "filout"),
    ],
)
def test_writer_rejects_bad_arguments(cluster, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fdmnes_input(cluster, {}, **kwargs)


def test_fdmfile_text_is_count_then_names():
    assert fdmfile_text("in.txt") == "1\nin.txt\n"
    for bad in ("", "in put.txt", "!in.txt", "x" * 133):
        with pytest.raises(ValueError):
            fdmfile_text(bad)


# ---------------------------------------------------------------- settings


def test_resolve_settings_defaults_and_normalisation():
    s = resolve_settings(None)
    assert s["mode"] == "fdm" and s["adimp"] == 0.5 and s["cluster_radius"] == 6.0
    assert s["energy_range"] == (-20.0, 0.5, 30.0, 1.0, 90.0)
    assert (s["scf"], s["excited"], s["convolution"]) == (False, True, True)
    assert s["executable"] is None and s["mpi_launcher"] is None and s["timeout"] is None
    assert set(s) == set(DEFAULT_SETTINGS)

    green = resolve_settings({"mode": "Green", "mpi_launcher": "mpirun -np 4"})
    assert green["mode"] == "green" and green["adimp"] is None
    assert green["mpi_launcher"] == ("mpirun", "-np", "4")
    assert resolve_settings(green) == green  # idempotent
    assert resolve_settings({"mpi_launcher": ["srun", "-n", "8"]})["mpi_launcher"] == (
        "srun", "-n", "8")
    assert s["overlap"] is None


def test_adimp_null_is_the_modes_default():
    """adimp: null (the workflow's default) is 0.5 A for fdm and nothing for green,
    so `mode` alone switches the method; an explicit adimp with green stays an error."""
    assert resolve_settings({"mode": "fdm", "adimp": None})["adimp"] == 0.5
    assert resolve_settings({"mode": "green", "adimp": None})["adimp"] is None
    fdm = resolve_settings({"adimp": None})
    assert resolve_settings(fdm) == fdm
    blocks = input_blocks(fdmnes_input(fixture_atoms("green_1cu_r6"), {"adimp": None}))
    assert blocks["adimp"] == [["0.5"]] and "green" not in blocks
    blocks = input_blocks(fdmnes_input(fixture_atoms("green_1cu_r6"),
                                       {"mode": "green", "adimp": None}))
    assert "green" in blocks and "adimp" not in blocks


def test_overlap_is_written_only_when_set():
    atoms = fixture_atoms("green_1cu_r6")
    assert "overlap" not in input_blocks(fdmnes_input(atoms, {"mode": "green"}))
    blocks = input_blocks(fdmnes_input(atoms, {"mode": "green", "overlap": 0.2}))
    assert blocks["overlap"] == [["0.2"]] and "green" in blocks
    blocks = input_blocks(fdmnes_input(atoms, {"mode": "green", "overlap": 0}))
    assert blocks["overlap"] == [["0."]]


@pytest.mark.parametrize(
    "bad, key",
    [
        ({"adimpp": 0.2}, "adimpp"),
        ({"mode": "multiple-scattering"}, "mode"),
        ({"adimp": -0.5}, "adimp"),
        ({"adimp": [0.5, 10]}, "adimp"),
        ({"adimp": [0.5, 20, 0.2, 10, 0.1]}, "adimp"),
        ({"mode": "green", "adimp": 0.2}, "adimp"),
        ({"mode": "fdm", "adimp": "0.5"}, "adimp"),
        ({"overlap": -0.1}, "overlap"),
        ({"overlap": True}, "overlap"),
        ({"cluster_radius": 0}, "cluster_radius"),
        ({"energy_range": (-15, 0.5)}, "energy_range"),
        ({"energy_range": (-15, -0.5, 60)}, "energy_range"),
        ({"energy_range": (60, 0.5, -15)}, "energy_range"),
        ({"energy_range": "-15 0.5 60"}, "energy_range"),
        ({"scf": "yes"}, "scf"),
        ({"excited": 1}, "excited"),
        ({"convolution": None}, "convolution"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"mpi_launcher": ""}, "mpi_launcher"),
        ({"mpi_launcher": ["mpirun", 4]}, "mpi_launcher"),
        ({"executable": "  "}, "executable"),
    ],
)
def test_invalid_settings_raise_naming_the_key(bad, key):
    with pytest.raises(ValueError, match=key):
        FdmnesEngine(bad)


def test_registered_engine_builds_without_fdmnes(no_fdmnes_env):
    engine = get_engine("fdmnes", {"mode": "green"})
    assert isinstance(engine, FdmnesEngine) and engine.name == "fdmnes"
    assert engine.settings["mode"] == "green"


# ------------------------------------------------------------------ parsers


def test_parse_output_single_absorber():
    energy, mu, header = parse_fdmnes_output(DATA / "green_1cu_r6" / "cumor.txt")
    assert len(energy) == 151 and energy[0] == -15.0 and energy[-1] == 60.0
    np.testing.assert_allclose(np.diff(energy), 0.5)
    assert mu[0] == pytest.approx(1.4384871e-05) and mu[-1] == pytest.approx(2.2031170e-02)
    assert list(header)[:4] == ["E_edge", "Z", "n_edge", "j_edge"]
    assert header["E_edge"] == 8979.0 and header["Z"] == 29 and isinstance(header["Z"], int)
    assert header["Epsii"] == pytest.approx(8825.1281)  # name has a trailing blank in the file
    assert header["E_cut"] == 0.0 and len(header) == 15


def test_parse_output_two_absorbers():
    run = DATA / "green_2cu_r4.5"
    e1, mu1, h1 = parse_fdmnes_output(run / "cu2_green_1.txt")
    e2, mu2, h2 = parse_fdmnes_output(run / "cu2_green_2.txt")
    np.testing.assert_array_equal(e1, e2)
    assert len(e1) == 101 and (e1[0], e1[-1]) == (-10.0, 40.0)
    assert not np.allclose(mu1, mu2)
    assert h1["E_edge"] == h2["E_edge"] == 8979.0
    assert h2["Epsii"] - h1["Epsii"] == pytest.approx(5.8633, abs=1e-4)
    assert (h1["E_cut"], h2["E_cut"]) == (0.0, pytest.approx(-1.2863382))


def test_parse_output_fdm_run():
    energy, mu, header = parse_fdmnes_output(DATA / "fdm_1cu_r2.6" / "cu_fdm.txt")
    assert energy.tolist() == [-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0]  # "-0.00000" too
    assert header["Epsii"] == pytest.approx(8826.2918)


@pytest.mark.parametrize(
    "path, n, last",
    [
        ("green_1cu_r6/cumor_conv.txt", 151, 60.0),
        ("fdm_1cu_r2.6/cu_fdm_conv.txt", 8, 8.0),
        ("green_2cu_r4.5/cu2_green_conv.txt", 101, 39.8633),
    ],
)
def test_parse_conv(path, n, last):
    energy, mu = parse_fdmnes_conv(DATA / path)
    assert len(energy) == len(mu) == n and energy[-1] == pytest.approx(last)
    assert np.all(mu > 0)


def test_conv_of_two_absorbers_is_on_a_shifted_grid():
    """FDMNES shifts absorber 2 by its core-level difference before summing."""
    energy, _ = parse_fdmnes_conv(DATA / "green_2cu_r4.5" / "cu2_green_conv.txt")
    _, _, h1 = parse_fdmnes_output(DATA / "green_2cu_r4.5" / "cu2_green_1.txt")
    _, _, h2 = parse_fdmnes_output(DATA / "green_2cu_r4.5" / "cu2_green_2.txt")
    shift = h2["Epsii"] - h1["Epsii"]
    assert energy[11] == -4.5 and energy[12] == pytest.approx(-10.0 + shift, abs=1e-4)
    assert sorted(set(np.round(np.diff(energy), 4))) == [0.3633, 0.5]


HEADER = (DATA / "green_1cu_r6" / "cumor.txt").read_text().splitlines()[0]


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("Energy <xanes>\n1 2\n2 3\n", "header"),
        ("8979.0 29 = E_edge\n    Energy    <xanes>\n1 2\n2 3\n", "2 values for 1 names"),
        ("8979.0 29 = Z, n_edge\n    Energy    <xanes>\n1 2\n2 3\n", "E_edge"),
        (HEADER + "\n1 2\n2 3\n", "Energy <xanes>"),
        (HEADER + "\n Energy <xanes>\n-1 2e-3\n0 abc\n", "non-numeric"),
        (HEADER + "\n Energy <xanes>\n-1 2e-3\n0 1 2\n", "columns"),
        (HEADER + "\n Energy <xanes>\n-1 2e-3\n", "fewer than 2"),
        (HEADER + "\n Energy <xanes>\n-1 2e-3\n0 NaN\n", "non-finite"),
        (HEADER + "\n Energy <xanes>\n0 2e-3\n-1 1e-3\n", "increasing"),
    ],
)
def test_parse_output_rejects_bad_files_naming_them(tmp_path, content, message):
    path = tmp_path / "cumor.txt"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        parse_fdmnes_output(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "content, message",
    [("", "empty"), ("1 2\n2 3\n", "Energy <xanes>"), ("Energy <xanes>\n1 2\n", "fewer than 2")],
)
def test_parse_conv_rejects_bad_files_naming_them(tmp_path, content, message):
    path = tmp_path / "cumor_conv.txt"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        parse_fdmnes_conv(path)
    assert str(path) in str(info.value)


# ------------------------------------------------------------ availability


def test_missing_executable_says_how_to_configure(no_fdmnes_env, tmp_path):
    for call in (lambda: check_fdmnes_available({}), lambda: run_fdmnes(tmp_path, {})):
        with pytest.raises(EngineError) as info:
            call()
        message = str(info.value)
        assert "xanes.fdmnes.executable" in message and "FDMNES_BIN" in message


def test_bad_executables_are_rejected(no_fdmnes_env, tmp_path):
    not_executable = tmp_path / "fdmnes_linux64"
    not_executable.write_text("")
    cases = {
        str(tmp_path / "missing" / "fdmnes"): "not a file",
        str(tmp_path): "not a file",
        "no-such-fdmnes-program": "not on PATH",
        str(not_executable): "not executable",
    }
    for value, message in cases.items():
        with pytest.raises(EngineError, match=message) as info:
            check_fdmnes_available({"executable": value})
        assert "xanes.fdmnes.executable" in str(info.value)


def test_executable_from_setting_env_or_path(monkeypatch):
    monkeypatch.setenv("FDMNES_BIN", program("false"))
    assert check_fdmnes_available({}) == program("false")
    assert check_fdmnes_available({"executable": program("true")}) == program("true")
    assert check_fdmnes_available({"executable": "true"}) == program("true")  # via PATH


def test_compute_without_fdmnes_fails_with_how_to(no_fdmnes_env, tmp_path):
    with pytest.raises(EngineError, match="FDMNES_BIN"):
        FdmnesEngine({"mode": "green"}).compute(build_cu2o(), 0, tmp_path / "Cu0")


# ------------------------------------------------------------------ runner


def test_run_nonzero_exit_names_the_log(workdir_with_input):
    workdir = workdir_with_input
    with pytest.raises(EngineError, match="exit status 1") as info:
        run_fdmnes(workdir, {"executable": program("false")})
    assert str(workdir / "fdmnes.log") in str(info.value)
    assert (workdir / "fdmnes.log").exists()
    assert (workdir / "fdmfile.txt").read_text() == "1\nin.txt\n"


def test_run_exit_zero_without_spectrum_is_an_error(workdir_with_input):
    with pytest.raises(EngineError, match=r"no spectrum \(cumor.txt\)") as info:
        run_fdmnes(workdir_with_input, {"executable": program("true")})
    assert "fdmnes.log" in str(info.value)


def test_run_removes_stale_outputs_first(workdir_with_input):
    workdir = workdir_with_input
    for name in ("cumor.txt", "cumor_conv.txt", "cumor_1.txt", "fdmnes_error.txt"):
        (workdir / name).write_text("from an earlier run\n")
    with pytest.raises(EngineError, match="no spectrum"):
        run_fdmnes(workdir, {"executable": program("true")})
    assert sorted(p.name for p in workdir.iterdir()) == ["fdmfile.txt", "fdmnes.log", "in.txt"]


def test_run_reports_fdmnes_error_file(workdir_with_input):
    # FDMNES stops on bad input with exit status 0 and writes fdmnes_error.txt.
    launcher = ["/bin/sh", "-c", "echo ' Error opening the file:' > fdmnes_error.txt", "sh"]
    with pytest.raises(EngineError, match="Error opening the file") as info:
        run_fdmnes(workdir_with_input, {"executable": program("true"), "mpi_launcher": launcher})
    assert "fdmnes_error.txt" in str(info.value) and "fdmnes.log" in str(info.value)


def test_run_puts_launcher_before_executable_one_thread(workdir_with_input, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    script = 'echo "$@" > argv.txt; echo "$OMP_NUM_THREADS" > omp.txt; exit 3'
    settings = {"executable": program("true"), "mpi_launcher": ["/bin/sh", "-c", script, "sh"]}
    with pytest.raises(EngineError, match="exit status 3"):
        run_fdmnes(workdir_with_input, settings)
    assert (workdir_with_input / "argv.txt").read_text().split() == [program("true")]
    assert (workdir_with_input / "omp.txt").read_text().strip() == "1"


def test_run_timeout_kills_and_reports(workdir_with_input):
    settings = {"executable": program("true"), "timeout": 0.5,
                "mpi_launcher": ["/bin/sh", "-c", "sleep 30", "sh"]}
    start = time.perf_counter()
    with pytest.raises(EngineError, match="timed out after 0.5 s") as info:
        run_fdmnes(workdir_with_input, settings)
    assert time.perf_counter() - start < 10
    assert str(workdir_with_input) in str(info.value)


def test_run_missing_launcher_or_input(workdir_with_input, tmp_path):
    with pytest.raises(EngineError, match="cannot start"):
        run_fdmnes(workdir_with_input, {"executable": program("true"),
                                        "mpi_launcher": "no-such-mpirun -np 2"})
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EngineError, match="no FDMNES input in.txt"):
        run_fdmnes(empty, {"executable": program("true")})


# -------------------------------------------- compute, replaying a real run


def replay(run, names, seconds=60.0):
    """run_fdmnes stand-in that copies the real outputs of ``run``.

    Only valid because the tests check that compute() wrote the same input
    as the one that produced those outputs.
    """
    def fake_run(workdir, settings):
        for name in names:
            shutil.copy(DATA / run / name, Path(workdir) / name)
        return seconds
    return fake_run


GREEN_1CU = {"mode": "green", "cluster_radius": 6.0, "executable": "fdmnes"}


def test_compute_returns_convoluted_spectrum_on_absolute_energies(tmp_path, monkeypatch):
    monkeypatch.setattr(fdmnes_mod, "run_fdmnes",
                        replay("green_1cu_r6", ["cumor.txt", "cumor_conv.txt"]))
    atoms = fixture_atoms("green_1cu_r6")
    spectrum = FdmnesEngine(GREEN_1CU).compute(atoms, 0, tmp_path / "Cu0")

    # compute() wrote the input of the real run: same keywords and atoms.
    ours = input_blocks((tmp_path / "Cu0" / "in.txt").read_text())
    reference = input_blocks((DATA / "green_1cu_r6" / "in.txt").read_text())
    assert set(ours) - set(reference) == EXPLICIT_DEFAULTS
    assert ours["absorber"] == [["1"]] and ours["filout"] == [["cumor"]]
    key = lambda a: sorted(zip(a.numbers, *np.round(a.positions, 3).T))  # noqa: E731
    assert key(molecule(ours)) == key(molecule(reference))
    assert molecule(ours).numbers[0] == 29 and np.allclose(molecule(ours).positions[0], 0)

    conv_energy, conv_mu = parse_fdmnes_conv(DATA / "green_1cu_r6" / "cumor_conv.txt")
    np.testing.assert_allclose(spectrum.energy, 8979.0 + conv_energy)
    np.testing.assert_array_equal(spectrum.mu, conv_mu)
    assert spectrum.absorber == 0 and spectrum.seconds > 0
    assert spectrum.meta["spectrum"] == "convoluted" and spectrum.meta["n_atoms"] == 39
    assert spectrum.meta["e_edge"] == 8979.0
    assert spectrum.meta["epsii"] == pytest.approx(8825.1281)
    assert spectrum.meta["e_fermi_rel"] == 0.0 and spectrum.meta["fdmnes_seconds"] == 60.0
    assert 8979.0 < find_e0(spectrum.energy, spectrum.mu) < 8979.0 + 20


def test_compute_keeps_only_inputs_log_and_parsed_outputs(tmp_path, monkeypatch):
    """After a successful run the work directory holds what the parser and a user
    need; the 1.6 MB cumor_bav.txt and other FDMNES files are deleted. Files that
    were there before and are not FDMNES's are left alone."""
    fake_run = replay("green_1cu_r6", ["cumor.txt", "cumor_conv.txt"])

    def run_writing_more(workdir, settings):
        seconds = fake_run(workdir, settings)
        workdir = Path(workdir)
        (workdir / "fdmfile.txt").write_text("1\nin.txt\n")
        (workdir / "fdmnes.log").write_text("FDMNES log\n")
        (workdir / "cumor_bav.txt").write_text("x" * 1000)
        (workdir / "cumor_sd0.txt").write_text("dos\n")
        (workdir / "spacegroup.txt").write_text("new file of this run\n")
        return seconds

    monkeypatch.setattr(fdmnes_mod, "run_fdmnes", run_writing_more)
    workdir = tmp_path / "Cu0"
    workdir.mkdir()
    (workdir / "notes.txt").write_text("the user's\n")
    (workdir / "cumor_bav_old.txt").write_text("an earlier run's\n")
    (workdir / "sub").mkdir()
    FdmnesEngine(GREEN_1CU).compute(fixture_atoms("green_1cu_r6"), 0, workdir)
    left = sorted(p.name for p in workdir.iterdir())
    assert left == sorted([*KEEP_FILES, "notes.txt", "sub"])
    assert set(KEEP_FILES) == {"in.txt", "fdmfile.txt", "fdmnes.log", "cumor.txt",
                               "cumor_conv.txt"}


def test_failed_compute_keeps_every_file(tmp_path, monkeypatch):
    def run_without_conv(workdir, settings):
        replay("green_1cu_r6", ["cumor.txt"])(workdir, settings)
        (Path(workdir) / "cumor_bav.txt").write_text("for the diagnosis\n")
        return 1.0

    monkeypatch.setattr(fdmnes_mod, "run_fdmnes", run_without_conv)
    with pytest.raises(EngineError, match="no cumor_conv.txt"):
        FdmnesEngine(GREEN_1CU).compute(fixture_atoms("green_1cu_r6"), 0, tmp_path)
    assert (tmp_path / "cumor_bav.txt").exists()


def test_clean_workdir_returns_what_it_deleted(tmp_path):
    for name in ("in.txt", "cumor.txt", "cumor_bav.txt", "old.txt", "new.txt"):
        (tmp_path / name).write_text(name)
    assert clean_workdir(tmp_path, before={"old.txt", "in.txt"}) == [
        "cumor_bav.txt", "new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cumor.txt", "in.txt", "old.txt"]


def test_compute_without_convolution_returns_raw_spectrum(tmp_path, monkeypatch):
    monkeypatch.setattr(fdmnes_mod, "run_fdmnes", replay("green_1cu_r6", ["cumor.txt"]))
    settings = {**GREEN_1CU, "convolution": False}
    spectrum = FdmnesEngine(settings).compute(fixture_atoms("green_1cu_r6"), 0, tmp_path)
    energy, mu, _ = parse_fdmnes_output(DATA / "green_1cu_r6" / "cumor.txt")
    np.testing.assert_allclose(spectrum.energy, 8979.0 + energy)
    np.testing.assert_array_equal(spectrum.mu, mu)
    assert spectrum.meta["spectrum"] == "unconvoluted"
    assert "Convolution" not in (tmp_path / "in.txt").read_text()


def test_compute_missing_conv_names_the_log(tmp_path, monkeypatch):
    monkeypatch.setattr(fdmnes_mod, "run_fdmnes", replay("green_1cu_r6", ["cumor.txt"]))
    with pytest.raises(EngineError, match="no cumor_conv.txt") as info:
        FdmnesEngine(GREEN_1CU).compute(fixture_atoms("green_1cu_r6"), 0, tmp_path)
    assert str(tmp_path / "fdmnes.log") in str(info.value)


def test_compute_corrupt_output_is_an_engine_error(tmp_path, monkeypatch):
    def truncated_run(workdir, settings):
        text = (DATA / "green_1cu_r6" / "cumor.txt").read_text()
        (Path(workdir) / "cumor.txt").write_text(text[:200])  # header cut mid-line
        return 1.0

    monkeypatch.setattr(fdmnes_mod, "run_fdmnes", truncated_run)
    with pytest.raises(EngineError, match="unusable FDMNES output"):
        FdmnesEngine({**GREEN_1CU, "convolution": False}).compute(
            fixture_atoms("green_1cu_r6"), 0, tmp_path)
