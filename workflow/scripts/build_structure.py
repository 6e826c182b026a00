"""Snakemake script: build one Cu-MOR structure (rule `structure`)."""

from cumor.joblog import job_log
from cumor.models import GridPoint, build_cu_model
from cumor.rings import read_ring_catalogue
from cumor.structure_io import write_structure

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    point = GridPoint(**snakemake.params.point)  # noqa: F821
    rings = read_ring_catalogue(snakemake.input.rings)  # noqa: F821
    atoms = build_cu_model(snakemake.params.spec, point, rings=rings)  # noqa: F821
    write_structure(snakemake.output.structure, atoms)  # noqa: F821
    log.info("built %s %s: %d atoms, %s", point.model, point.point, len(atoms), atoms.info)
