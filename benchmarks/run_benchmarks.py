"""Measure the workflow's speed: engine, workflow overhead, DAG, MLP, UMAP.

One command from the repository root (prints a table, writes CSV)::

    python benchmarks/run_benchmarks.py                 # everything, ~15-25 min on 2 cores
    python benchmarks/run_benchmarks.py --quick         # smaller engine/MLP parts, ~10 min
    python benchmarks/run_benchmarks.py --only dag mlp  # pick parts

Parts (``--only``):

engine
    Seconds per spectrum per engine setting: one test-config structure
    (``--structure``, unrelaxed) through FEFF10 at each cluster radius of
    ``--radii``, SCF off (and at ``--scf-radius`` if given), via the package
    (:func:`cumor.batches.spectrum_batch`, the xanes rule's code path).
workflow
    ``snakemake --cores N --configfile config/test.yaml`` in a fresh copy of the
    checkout. Read back: Snakemake's ``benchmark:`` files (seconds per job, summed
    by rule) and the engine seconds every spectrum records. Reported:

    * ``wall``: the run's wall time;
    * ``overhead_wall``: ``cores * wall - engine seconds`` (engine = data-set
      spectra, oxide references and Fig. 1 spectra; the rest is relaxation, ML,
      figures, idle cores, Snakemake) and its fraction of ``cores * wall``;
    * ``overhead_spectrum_jobs``: summed xanes job seconds minus the engine
      seconds of their spectra (start-up, imports, cluster set-up, I/O), and its
      fraction of the xanes job seconds;
    * ``overhead_chain_jobs``: summed structure + relax + xanes job seconds minus
      engine and LAMMPS seconds (what a job costs beyond its science), and its
      fraction of those job seconds.
dag
    ``snakemake -n --quiet rules`` on the default config (2100 structures), run
    twice (the second with warm file caches).
mlp
    The paper's MLP (config ``ml`` defaults, :func:`cumor.protocol.fit_mlp`)
    trained for 1000 epochs on synthetic data of the augmented set's shape
    (14700 spectra x the default energy grid, 6 classes). ``--quick`` trains
    100 epochs and reports the extrapolation to 1000, labelled as such.
umap
    :func:`cumor.embedding.umap_embedding` with the config's settings on the same
    synthetic matrix.

``--checkout`` measures another checkout's workflow (e.g. an older commit in a git
worktree, with its ``src`` on ``PYTHONPATH``): that is how the before/after numbers
of the batching work were taken.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("engine", "workflow", "dag", "mlp", "umap")
#: Rows of the augmented default data set: 2100 spectra x 7 (base + 2 oxides x 3).
AUGMENTED_ROWS = 14700
N_CLASSES = 6


@dataclass
class Measurement:
    """One row of the benchmark table."""

    part: str
    name: str
    value: float
    unit: str
    n: int = 1
    note: str = ""


# ------------------------------------------------------------------------- config


def default_config(checkout: Path = ROOT) -> dict:
    """The default config with every schema default filled in."""
    import yaml
    from snakemake.utils import validate

    config = yaml.safe_load((checkout / "config" / "config.yaml").read_text())
    validate(config, str(checkout / "workflow" / "schemas" / "config.schema.yaml"),
             set_default=True)
    return config


def copy_checkout(source: Path, dest: Path) -> Path:
    """The files a user's checkout runs from (no results, no .snakemake)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "Snakefile", dest / "Snakefile")
    for part in ("workflow", "config", "envs", "profiles"):
        if (source / part).exists():
            shutil.copytree(source / part, dest / part)
    return dest


# ------------------------------------------------------------- benchmark files


def read_benchmark_seconds(results: Path) -> dict[str, list[float]]:
    """Job seconds (column ``s``) of every Snakemake ``benchmark:`` file, by rule.

    The rule is the first directory under ``<results>/benchmarks/``; works for
    per-structure and per-batch layouts alike.
    """
    by_rule: dict[str, list[float]] = {}
    root = results / "benchmarks"
    for path in sorted(root.glob("**/*.tsv")):
        rule = path.relative_to(root).parts[0]
        with open(path) as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        by_rule.setdefault(rule, []).extend(float(r["s"]) for r in rows)
    return by_rule


def spectrum_seconds(path: Path) -> list[tuple[float, float]]:
    """(engine seconds, relax seconds) per structure of one spectrum file.

    Accepts a one-spectrum record or a batch (``{"records": [...]}``); failed
    records are skipped.
    """
    data = json.loads(Path(path).read_text())
    records = data.get("records", data.get("spectra", [data]))
    return [
        (float(np.sum(r["seconds"])), float(r.get("meta", {}).get("relax_seconds", 0.0)))
        for r in records
        if "seconds" in r
    ]


def overhead_rows(wall: float, cores: int, jobs: dict[str, list[float]],
                  engine: float, engine_refs: float, relax: float,
                  n_spectra: int) -> list[Measurement]:
    """The workflow part's table rows (see the module docstring for definitions)."""
    rows = [Measurement("workflow", "wall", wall, "s", note=f"--cores {cores}")]
    for rule in sorted(jobs):
        rows.append(Measurement("workflow", f"jobs_{rule}", sum(jobs[rule]), "s",
                                n=len(jobs[rule]), note="summed benchmark s"))
    rows.append(Measurement("workflow", "engine_per_spectrum", engine / max(n_spectra, 1),
                            "s", n=n_spectra, note="engine seconds, all absorbers"))
    budget = cores * wall
    other = budget - engine - engine_refs
    rows.append(Measurement("workflow", "overhead_wall", other, "s",
                            note=f"cores*wall - engine (spectra + references) = "
                                 f"{_fraction(other, budget)} of cores*wall"))
    xanes = sum(jobs.get("xanes", []))
    rows.append(Measurement("workflow", "overhead_spectrum_jobs", xanes - engine, "s",
                            n=len(jobs.get("xanes", [])),
                            note=f"xanes job s - engine s = {_fraction(xanes - engine, xanes)}"
                                 " of xanes job s"))
    chain = sum(sum(jobs.get(r, [])) for r in ("structure", "relax", "xanes"))
    beyond = chain - engine - relax
    rows.append(Measurement("workflow", "overhead_chain_jobs", beyond, "s",
                            note=f"structure+relax+xanes job s - engine s - LAMMPS s = "
                                 f"{_fraction(beyond, chain)} of those job s"))
    rows.append(Measurement("workflow", "overhead_chain_fraction",
                            beyond / chain if chain else float("nan"), "fraction"))
    return rows


def _fraction(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"


# ------------------------------------------------------------------------- parts


def bench_engine(radii: list[float], scf_radius: float | None, structure: str,
                 checkout: Path) -> list[Measurement]:
    """Seconds per spectrum for FEFF10 at each setting (one structure)."""
    from cumor.batches import spectrum_batch
    from cumor.config import structure_table
    from cumor.engines.base import cluster_around
    from cumor.models import build_cu_model
    from cumor.normalise import energy_grid

    config = default_config(checkout)
    model, point = structure.split("/")
    config["select"] = {"models": [model], "max_points_per_model": None}
    grid_point = next(p for p in structure_table(config) if p.point == point)
    atoms = build_cu_model(config["models"][model], grid_point)
    grid = energy_grid(**config["xanes"]["energy_grid"])
    settings = [{"cluster_radius": r} for r in radii]
    if scf_radius is not None:
        settings.append({"cluster_radius": max(radii), "scf_radius": scf_radius})
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for i, extra in enumerate(settings):
            feff = {**config["xanes"]["feff"], **extra}
            t0 = time.perf_counter()
            (record,) = spectrum_batch([atoms], "feff", feff, grid, Path(work, str(i)))
            wall = time.perf_counter() - t0
            if "error" in record:
                raise RuntimeError(f"FEFF failed at {extra}: {record['error']}")
            label = ", ".join(f"{k} {v}" for k, v in extra.items())
            # The cluster FEFF got for the record's first absorber (cut outside the timing).
            absorber = record["absorbers"][0]
            n_atoms = len(cluster_around(atoms, absorber, extra["cluster_radius"]))
            rows.append(Measurement("engine", f"feff {label}", float(np.sum(record["seconds"])),
                                    "s/spectrum", note=f"{structure}; {n_atoms} atoms around "
                                                       f"Cu {absorber}; wall incl. set-up "
                                                       f"{wall:.1f} s"))
    return rows


def bench_workflow(cores: int, checkout: Path) -> list[Measurement]:
    """Run the test config through Snakemake and split its time (module docstring)."""
    with tempfile.TemporaryDirectory(prefix="cumor-bench-") as tmp:
        work = copy_checkout(checkout, Path(tmp))
        cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores),
               "--configfile", "config/test.yaml"]
        t0 = time.perf_counter()
        run = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if run.returncode != 0:
            raise RuntimeError(f"test config run failed:\n{run.stderr[-3000:]}")
        results = work / "results" / "test"
        jobs = read_benchmark_seconds(results)
        per_structure = [s for p in results.glob("spectra/*/**/*.json")
                         for s in spectrum_seconds(p)]
        # engine runs outside the data set: oxide references and Fig. 1 spectra
        refs = [s for pattern in ("references/*/*.json", "convergence/*/*.json")
                for p in results.glob(pattern) for s in spectrum_seconds(p)]
    engine = sum(e for e, _ in per_structure)
    relax = sum(r for _, r in per_structure)
    return overhead_rows(wall, cores, jobs, engine, sum(e for e, _ in refs), relax,
                         len(per_structure))


def bench_dag(checkout: Path) -> list[Measurement]:
    """Wall time of ``snakemake -n`` on the default config (twice)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="cumor-dag-") as tmp:
        work = copy_checkout(checkout, Path(tmp))
        for attempt in (1, 2):
            t0 = time.perf_counter()
            run = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--quiet", "rules"],
                                 cwd=work, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            if run.returncode != 0:
                raise RuntimeError(f"snakemake -n failed:\n{run.stderr[-3000:]}")
            total = next((line.split()[-1] for line in run.stdout.splitlines()
                          if line.startswith("total")), "?")
            rows.append(Measurement("dag", f"snakemake -n default config (run {attempt})",
                                    wall, "s", note=f"{total} jobs"))
    return rows


def synthetic_spectra(n_rows: int, n_energies: int, seed: int = 0):
    """Edge-like spectra of ``N_CLASSES`` classes with noise (the data set's shape)."""
    rng = np.random.default_rng(seed)
    energies = np.linspace(-15, 60, n_energies)
    y = rng.integers(0, N_CLASSES, n_rows)
    edge = 1.0 / (1.0 + np.exp(-energies / 2.0))
    wiggle = np.sin(energies[None, :] / (3.0 + y[:, None]))
    X = edge[None, :] + 0.1 * wiggle + 0.02 * rng.standard_normal((n_rows, n_energies))
    return X.astype(np.float32), np.array([str(c) for c in y])


def bench_mlp(epochs: int, checkout: Path) -> list[Measurement]:
    """Training time of the paper's MLP on 14700 synthetic spectra."""
    from cumor.normalise import energy_grid
    from cumor.protocol import fit_mlp

    config = default_config(checkout)
    n_energies = energy_grid(**config["xanes"]["energy_grid"]).size
    X, y = synthetic_spectra(AUGMENTED_ROWS, n_energies)
    ml = {**config["ml"], "epochs": epochs}
    classes = sorted(set(y))
    t0 = time.perf_counter()
    fit_mlp(X, y, None, None, ml, classes=classes, seed=0, history=False)
    seconds = time.perf_counter() - t0
    rows = [Measurement("mlp", f"train {epochs} epochs", seconds, "s", n=AUGMENTED_ROWS,
                        note=f"{AUGMENTED_ROWS} x {n_energies}, 1 torch thread")]
    if epochs != 1000:
        rows.append(Measurement("mlp", "train 1000 epochs (extrapolated)",
                                seconds * 1000 / epochs, "s", n=AUGMENTED_ROWS,
                                note=f"from {epochs} epochs, linear"))
    return rows


def bench_umap(checkout: Path) -> list[Measurement]:
    """UMAP time with the config's settings on 14700 synthetic spectra."""
    from cumor.embedding import umap_embedding
    from cumor.normalise import energy_grid

    config = default_config(checkout)
    n_energies = energy_grid(**config["xanes"]["energy_grid"]).size
    X, _ = synthetic_spectra(AUGMENTED_ROWS, n_energies)
    t0 = time.perf_counter()
    umap_embedding(X, **config["ml"]["umap"])
    return [Measurement("umap", "umap", time.perf_counter() - t0, "s", n=AUGMENTED_ROWS,
                        note=f"{AUGMENTED_ROWS} x {n_energies}, seeded (single-threaded)")]


# ------------------------------------------------------------------------- output


def write_csv(path: Path, rows: list[Measurement]) -> None:
    """Write the table to CSV (one row per measurement)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(asdict(rows[0])))
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)


def format_table(rows: list[Measurement]) -> str:
    """A plain-text table of the measurements."""
    lines = [f"{'part':9} {'name':44} {'value':>10} {'unit':11} {'n':>6}  note"]
    for r in rows:
        lines.append(f"{r.part:9} {r.name:44} {r.value:10.2f} {r.unit:11} {r.n:6d}  {r.note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--quick", action="store_true",
                        help="radii 4 5 only, 100 MLP epochs (extrapolated to 1000)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--radii", type=float, nargs="+", default=[4.0, 5.0, 6.0, 7.0])
    parser.add_argument("--scf-radius", type=float, default=None,
                        help="also time FEFF with SCF at this radius (slow: ~2 min)")
    parser.add_argument("--structure", default="5.12_1Cu/p016")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks" / "summary.csv")
    args = parser.parse_args(argv)
    if args.quick:
        args.radii, args.epochs = [4.0, 5.0], min(args.epochs, 100)

    os.environ.setdefault("OMP_NUM_THREADS", "1")  # what the workflow's jobs get
    rows: list[Measurement] = []
    runners = {
        "engine": lambda: bench_engine(args.radii, args.scf_radius, args.structure,
                                       args.checkout),
        "workflow": lambda: bench_workflow(args.cores, args.checkout),
        "dag": lambda: bench_dag(args.checkout),
        "mlp": lambda: bench_mlp(args.epochs, args.checkout),
        "umap": lambda: bench_umap(args.checkout),
    }
    for part in args.only:
        print(f"[benchmark] {part} ...", file=sys.stderr, flush=True)
        rows.extend(runners[part]())
    print(format_table(rows))
    write_csv(args.out, rows)
    print(f"\nwritten: {args.out} (load average at end: {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
