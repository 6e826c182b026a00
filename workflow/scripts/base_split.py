"""Snakemake script: split by base spectrum, then augment each side (rule `base_split`)."""

import pandas as pd

from cumor.evaluation import base_split_protocol
from cumor.joblog import job_log
from cumor.protocol import write_json
from cumor.spectrum_io import read_spectrum

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    ml = dict(snakemake.params.ml)  # noqa: F821
    table = pd.read_parquet(snakemake.input.table)  # noqa: F821
    references = {}
    for path in snakemake.input.references:  # noqa: F821
        record = read_spectrum(path)
        references[record["meta"]["reference"]] = (record["energy"], record["mu"])
    result = base_split_protocol(table, references, snakemake.params.fractions, ml,  # noqa: F821
                                 log=log.info, n_threads=snakemake.threads)  # noqa: F821
    result["settings"] = ml
    write_json(snakemake.output.metrics, result)  # noqa: F821
