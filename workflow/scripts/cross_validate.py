"""Snakemake script: k-fold CV of the MLP on the non-augmented spectra (rule `cross_validate`)."""

import pandas as pd

from cumor.evaluation import cross_validate_mlp
from cumor.joblog import job_log
from cumor.protocol import write_json

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    ml = dict(snakemake.params.ml)  # noqa: F821
    table = pd.read_parquet(snakemake.input.table)  # noqa: F821
    result = cross_validate_mlp(table, ml, ml["cv_folds"], log=log.info,
                                n_threads=snakemake.threads)  # noqa: F821
    result["settings"] = ml
    write_json(snakemake.output.metrics, result)  # noqa: F821
    log.info("%d-fold CV: F1 macro %.4f +- %.4f, weighted %.4f +- %.4f", result["n_folds"],
             result["f1_macro"]["mean"], result["f1_macro"]["std"],
             result["f1_weighted"]["mean"], result["f1_weighted"]["std"])
