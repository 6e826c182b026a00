"""Snakemake script: relax one batch of structures with LAMMPS (rule `relax`)."""

from cumor.batches import relax_batch
from cumor.joblog import job_log
from cumor.relax import forcefield_from_config
from cumor.structure_io import read_structures, write_structures

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    params = snakemake.params  # noqa: F821
    relaxed = relax_batch(
        read_structures(snakemake.input.structures),  # noqa: F821
        forcefield_from_config(params.forcefield),
        fmax=params.fmax,
        max_steps=params.max_steps,
        free_radius=params.free_radius,
        # LAMMPS logs sit beside the job log: <model>/<batch>.<point>.lammps.log
        lammps_log_stem=str(snakemake.log[0]).removesuffix(".log"),  # noqa: F821
    )
    write_structures(snakemake.output.structures, relaxed)  # noqa: F821
    log.info("wrote %d relaxed structures", len(relaxed))
