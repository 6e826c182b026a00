"""Snakemake script: Fig. 1 convergence figure and table (rule `fig1_convergence`)."""

from cumor.atomic_io import atomic_path
from cumor.convergence import PANEL_TITLES, ConvergenceStep, convergence_table
from cumor.joblog import job_log
from cumor.plots import plot_convergence
from cumor.spectrum_io import read_point_spectrum

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    params = snakemake.params  # noqa: F821
    out = snakemake.output  # noqa: F821
    engine = snakemake.wildcards.engine  # noqa: F821
    for note in params.notes:
        log.warning("convergence structure: %s", note)
    log.info("convergence structure: %s %s (%s)", params.model, params.point, engine)
    # the configured setting's spectrum is the data set's own, read from its batch
    spectra = {key: read_point_spectrum(path, params.point)
               for key, path in zip(params.settings, snakemake.input.spectra)}  # noqa: F821
    steps = [ConvergenceStep(**s) for s in params.steps]
    table = convergence_table(steps, spectra)
    with atomic_path(out.csv) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    log.info("seconds per spectrum (engine) and R-factors "
             "(R = sum((a-b)^2)/sum(a^2), a = the next / last setting):\n%s",
             table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))

    energy = next(iter(spectra.values()))["energy"]
    panels = []
    for panel in dict.fromkeys(s.panel for s in steps):
        series = [s for s in steps if s.panel == panel]
        rows = table[table["panel"] == panel]
        curves = [(f"{s.label} ({sec:.0f} s)", spectra[s.key]["mu"])
                  for s, sec in zip(series, rows["seconds"])]
        radius = series[-1].overrides["cluster_radius"]
        where = "" if panel == "cluster_radius" else f", {radius:g} A cluster"
        panels.append((PANEL_TITLES.get(panel, panel) + where, curves))
    title = f"{engine.upper()}: {params.model} {params.point}"
    if params.notes:
        title += " (fallback: configured structure not selected)"
    plot_convergence(energy, panels, [out.png, out.pdf], title=title)
