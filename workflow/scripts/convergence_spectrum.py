"""Snakemake script: one spectrum of the Fig. 1 convergence study (rule `convergence_spectrum`)."""

from pathlib import Path

from cumor.engines import get_engine
from cumor.engines.base import compute_average_spectrum
from cumor.joblog import job_log
from cumor.normalise import energy_grid
from cumor.spectrum_io import write_spectrum
from cumor.structure_io import read_structures, structure_by_point, structure_meta

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    params = snakemake.params  # noqa: F821
    wildcards = snakemake.wildcards  # noqa: F821
    path = snakemake.input.structure  # noqa: F821
    atoms = structure_by_point(read_structures(path), params.point, path)
    if atoms.info["model"] != params.model:
        raise ValueError(f"{path} holds model {atoms.info['model']}, expected {params.model}")
    engine = get_engine(wildcards.engine, params.settings)
    log.info("%s setting %s: %s", wildcards.engine, wildcards.setting, engine.settings)

    workdir = Path(params.work_root, wildcards.engine, wildcards.setting)
    result = compute_average_spectrum(atoms, engine, workdir, energy_grid(**params.energy_grid))
    meta = {**structure_meta(atoms), "setting": wildcards.setting,
            "engine_settings": dict(params.settings)}
    write_spectrum(snakemake.output.spectrum, result, meta, engine=wildcards.engine)  # noqa: F821
    log.info("%s %s, setting %s: %d absorber(s), engine seconds %s", meta["model"],
             meta["point"], wildcards.setting, len(result["seconds"]),
             ", ".join(f"{s:.1f}" for s in result["seconds"]))
