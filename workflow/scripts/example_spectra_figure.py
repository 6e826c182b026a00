"""Snakemake script: Fig. 4 example spectra (rule `fig4_example_spectra`)."""

import pandas as pd

from cumor.dataset import energies
from cumor.joblog import job_log
from cumor.plots import plot_example_spectra, select_example_spectra

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    out = snakemake.output  # noqa: F821
    engine = snakemake.wildcards.engine  # noqa: F821
    table = pd.read_parquet(snakemake.input.table)  # noqa: F821
    panels, notes = select_example_spectra(table, snakemake.params.models)  # noqa: F821
    for note in notes:
        log.warning("example spectra: %s", note)
    for p in panels:
        log.info("%s: %d spectra over %s%s", p["model"], len(p["values"]), p["parameter"],
                 f" at {p['fixed']}" if p["fixed"] else "")
    title = f"Example spectra ({engine.upper()})"
    if notes:
        title += "\n" + "; ".join(notes)
    plot_example_spectra(energies(table), panels, [out.png, out.pdf], title=title)
