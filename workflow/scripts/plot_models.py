"""Snakemake script: pictures of Cu centres (rules `model_figure`, `model_panel`)."""

from cumor.joblog import job_log
from cumor.render import plot_model, plot_model_panel
from cumor.structure_io import read_structures, structure_by_point

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
    if snakemake.rule == "model_figure":  # noqa: F821
        atoms = structure_by_point(read_structures(inp.structure), params.point, inp.structure)
        plot_model(atoms, [out.png], title=atoms.info["model"])
    else:
        structures = [
            structure_by_point(read_structures(path), point, path)
            for path, point in zip(inp.structures, params.points)
        ]
        panel = [(a.info["model"], a) for a in structures]
        plot_model_panel(panel, [out.png, out.pdf])
    log.info("wrote %s", list(out))
