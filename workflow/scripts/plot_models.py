"""Snakemake script: pictures of Cu centres (rules `model_figure`, `model_panel`)."""

from cumor.joblog import job_log
from cumor.render import plot_model, plot_model_panel
from cumor.structure_io import read_structure

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    if snakemake.rule == "model_figure":  # noqa: F821
        atoms = read_structure(snakemake.input.structure)  # noqa: F821
        plot_model(atoms, [snakemake.output.png], title=atoms.info["model"])  # noqa: F821
    else:
        structures = [read_structure(p) for p in snakemake.input.structures]  # noqa: F821
        panel = [(a.info["model"], a) for a in structures]
        plot_model_panel(panel, [snakemake.output.png, snakemake.output.pdf])  # noqa: F821
    log.info("wrote %s", list(snakemake.output))  # noqa: F821
