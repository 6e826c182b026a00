"""SLURM runtime and memory of the spectrum jobs, per engine and FDMNES mode.

A cluster kills a job that outlives its ``runtime``, so the xanes, reference and
convergence rules ask for a runtime computed from measured engine seconds
instead of one FEFF-sized number:

    runtime = margin x (start-up + absorbers x seconds per absorber)

with ``absorbers`` the Cu atoms of the job's structures (an upper bound: only
inequivalent Cu are computed).

Measured engine seconds per Cu absorber, 6 A cluster (39-43 atoms around a Cu in
MOR), one core of the project's 2-core machine (2026-11/12):

=====================  ==================================================  ======
engine                 measured                                            budget
=====================  ==================================================  ======
FEFF10 (no SCF)        14-17 s (idle), 24-25 s (load ~2); 7 A: 81 s        30 s
FEFF10, SCF 4 A        +90 s (6 A, 114 s in all), +162 s (7 A, 243 s)      +180 s
FDMNES ``green``       99-107 s, default energy_range (161 points)         0.75 s
                       (60 s for the 151 points of -15..60 eV, idle)       /point
FDMNES ``fdm``         183 s per energy point (Adimp 0.5 A); 161 points    200 s
                       = ~8 h per absorber                                 /point
=====================  ==================================================  ======

Scaling beyond the measurements (stated, not measured):

* cluster radius R > 6 A: multiple scattering (FEFF, green) x (R / 6)^8 (FEFF
  measured x3.3 from 6 to 7 A, (7/6)^8 = 3.4); finite differences x (R / 6)^3
  (grid points grow with the volume; a lower bound). Smaller radii keep the
  6 A figure (start-up dominates).
* FDMNES cost is per energy point of ``energy_range``; FEFF's energy grid is fixed.
* FDM grid step below 0.5 A: x (0.5 / adimp)^3, the number of grid points (a
  lower bound; the solver grows faster). The paper's Adimp 0.05 A at 6 A is
  then ~1000 x 8 h: out of reach of any SLURM time limit (the workflow warns).
* FDMNES SCF: x 5 (not measured here).
* Reference oxides (CuO, 93 atoms within 6 A): FEFF10 measured 150 s, 6 x the
  Cu-MOR cluster; x 6 for the multiple-scattering engines, x 2 for FDM (the grid
  volume is that of any 6 A sphere; not measured).

Memory: FEFF10 measured ~190 MB RSS per job -> 1 GB. FDMNES was not measured
here (it is not installed): green 2 GB at 6 A (a 40-atom multiple-scattering
matrix is small) x (R / 6)^6 beyond; fdm 8 GB at Adimp 0.5 A and 6 A, x (0.5 /
adimp)^3 x (R / 6)^3 (grid points) beyond.

Margin x 1.5 plus 60 s of start-up (Python, imports) per job: cluster cores are
rarely slower than the busy 2-core machine the figures come from.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

__all__ = [
    "MARGIN",
    "STARTUP_SECONDS",
    "absorber_seconds",
    "energy_points",
    "job_mem_mb",
    "job_runtime_minutes",
    "uses_fdm",
]

#: Budgeted engine seconds (see the module docstring for the measurements).
FEFF_SECONDS = 30.0
FEFF_SCF_SECONDS = 180.0
GREEN_SECONDS_PER_POINT = 0.75
FDM_SECONDS_PER_POINT = 200.0
FDMNES_SCF_FACTOR = 5.0
#: Radius the per-absorber figures were measured at (A).
MEASURED_RADIUS = 6.0
#: FDM grid step (A) the FDM figure was measured at.
MEASURED_ADIMP = 0.5
#: Exponent of (R / 6 A) for multiple scattering and for finite differences.
MS_RADIUS_EXPONENT = 8.0
FDM_RADIUS_EXPONENT = 3.0
#: Cost of a reference oxide spectrum relative to a Cu-MOR absorber.
REFERENCE_FACTOR = {"ms": 6.0, "fdm": 2.0}

#: Safety factor on the estimate and seconds of job start-up.
MARGIN = 1.5
STARTUP_SECONDS = 60.0

#: Memory (MB) per job.
FEFF_MEM_MB = 1024
GREEN_MEM_MB = 2048
FDM_MEM_MB = 8192

#: Default FDMNES settings the estimate falls back on (cumor.engines.fdmnes).
_FDMNES_RANGE = (-20.0, 0.5, 30.0, 1.0, 90.0)


def energy_points(energy_range: Sequence[float]) -> int:
    """Number of energies of an FDMNES ``Range`` (start, step, stop[, step, stop ...]).

    >>> energy_points((-20.0, 0.5, 30.0, 1.0, 90.0))
    161
    """
    values = [float(v) for v in energy_range]
    if len(values) < 3 or len(values) % 2 == 0:
        raise ValueError(f"energy_range must be (start, step, stop, ...), got {energy_range!r}")
    count, start = 1, values[0]
    for step, stop in zip(values[1::2], values[2::2]):
        count += max(0, math.floor((stop - start) / step + 1e-9))
        start = stop
    return count


def _radius_factor(radius: float, exponent: float) -> float:
    return max(1.0, float(radius) / MEASURED_RADIUS) ** exponent


def _fdmnes_mode(settings: Mapping) -> str:
    return str(settings.get("mode") or "fdm").strip().lower()


def _finest_adimp(adimp) -> float:
    """Smallest grid step of ``adimp`` (one value or (a1, E1, a2, ...)); None = 0.5."""
    if adimp is None:
        return MEASURED_ADIMP
    if isinstance(adimp, (list, tuple)):
        return float(min(adimp[0::2]))
    return float(adimp)


def _kind(engine: str, settings: Mapping) -> str:
    """"ms" (FEFF, FDMNES green) or "fdm"."""
    if engine == "fdmnes" and _fdmnes_mode(settings) == "fdm":
        return "fdm"
    return "ms"


def uses_fdm(engine: str, settings: Mapping | None) -> bool:
    """True if ``engine`` with ``settings`` runs FDMNES finite differences."""
    return engine == "fdmnes" and _fdmnes_mode(settings or {}) == "fdm"


def absorber_seconds(engine: str, settings: Mapping | None) -> float:
    """Budgeted engine seconds for one Cu absorber of a Cu-MOR structure.

    Parameters
    ----------
    engine : str
        ``"feff"`` or ``"fdmnes"``.
    settings : mapping
        The engine's settings as in the config (missing keys: engine defaults).
    """
    s = dict(settings or {})
    radius = s.get("cluster_radius") or MEASURED_RADIUS
    if engine == "feff":
        seconds = FEFF_SECONDS * _radius_factor(radius, MS_RADIUS_EXPONENT)
        scf = s.get("scf_radius")
        if scf:
            seconds += FEFF_SCF_SECONDS * max(1.0, float(scf) / 4.0) ** MS_RADIUS_EXPONENT
        return seconds
    if engine == "fdmnes":
        points = energy_points(s.get("energy_range") or _FDMNES_RANGE)
        if _kind(engine, s) == "fdm":
            grid = (MEASURED_ADIMP / min(_finest_adimp(s.get("adimp")), MEASURED_ADIMP)) ** 3
            seconds = (FDM_SECONDS_PER_POINT * points * grid
                       * _radius_factor(radius, FDM_RADIUS_EXPONENT))
        else:
            seconds = (GREEN_SECONDS_PER_POINT * points
                       * _radius_factor(radius, MS_RADIUS_EXPONENT))
        if s.get("scf"):
            seconds *= FDMNES_SCF_FACTOR
        return seconds
    raise ValueError(f"no runtime figures for engine {engine!r}")


def job_runtime_minutes(
    engine: str, settings: Mapping | None, absorbers: int, reference: bool = False
) -> int:
    """SLURM runtime (minutes) of a job computing ``absorbers`` Cu absorbers.

    ``margin x (start-up + absorbers x absorber_seconds)``; ``reference=True``
    for a reference oxide spectrum (one absorber of a denser crystal).
    """
    if absorbers < 0:
        raise ValueError(f"absorbers must be >= 0, got {absorbers}")
    seconds = absorber_seconds(engine, settings) * absorbers
    if reference:
        seconds *= REFERENCE_FACTOR[_kind(engine, settings or {})]
    return max(2, math.ceil(MARGIN * (STARTUP_SECONDS + seconds) / 60.0))


def job_mem_mb(engine: str, settings: Mapping | None) -> int:
    """SLURM memory (MB) of one spectrum job (engine runs one absorber at a time)."""
    s = dict(settings or {})
    radius = s.get("cluster_radius") or MEASURED_RADIUS
    if engine == "fdmnes":
        if _kind(engine, s) == "fdm":
            grid = (MEASURED_ADIMP / min(_finest_adimp(s.get("adimp")), MEASURED_ADIMP)) ** 3
            return math.ceil(FDM_MEM_MB * grid * _radius_factor(radius, 3.0))
        # the multiple-scattering matrix: (atoms x harmonics)^2, atoms ~ R^3
        return math.ceil(GREEN_MEM_MB * _radius_factor(radius, 6.0))
    return FEFF_MEM_MB
