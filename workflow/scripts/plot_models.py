"""Snakemake script: pictures of Cu centres (rules `model_figure`, `model_panel`).

Each picture looks down the normal of the model's anchor ring (from the ring
catalogue and the model's config entry, :func:`cumor.render.centre_rings`).
"""

from cumor.joblog import job_log
from cumor.render import centre_rings, plot_model, plot_model_panel
from cumor.rings import read_ring_catalogue
from cumor.structure_io import read_structures, structure_by_point

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
    rings = read_ring_catalogue(inp.rings)
    if snakemake.rule == "model_figure":  # noqa: F821
        atoms = structure_by_point(read_structures(inp.structure), params.point, inp.structure)
        plot_model(atoms, [out.png], centre_rings(params.spec, atoms, rings))
    else:
        panel = []
        for path, point, spec in zip(inp.structures, params.points, params.specs):
            atoms = structure_by_point(read_structures(path), point, path)
            panel.append((atoms.info["model"], atoms, centre_rings(spec, atoms, rings)))
        plot_model_panel(panel, [out.png, out.pdf])
    log.info("wrote %s", list(out))
