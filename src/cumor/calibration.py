"""Theory-experiment calibration of simulated spectra: energy offset and broadening.

A calibration is fitted once (rule ``fidelity``, :func:`cumor.fidelity.fit_calibration`)
and applied to every simulated absorber spectrum before it is aligned and normalised
(:func:`cumor.engines.base._absorber_spectrum_on_grid`): the data set, the oxide
references, the Fig. 1 spectra and the engine comparison all get it, through the
engine settings (``xanes.<engine>.calibration``), so it is part of every spectrum's
cache key.

* ``energy_offset`` (eV) is added to the engine's absolute energies. The absolute
  scale is the one of a Cu foil whose first inflection point is 8979.0 eV
  (:data:`CU_FOIL_FIRST_INFLECTION`). Every spectrum is aligned on its own E0, so the
  offset does not change a spectrum on the E0-relative grid; it makes the E0 of
  every simulated spectrum (stored in the data set) an energy on the measured scale.
* ``gaussian_fwhm`` (eV): Gaussian convolution, the experimental resolution
  (monochromator) the engine does not include.
* ``lorentzian_slope``, ``lorentzian_max`` (optional, default 0): an extra
  energy-dependent Lorentzian of FWHM ``min(slope * (E - E_edge), max)`` above the
  spectrum's edge (final-state losses beyond the engine's self-energy).

The calibration is per engine: FEFF's values are fitted; FDMNES convolves its own
spectra (``xanes.fdmnes.convolution``) and its calibration defaults to none.
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = [
    "Calibration",
    "CU_FOIL_FIRST_INFLECTION",
    "broaden",
    "apply_calibration",
]

#: eV. Energy of the first inflection point of the Cu K edge of Cu metal: the
#: conventional value Cu foils are calibrated to (the tabulated Cu K edge energy of
#: XAS software's edge tables, after J. A. Bearden and A. F. Burr, Rev. Mod. Phys.
#: 39, 125 (1967); cumor/data/measured/PROVENANCE.md).
CU_FOIL_FIRST_INFLECTION = 8979.0

#: Uniform step (eV) the broadening works on.
_BROADEN_STEP = 0.1

_FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


@dataclasses.dataclass(frozen=True)
class Calibration:
    """Energy offset and broadening applied to a simulated spectrum (see module doc)."""

    energy_offset: float = 0.0
    gaussian_fwhm: float = 0.0
    lorentzian_slope: float = 0.0
    lorentzian_max: float = 0.0

    def __post_init__(self):
        for name in ("energy_offset", "gaussian_fwhm", "lorentzian_slope", "lorentzian_max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not np.isfinite(float(value)):
                raise ValueError(f"calibration {name} must be a finite number, got {value!r}")
        for name in ("gaussian_fwhm", "lorentzian_slope", "lorentzian_max"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"calibration {name} must be >= 0, got {getattr(self, name)}")

    @classmethod
    def from_settings(cls, settings) -> "Calibration":
        """From a settings mapping (``None`` or ``{}`` = no calibration).

        Raises
        ------
        ValueError
            On unknown keys or invalid values.
        """
        if settings is None:
            return cls()
        if isinstance(settings, Calibration):
            return settings
        known = {f.name for f in dataclasses.fields(cls)}
        extra = {k for k in settings if k not in known and k not in ("fitted_on", "source")}
        if extra:
            raise ValueError(f"unknown calibration key(s) {sorted(extra)}; known: {sorted(known)}")
        return cls(**{k: float(v) for k, v in settings.items() if k in known})

    @property
    def is_identity(self) -> bool:
        return (self.energy_offset == 0 and self.gaussian_fwhm == 0
                and (self.lorentzian_slope == 0 or self.lorentzian_max == 0))

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def broaden(energy, mu, gaussian_fwhm: float = 0.0, lorentzian_slope: float = 0.0,
            lorentzian_max: float = 0.0, edge: float | None = None):
    """Convolve a spectrum with a Gaussian and an optional energy-dependent Lorentzian.

    The spectrum is resampled linearly onto a uniform 0.1 eV grid over its own range,
    convolved, and returned on that grid. Near the ends the kernels are renormalised
    over the points inside the range (no padding with invented values).

    Parameters
    ----------
    energy, mu : array_like
        Strictly increasing energies (eV) and mu.
    gaussian_fwhm : float
        FWHM of the Gaussian (eV); 0 = none.
    lorentzian_slope, lorentzian_max : float
        Lorentzian FWHM ``min(slope * max(E - edge, 0), max)`` at energy E; 0 = none.
    edge : float, optional
        Where the Lorentzian starts (eV); default the middle of the steepest rise
        (energy of the largest ``d mu / dE``).

    Returns
    -------
    energy, mu : numpy.ndarray
        On the uniform grid.
    """
    energy = np.asarray(energy, float)
    mu = np.asarray(mu, float)
    n = int(np.floor((energy[-1] - energy[0]) / _BROADEN_STEP)) + 1
    grid = energy[0] + _BROADEN_STEP * np.arange(n)
    out = np.interp(grid, energy, mu)
    if lorentzian_slope > 0 and lorentzian_max > 0:
        if edge is None:
            edge = float(grid[int(np.argmax(np.gradient(out, _BROADEN_STEP)))])
        width = np.minimum(lorentzian_slope * np.clip(grid - edge, 0.0, None), lorentzian_max)
        out = _variable_lorentzian(grid, out, width)
    if gaussian_fwhm > 0:
        sigma = gaussian_fwhm * _FWHM_TO_SIGMA
        half = int(np.ceil(4.0 * sigma / _BROADEN_STEP))
        x = np.arange(-half, half + 1) * _BROADEN_STEP
        kernel = np.exp(-0.5 * (x / sigma) ** 2)
        num = np.convolve(out, kernel, mode="same")
        den = np.convolve(np.ones_like(out), kernel, mode="same")
        out = num / den
    return grid, out


def _variable_lorentzian(grid, values, fwhm):
    """Convolution with a Lorentzian whose FWHM varies with the output energy."""
    result = values.copy()
    for i in np.nonzero(fwhm > 2 * _BROADEN_STEP)[0]:
        gamma = 0.5 * fwhm[i]
        weights = gamma / ((grid - grid[i]) ** 2 + gamma**2)
        result[i] = np.sum(weights * values) / np.sum(weights)
    return result


def apply_calibration(energy, mu, calibration: Calibration | dict | None):
    """A simulated spectrum on the measured energy scale, with the measured resolution.

    Returns the input unchanged (as float arrays) for no calibration.
    """
    cal = Calibration.from_settings(calibration)
    energy = np.asarray(energy, float)
    mu = np.asarray(mu, float)
    if cal.is_identity:
        return energy, mu
    if cal.gaussian_fwhm > 0 or (cal.lorentzian_slope > 0 and cal.lorentzian_max > 0):
        energy, mu = broaden(energy, mu, cal.gaussian_fwhm, cal.lorentzian_slope,
                             cal.lorentzian_max)
    return energy + cal.energy_offset, mu
