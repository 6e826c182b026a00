"""Snakemake script: class probabilities of a measured spectrum (rule `classify_measured`)."""

from cumor.ensemble import load_ensemble
from cumor.joblog import job_log
from cumor.measured import classify_spectrum, write_classification

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    params = snakemake.params  # noqa: F821
    ensemble = load_ensemble(snakemake.input.ensemble)  # noqa: F821
    result = classify_spectrum(snakemake.input.spectrum, ensemble,  # noqa: F821
                               energy_offset=params.energy_offset,
                               shift_check=params.shift_check, n_nearest=params.n_nearest)
    write_classification(result, snakemake.output.json, snakemake.output.png,  # noqa: F821
                         ensemble=ensemble)
    log.info("%s: predicted %s; probabilities %s; spread %s", snakemake.input.spectrum,  # noqa: F821
             result["predicted"], result["probability"], result["spread"])
    for w in result["warnings"]:
        log.warning(w)
