"""Snakemake script: relax one structure with LAMMPS (rule `relax`)."""

from cumor.joblog import job_log
from cumor.relax import forcefield_from_config, relax_structure
from cumor.structure_io import read_structure, write_structure

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    params = snakemake.params  # noqa: F821
    atoms = read_structure(snakemake.input.structure)  # noqa: F821
    forcefield = forcefield_from_config(params.forcefield)
    relaxed, info = relax_structure(
        atoms,
        forcefield,
        fixed=atoms.info["fixed"],
        fmax=params.fmax,
        max_steps=params.max_steps,
        # the LAMMPS log sits beside the job log: <model>/<point>.lammps.log
        logfile=str(snakemake.log[0]).removesuffix(".log") + ".lammps.log",  # noqa: F821
    )
    relaxed.info.update({f"relax_{k}": v for k, v in info.items()})
    write_structure(snakemake.output.structure, relaxed)  # noqa: F821
    log.info("relaxed %s %s: %s", atoms.info["model"], atoms.info["point"], info)
