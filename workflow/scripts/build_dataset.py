"""Snakemake script: collect every spectrum into one parquet table (rule `dataset`)."""

from cumor.dataset import build_dataset, write_dataset
from cumor.joblog import job_log

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    table, missing = build_dataset(
        list(snakemake.input.spectra),  # noqa: F821
        allow_missing=snakemake.params.allow_missing,  # noqa: F821
    )
    for entry in missing:
        log.warning("missing %s: %s", entry["structure_id"], entry["error"])
    write_dataset(snakemake.output.table, table)  # noqa: F821
    log.info("data set: %d spectra, %d columns, %d missing", len(table), table.shape[1], len(missing))
    log.info("spectra per class:\n%s", table["ring_class"].value_counts().to_string())
