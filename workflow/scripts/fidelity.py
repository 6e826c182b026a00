"""Snakemake script: simulated vs measured references, calibration fit (rule `fidelity`)."""

import json

import numpy as np
import pandas as pd

from cumor.atomic_io import atomic_path
from cumor.calibration import Calibration
from cumor.fidelity import (calibrated_measurement, fidelity_table, fit_calibration,
                            markdown_table, simulate_references)
from cumor.joblog import job_log
from cumor.normalise import energy_grid
from cumor.plots import plot_fidelity

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    params = snakemake.params  # noqa: F821
    out = snakemake.output  # noqa: F821
    engine = snakemake.wildcards.engine  # noqa: F821
    study = params.study
    grid = energy_grid(**params.energy_grid)
    refs = list(study["references"])
    measured = {}
    for ref in refs:
        measured[ref] = calibrated_measurement(ref)
        log.info("measured %s (%s): energy %+.2f eV, calibrated by %s", ref,
                 measured[ref]["file"], measured[ref]["shift"], measured[ref]["calibrated_by"])
    simulated = simulate_references(refs, study["settings"], engine, params.settings,
                                    params.workroot, threads=snakemake.threads, log=log)  # noqa: F821
    base = study["base_setting"]
    fit = fit_calibration({r: (s["energy"], s["mu"]) for r, s in simulated[base].items()},
                          measured, study["fit_on"], grid, study["gaussian_fwhm"],
                          offset_reference=study["offset_reference"],
                          slope_values=study["lorentzian_slope"],
                          lorentzian_max=study["lorentzian_max"])
    calibration = fit["calibration"]
    log.info("calibration fitted on %s (offset from %s): %s", fit["fitted_on"],
             fit["offset_from"], calibration)
    configured = Calibration.from_settings(params.settings.get("calibration"))
    if configured.as_dict() != Calibration(**calibration).as_dict():
        log.warning("the configured xanes.%s.calibration %s differs from this fit %s: the "
                    "data set uses the configured one", engine, configured.as_dict(),
                    calibration)
    rows, curves = fidelity_table(simulated, measured, grid, calibration, study["fit_on"],
                                  study["offset_reference"])
    table = pd.DataFrame(rows)
    table["n_atoms"] = table["n_atoms"].map(lambda n: "/".join(map(str, n)))
    with atomic_path(out.csv) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    with atomic_path(out.md) as tmp:
        with open(tmp, "w") as fh:
            fh.write(markdown_table(rows, calibration, fit))
    record = {**fit, "engine": engine, "base_setting": base,
              "measured": {r: {k: v for k, v in m.items() if k in ("shift", "calibrated_by",
                                                                   "file")}
                           for r, m in measured.items()}}
    with atomic_path(out.calibration) as tmp:
        with open(tmp, "w") as fh:
            json.dump(record, fh, indent=1, default=float)
    log.info("fidelity table:\n%s", table.to_string(index=False,
                                                     float_format=lambda v: f"{v:.4g}"))
    plot_fidelity(np.asarray(grid), curves, rows, [out.png, out.pdf], base=base,
                  title=f"{engine.upper()} vs measurement (calibration fitted on "
                        f"{', '.join(fit['fitted_on'])})")
