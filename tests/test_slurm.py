"""The workflow on a real SLURM cluster, through profiles/slurm (marked `slurm`).

A one-node cluster (slurmctld + slurmd + munged on this host) comes from
.ci/slurm/start.sh, or is the one .ci/run started. A reduced test config (2 models
x 2 grid points, smaller FEFF clusters) runs through the SLURM executor plugin with the
structure -> relax -> xanes chains batched into group jobs, and its outputs are
compared with a local run of the same selection: same data-set rows, same spectra,
same metrics structure.

Skipped, with the reason, where SLURM cannot be started: binaries missing (.ci/run
installs them with apt-get), not root, or a foreign /etc/slurm/slurm.conf.
"""

import json
import math
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
import yaml

ROOT = Path(__file__).parents[1]
START = ROOT / ".ci" / "slurm" / "start.sh"
STOP = ROOT / ".ci" / "slurm" / "stop.sh"
SLURM_DIR = Path(os.environ.get("CUMOR_SLURM_DIR", "/tmp/cumor-slurm"))
BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol")

CONFIG = "config/slurm_ci.yaml"  # written into both copies by _write_selection
RESULTS = Path("results/slurm_ci")
# The data set and the paper's MLP (not the whole ML suite of `all`).
TARGETS = (str(RESULTS / "dataset" / "spectra_feff.parquet"),
           str(RESULTS / "ml" / "feff" / "metrics.json"))
# The test config's two fastest FEFF models, 2 grid points each, both in one batch:
# 4 structures in 2 batches = 6 chain jobs (+ ring catalogue, a reference spectrum,
# data set, augmentation, MLP).
MODELS, N_POINTS, POINTS_PER_JOB = ("6.12_1Cu", "5.12_1Cu"), 2, 2
N_BATCHES = len(MODELS) * math.ceil(N_POINTS / POINTS_PER_JOB)
CHAINS_PER_GROUP = 1  # -> 2 group submissions (the real profile: 4)

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


# ---------------------------------------------------------------------------- cluster


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def _query(*cmd: str, timeout: float = 15) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _node() -> dict | None:
    """The cluster's first usable node (CPUs, memory) and default partition, or None."""
    if _which("sinfo") is None:
        return None
    run = _query("sinfo", "-h", "-N", "-o", "%N %c %m %t %P")
    if run is None or run.returncode != 0:
        return None
    for line in run.stdout.splitlines():
        name, cpus, mem, state, partition = line.split()
        if state.rstrip("*~#$@") in ("idle", "mix", "alloc"):
            return {
                "name": name,
                "cpus": int(cpus),
                "mem_mb": int(mem),
                "partition": partition.rstrip("*"),
            }
    return None


def _install_hint() -> str:
    log = SLURM_DIR / "install.log"
    hint = "; .ci/run installs it: apt-get install slurmctld slurmd slurm-client munge"
    if log.exists():
        errors = [x for x in log.read_text(errors="replace").splitlines() if x.startswith("E:")]
        hint += f" (log {log}{': ' + errors[-1] if errors else ''})"
    return hint


@pytest.fixture(scope="module")
def slurm_cluster():
    """A running one-node SLURM; started (and stopped afterwards) here if need be."""
    node = _node()
    if node is not None:  # e.g. started by .ci/run: use it, leave it running
        yield node
        return
    missing = [b for b in BINARIES if _which(b) is None]
    if missing:
        pytest.skip(f"SLURM not installed ({', '.join(missing)} missing){_install_hint()}")
    if os.geteuid() != 0:
        pytest.skip("starting SLURM needs root (slurmd and munged run as root/munge)")
    t0 = time.monotonic()
    start = _query(str(START), timeout=180)
    if start is None:
        _query(str(STOP), timeout=60)
        pytest.fail(f"{START} did not finish in 180 s")
    if start.returncode == 2:  # the script's "cannot start here" (reason on stderr)
        pytest.skip(start.stderr.strip())
    try:
        assert start.returncode == 0, start.stdout + start.stderr
        node = _node()
        assert node is not None, "SLURM started but no node is idle:\n" + start.stdout
        print(f"\nSLURM set-up: {time.monotonic() - t0:.1f} s ({start.stdout.strip()})")
        yield node
    finally:
        _query(str(STOP), timeout=60)


# --------------------------------------------------------------------------- workflow


def _copy_workflow(dest: Path) -> Path:
    """A user's checkout in miniature, with the profiles (profiles/default applies)."""
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "Snakefile", dest / "Snakefile")
    for part in ("workflow", "config", "envs", "profiles"):
        shutil.copytree(ROOT / part, dest / part)
    return dest


def _write_selection(checkout: Path) -> int:
    """The test config, cut down; returns the number of structures.

    MODELS x N_POINTS structures, FEFF clusters of 4 A instead of 6 and one reference
    oxide (Cu2O) for the augmentation: the same steps and code paths in a few minutes.
    Both runs use this same config, so their outputs must agree all the same.
    """
    test = yaml.safe_load((checkout / "config" / "test.yaml").read_text())
    assert set(MODELS) <= set(test["select"]["models"]), "update MODELS to test.yaml"
    test["results"] = str(RESULTS)
    test["select"] = {"models": list(MODELS), "max_points_per_model": N_POINTS}
    test["batching"] = {"points_per_job": POINTS_PER_JOB}
    test.setdefault("xanes", {}).setdefault("feff", {})["cluster_radius"] = 4.0
    test.setdefault("ml", {}).setdefault("augment", {})["oxides"] = ["Cu2O"]
    (checkout / CONFIG).write_text(yaml.safe_dump(test, sort_keys=False))
    return len(MODELS) * N_POINTS


def _write_ci_profile(checkout: Path, node: dict) -> dict:
    """profiles/slurm with only what this one-node, database-less cluster needs changed."""
    profile = yaml.safe_load((checkout / "profiles" / "slurm" / "config.yaml").read_text())
    profile.update(
        {
            # A group job must fit on the one node.
            "cores": min(int(profile["cores"]), node["cpus"]),
            # 2 batches -> 2 group submissions (the real profile packs 4).
            "group-components": [f"chain={CHAINS_PER_GROUP}"],
            # No slurmdbd, so sacct has no answers: poll squeue (MinJobAge=600 in
            # start.sh keeps finished jobs visible) and start polling early.
            "slurm-status-command": "squeue",
            "slurm-init-seconds-before-status-checks": 2,
            # The test reads the group jobs' SLURM logs.
            "slurm-keep-successful-logs": True,
            # Local disk, and a failure must fail the test, not be retried away.
            "latency-wait": 5,
            "retries": 0,
        }
    )
    profile["default-resources"]["slurm_partition"] = node["partition"]
    # No request may exceed the node's memory, or it would pend forever.
    for resources in [profile["default-resources"], *profile.get("set-resources", {}).values()]:
        if isinstance(resources.get("mem_mb"), int):
            resources["mem_mb"] = min(resources["mem_mb"], node["mem_mb"] // 2)
    (checkout / "profiles" / "slurm-ci").mkdir()
    (checkout / "profiles" / "slurm-ci" / "config.yaml").write_text(
        yaml.safe_dump(profile, sort_keys=False)
    )
    return profile


def _snakemake(workdir: Path, *args: str, timeout: int = 1500) -> subprocess.CompletedProcess:
    """Run snakemake; on timeout stop it with SIGINT (it cancels its SLURM jobs then)."""
    cmd = [sys.executable, "-m", "snakemake", "--directory", str(workdir), *args]
    proc = subprocess.Popen(
        cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)  # SIGTERM would let it wait for the jobs
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        pytest.fail(f"snakemake timed out after {timeout} s:\n{out[-3000:]}\n{err[-5000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _key_tree(value):
    """The nested key structure of a JSON document (values dropped)."""
    if isinstance(value, dict):
        return {k: _key_tree(v) for k, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_key_tree(value[0])]
    return type(value).__name__ if not isinstance(value, (int, float)) else "number"


def _without_timings(value):
    """A JSON document without its "...seconds" entries (wall-clock times)."""
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if not k.endswith("seconds")}
    return value


# ------------------------------------------------------------------------------- test


def test_test_selection_through_slurm_matches_local_run(slurm_cluster, tmp_path):
    on_slurm = _copy_workflow(tmp_path / "slurm")
    local = _copy_workflow(tmp_path / "local")
    n_structures = _write_selection(on_slurm)
    assert _write_selection(local) == n_structures
    profile = _write_ci_profile(on_slurm, slurm_cluster)

    t0 = time.monotonic()
    run = _snakemake(
        on_slurm, *TARGETS, "--profile", "profiles/slurm-ci", "--configfile", CONFIG
    )
    slurm_seconds = time.monotonic() - t0
    log = run.stdout + run.stderr
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-8000:]

    # Every job went through sbatch, batched: one submission per CHAINS_PER_GROUP
    # batches (their structure, relax and xanes jobs), one per other job.
    stats = {k: int(v) for k, v in re.findall(r"^(\w+)\s+(\d+)$", log, flags=re.M)}
    assert stats["structure"] == stats["relax"] == stats["xanes"] == N_BATCHES, stats
    n_jobs = stats["total"]
    n_groups = math.ceil(N_BATCHES / CHAINS_PER_GROUP)
    job_ids = sorted(set(re.findall(r"submitted with SLURM jobid (\d+)", log)), key=int)
    assert len(job_ids) == n_groups + n_jobs - 3 * N_BATCHES, (stats, log[-5000:])
    states = _query(
        "squeue", "--noheader", "--states=all", "-o", "%i|%T", "-j", ",".join(job_ids)
    )
    assert states is not None and states.returncode == 0, states
    state_of = dict(line.split("|") for line in states.stdout.split())
    assert state_of == {i: "COMPLETED" for i in job_ids}, states.stdout

    # Each group submission ran the whole chain of CHAINS_PER_GROUP batches,
    # inside the SLURM job; together they made every batch.
    group_logs = sorted((on_slurm / ".snakemake" / "slurm_logs").glob("group_chain*/*.log"))
    assert len(group_logs) == n_groups, group_logs
    made = set()
    for group_log in group_logs:
        text = group_log.read_text()
        assert group_log.stem in job_ids
        assert "--executor slurm-jobstep" in text
        for stage in ("structures", "relaxed", "spectra/feff"):
            outputs = set(re.findall(rf"output: (\S*/{stage}/\S+)", text))
            assert len(outputs) == CHAINS_PER_GROUP, (stage, outputs, text[-3000:])
            made |= outputs
    assert len(made) == 3 * N_BATCHES
    # cores caps a group's width: its sbatch asked for at most that many CPUs.
    for job_id in job_ids:
        show = _query("scontrol", "show", "job", job_id)
        cpus = int(re.search(r"NumCPUs=(\d+)", show.stdout).group(1))
        assert cpus <= profile["cores"], show.stdout

    t0 = time.monotonic()
    run_local = _snakemake(local, *TARGETS, "--cores", "2", "--configfile", CONFIG)
    local_seconds = time.monotonic() - t0
    assert run_local.returncode == 0, run_local.stdout[-3000:] + run_local.stderr[-8000:]
    assert "SLURM" not in run_local.stdout + run_local.stderr
    print(
        f"\n{n_structures} structures, {n_jobs} jobs -> {len(job_ids)} "
        f"SLURM submissions: {slurm_seconds:.0f} s on SLURM, {local_seconds:.0f} s locally"
    )

    # Same data set: same rows and metadata (but run times), same spectra (FEFF10 and
    # LAMMPS are deterministic; a tolerance for the last bits of float output).
    tables = [
        pd.read_parquet(d / TARGETS[0])
        .sort_values("structure_id")
        .reset_index(drop=True)
        for d in (on_slurm, local)
    ]
    cluster_table, local_table = tables
    assert len(cluster_table) == n_structures == cluster_table["structure_id"].nunique()
    assert list(cluster_table.columns) == list(local_table.columns)
    mu = [c for c in cluster_table.columns if c.startswith("mu_")]
    assert mu
    meta = [c for c in cluster_table.columns if c not in mu and not c.endswith("seconds")]
    pd.testing.assert_frame_equal(cluster_table[meta], local_table[meta])
    np.testing.assert_allclose(
        cluster_table[mu].to_numpy(), local_table[mu].to_numpy(), rtol=1e-6, atol=1e-9
    )

    # Same metrics: the same structure, and with the same torch thread count the same
    # values (training is bit-reproducible then), but for the timings.
    metrics = [
        _without_timings(json.loads((d / TARGETS[1]).read_text())) for d in (on_slurm, local)
    ]
    assert _key_tree(metrics[0]) == _key_tree(metrics[1])
    for key in ("n_train", "n_test"):
        assert metrics[0][key] == metrics[1][key]
    assert metrics[0]["confusion_matrix"]["labels"] == metrics[1]["confusion_matrix"]["labels"]
    if metrics[0].get("n_threads") == metrics[1].get("n_threads"):
        assert metrics[0] == metrics[1]
    for suffix in ("png", "pdf"):
        assert (on_slurm / RESULTS / "figures" / f"confusion_matrix_feff.{suffix}").stat().st_size
