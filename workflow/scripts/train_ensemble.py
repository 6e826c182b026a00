"""Snakemake script: ensemble of MLPs on all augmented spectra (rule `ensemble`)."""

import pandas as pd

from cumor.dataset import energies
from cumor.ensemble import member_seeds, save_ensemble, train_ensemble
from cumor.evaluation import xy
from cumor.joblog import job_log
from cumor.protocol import class_labels, write_json

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    ml = dict(snakemake.params.ml)  # noqa: F821
    table = pd.read_parquet(snakemake.input.table)  # noqa: F821
    X, y = xy(table)
    seeds = member_seeds(ml["seed"], ml["ensemble"]["size"])
    log.info("ensemble of %d MLPs (seeds %s) on all %d spectra", len(seeds), seeds, len(y))
    ens = train_ensemble(X, y, class_labels(table), seeds, energy_grid=energies(table),
                         ml=ml,
                         n_threads=snakemake.threads, log=log.info,  # noqa: F821
                         library_ids=table["structure_id"].to_numpy())
    meta = {"settings": ml, "n_spectra": len(y), "dataset": str(snakemake.input.table)}  # noqa: F821
    save_ensemble(ens, snakemake.output.ensemble, meta=meta)  # noqa: F821
    mean, std = ens.predict_proba(X)
    write_json(snakemake.output.summary, {  # noqa: F821
        **meta, "classes": ens.classes, "seeds": ens.seeds,
        "member_seconds": ens.meta["member_seconds"],
        "member_f1_train": ens.meta["member_f1_train"],
        "mean_spread_of_top_class_on_training_set": float(
            std[range(len(std)), mean.argmax(1)].mean()),
    })
