"""Snakemake script: Cu K-edge XANES of one batch of structures (rule `xanes`)."""

from cumor.batches import spectrum_batch
from cumor.joblog import job_log
from cumor.normalise import energy_grid
from cumor.spectrum_io import is_failed, write_spectrum_batch
from cumor.structure_io import read_structures

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    params = snakemake.params  # noqa: F821
    records = spectrum_batch(
        read_structures(snakemake.input.structures),  # noqa: F821
        snakemake.wildcards.engine,  # noqa: F821
        params.settings,
        energy_grid(**params.energy_grid),
        params.work_root,
    )
    write_spectrum_batch(snakemake.output.spectra, records)  # noqa: F821
    failed = [r["meta"]["point"] for r in records if is_failed(r)]
    log.info("wrote %d spectra; failed: %s", len(records) - len(failed), failed or "none")
