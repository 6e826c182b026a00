"""Snakemake script: find the framework's rings once (rule `ring_catalogue`)."""

from cumor.framework import build_mor_framework
from cumor.joblog import job_log
from cumor.rings import find_rings, write_ring_catalogue

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    atoms = build_mor_framework()
    rings = find_rings(atoms)
    write_ring_catalogue(snakemake.output.rings, rings, atoms)  # noqa: F821
    counts = {}
    for ring in rings:
        counts[ring.label] = counts.get(ring.label, 0) + 1
    log.info("%d rings per cell: %s", len(rings), counts)
