"""Snakemake script: UMAP of the augmented set coloured by class (rule `umap`, Fig. 5)."""

import pandas as pd

from cumor.atomic_io import atomic_path
from cumor.embedding import umap_embedding
from cumor.evaluation import xy
from cumor.joblog import job_log
from cumor.plots import plot_umap
from cumor.protocol import class_labels

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    out = snakemake.output  # noqa: F821
    u = snakemake.params.umap  # noqa: F821
    table = pd.read_parquet(snakemake.input.table)  # noqa: F821
    X, y = xy(table)
    embedding, used = umap_embedding(X, n_neighbors=u["n_neighbors"], min_dist=u["min_dist"],
                                     n_components=u["n_components"], seed=u["seed"],
                                     log=log.info)
    log.info("UMAP of %d spectra with %s", len(X), used)
    frame = table[["structure_id", "base_id", "model", "ring_class", "oxide", "fraction"]].copy()
    for k in range(embedding.shape[1]):
        frame[f"umap_{k + 1}"] = embedding[:, k]
    with atomic_path(out.embedding) as tmp:
        frame.to_csv(tmp, index=False)
    plot_umap(embedding[:, :2], y, [out.png, out.pdf], class_order=class_labels(table),
              markers=table["oxide"].to_numpy(),
              title=f"UMAP (n_neighbors {used['n_neighbors']}, min_dist {used['min_dist']:g})")
