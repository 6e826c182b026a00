"""Snakemake script: build one batch of Cu-MOR structures (rule `structure`)."""

from cumor.batches import build_structure_batch
from cumor.joblog import job_log
from cumor.models import GridPoint
from cumor.rings import read_ring_catalogue
from cumor.structure_io import write_structures

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    points = [GridPoint(**p) for p in snakemake.params.points]  # noqa: F821
    rings = read_ring_catalogue(snakemake.input.rings)  # noqa: F821
    structures = build_structure_batch(snakemake.params.spec, points, rings=rings)  # noqa: F821
    write_structures(snakemake.output.structures, structures)  # noqa: F821
    log.info("wrote %d structures", len(structures))
