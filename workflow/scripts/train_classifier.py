"""Snakemake script: the paper's MLP on the data set (rule `train`)."""

import pandas as pd

from cumor.atomic_io import atomic_path
from cumor.classifier import save_model
from cumor.joblog import job_log
from cumor.plots import plot_confusion_matrix
from cumor.protocol import run_paper_protocol, write_json

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    out = snakemake.output  # noqa: F821
    table = pd.read_parquet(snakemake.input.table)  # noqa: F821
    result = run_paper_protocol(
        table, dict(snakemake.params.ml), log=log.info, n_threads=snakemake.threads  # noqa: F821
    )
    with atomic_path(out.history) as tmp:
        result.train.history.to_csv(tmp, index=False)
    save_model(
        result.train.model,
        out.model,
        meta={"energy_grid": result.energy_grid, "seed": snakemake.params.ml["seed"]},  # noqa: F821
    )
    plot_confusion_matrix(
        result.confusion, result.labels, [out.confusion_png, out.confusion_pdf],
        title=f"MLP, test set (F1 macro {result.metrics['test']['f1_macro']:.3f})",
    )
    write_json(out.metrics, result.metrics)
    log.info("test F1 macro %.3f, train F1 macro %.3f",
             result.metrics["test"]["f1_macro"], result.metrics["train"]["f1_macro"])
