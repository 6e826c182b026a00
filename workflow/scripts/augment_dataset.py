"""Snakemake script: the data set plus its mixtures with CuO and Cu2O (rule `augment`)."""

import pandas as pd

from cumor.augment import augment_with_references
from cumor.dataset import write_dataset
from cumor.joblog import job_log
from cumor.spectrum_io import read_spectrum

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    table = pd.read_parquet(snakemake.input.table)  # noqa: F821
    references = {}
    for path in snakemake.input.references:  # noqa: F821
        record = read_spectrum(path)
        references[record["meta"]["reference"]] = (record["energy"], record["mu"])
    fractions = snakemake.params.fractions  # noqa: F821
    augmented = augment_with_references(table, references, fractions)
    write_dataset(snakemake.output.table, augmented)  # noqa: F821
    log.info("augmented %d base spectra with %s at oxide fractions %s -> %d rows",
             len(table), ", ".join(references), fractions, len(augmented))
    log.info("rows per oxide:\n%s", augmented["oxide"].value_counts().to_string())
