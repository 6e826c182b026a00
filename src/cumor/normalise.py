"""Edge finding, XANES normalisation and common energy grids.

All functions are small, pure and operate on 1-D numpy arrays of absolute
energies (eV) and absorption ``mu``.  The conventions follow the usual
Athena/Larch practice:

* ``E0`` (:func:`edge_energy`, what every spectrum is aligned on) is the first
  energy where the normalised ``mu`` reaches :data:`E0_STEP_FRACTION` (0.3) of the
  edge step, found self-consistently with the fixed windows below. A level crossing
  moves continuously with the spectrum, unlike a derivative maximum, which jumps
  between features of similar slope (measured CuO: the 1s-4p shoulder at 8983.8 eV
  or the main edge at 8990.3 eV). The level is below the first shoulders of Cu
  K edges (Cu foil and CuO plateau at 0.47-0.51 of the step, where a half-step
  crossing would itself jump), on the steep first rise of every packaged
  measured reference. :func:`find_e0` (derivative maximum on the rising edge) is
  only its starting point.
* Normalisation subtracts a pre-edge line fitted over :data:`PRE_EDGE`
  (E0-40..E0-15 eV) and divides by the edge step at ``E0`` from a post-edge line
  over :data:`POST_EDGE` (E0+20..E0+90 eV) (:func:`normalise_spectrum`), the same
  windows for theory and experiment: FEFF spectra cover E0-40..E0+120 eV, and a
  measurement that ends ~100 eV above the edge still fills them. A window the data
  do not fill is fitted with the points it has, with a :class:`WindowCutWarning`.
* Spectra from different absorbers are compared on a grid *relative to
  their own E0* (:func:`to_relative_grid`, :func:`energy_grid`;
  :func:`normalised_on_grid` does all three steps).
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = [
    "find_e0",
    "edge_energy",
    "normalise_spectrum",
    "normalised_on_grid",
    "to_relative_grid",
    "energy_grid",
    "WindowCutWarning",
    "PRE_EDGE",
    "POST_EDGE",
    "E0_STEP_FRACTION",
    "NORMALISATION_VERSION",
]

#: Pre-edge window (eV relative to E0) of every spectrum, theory and experiment.
#: Ends 15 eV below E0, before the Cu 1s-3d / 1s-4p pre-edge features.
PRE_EDGE = (-40.0, -15.0)
#: Post-edge window (eV relative to E0): past the white line, inside the ~120 eV
#: above E0 that FEFF computes and a short measurement records.
POST_EDGE = (20.0, 90.0)
#: Fraction of the edge step whose first crossing defines E0 (:func:`edge_energy`).
E0_STEP_FRACTION = 0.3
#: Changes whenever the definition of E0 or of the normalisation changes; part of
#: the spectrum cache key (:mod:`cumor.spectrum_cache`), so that spectra normalised
#: the old way are not reused.
NORMALISATION_VERSION = (
    "2: E0 = 0.3 step crossing, windows -40..-15 / +20..+90 eV, interval-weighted fits")
#: eV. A self-consistency cycle of E0 narrower than this is resolved to its middle.
_CYCLE_TOLERANCE = 0.05
#: A window counts as cut when the data miss more than this much of it (eV).
_WINDOW_TOLERANCE = 2.0


class WindowCutWarning(UserWarning):
    """A pre- or post-edge window reaches beyond the data; fitted with the points it has."""

#: Finest step (eV) of the uniform grid used internally by :func:`find_e0`.
#: Finer than any physical edge feature (the Cu 1s core-hole width alone is
#: ~1.7 eV), so resampling loses nothing.
_MIN_RESAMPLE_STEP = 0.05

#: Fractions of the edge jump that delimit the rising edge in :func:`find_e0`.
_EDGE_START_FRACTION = 0.1
_EDGE_HALF_FRACTION = 0.5


def _check_spectrum(energy, mu) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert a spectrum to float arrays.

    Parameters
    ----------
    energy, mu : array_like
        1-D arrays of the same length; energy strictly increasing.

    Returns
    -------
    energy, mu : numpy.ndarray
        Float copies of the inputs.

    Raises
    ------
    ValueError
        If shapes differ, there are fewer than 5 points, values are not
        finite, or the energy is not strictly increasing.
    """
    energy = np.asarray(energy, dtype=float)
    mu = np.asarray(mu, dtype=float)
    if energy.ndim != 1 or energy.shape != mu.shape:
        raise ValueError(
            f"energy and mu must be 1-D arrays of equal length, got shapes "
            f"{energy.shape} and {mu.shape}"
        )
    if energy.size < 5:
        raise ValueError(f"need at least 5 spectrum points, got {energy.size}")
    if not (np.all(np.isfinite(energy)) and np.all(np.isfinite(mu))):
        raise ValueError("energy and mu must be finite (found NaN or inf)")
    if np.any(np.diff(energy) <= 0):
        raise ValueError("energy must be strictly increasing")
    return energy, mu


def _gaussian_smooth(values: np.ndarray, step: float, sigma: float) -> np.ndarray:
    """Smooth uniformly sampled values with a normalised Gaussian kernel.

    Parameters
    ----------
    values : numpy.ndarray
        Uniformly sampled 1-D data.
    step : float
        Sampling step of ``values`` (eV).
    sigma : float
        Gaussian standard deviation (eV); ``<= 0`` returns a copy.

    Returns
    -------
    numpy.ndarray
        Smoothed data, same length.  The ends are padded with the edge
        values so that the smoothing does not pull them towards zero.
    """
    if sigma <= 0:
        return values.copy()
    half = max(1, int(np.ceil(4.0 * sigma / step)))
    x = np.arange(-half, half + 1) * step
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(values, half, mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def _rising_edge_window(mu_s: np.ndarray) -> tuple[int, int]:
    """Index range of the main rising edge of a smoothed spectrum.

    The window starts at the last point below 10 % of the jump before the
    first crossing of 50 % of the jump and ends at the first local maximum
    after that crossing (the top of the edge / white line).  The jump is
    measured from the lowest point before the global maximum (not the first
    point: on a long scan the pre-edge falls, and its first point lies above
    the foot of the edge) to the global maximum.

    Parameters
    ----------
    mu_s : numpy.ndarray
        Smoothed, uniformly sampled absorption.

    Returns
    -------
    start, stop : int
        Inclusive index range of the rising edge.

    Raises
    ------
    ValueError
        If ``mu`` never rises (no edge in the data).
    """
    top = int(np.argmax(mu_s))
    high = mu_s[top]
    low = mu_s[: top + 1].min()
    jump = high - low
    if not jump > 0:
        raise ValueError("mu does not rise anywhere: no absorption edge in the data")
    lowest = int(np.argmin(mu_s[: top + 1]))
    above_half = lowest + np.nonzero(mu_s[lowest:] >= low + _EDGE_HALF_FRACTION * jump)[0]
    half = above_half[0]
    if half == 0:
        raise ValueError("spectrum starts above half of the edge jump: edge not covered")
    below_start = np.nonzero(mu_s[:half] <= low + _EDGE_START_FRACTION * jump)[0]
    start = below_start[-1] if below_start.size else 0
    # First index after the half crossing where mu stops increasing.
    falling = np.nonzero(np.diff(mu_s[half:]) <= 0)[0]
    stop = half + falling[0] if falling.size else mu_s.size - 1
    return int(start), int(stop)


def find_e0(energy, mu, smooth: float = 0.5) -> float:
    """Edge energy E0 as the steepest point of the rising edge.

    Method: ``mu`` is linearly resampled onto a uniform grid (step = the
    smallest input step, but not finer than 0.05 eV), smoothed with a
    Gaussian of standard deviation ``smooth`` eV, and differentiated.  The
    maximum of the derivative is searched **only inside the rising edge**:
    from the last point below 10 % of the edge jump preceding the first
    crossing of 50 % of the jump, up to the first local maximum after that
    crossing (top of the edge or white line).  The jump is measured from the
    lowest point before the global maximum of the smoothed ``mu`` to that
    maximum.  Restricting
    the search this way means steep post-edge oscillations (which all lie
    after the first maximum) and small pre-edge peaks (below 10 % of the
    jump) cannot be picked.  The peak position is refined by a parabola
    through the three derivative points around the maximum, by at most half
    a resampling step.

    Two maxima of similar height (a shoulder and the main edge) make this E0
    jump between them; spectra are aligned on :func:`edge_energy` instead,
    which starts from this value.

    Parameters
    ----------
    energy : array_like
        Strictly increasing energies (eV), absolute or relative.
    mu : array_like
        Absorption, same length as ``energy``.
    smooth : float, optional
        Gaussian smoothing width (eV).  Light smoothing (default 0.5 eV,
        well below the 1.7 eV Cu K core-hole width) suppresses grid noise
        without moving the edge.

    Returns
    -------
    float
        E0 in the same units/zero as ``energy``.

    Raises
    ------
    ValueError
        For invalid input or when the data contain no rising edge.
    """
    energy, mu = _check_spectrum(energy, mu)
    step = max(float(np.min(np.diff(energy))), _MIN_RESAMPLE_STEP)
    n = int(np.floor((energy[-1] - energy[0]) / step)) + 1
    grid = energy[0] + step * np.arange(n)
    mu_s = _gaussian_smooth(np.interp(grid, energy, mu), step, smooth)
    deriv = np.gradient(mu_s, step)

    start, stop = _rising_edge_window(mu_s)
    i = start + int(np.argmax(deriv[start : stop + 1]))
    e0 = grid[i]
    if 0 < i < n - 1:
        # Parabolic refinement of the derivative maximum (sub-grid E0).
        y0, y1, y2 = deriv[i - 1], deriv[i], deriv[i + 1]
        curvature = y0 - 2.0 * y1 + y2
        if curvature < 0:
            # The vertex of a parabola through three points lies within +-half a
            # step of the middle one when that one is the largest; clip so that a
            # maximum at the window edge cannot extrapolate beyond it.
            e0 += float(np.clip(0.5 * step * (y0 - y2) / curvature, -0.5 * step, 0.5 * step))
    return float(e0)


def _fit_window(energy, mu, lo, hi, max_degree, weighted=True):
    """Least-squares polynomial over the points inside ``[lo, hi]``.

    The degree is lowered when the window holds few points
    (``degree = min(max_degree, npoints - 2)``, at least 0), so a nearly
    empty window gives a constant rather than a wild extrapolation.

    With ``weighted`` each point's squared residual is weighted by the energy
    interval it stands for (half the distance to its neighbours), so the fit
    approximates a least-squares fit to the curve, independent of how it is
    sampled: FEFF's 3 eV pre-edge steps and k-uniform post-edge grid, a
    measurement's own steps, or the same spectrum resampled finely all give
    the same line.

    Parameters
    ----------
    energy, mu : numpy.ndarray
        Spectrum.
    lo, hi : float
        Window bounds (absolute eV).
    max_degree : int
        Highest polynomial degree wanted.
    weighted : bool
        Weight by the sampling interval (default) or not (each point alike, as
        xraylarch's ``pre_edge``).

    Returns
    -------
    numpy.polynomial.Polynomial or None
        The fit, or ``None`` if the window contains no points.
    """
    inside = (energy >= lo) & (energy <= hi)
    npts = int(inside.sum())
    if npts == 0:
        return None
    degree = max(0, min(max_degree, npts - 2))
    weights = None
    if weighted and npts > 1:
        # numpy weights multiply the residual, so sqrt(interval) weights its square.
        weights = np.sqrt(np.gradient(energy)[inside])
    return np.polynomial.Polynomial.fit(energy[inside], mu[inside], degree, w=weights)


def normalise_spectrum(
    energy,
    mu,
    e0: float,
    pre: tuple[float, float] = PRE_EDGE,
    post: tuple[float, float] = POST_EDGE,
    post_order: int = 1,
    warn: bool = True,
    weighted: bool = True,
) -> np.ndarray:
    """Pre-edge subtracted, edge-step normalised absorption.

    ``norm = (mu - pre_line(E)) / (post_curve(E0) - pre_line(E0))``

    * ``pre_line``: straight line fitted to the points with
      ``E0 + pre[0] <= E <= E0 + pre[1]``.
    * ``post_curve``: polynomial of degree ``post_order`` fitted to the
      points with ``E0 + post[0] <= E <= E0 + post[1]``.

    Windows only partly covered by the data are fitted with the points they
    do contain, with a :class:`WindowCutWarning` (when more than 2 eV of the
    window lie outside the data); with fewer than 3 points a window is fitted
    with a lower degree (2 points: a constant).

    Fallback for a missing pre-edge: simulated spectra often start only
    ~5-20 eV below the edge (FEFF's default XANES grid), so the pre window
    may contain no point at all.  The pre-edge line is then the constant
    ``mu`` of the lowest-energy point.  This is a good baseline for FEFF,
    whose ``mu`` below the Fermi level is only the small Lorentzian tail of
    the edge, but it leaves that tail in the normalised spectrum.

    Parameters
    ----------
    energy : array_like
        Strictly increasing absolute energies (eV).
    mu : array_like
        Absorption, same length.
    e0 : float
        Edge energy (eV, same zero as ``energy``), e.g. from :func:`find_e0`.
    pre : tuple of float, optional
        Pre-edge window relative to ``e0`` (eV), default :data:`PRE_EDGE`.
    post : tuple of float, optional
        Post-edge window relative to ``e0`` (eV), default :data:`POST_EDGE`.
    post_order : int, optional
        Degree of the post-edge polynomial: 1 (default, robust on the short
        ~100 eV ranges of XANES simulations) or 2 (Athena-style quadratic
        for long ranges); 0 is a constant.
    warn : bool, optional
        Warn (:class:`WindowCutWarning`) when the data do not fill a window.
    weighted : bool, optional
        Fit the windows with each point weighted by its energy interval
        (default; independent of the sampling) or unweighted (xraylarch).

    Returns
    -------
    numpy.ndarray
        Normalised ``mu``: ~0 before the edge, edge step exactly 1 at ``e0``.

    Raises
    ------
    ValueError
        If ``e0`` is not strictly inside the energy range (the data miss the
        edge), no point lies in the post-edge window, or the edge step is
        not positive.
    """
    energy, mu = _check_spectrum(energy, mu)
    e0 = float(e0)
    if not energy[0] < e0 < energy[-1]:
        raise ValueError(
            f"energy range {energy[0]:.2f}..{energy[-1]:.2f} eV misses the edge "
            f"at E0={e0:.2f} eV"
        )
    if pre[0] >= pre[1] or post[0] >= post[1]:
        raise ValueError(f"pre={pre} and post={post} must be (low, high) ranges")
    if post_order not in (0, 1, 2):
        raise ValueError(f"post_order must be 0, 1 or 2, got {post_order}")

    if warn:
        _warn_if_cut(energy, e0, pre, post)
    pre_fit = _fit_window(energy, mu, e0 + pre[0], e0 + pre[1], max_degree=1, weighted=weighted)
    if pre_fit is None:
        # Documented fallback: data start too close to the edge.
        pre_fit = np.polynomial.Polynomial([mu[0]])
    post_fit = _fit_window(energy, mu, e0 + post[0], e0 + post[1], post_order, weighted=weighted)
    if post_fit is None:
        raise ValueError(
            f"no data in the post-edge window E0{post[0]:+g}..E0{post[1]:+g} eV "
            f"(data end at E0{energy[-1] - e0:+.1f} eV)"
        )

    step = float(post_fit(e0) - pre_fit(e0))
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"edge step at E0={e0:.2f} eV is not positive ({step:g})")
    return (mu - pre_fit(energy)) / step


def _warn_if_cut(energy, e0, pre, post) -> None:
    """:class:`WindowCutWarning` for each window the data miss more than 2 eV of."""
    missing_pre = energy[0] - (e0 + pre[0])
    missing_post = (e0 + post[1]) - energy[-1]
    if missing_pre > _WINDOW_TOLERANCE:
        warnings.warn(
            f"pre-edge window E0{pre[0]:+g}..E0{pre[1]:+g} eV is cut: data start at "
            f"E0{energy[0] - e0:+.1f} eV (E0 = {e0:.2f} eV)", WindowCutWarning, stacklevel=3)
    if missing_post > _WINDOW_TOLERANCE:
        warnings.warn(
            f"post-edge window E0{post[0]:+g}..E0{post[1]:+g} eV is cut: data end at "
            f"E0{energy[-1] - e0:+.1f} eV (E0 = {e0:.2f} eV)", WindowCutWarning, stacklevel=3)


def _level_crossing(energy, norm, level, start) -> float | None:
    """First energy >= ``start`` where ``norm`` rises through ``level`` (linear)."""
    above = np.nonzero((energy[1:] >= start) & (norm[:-1] < level) & (norm[1:] >= level))[0]
    if not above.size:
        return None
    i = int(above[0])
    e_a, e_b, n_a, n_b = energy[i], energy[i + 1], norm[i], norm[i + 1]
    return float(e_a + (level - n_a) / (n_b - n_a) * (e_b - e_a))


def edge_energy(
    energy,
    mu,
    fraction: float = E0_STEP_FRACTION,
    pre: tuple[float, float] = PRE_EDGE,
    post: tuple[float, float] = POST_EDGE,
    post_order: int = 1,
    smooth: float = 0.5,
    max_iterations: int = 50,
    tolerance: float = 1e-3,
) -> float:
    """E0 as the first crossing of ``fraction`` of the edge step (the alignment point).

    Method: start from :func:`find_e0`; normalise with the windows placed
    relative to the current E0 (:func:`normalise_spectrum`); E0 becomes the
    first energy above the end of the pre-edge window where the normalised,
    lightly smoothed (Gaussian ``smooth`` eV, on a uniform grid as in
    :func:`find_e0`) ``mu`` rises through ``fraction``; repeat until E0 moves
    by less than ``tolerance`` eV. The windows move with E0, so E0 and edge
    step are consistent with each other. A level crossing moves continuously
    as the spectrum changes (broadening, noise), unless a plateau of the
    spectrum lies at the level: the default 0.3 is below the first shoulders
    of Cu K edges (see the module docstring).

    Parameters
    ----------
    energy, mu : array_like
        Spectrum (absolute eV).
    fraction : float
        Level, as a fraction of the edge step (0 < fraction < 1).
    pre, post, post_order
        Windows of :func:`normalise_spectrum`.
    smooth : float
        Gaussian smoothing (eV) before the crossing is located.
    max_iterations, tolerance
        Self-consistency loop.

    Returns
    -------
    float
        E0 (eV).

    Raises
    ------
    ValueError
        No edge, no crossing, or no self-consistent E0 (the iteration cycles).
    """
    energy, mu = _check_spectrum(energy, mu)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    step = max(float(np.min(np.diff(energy))), _MIN_RESAMPLE_STEP)
    n = int(np.floor((energy[-1] - energy[0]) / step)) + 1
    grid = energy[0] + step * np.arange(n)
    e0 = find_e0(energy, mu, smooth=smooth)
    history = [e0]
    for _ in range(max_iterations):
        norm = normalise_spectrum(energy, mu, e0, pre, post, post_order, warn=False)
        norm_s = _gaussian_smooth(np.interp(grid, energy, norm), step, smooth)
        new = _level_crossing(grid, norm_s, fraction, e0 + pre[1])
        if new is None:
            raise ValueError(
                f"normalised mu never rises through {fraction:g} of the edge step above "
                f"E0{pre[1]:+g} eV (E0 = {e0:.2f} eV)")
        if abs(new - e0) < tolerance:
            return float(new)
        if any(abs(new - h) < tolerance for h in history[:-1]):
            # A cycle: the windows' point sets change as E0 moves, so the map is
            # piecewise smooth. A cycle narrower than _CYCLE_TOLERANCE is round-off
            # of that kind (its middle is E0); a wider one is a real ambiguity.
            cycle = history[next(i for i, h in enumerate(history) if abs(new - h) < tolerance):]
            if max(cycle) - min(cycle) <= _CYCLE_TOLERANCE:
                return float(0.5 * (max(cycle) + min(cycle)))
            raise ValueError(
                f"no self-consistent E0: the {fraction:g} step crossing cycles between "
                f"{min(cycle):.2f} and {max(cycle):.2f} eV")
        history.append(new)
        e0 = new
    raise ValueError(f"E0 did not converge in {max_iterations} iterations (last {e0:.2f} eV)")


def normalised_on_grid(energy, mu, grid, *, shift: float = 0.0, **windows):
    """E0 (:func:`edge_energy`), normalised ``mu`` and that on the E0-relative ``grid``.

    The one alignment and normalisation of every spectrum, simulated or measured.

    Parameters
    ----------
    energy, mu : array_like
        Spectrum (absolute eV).
    grid : array_like
        Energies relative to E0 (eV).
    shift : float
        A feature at ``E0 + e`` is placed at ``e + shift`` on the grid.
    **windows
        ``pre``, ``post``, ``post_order`` for :func:`edge_energy` and
        :func:`normalise_spectrum`.

    Returns
    -------
    e0 : float
    on_grid : numpy.ndarray
    """
    e0 = edge_energy(energy, mu, **windows)
    norm = normalise_spectrum(energy, mu, e0, **windows)
    return e0, to_relative_grid(energy, norm, e0 - float(shift), grid)


def to_relative_grid(energy, mu, e0: float, grid) -> np.ndarray:
    """Interpolate a spectrum onto a grid of energies relative to ``e0``.

    Parameters
    ----------
    energy : array_like
        Strictly increasing absolute energies (eV).
    mu : array_like
        Values to interpolate (usually normalised mu).
    e0 : float
        Edge energy (eV, same zero as ``energy``).
    grid : array_like
        Target energies relative to ``e0`` (eV).

    Returns
    -------
    numpy.ndarray
        ``mu`` linearly interpolated at ``e0 + grid``.

    Raises
    ------
    ValueError
        If the grid reaches outside the data (no extrapolation).
    """
    energy, mu = _check_spectrum(energy, mu)
    grid = np.asarray(grid, dtype=float)
    rel = energy - float(e0)
    tol = 1e-6  # absorbs float round-off at exactly matching ends
    if grid.size == 0:
        raise ValueError("target grid is empty")
    if grid.min() < rel[0] - tol or grid.max() > rel[-1] + tol:
        raise ValueError(
            f"grid E0{grid.min():+.2f}..E0{grid.max():+.2f} eV is not covered by the "
            f"data (E0{rel[0]:+.2f}..E0{rel[-1]:+.2f} eV)"
        )
    return np.interp(grid, rel, mu)


def energy_grid(start: float, stop: float, step: float) -> np.ndarray:
    """Uniform energy grid from ``start`` to ``stop`` inclusive.

    Parameters
    ----------
    start, stop : float
        First and last energy (eV); ``stop`` is included when
        ``stop - start`` is a multiple of ``step`` (up to round-off).
    step : float
        Positive spacing (eV).

    Returns
    -------
    numpy.ndarray
        ``start + step * arange(n)``, built from integers so that round-off
        does not add or drop the last point.

    Raises
    ------
    ValueError
        If ``step <= 0`` or ``stop <= start``.
    """
    if not step > 0:
        raise ValueError(f"step must be positive, got {step}")
    if not stop > start:
        raise ValueError(f"stop ({stop}) must be larger than start ({start})")
    n = int(np.floor((stop - start) / step + 1e-9)) + 1
    return start + step * np.arange(n, dtype=float)
