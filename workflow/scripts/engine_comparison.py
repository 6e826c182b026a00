"""Snakemake script: the same structures through two engines (rule `engine_comparison`)."""

from cumor.atomic_io import atomic_path
from cumor.convergence import engine_comparison_table
from cumor.joblog import job_log
from cumor.plots import plot_engine_comparison
from cumor.spectrum_io import read_point_spectrum

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    params = snakemake.params  # noqa: F821
    out = snakemake.output  # noqa: F821
    # labels are <model>/<point>; each path is that structure's batch of spectra
    records = {engine: {label: read_point_spectrum(path, label.split("/")[1]) for label, path in
                        zip(params.labels, snakemake.input[engine])}  # noqa: F821
               for engine in params.engines}
    table = engine_comparison_table(records)
    with atomic_path(out.csv) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    log.info("engine comparison (R of %s against %s):\n%s", *params.engines[::-1],
             table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    energy = next(iter(records[params.engines[0]].values()))["energy"]
    spectra = {e: {label: r["mu"] for label, r in recs.items()} for e, recs in records.items()}
    plot_engine_comparison(energy, spectra, [out.png, out.pdf],
                           title=f"{params.engines[0]} vs {params.engines[1]}")
