"""The workflow through Snakemake: dry runs, bad input, and the test config end to end."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).parents[1]


def _copy_workflow(dest: Path) -> Path:
    """A user's checkout in miniature: Snakefile, workflow/, config/ and envs/."""
    shutil.copy(ROOT / "Snakefile", dest / "Snakefile")
    shutil.copytree(ROOT / "workflow", dest / "workflow")
    shutil.copytree(ROOT / "config", dest / "config")
    shutil.copytree(ROOT / "envs", dest / "envs")
    return dest


def _snakemake(workdir: Path, *args: str, timeout: int = 1800) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--directory", str(workdir), *args]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)


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
    ],
)
def test_bad_config_fails_before_any_job(checkout, override, message):
    run = _snakemake(checkout, "-n", "--config", override)
    assert run.returncode != 0
    assert message in run.stdout + run.stderr
    assert not (checkout / "results").exists()


def test_unknown_class_fails_before_any_job(checkout):
    config = (checkout / "config" / "config.yaml").read_text()
    (checkout / "config" / "config.yaml").write_text(
        config.replace('class: "5.12"', 'class: "5.13"', 1)
    )
    run = _snakemake(checkout, "-n")
    assert run.returncode != 0
    assert "5.13" in run.stdout + run.stderr


@pytest.mark.slow
def test_test_config_end_to_end(checkout):
    """The whole chain for real: structures -> LAMMPS -> FEFF10 -> data set -> MLP."""
    run = _snakemake(checkout, "--cores", "2", "--configfile", "config/test.yaml")
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
