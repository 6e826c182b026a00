"""Snakemake script: the paper's protocol on the augmented set (rule `train`).

Random stratified split of all (augmented) spectra, the MLP (F1 per epoch: Fig. 6;
normalised confusion matrix: Fig. 7) and the three scikit-learn baselines on the
same split.
"""

import pandas as pd
import sklearn

from cumor.atomic_io import atomic_path
from cumor.classifier import save_model
from cumor.joblog import job_log
from cumor.plots import plot_confusion_matrix, plot_f1_history
from cumor.protocol import run_paper_protocol, write_json

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    out = snakemake.output  # noqa: F821
    ml = dict(snakemake.params.ml)  # noqa: F821
    table = pd.read_parquet(snakemake.input.table)  # noqa: F821
    log.info("paper protocol on %d spectra (%s)", len(table),
             ", ".join(f"{k}: {v}" for k, v in table["oxide"].value_counts().items())
             if "oxide" in table else "not augmented")
    result = run_paper_protocol(table, ml, log=log.info, n_threads=snakemake.threads,  # noqa: F821
                                baselines=True)
    result.metrics["sklearn_version"] = sklearn.__version__
    with atomic_path(out.history) as tmp:
        result.train.history.to_csv(tmp, index=False)
    save_model(result.train.model, out.model,
               meta={"energy_grid": result.energy_grid, "seed": ml["seed"],
                     # apply as predict(model, (X - mean) / scale)
                     "scaler": result.scaler.as_dict()})
    test_f1 = result.metrics["test"]["f1_macro"]
    plot_confusion_matrix(
        result.confusion, result.labels, [out.confusion_png, out.confusion_pdf],
        title=f"MLP, test set (F1 macro {test_f1:.3f})",
    )
    plot_f1_history(result.train.history, [out.f1_png, out.f1_pdf],
                    title=f"MLP on {len(table)} spectra (paper protocol)")
    write_json(out.metrics, result.metrics)
    log.info("MLP: test F1 macro %.3f, train F1 macro %.3f, %.1f s", test_f1,
             result.metrics["train"]["f1_macro"], result.metrics["training_seconds"])
