"""The workflow through Snakemake: dry runs, bad input, and the test config end to end.

Bad-input matrix (each a clear error naming the problem, no partial output):
misspelt key, unknown engine / model / class, grid min > max, points_per_job 0 and
FDMNES without an executable fail at `snakemake -n` (here); a corrupt structure file
(tests/test_structure_io.py); an engine crash (here, through the dataset rule, and
tests/engines/); an empty, one-column or non-monotonic measured spectrum
(tests/test_measured.py).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cumor.dataset import dataset_hash

ROOT = Path(__file__).parents[1]


def _copy_workflow(dest: Path) -> Path:
    """A user's checkout in miniature: Snakefile, workflow/, config/, envs/, profiles/."""
    shutil.copy(ROOT / "Snakefile", dest / "Snakefile")
    for part in ("workflow", "config", "envs", "profiles"):
        shutil.copytree(ROOT / part, dest / part)
    return dest


def _snakemake(workdir: Path, *args: str, timeout: int = 1800,
               env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--directory", str(workdir), *args]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout,
                          env=env)


@pytest.fixture()
def checkout(tmp_path):
    return _copy_workflow(tmp_path)


def test_dry_run_default_config_builds_dag(checkout):
    run = _snakemake(checkout, "-n", "--quiet", "rules")
    assert run.returncode == 0, run.stderr
    assert "xanes" in run.stdout and "train" in run.stdout


def test_lint_is_clean(checkout):
    run = _snakemake(checkout, "--lint")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Lints for" not in run.stdout, run.stdout


@pytest.mark.parametrize(
    "override, message",
    [
        ("ml={'epoch': 3}", "epoch"),  # misspelt key
        ("xanes={'engine': 'gaussian'}", "gaussian"),  # unknown engine
        ("select={'models': ['99_1Cu']}", "99_1Cu"),  # unknown model
        # FDMNES selected but not installed: says how to point to it
        ("xanes={'engine': 'fdmnes'}", "FDMNES_BIN"),
        ("batching={'points_per_job': 0}", "points_per_job"),  # no empty batches
    ],
)
def test_bad_config_fails_before_any_job(checkout, override, message):
    run = _snakemake(checkout, "-n", "--config", override)
    assert run.returncode != 0
    assert message in run.stdout + run.stderr
    assert not (checkout / "results").exists()


def test_grid_min_above_max_fails_before_any_job(checkout):
    (checkout / "bad_grid.yaml").write_text(
        "models:\n  8_1Cu:\n    class: '8'\n    n_cu: 1\n    ring: '8'\n"
        "    placement: ring_plane\n    grid: {cu_al: {min: 3.5, max: 2.5, n: 4}}\n"
    )
    run = _snakemake(checkout, "-n", "--configfile", "bad_grid.yaml")
    assert run.returncode != 0
    assert "models.8_1Cu.grid.cu_al: min 3.5" in run.stdout + run.stderr
    assert not (checkout / "results").exists()


def test_unknown_class_fails_before_any_job(checkout):
    config = (checkout / "config" / "config.yaml").read_text()
    (checkout / "config" / "config.yaml").write_text(
        config.replace('class: "5.12"', 'class: "5.13"', 1)
    )
    run = _snakemake(checkout, "-n")
    assert run.returncode != 0
    assert "5.13" in run.stdout + run.stderr


def test_measured_spectra_are_scheduled(checkout):
    """Files under measured.spectra get a classify_measured job; equal stems are an error."""
    shutil.copy(ROOT / "tests" / "data" / "measured" / "feff_5.12_1Cu_p000.dat",
                checkout / "sample.dat")
    (checkout / "measured.yaml").write_text("measured:\n  spectra: [sample.dat]\n")
    run = _snakemake(checkout, "-n", "--configfile", "config/test.yaml", "measured.yaml")
    assert run.returncode == 0, run.stderr
    assert "rule classify_measured" in run.stdout
    assert "results/test/measured/feff/sample.json" in run.stdout
    (checkout / "measured.yaml").write_text("measured:\n  spectra: [a/s.dat, b/s.dat]\n")
    run = _snakemake(checkout, "-n", "--configfile", "config/test.yaml", "measured.yaml")
    assert run.returncode != 0 and "two files named 's'" in run.stdout + run.stderr


def test_figure_rules_are_scheduled(checkout):
    """Figs. 1 and 4 are targets; the study's 6 A spectrum is the data set's own."""
    run = _snakemake(checkout, "-n", "--quiet", "rules", "--configfile", "config/test.yaml")
    assert run.returncode == 0, run.stderr
    scheduled = _scheduled_rules(run.stdout)
    assert {"convergence_spectrum", "fig1_convergence", "fig4_example_spectra"} <= scheduled
    assert "engine_comparison" not in scheduled  # figures.engine_comparison.enabled: false
    run = _snakemake(checkout, "-n", "--configfile", "config/test.yaml")
    assert run.returncode == 0, run.stderr
    for key in ("r4", "r5", "r6_fms_radius-4"):  # config/test.yaml: radii 4-6, FMS whole/4 A
        assert f"results/test/convergence/feff/{key}.json" in run.stdout
    assert "convergence/feff/r6.json" not in run.stdout
    assert "fms_radius-off" not in run.stdout  # FMS over the whole cluster: the data set's
    for name in ("fig1_convergence_feff.csv", "fig4_example_spectra_feff.pdf"):
        assert f"results/test/figures/{name}" in run.stdout
    # the study's structure is the relaxed one of the configured grid point
    assert "results/test/relaxed/5.12_1Cu/b000.extxyz" in run.stdout


def test_fidelity_rule_is_scheduled_when_enabled(checkout):
    """Issue 12: the fidelity table and figure come from one rule, off by default (~20 min
    of FEFF10); a bad engine setting in its scan fails at `snakemake -n`."""
    run = _snakemake(checkout, "-n", "--quiet", "rules", "--configfile", "config/test.yaml")
    assert run.returncode == 0, run.stderr
    assert "fidelity" not in _scheduled_rules(run.stdout)
    (checkout / "fidelity.yaml").write_text("figures:\n  fidelity:\n    enabled: true\n")
    run = _snakemake(checkout, "-n", "--configfile", "config/test.yaml", "fidelity.yaml")
    assert run.returncode == 0, run.stderr
    assert "rule fidelity:" in run.stdout
    for name in ("fidelity/feff/fidelity.csv", "fidelity/feff/calibration.json",
                 "figures/fidelity_feff.png"):
        assert f"results/test/{name}" in run.stdout
    (checkout / "fidelity.yaml").write_text(
        "figures:\n  fidelity:\n    enabled: true\n    settings: {bad: {core_hol: FSR}}\n")
    run = _snakemake(checkout, "-n", "--configfile", "config/test.yaml", "fidelity.yaml")
    assert run.returncode != 0 and "core_hol" in run.stdout + run.stderr


def _without_fdmnes() -> dict:
    return {k: v for k, v in os.environ.items() if k != "FDMNES_BIN"}


@pytest.mark.parametrize(
    "override",
    ["figures: {engine_comparison: {enabled: true}}", "xanes: {engine: fdmnes}"],
)
def test_fdmnes_without_executable_fails_before_any_job(checkout, override):
    """Engine comparison on (FEFF configured) or FDMNES as the engine: stop at once."""
    (checkout / "override.yaml").write_text(override + "\n")
    run = _snakemake(checkout, "-n", "--configfile", "config/test.yaml", "override.yaml",
                     env=_without_fdmnes())
    assert run.returncode != 0
    assert "no FDMNES executable configured" in run.stdout + run.stderr
    assert not (checkout / "results").exists()


def test_engine_comparison_is_scheduled_when_enabled(checkout, tmp_path):
    """With an FDMNES executable (a stand-in: a dry run never starts it) the comparison
    puts each selected model's middle point through both engines."""
    fake = tmp_path / "fdmnes"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    (checkout / "compare.yaml").write_text(
        "figures:\n  engine_comparison: {enabled: true, models: [8_1Cu, 5.12_1Cu]}\n")
    run = _snakemake(checkout, "-n", "--configfile", "config/test.yaml", "compare.yaml",
                     env={**_without_fdmnes(), "FDMNES_BIN": str(fake)})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    assert "rule engine_comparison" in run.stdout
    assert "results/test/figures/engine_comparison.pdf" in run.stdout
    # FDMNES in its default mode, finite differences, runs one structure per job
    # (for both engines then): each model's middle point p033 is batch b002, and
    # only those are computed with FDMNES.
    for engine in ("feff", "fdmnes"):
        for model in ("8_1Cu", "5.12_1Cu"):  # p000, p016, p033, p049
            assert f"results/test/spectra/{engine}/{model}/b002.json" in run.stdout
            assert f"results/test/spectra/fdmnes/{model}/b000.json" not in run.stdout
    assert "results/test/spectra/fdmnes/12.5_1Cu" not in run.stdout
    # in green mode the batches stay (4 points, one batch per model)
    (checkout / "green.yaml").write_text("xanes: {fdmnes: {mode: green}}\n")
    run = _snakemake(checkout, "-n", "--configfile", "config/test.yaml", "compare.yaml",
                     "green.yaml", env={**_without_fdmnes(), "FDMNES_BIN": str(fake)})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    for engine in ("feff", "fdmnes"):
        for model in ("8_1Cu", "5.12_1Cu"):
            assert f"results/test/spectra/{engine}/{model}/b000.json" in run.stdout


def _job_blocks(stdout: str, rule: str) -> list[str]:
    """The dry-run text of every job of ``rule`` (from `rule x:` to the next job)."""
    parts = re.split(r"^\s*\[[^\]]+\]\s*(?:Group job.*)?$", stdout, flags=re.M)
    return [p for p in parts if re.search(rf"^\s*rule {rule}:", p, flags=re.M)]


def _resources(block: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"\b(runtime|mem_mb)=(\d+)", block)}


def test_config_overrides_are_typed_as_users_type_them(checkout):
    """Snakemake hands nested --config values over as strings; numbers and booleans
    are typed by the schema before validation, and take effect."""
    run = _snakemake(checkout, "-n", "--configfile", "config/test.yaml", "--config",
                     "ml={epochs: 200, standardize: false, batch_size: null}",
                     "xanes={feff: {cluster_radius: 5, scf_radius: null}}",
                     "batching={points_per_job: 2}")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    # cluster radius 5 A is the data set's: Fig. 1 computes 4 and 6 A, not 5 A
    assert "results/test/convergence/feff/r6.json" in run.stdout
    assert "results/test/convergence/feff/r5.json" not in run.stdout
    assert "results/test/spectra/feff/8_1Cu/b001.json" in run.stdout  # 2 points per job
    run = _snakemake(checkout, "-n", "--config", "ml={epochs: 200}")  # the issue's
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    run = _snakemake(checkout, "-n", "--config", "ml={epochs: two hundred}")
    assert run.returncode != 0 and "epochs" in run.stdout + run.stderr


@pytest.fixture()
def fake_fdmnes(tmp_path):
    """An executable file standing in for FDMNES: a dry run never starts it."""
    fake = tmp_path / "fdmnes_stand_in"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    return fake


def test_fdmnes_green_mode_builds_the_dag(checkout, fake_fdmnes):
    """Green mode through --config, as a user types it: no adimp in the way, Fig. 1
    panel b is SCF off (the data set's) / on, jobs are batched and sized for green."""
    run = _snakemake(checkout, "-n", "--configfile", "config/test.yaml", "--config",
                     f"xanes={{engine: fdmnes, fdmnes: {{executable: {fake_fdmnes}, "
                     "mode: green}}", env=_without_fdmnes())
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    out = run.stdout
    for key in ("r4", "r5", "r6_scf-on"):
        assert f"results/test/convergence/fdmnes/{key}.json" in out
    assert "convergence/fdmnes/r6.json" not in out and "adimp" not in out
    assert "results/test/figures/fig1_convergence_fdmnes.csv" in out
    xanes = _job_blocks(out, "xanes")
    assert len(xanes) == 6  # 6 models x one batch of 4 points
    # 4 Cu absorbers x 0.75 s x 161 energy points, + 60 s start-up, x 1.5
    assert {tuple(sorted(_resources(b).items())) for b in xanes} == {
        (("mem_mb", 2048), ("runtime", 14))}
    (fig1b,) = [b for b in _job_blocks(out, "convergence_spectrum") if "r6_scf-on" in b]
    assert _resources(fig1b)["runtime"] >= 17  # SCF: x 5 (not measured)


def test_fdmnes_fdm_mode_builds_the_dag(checkout, fake_fdmnes):
    """Finite differences (adimp null = 0.5 A): Fig. 1 panel b is the paper's Adimp
    series with 0.5 A the data set's own spectrum; one structure per job, sized at
    183 s per energy point; the infeasible 0.05 A is reported before any job."""
    run = _snakemake(checkout, "-n", "--configfile", "config/test.yaml", "--config",
                     f"xanes={{engine: fdmnes, fdmnes: {{executable: {fake_fdmnes}, "
                     "mode: fdm, adimp: null}}", env=_without_fdmnes())
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    out, log = run.stdout, run.stdout + run.stderr
    for key in ("r4", "r5", "r6_adimp-0.2", "r6_adimp-0.05"):
        assert f"results/test/convergence/fdmnes/{key}.json" in out
    assert "r6_adimp-0.5" not in out and "convergence/fdmnes/r6.json" not in out
    assert "one structure per job" in log
    assert "r6_adimp-0.05 (fdmnes) is estimated at" in log
    xanes = _job_blocks(out, "xanes")
    assert len(xanes) == 24  # one per structure
    for model in ("8_1Cu", "5.12_1Cu"):
        for batch in ("b000", "b001", "b002", "b003"):
            assert f"results/test/spectra/fdmnes/{model}/{batch}.json" in out
    # 1 Cu x 200 s x 161 energy points (~9 h), + 60 s, x 1.5; 8 GB
    assert {tuple(sorted(_resources(b).items())) for b in xanes} == {
        (("mem_mb", 8192), ("runtime", 807))}
    # the study's structure: 5.12_1Cu p016, now the second one-point batch
    assert "results/test/relaxed/5.12_1Cu/b001.extxyz" in out


def test_fdmnes_adimp_with_green_is_refused(checkout, fake_fdmnes):
    run = _snakemake(checkout, "-n", "--configfile", "config/test.yaml", "--config",
                     f"xanes={{engine: fdmnes, fdmnes: {{executable: {fake_fdmnes}, "
                     "mode: green, adimp: 0.2}}", env=_without_fdmnes())
    assert run.returncode != 0
    assert "adimp only applies to mode 'fdm'" in run.stdout + run.stderr


@pytest.fixture(scope="module")
def test_config_run(tmp_path_factory):
    """One uninterrupted run of the test config (shared by the slow tests below)."""
    checkout = tmp_path_factory.mktemp("uninterrupted")
    _copy_workflow(checkout)
    run = _snakemake(checkout, "--cores", "2", "--configfile", "config/test.yaml")
    return checkout, run


@pytest.mark.slow
def test_test_config_end_to_end(test_config_run):
    """The whole chain for real: structures -> LAMMPS -> FEFF10 -> data set -> MLP."""
    checkout, run = test_config_run
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    results = checkout / "results" / "test"

    table = pd.read_parquet(results / "dataset" / "spectra_feff.parquet")
    assert len(table) == 24 == table["structure_id"].nunique()  # one row per structure
    assert set(table["ring_class"]) == {"12", "8", "8.12", "8.8", "6.12", "5.12"}
    mu = table[[c for c in table.columns if c.startswith("mu_")]].to_numpy()
    assert np.isfinite(mu).all()
    assert (table["engine"] == "feff").all()

    metrics = json.loads((results / "ml" / "feff" / "metrics.json").read_text())
    for part in ("train", "test"):
        assert 0.0 <= metrics[part]["f1_macro"] <= 1.0
    cm = np.array(metrics["confusion_matrix"]["rows_true_cols_pred"])
    np.testing.assert_allclose(cm.sum(axis=1), 1.0)
    for suffix in ("png", "pdf"):
        assert (results / "figures" / f"confusion_matrix_feff.{suffix}").stat().st_size > 0
    _check_figures(results)
    _check_ml_outputs(checkout, results, table)


def _check_figures(results: Path) -> None:
    """Fig. 1 (convergence table and figure) and Fig. 4 (example spectra)."""
    for name in ("fig1_convergence_feff", "fig4_example_spectra_feff"):
        for suffix in ("png", "pdf"):
            assert (results / "figures" / f"{name}.{suffix}").stat().st_size > 0
    fig1 = pd.read_csv(results / "figures" / "fig1_convergence_feff.csv")
    assert list(fig1["setting"]) == ["r4", "r5", "r6", "r6", "r6_fms_radius-4"]
    assert list(fig1["panel"]) == ["cluster_radius"] * 3 + ["fms_radius"] * 2
    assert (fig1["seconds"] > 0).all() and (fig1["n_absorbers"] == 1).all()
    assert (fig1["r_vs_last"] >= 0).all() and fig1["r_vs_next"].notna().sum() == 3
    log = (results / "logs" / "fig1_convergence" / "feff.log").read_text()
    assert "5.12_1Cu p016" in log and "r_vs_next" in log
    # test config: of the paper's Fig. 4 models only 5.12_1Cu is selected
    log = (results / "logs" / "fig4_example_spectra" / "feff.log").read_text()
    assert "skipped: 8.8.2Si_2Cu, 8.12.3Si_2Cu, 8.3Si_2Cu" in log
    assert "5.12_1Cu: 4 spectra over cu_al" in log


#: Rules that may run when only ML settings change.
ML_RULES = {"augment", "umap", "train", "cross_validate", "base_split", "leave_models_out",
            "ensemble", "ml_table", "classify_measured", "all"}


def _scheduled_rules(stdout: str) -> set[str]:
    """Rule names from the 'Job stats' table of `snakemake -n --quiet rules`."""
    lines = stdout.split("Job stats:", 1)[1].splitlines()
    rules = set()
    for line in lines[3:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        rules.add(parts[0])
    return rules


def _check_ml_outputs(checkout: Path, results: Path, table: pd.DataFrame) -> None:
    """Oxide references, augmentation, both protocols, figures, ensemble, reruns."""
    for oxide in ("CuO", "Cu2O"):
        ref = json.loads((results / "references" / "feff" / f"{oxide}.json").read_text())
        assert ref["meta"]["reference"] == oxide and ref["absorbers"] == [0]
        assert np.isfinite(ref["mu"]).all() and len(ref["mu"]) == len(ref["energy"])

    aug = pd.read_parquet(results / "dataset" / "augmented_feff.parquet")
    assert len(aug) == 7 * len(table) == 168  # N + 2 oxides x 3 fractions x N
    assert aug["oxide"].value_counts().to_dict() == {"none": 24, "CuO": 72, "Cu2O": 72}
    assert sorted(aug["fraction"].unique()) == [0.0, 0.25, 0.5, 0.75]
    assert set(aug["base_id"]) == set(table["structure_id"])

    summary = pd.read_csv(results / "ml" / "feff" / "summary.csv")
    protocols = summary["protocol"]
    assert protocols.str.startswith("paper").sum() == 5  # MLP, 3 baselines, CV
    assert protocols.str.contains("split base spectra").any()
    assert protocols.str.contains("leave models out").any()
    assert {"f1_macro", "f1_weighted", "paper_f1"} <= set(summary.columns)
    assert summary[["f1_macro", "f1_weighted"]].notna().all().all()
    assert set(summary["paper_f1"].dropna()) == {0.966, 0.80, 0.65, 0.79, 0.89}
    assert "0.966" in (results / "ml" / "feff" / "summary.md").read_text()
    split = json.loads((results / "ml" / "feff" / "base_split.json").read_text())
    assert split["overlap_base_ids"] == 0 and split["n_train"] + split["n_test"] == 168
    cv = json.loads((results / "ml" / "feff" / "cv.json").read_text())
    assert cv["n_folds"] == 4  # 4 spectra per class in the test config
    assert "4 folds instead of 10" in (results / "logs" / "cross_validate" / "feff.log").read_text()
    # 168 spectra > 100: the paper's n_neighbors is used as is (capped only below 101)
    assert "'n_neighbors': 100" in (results / "logs" / "umap" / "feff.log").read_text()

    for name in ("f1_history_feff", "umap_feff", "confusion_matrix_feff"):
        for suffix in ("png", "pdf"):
            assert (results / "figures" / f"{name}.{suffix}").stat().st_size > 0
    ens = json.loads((results / "ml" / "feff" / "ensemble.json").read_text())
    assert len(ens["seeds"]) == 2
    assert (results / "ml" / "feff" / "ensemble.pt").stat().st_size > 0

    # Changing only ML settings must not rerun structure/relax/xanes/reference jobs...
    (checkout / "ml_only.yaml").write_text(
        "ml:\n  epochs: 50\n  cv_folds: 3\n  ensemble: {size: 3}\n  umap: {min_dist: 0.5}\n"
        "  augment: {fractions: [0.5]}\n")
    run = _snakemake(checkout, "-n", "--quiet", "rules", "--configfile", "config/test.yaml",
                     "ml_only.yaml")
    assert run.returncode == 0, run.stderr
    scheduled = _scheduled_rules(run.stdout)
    assert scheduled and scheduled <= ML_RULES, scheduled
    # ...while a spectrum setting does (the check can see spectrum reruns).
    (checkout / "xanes_change.yaml").write_text("xanes:\n  feff: {s02: 0.9}\n")
    run = _snakemake(checkout, "-n", "--quiet", "rules", "--configfile", "config/test.yaml",
                     "xanes_change.yaml")
    assert run.returncode == 0, run.stderr
    assert {"xanes", "reference_spectrum"} <= _scheduled_rules(run.stdout)


# --------------------------------------------------------------- kill, resume, determinism


def _cached_spectra(results: Path) -> dict[Path, int]:
    """Per-structure spectrum caches (cumor.spectrum_cache) and their mtimes (ns)."""
    return {p: p.stat().st_mtime_ns for p in results.glob("work/feff/*/*/spectrum.json")}


def _comparable_metrics(path: Path) -> dict:
    """metrics.json without wall-clock entries."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if "seconds" not in k}
        return value
    return strip(json.loads(path.read_text()))


@pytest.mark.slow
def test_killed_run_resumes_and_matches_the_uninterrupted_run(test_config_run, tmp_path):
    """SIGKILL Snakemake and its jobs mid-spectra, rerun: finished spectra are kept,
    the rest is computed, and data set and metrics equal the uninterrupted run's."""
    checkout = _copy_workflow(tmp_path)
    results = checkout / "results" / "test"
    cmd = [sys.executable, "-m", "snakemake", "--directory", str(checkout),
           "--cores", "2", "--configfile", "config/test.yaml"]
    with open(tmp_path / "killed.log", "w") as out:
        proc = subprocess.Popen(cmd, cwd=checkout, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        deadline = time.monotonic() + 1500
        # Kill once a few structures' spectra are finished, while others run.
        while len(_cached_spectra(results)) < 3 and proc.poll() is None:
            assert time.monotonic() < deadline, "no spectrum finished in time"
            time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGKILL)  # Snakemake, its jobs and FEFF with them
        proc.wait()
    finished = _cached_spectra(results)
    assert 3 <= len(finished) < 24, "kill came too late to test a resume"
    # Nothing half-written looks complete: every spectra file there is whole.
    done_models = set()
    for path in results.glob("spectra/feff/*/*.json"):
        assert len(json.loads(path.read_text())["records"]) == 4, path
        done_models.add(path.parent.name)

    # What the README tells a user: unlock once (the killed run left its lock), rerun.
    unlock = _snakemake(checkout, "--unlock", "--configfile", "config/test.yaml")
    assert unlock.returncode == 0, unlock.stderr
    run = _snakemake(checkout, "--cores", "2", "--configfile", "config/test.yaml")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    after = _cached_spectra(results)
    assert len(after) == 24
    # Spectra finished before the kill were taken from their caches, not recomputed.
    assert {p: after[p] for p in finished} == finished
    # ... and only those of batches the kill interrupted were read back (the test
    # config has one batch per model).
    interrupted = [p for p in finished if p.parent.parent.name not in done_models]
    logs = "".join(p.read_text() for p in results.glob("logs/xanes/feff/*/*.log"))
    assert logs.count("spectrum from the cache") == len(interrupted) > 0

    reference, _ = test_config_run
    tables = [pd.read_parquet(d / "results" / "test" / "dataset" / "spectra_feff.parquet")
              for d in (reference, checkout)]
    assert dataset_hash(tables[0]) == dataset_hash(tables[1])
    metrics = [_comparable_metrics(d / "results" / "test" / "ml" / "feff" / "metrics.json")
               for d in (reference, checkout)]
    assert metrics[0] == metrics[1]


@pytest.mark.slow
def test_engine_failure_is_listed_by_the_dataset_rule(checkout):
    """A FEFF crash on one structure (a cluster with only the absorber) does not stop
    the other; the dataset rule names the missing structure and refuses, unless
    dataset.allow_missing is set."""
    # 12.8_1Cu p000 has two O within 2.5 A of Cu (2.20, 2.21 A), p049 none (nearest
    # 2.86 A): FEFF quits on p049 with "Cannot determine Norman radius" (< 1 s).
    (checkout / "crash.yaml").write_text(
        "results: results/crash\n"
        "select: {models: [12.8_1Cu], max_points_per_model: 2}\n"
        "batching: {points_per_job: 1}\n"
        "relax: {enabled: false}\n"
        "xanes: {feff: {cluster_radius: 2.5}}\n"
    )
    target = "results/crash/dataset/spectra_feff.parquet"
    # (the target first: --configfile takes every argument after it)
    run = _snakemake(checkout, target, "--cores", "2", "--configfile", "crash.yaml")
    log = run.stdout + run.stderr
    assert run.returncode != 0
    assert "1 structure(s) have no spectrum" in log
    assert "12.8_1Cu/p049: EngineError: FEFF failed" in log and "Norman radius" in log
    assert "dataset.allow_missing" in log
    assert not (checkout / target).exists()
    # The other structure's spectrum was made and kept.
    (record,) = json.loads(
        (checkout / "results/crash/spectra/feff/12.8_1Cu/b000.json").read_text())["records"]
    assert record["meta"]["point"] == "p000" and "error" not in record

    (checkout / "allow.yaml").write_text("dataset: {allow_missing: true}\n")
    run = _snakemake(checkout, target, "--cores", "2", "--configfile", "crash.yaml",
                     "allow.yaml")
    assert run.returncode == 0, run.stderr[-3000:]
    table = pd.read_parquet(checkout / target)
    assert table["structure_id"].tolist() == ["12.8_1Cu/p000"]
    assert "missing 12.8_1Cu/p049" in (checkout / "results/crash/logs/dataset/feff.log").read_text()
