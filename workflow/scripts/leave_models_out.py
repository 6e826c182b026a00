"""Snakemake script: GroupKFold by model on the augmented set (rule `leave_models_out`)."""

import pandas as pd

from cumor.evaluation import leave_models_out
from cumor.joblog import job_log
from cumor.protocol import write_json

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    ml = dict(snakemake.params.ml)  # noqa: F821
    table = pd.read_parquet(snakemake.input.table)  # noqa: F821
    result = leave_models_out(table, ml, ml["cv_folds"], log=log.info,
                              n_threads=snakemake.threads)  # noqa: F821
    result["settings"] = ml
    write_json(snakemake.output.metrics, result)  # noqa: F821
    log.info("leave-models-out (%d folds, %d models): pooled F1 macro %.4f, weighted %.4f",
             result["n_folds"], result["n_models"], result["pooled"]["f1_macro"],
             result["pooled"]["f1_weighted"])
