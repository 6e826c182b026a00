"""Theory against experiment: simulated spectra of the measured reference crystals.

For every crystal with a packaged measurement (:data:`cumor.references.MEASURED_CRYSTALS`:
Cu foil, CuO tenorite, CuS covellite) and every candidate engine setting, the raw
engine spectrum of each inequivalent Cu site is computed once (cached in its work
directory, keyed by the engine input), the sites are summed with their multiplicities
on the absolute energy scale (what a measurement of the crystal sees), the
theory-experiment calibration (:mod:`cumor.calibration`) is applied, and the result
goes through the same alignment and normalisation as the measurement
(:func:`cumor.normalise.normalised_on_grid`). The fidelity of a setting is the
R-factor ``sum((sim - meas)^2) / sum(meas^2)`` on the data set's E0-relative grid,
the edge-position error (simulated E0 after the calibration's energy offset minus the
measured E0 on the foil-calibrated scale) and the engine seconds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from cumor import normalise
from cumor.calibration import CU_FOIL_FIRST_INFLECTION, Calibration, apply_calibration
from cumor.convergence import r_factor
from cumor.engines.base import cluster_around, equivalent_absorbers
from cumor.measured_readers import measured_reference_path, read_spectrum

__all__ = [
    "raw_site_spectra",
    "crystal_spectrum",
    "calibrated_measurement",
    "compare",
    "fit_calibration",
    "fidelity_table",
]

#: File of a cached raw spectrum inside an absorber's work directory.
RAW_FILE = "raw_spectrum.json"


def _input_key(engine, atoms, index) -> str:
    """SHA-256 of what determines the raw spectrum: engine name, settings, cluster."""
    cluster = cluster_around(atoms, index, engine.cluster_radius)
    digest = hashlib.sha256()
    # The calibration acts on the raw spectrum afterwards; it is not an engine input.
    settings = {k: v for k, v in engine.settings.items() if k not in ("calibration", "timeout")}
    digest.update(json.dumps([engine.name, settings], sort_keys=True, default=str).encode())
    digest.update(np.round(cluster.positions, 5).tobytes())
    digest.update(np.asarray(cluster.numbers).tobytes())
    return digest.hexdigest()


def raw_site_spectra(atoms, engine, workdir, absorber_symbol: str = "Cu") -> list[dict]:
    """Raw engine spectrum of every inequivalent absorber site of a crystal.

    Sites are grouped with :func:`cumor.engines.base.equivalent_absorbers` (at the
    engine's cluster radius); one representative per group is computed in
    ``workdir/<symbol><index>`` unless a cached result with the same input key is
    there (:data:`RAW_FILE`). Engine seconds are those of the original run.

    Returns
    -------
    list of dict
        Per site: ``absorber``, ``multiplicity``, ``energy``, ``mu`` (ndarray,
        absolute eV, engine units), ``seconds``, ``n_atoms``, ``cached`` (bool).
    """
    workdir = Path(workdir)
    symbols = atoms.get_chemical_symbols()
    absorbers = [i for i, s in enumerate(symbols) if s == absorber_symbol]
    groups = equivalent_absorbers(atoms, absorbers, engine.cluster_radius)
    sites = []
    for group in groups:
        index = group[0]
        site_dir = workdir / f"{absorber_symbol}{index}"
        key = _input_key(engine, atoms, index)
        cache = site_dir / RAW_FILE
        record = None
        if cache.is_file():
            try:
                record = json.loads(cache.read_text())
            except ValueError:
                record = None
            if record is not None and record.get("key") != key:
                record = None
        cached = record is not None
        if record is None:
            start = time.perf_counter()
            spectrum = engine.compute(atoms, index, site_dir)
            record = {
                "key": key,
                "energy": spectrum.energy.tolist(),
                "mu": spectrum.mu.tolist(),
                "seconds": float(spectrum.seconds or time.perf_counter() - start),
                "n_atoms": int(spectrum.meta.get("n_atoms", 0)),
            }
            site_dir.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp")
            tmp.write_text(json.dumps(record))
            tmp.replace(cache)
        sites.append({
            "absorber": int(index),
            "multiplicity": len(group),
            "energy": np.asarray(record["energy"], float),
            "mu": np.asarray(record["mu"], float),
            "seconds": float(record["seconds"]),
            "n_atoms": int(record["n_atoms"]),
            "cached": cached,
        })
    return sites


def crystal_spectrum(sites: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Multiplicity-weighted sum of site spectra on the absolute energy scale.

    The common energies are those of the first site inside the range every site
    covers; the other sites are interpolated onto them.
    """
    lo = max(s["energy"][0] for s in sites)
    hi = min(s["energy"][-1] for s in sites)
    energy = sites[0]["energy"]
    energy = energy[(energy >= lo) & (energy <= hi)]
    weights = np.array([s["multiplicity"] for s in sites], float)
    mu = sum(w * np.interp(energy, s["energy"], s["mu"]) for w, s in zip(weights, sites))
    return energy, mu / weights.sum()


# --------------------------------------------------------------------------- #
# measurements on the foil-calibrated energy scale
# --------------------------------------------------------------------------- #
def calibrated_measurement(name: str) -> dict:
    """A packaged measured reference on the Cu-foil energy scale.

    The SSRL files record a Cu foil behind the sample (``irefer``): its
    mu = ln(itrans/irefer) has its first inflection point (first derivative
    maximum, :func:`cumor.normalise.find_e0`) moved to
    :data:`cumor.calibration.CU_FOIL_FIRST_INFLECTION` (8979.0 eV). The Cu foil
    file (APS) has no reference channel; the foil is its own reference.

    Returns
    -------
    dict
        ``energy`` (calibrated), ``mu`` (ln(i0/itrans)), ``shift`` (eV added to the
        file's energies), ``calibrated_by`` (which channel), ``file``.
    """
    path = measured_reference_path(name)
    spec = read_spectrum(path)
    try:
        ref = read_spectrum(path, mu="ln(itrans/irefer)")
        inflection = normalise.find_e0(ref.energy, ref.mu)
        by = "reference foil ln(itrans/irefer)"
    except ValueError:
        inflection = normalise.find_e0(spec.energy, spec.mu)
        by = "the sample (a Cu foil)"
    shift = CU_FOIL_FIRST_INFLECTION - inflection
    return {"energy": spec.energy + shift, "mu": spec.mu, "shift": float(shift),
            "calibrated_by": by, "file": path.name}


# --------------------------------------------------------------------------- #
# comparison
# --------------------------------------------------------------------------- #
#: "Before": the project's alignment before issue 12 (derivative-maximum E0,
#: windows E0-60..-15 and E0+30..+150 eV), no calibration.
LEGACY_WINDOWS = {"pre": (-60.0, -15.0), "post": (30.0, 150.0)}


def _legacy_on_grid(energy, mu, grid):
    e0 = normalise.find_e0(energy, mu)
    norm = normalise.normalise_spectrum(energy, mu, e0, warn=False, weighted=False,
                                        **LEGACY_WINDOWS)
    return e0, normalise.to_relative_grid(energy, norm, e0, grid)


def compare(sim_energy, sim_mu, measured: dict, grid, calibration=None) -> dict:
    """R-factor and E0 of a simulated spectrum against a measurement.

    Both go through :func:`cumor.normalise.normalised_on_grid` (the simulated one
    after :func:`cumor.calibration.apply_calibration`); R is
    :func:`cumor.convergence.r_factor` with the measurement as reference.

    Returns
    -------
    dict
        ``r`` (this alignment), ``r_before`` (the legacy alignment, uncalibrated),
        ``e0_sim`` (absolute, with the calibration's offset), ``e0_measured``,
        ``sim`` and ``measured`` (normalised on ``grid``).
    """
    grid = np.asarray(grid, float)
    e, m = apply_calibration(sim_energy, sim_mu, calibration)
    e0_sim, sim = normalise.normalised_on_grid(e, m, grid)
    e0_meas, meas = normalise.normalised_on_grid(measured["energy"], measured["mu"], grid)
    _, sim_old = _legacy_on_grid(np.asarray(sim_energy, float), np.asarray(sim_mu, float), grid)
    _, meas_old = _legacy_on_grid(measured["energy"], measured["mu"], grid)
    return {"r": r_factor(meas, sim), "r_before": r_factor(meas_old, sim_old),
            "e0_sim": float(e0_sim), "e0_measured": float(e0_meas), "sim": sim,
            "measured": meas}


def fit_calibration(simulated: dict, measured: dict, fit_on, grid, fwhm_values,
                    offset_reference: str = "Cu_foil", slope_values=(0.0,),
                    lorentzian_max: float = 0.0) -> dict:
    """Fit the broadening on ``fit_on`` and the energy offset on ``offset_reference``.

    The broadening (Gaussian FWHM, and the Lorentzian slope when several
    ``slope_values`` are given) minimises the mean R over the references
    ``fit_on``, by a grid search over the given values (deterministic, no
    optimiser tolerance); R does not depend on the offset (every spectrum is
    aligned on its own E0). The offset then puts the broadened simulated E0 of
    ``offset_reference`` (the Cu foil: it fixes the absolute scale) on the
    measured, foil-calibrated E0.

    Parameters
    ----------
    simulated : dict
        name -> (energy, mu), raw simulated spectra (absolute engine energies).
    measured : dict
        name -> :func:`calibrated_measurement` result.
    fit_on : sequence of str
        References the broadening is fitted on.
    grid : array_like
        E0-relative grid R is computed on.
    fwhm_values, slope_values : sequence of float
        Candidate values.
    offset_reference : str
    lorentzian_max : float
        Cap of the Lorentzian FWHM (eV) when a slope is scanned.

    Returns
    -------
    dict
        ``calibration`` (:class:`~cumor.calibration.Calibration` as dict),
        ``fitted_on`` (broadening), ``offset_from``, ``scan`` (rows of fwhm, slope,
        reference, r).
    """
    fit_on = list(fit_on)
    missing = [n for n in fit_on + [offset_reference] if n not in simulated or n not in measured]
    if missing:
        raise ValueError(f"calibration: no simulated and measured spectrum of {missing}")
    scan, best = [], None
    for slope in slope_values:
        for fwhm in fwhm_values:
            cal = Calibration(gaussian_fwhm=float(fwhm), lorentzian_slope=float(slope),
                              lorentzian_max=float(lorentzian_max if slope else 0.0))
            rs = {}
            for name in simulated:
                if name not in measured:
                    continue
                rs[name] = compare(*simulated[name], measured[name], grid, cal)["r"]
                scan.append({"gaussian_fwhm": float(fwhm), "lorentzian_slope": float(slope),
                             "reference": name, "r": rs[name],
                             "role": "fit" if name in fit_on else "validation"})
            score = float(np.mean([rs[n] for n in fit_on]))
            if best is None or score < best[0] - 1e-12:
                best = (score, cal)
    cal = best[1]
    e, m = apply_calibration(*simulated[offset_reference], cal)
    e0_sim = normalise.edge_energy(e, m)
    e0_meas = normalise.edge_energy(measured[offset_reference]["energy"],
                                    measured[offset_reference]["mu"])
    cal = Calibration(energy_offset=round(float(e0_meas - e0_sim), 2),
                      gaussian_fwhm=cal.gaussian_fwhm, lorentzian_slope=cal.lorentzian_slope,
                      lorentzian_max=cal.lorentzian_max)
    return {"calibration": cal.as_dict(), "fitted_on": fit_on, "offset_from": offset_reference,
            "mean_r_fit": best[0], "scan": scan}


def fidelity_table(simulated: dict, measured: dict, grid, calibration, fit_on,
                   offset_reference: str = "Cu_foil") -> tuple[list[dict], dict]:
    """Rows of the fidelity table, one per (setting, reference).

    Parameters
    ----------
    simulated : dict
        setting -> {reference -> {"energy", "mu", "seconds", "n_atoms"}}.
    measured : dict
        reference -> :func:`calibrated_measurement`.
    calibration : dict or Calibration
        The fitted calibration (its broadening is applied to every setting).
    fit_on : sequence of str
        References the calibration was fitted on (the others are validation).

    Returns
    -------
    rows : list of dict
        ``setting``, ``reference``, ``role``, ``r_before``, ``r_uncalibrated``,
        ``r_calibrated``, ``e0_error_uncalibrated`` and ``e0_error_calibrated`` (eV;
        simulated minus measured E0, the offset of each setting fixed by its Cu
        foil, so the Cu foil's is 0 and the others are chemical-shift errors),
        ``offset`` (that setting's foil offset), ``e0_measured``, ``seconds``,
        ``n_atoms``.
    curves : dict
        setting -> reference -> {"measured", "uncalibrated", "calibrated"} on grid.
    """
    cal = Calibration.from_settings(calibration)
    broadening = dataclasses.replace(cal, energy_offset=0.0)
    rows, curves = [], {}
    for setting, refs in simulated.items():
        curves[setting] = {}
        offsets = {}
        for label, c in (("uncalibrated", Calibration()), ("calibrated", broadening)):
            if offset_reference in refs and offset_reference in measured:
                e, m = apply_calibration(refs[offset_reference]["energy"],
                                         refs[offset_reference]["mu"], c)
                ref_meas = measured[offset_reference]
                offsets[label] = (normalise.edge_energy(ref_meas["energy"], ref_meas["mu"])
                                  - normalise.edge_energy(e, m))
            else:
                offsets[label] = cal.energy_offset
        for name, spec in refs.items():
            if name not in measured:
                continue
            raw = compare(spec["energy"], spec["mu"], measured[name], grid)
            done = compare(spec["energy"], spec["mu"], measured[name], grid, broadening)
            rows.append({
                "setting": setting,
                "reference": name,
                "role": "fit" if name in fit_on else "validation",
                "r_before": raw["r_before"],
                "r_uncalibrated": raw["r"],
                "r_calibrated": done["r"],
                "e0_error_uncalibrated": raw["e0_sim"] + offsets["uncalibrated"]
                - raw["e0_measured"],
                "e0_error_calibrated": done["e0_sim"] + offsets["calibrated"]
                - done["e0_measured"],
                "offset": offsets["calibrated"],
                "e0_measured": raw["e0_measured"],
                "seconds": float(spec["seconds"]),
                "n_atoms": spec["n_atoms"],
            })
            curves[setting][name] = {"measured": raw["measured"], "uncalibrated": raw["sim"],
                                     "calibrated": done["sim"]}
    return rows, curves


# --------------------------------------------------------------------------- #
# the whole study (rule `fidelity`)
# --------------------------------------------------------------------------- #
def simulate_references(references, settings: dict, engine_name: str, base_settings: dict,
                        workroot, threads: int = 1, log=None) -> dict:
    """Raw crystal spectra of every reference at every setting (cached per absorber).

    Parameters
    ----------
    references : sequence of str
        Keys of :data:`cumor.references.REFERENCES` with a measurement.
    settings : dict
        setting name -> engine-setting overrides on top of ``base_settings``.
    engine_name : str
    base_settings : dict
        The data set's engine settings (its ``calibration`` is not used here: the
        study fits it).
    workroot : path-like
        ``<workroot>/<reference>/<setting>/Cu<i>/`` hold the engine runs.
    threads : int
        Calculations run side by side (each engine run is its own process).

    Returns
    -------
    dict
        setting -> reference -> {"energy", "mu", "seconds" (sum over the computed
        sites), "n_atoms" (per site), "sites"}.
    """
    from concurrent.futures import ThreadPoolExecutor

    from cumor.engines import get_engine
    from cumor.references import build_reference

    base = {k: v for k, v in dict(base_settings or {}).items() if k != "calibration"}
    jobs = [(s, r) for s in settings for r in references]

    def one(job):
        setting, ref = job
        engine = get_engine(engine_name, {**base, **settings[setting]})
        sites = raw_site_spectra(build_reference(ref), engine,
                                 Path(workroot) / ref / setting)
        energy, mu = crystal_spectrum(sites)
        if log is not None:
            log.info("%s %s: %s", ref, setting, ", ".join(
                f"Cu{s['absorber']} x{s['multiplicity']} {s['n_atoms']} atoms "
                f"{s['seconds']:.0f} s{' (cached)' if s['cached'] else ''}" for s in sites))
        return job, {"energy": energy, "mu": mu,
                     "seconds": float(sum(s["seconds"] for s in sites)),
                     "n_atoms": [s["n_atoms"] for s in sites], "sites": len(sites)}

    with ThreadPoolExecutor(max_workers=max(1, int(threads))) as pool:
        done = dict(pool.map(one, jobs))
    return {s: {r: done[(s, r)] for r in references} for s in settings}


def markdown_table(rows: list[dict], calibration: dict, fit: dict) -> str:
    """The fidelity table as Markdown, with the calibration and what it was fitted on."""
    cal = calibration
    lines = [
        "# Simulated vs measured Cu K-edge XANES",
        "",
        f"Calibration (fitted once, applied to every simulated spectrum): energy offset "
        f"{cal['energy_offset']:+.2f} eV (from {fit['offset_from']}: simulated E0 moved onto "
        f"the measured E0, Cu foil first inflection = 8979.0 eV), Gaussian FWHM "
        f"{cal['gaussian_fwhm']:.2f} eV, Lorentzian slope {cal['lorentzian_slope']:g} "
        f"(max {cal['lorentzian_max']:g} eV); broadening fitted on "
        f"{', '.join(fit['fitted_on'])} (mean R {fit['mean_r_fit']:.4f}), validated on the "
        f"others.",
        "",
        "R = sum((sim - meas)^2) / sum(meas^2) on the E0-relative grid. 'before': "
        "derivative-maximum E0, windows E0-60..-15 / +30..+150 eV, no calibration (the "
        "alignment before issue 12); 'uncal.'/'cal.': E0 at 0.3 of the edge step, windows "
        "E0-40..-15 / +20..+90 eV, without / with the broadening. E0 error = simulated - "
        "measured E0 with each setting's own Cu-foil offset (0 for the foil by construction).",
        "",
        "| setting | reference | role | R before | R uncal. | R cal. | E0 error uncal. (eV) "
        "| E0 error cal. (eV) | foil offset (eV) | engine s | atoms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['setting']} | {r['reference']} | {r['role']} | {r['r_before']:.4f} | "
            f"{r['r_uncalibrated']:.4f} | {r['r_calibrated']:.4f} | "
            f"{r['e0_error_uncalibrated']:+.2f} | {r['e0_error_calibrated']:+.2f} | "
            f"{r['offset']:+.2f} | {r['seconds']:.0f} | "
            f"{'/'.join(str(n) for n in r['n_atoms'])} |")
    return "\n".join(lines) + "\n"
