"""Deployment files: conda envs agree with pyproject.toml; the Snakemake profiles parse,
use real options, name only existing rules and groups, and batch the cluster jobs."""

import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).parents[1]
ENVS = sorted((ROOT / "envs").glob("*.yaml"))
PROFILES = {p.parent.name: p for p in sorted((ROOT / "profiles").glob("*/config.yaml"))}
RULE_FILES = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
# Run by the Snakemake process itself (config validation), never inside a job env.
WORKFLOW_ONLY = {"snakemake", "jsonschema"}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _requirements(lines) -> dict[str, Requirement]:
    reqs = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): r for r in reqs}


def _env_pip(env: dict) -> list[str]:
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip) == 1, "one pip: section per env"
    return pip[0]


def _rules() -> dict[str, str]:
    """rule name -> its text, from the Snakefile and workflow/rules/*.smk."""
    rules = {}
    for path in RULE_FILES:
        parts = re.split(r"^(?:rule|checkpoint) (\w+):\n", path.read_text(), flags=re.M)
        rules.update(dict(zip(parts[1::2], parts[2::2])))
    return rules


#: Group names the rules take from common.smk variables: the xanes rule joins the
#: "chain" group, except with FDMNES finite differences (XANES_GROUP None).
GROUP_VARIABLES = {"XANES_GROUP": "chain"}


def _groups(rules: dict[str, str]) -> dict[str, set[str]]:
    """group name -> rules in it (snakefmt style: `group:` then the quoted name, or
    a variable of GROUP_VARIABLES)."""
    groups: dict[str, set[str]] = {}
    for name, text in rules.items():
        for quoted, variable in re.findall(r"^    group:\n\s+(?:\"(\w+)\"|(\w+))$", text,
                                           flags=re.M):
            group = quoted or GROUP_VARIABLES[variable]
            groups.setdefault(group, set()).add(name)
    return groups


def _profile(name: str) -> dict:
    profile = yaml.safe_load(PROFILES[name].read_text())
    assert isinstance(profile, dict) and profile
    return profile


# ------------------------------------------------------------------------------ envs


def test_there_are_envs_and_profiles():
    assert {p.stem for p in ENVS} >= {"structures", "relax", "xanes", "ml"}
    assert set(PROFILES) >= {"default", "slurm"}


def _lock() -> dict[str, str]:
    """Package -> exact version from requirements.lock (the pinned install)."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


@pytest.mark.parametrize("path", ENVS, ids=lambda p: p.stem)
def test_env_parses_and_pins_agree_with_the_lock(path):
    env = yaml.safe_load(path.read_text())
    assert env["channels"] and isinstance(env["dependencies"], list)
    project = _pyproject()["project"]

    # The env's Python satisfies requires-python.
    python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert len(python) == 1, python
    version = python[0].split("=", 1)[1].lstrip("=")
    assert SpecifierSet(project["requires-python"]).contains(version), python

    # Every pip package is a dependency of the project, same extras, pinned to the
    # lock's exact version; the lock constrains everything else the env pulls in.
    pip = _env_pip(env)
    assert "-e .." in pip, "each env installs the cumor package itself"
    assert "-c ../requirements.lock" in pip, "each env installs under the lock"
    declared = _requirements(project["dependencies"])
    lock = _lock()
    for name, req in _requirements([line for line in pip if not line.startswith("-")]).items():
        assert name in declared, f"{path.name}: {req} is not in pyproject.toml"
        assert req.extras == declared[name].extras, (str(req), str(declared[name]))
        assert str(req.specifier) == f"=={lock[name]}", (path.name, str(req), lock[name])


def test_lock_pins_every_dependency_within_pyproject_ranges():
    project = _pyproject()["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["dev"]
    lock = _lock()
    for name, req in _requirements(lines).items():
        assert name in lock, f"requirements.lock does not pin {name}"
        assert req.specifier.contains(lock[name], prereleases=True), (str(req), lock[name])


def test_installed_versions_are_the_locked_ones():
    """What the README's set-up installed is what the lock says (CI runs exactly it)."""
    from importlib.metadata import PackageNotFoundError, version

    project = _pyproject()["project"]
    lock = _lock()
    for name in _requirements(project["dependencies"] + project["optional-dependencies"]["dev"]):
        try:
            installed = version(name)
        except PackageNotFoundError:
            pytest.fail(f"{name} is not installed; run the README set-up")
        assert installed.split("+")[0] == lock[name].split("+")[0], (name, installed, lock[name])


def test_envs_together_cover_pyproject_dependencies():
    in_envs = set()
    for path in ENVS:
        pip = _env_pip(yaml.safe_load(path.read_text()))
        in_envs |= set(_requirements([line for line in pip if not line.startswith("-")]))
    declared = set(_requirements(_pyproject()["project"]["dependencies"]))
    assert declared - WORKFLOW_ONLY == in_envs - WORKFLOW_ONLY, (
        f"only in pyproject: {sorted(declared - in_envs - WORKFLOW_ONLY)}, "
        f"only in envs: {sorted(in_envs - declared)}"
    )


# -------------------------------------------------------------------------- profiles


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_keys_are_snakemake_options(name):
    pytest.importorskip("snakemake_executor_plugin_slurm")  # registers --slurm-* options
    from snakemake.cli import get_argument_parser

    options = set(get_argument_parser()._option_string_actions)
    unknown = [key for key in _profile(name) if f"--{key}" not in options]
    assert not unknown, f"profiles/{name}: not Snakemake options: {unknown}"


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_names_only_existing_rules_and_groups(name):
    profile = _profile(name)
    rules = _rules()
    groups = _groups(rules)
    for key in ("set-resources", "set-threads"):
        unknown = set(profile.get(key) or {}) - set(rules)
        assert not unknown, f"profiles/{name} {key}: no such rule {sorted(unknown)}"
    for entry in profile.get("group-components") or []:
        group, count = entry.split("=")
        assert group in groups and int(count) >= 1, entry
    for entry in profile.get("groups") or []:
        rule, _group = entry.split("=")
        assert rule in rules, entry


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_setting_is_commented(name):
    """Each top-level key has a comment above it; each setting a comment above or inline."""
    lines = PROFILES[name].read_text().splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)([\w-]+):\s*(.*)$", line)
        if not match:
            continue
        indent, key, value = match.groups()
        previous = next((p.strip() for p in reversed(lines[:i]) if p.strip()), "")
        commented = previous.startswith("#") or "#" in value
        if not indent or (value and not value.startswith("#")):  # top level, or a leaf
            assert commented, f"profiles/{name}: `{key}` (line {i + 1}) has no comment"


def test_default_profile_is_safe_to_merge_into_cluster_runs():
    """profiles/default is applied to every run, also under --profile profiles/slurm,
    key by key and with precedence: it must not set execution or resource keys."""
    cluster_keys = {"executor", "cores", "jobs", "default-resources", "set-resources",
                    "set-threads", "group-components", "groups", "latency-wait", "retries"}
    assert not cluster_keys & set(_profile("default"))


def test_slurm_profile_settings():
    profile = _profile("slurm")
    assert profile["executor"] == "slurm"
    assert {"slurm_partition", "runtime", "mem_mb", "cpus_per_task"} <= set(
        profile["default-resources"]
    )
    groups = _groups(_rules())
    assert groups["chain"] == {"structure", "relax", "xanes"}
    for name, text in _rules().items():
        if name != "all":
            assert re.search(r"^    threads: \d+", text, re.M), f"rule {name}: no threads"
            resources = re.search(r"^    resources:\n((?:        .*\n)+)", text, re.M)
            assert resources, f"rule {name}: no resources"
            assert "mem_mb=" in resources[1] and "runtime=" in resources[1], name


def _slurm_dry_run(tmp_path, *args):
    shutil.copy(ROOT / "Snakefile", tmp_path / "Snakefile")
    for part in ("workflow", "config", "envs", "profiles"):
        shutil.copytree(ROOT / part, tmp_path / part)
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--profile", "profiles/slurm", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout + run.stderr


def test_slurm_profile_submits_fdm_spectra_one_by_one(tmp_path):
    """FDMNES finite differences (~9 h per Cu): one structure per xanes job, and no
    xanes job inside a chain group (group-components would queue 4 in a row)."""
    pytest.importorskip("snakemake_executor_plugin_slurm")
    fake = tmp_path / "fdmnes_stand_in"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    log = _slurm_dry_run(work, "--configfile", "config/test.yaml", "--config",
                         f"xanes={{engine: fdmnes, fdmnes: {{executable: {fake}}}}}")
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", log, flags=re.M))
    assert int(stats["xanes"]) == int(stats["structure"]) == 24
    grouped = "".join(log.split("Group job chain")[1:])
    assert "\n    rule relax:" in grouped and "\n    rule xanes:" not in grouped
    assert log.count("\nrule xanes:") == 24  # each its own submission
    runtimes = {int(r) for r in re.findall(r"rule xanes:\n(?:.*\n)*?.*runtime=(\d+)", log)}
    assert runtimes == {807}  # minutes: 161 energy points x 200 s x 1.5, + start-up


def test_slurm_profile_batches_the_default_config(tmp_path):
    """Dry run of the default config: the batch chains go into ceil(n / group size) groups."""
    pytest.importorskip("snakemake_executor_plugin_slurm")
    components = dict(e.split("=") for e in _profile("slurm")["group-components"])
    per_group = int(components["chain"])
    log = _slurm_dry_run(tmp_path)
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", log, flags=re.M))
    n_batches = int(stats["structure"])
    groups = log.split("Group job chain")[1:]
    assert len(groups) == math.ceil(n_batches / per_group)
    for group in groups:
        assert 1 <= group.count("rule xanes:") <= per_group
    assert sum(g.count("rule structure:") for g in groups) == n_batches
