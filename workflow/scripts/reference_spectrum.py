"""Snakemake script: Cu K-edge spectrum of a reference oxide (rule `reference_spectrum`)."""

from cumor.engines import get_engine
from cumor.joblog import job_log
from cumor.normalise import energy_grid
from cumor.references import compute_reference_spectrum
from cumor.spectrum_io import write_spectrum

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    params = snakemake.params  # noqa: F821
    engine = get_engine(params.engine, params.settings)
    grid = energy_grid(**params.energy_grid)
    result, meta = compute_reference_spectrum(params.oxide, engine, params.workdir, grid)
    write_spectrum(snakemake.output.spectrum, result, meta, engine=params.engine)  # noqa: F821
    log.info("%s (%s, %s): one Cu absorber (all Cu equivalent), E0 %.2f eV, %.1f s",
             params.oxide, meta["formula"], meta["spacegroup"], result["e0"][0],
             result["seconds"][0])
