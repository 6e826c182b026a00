"""Snakemake script: Cu K-edge XANES of one structure (rule `xanes`)."""

from pathlib import Path

from cumor.engines import get_engine
from cumor.engines.base import compute_average_spectrum
from cumor.joblog import job_log
from cumor.normalise import energy_grid
from cumor.spectrum_io import write_spectrum
from cumor.structure_io import read_structure, structure_meta

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    params = snakemake.params  # noqa: F821
    atoms = read_structure(snakemake.input.structure)  # noqa: F821
    wildcards = snakemake.wildcards  # noqa: F821
    engine = get_engine(wildcards.engine, params.settings)
    grid = energy_grid(**params.energy_grid)

    workdir = Path(params.work_root, wildcards.engine, wildcards.model, wildcards.point)
    result = compute_average_spectrum(atoms, engine, workdir, grid)
    meta = structure_meta(atoms)
    write_spectrum(snakemake.output.spectrum, result, meta, engine=wildcards.engine)  # noqa: F821
    log.info("%s %s: E0 %s eV, %s s", meta["model"], meta["point"], result["e0"], result["seconds"])
