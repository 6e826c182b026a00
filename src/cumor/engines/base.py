"""Engine-independent pieces: the engine interface, clusters, averaging.

A *spectrum engine* turns one absorbing atom of a structure into one
absorption spectrum (:class:`SpectrumEngine.compute`).  Everything that does
not depend on the engine lives here: cutting a spherical cluster out of a
periodic structure (:func:`cluster_around`) and the site-averaged,
normalised spectrum of a structure (:func:`compute_average_spectrum`).
"""

from __future__ import annotations

import abc
import dataclasses
import itertools
from pathlib import Path

import numpy as np
from ase import Atoms

from cumor import normalise
from cumor.calibration import Calibration, apply_calibration

__all__ = [
    "EngineError",
    "AbsorberSpectrum",
    "SpectrumEngine",
    "cluster_around",
    "compute_average_spectrum",
]


class EngineError(RuntimeError):
    """A spectrum calculation failed or produced unusable output.

    The message always ends with the work directory and, when known, the
    log file, so that a failed workflow job points straight at the evidence.

    Parameters
    ----------
    message : str
        What went wrong.
    workdir : path-like, optional
        Directory of the failed calculation.
    log_path : path-like, optional
        Log file worth reading first.
    """

    def __init__(self, message: str, workdir=None, log_path=None):
        self.workdir = Path(workdir) if workdir is not None else None
        self.log_path = Path(log_path) if log_path is not None else None
        parts = [message]
        if self.workdir is not None:
            parts.append(f"work dir: {self.workdir}")
        if self.log_path is not None:
            parts.append(f"log: {self.log_path}")
        super().__init__("\n  ".join(parts))


@dataclasses.dataclass
class AbsorberSpectrum:
    """Raw spectrum of one absorbing atom, as produced by an engine.

    Attributes
    ----------
    energy : numpy.ndarray
        Absolute photon energies (eV), strictly increasing.
    mu : numpy.ndarray
        Absorption (engine units, not yet normalised), same length.
    absorber : int
        Index of the absorbing atom in the structure given to the engine.
    seconds : float
        Wall time of the calculation.
    meta : dict
        Engine-specific details (settings used, cluster size, timings...).
    """

    energy: np.ndarray
    mu: np.ndarray
    absorber: int
    seconds: float
    meta: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.energy = np.asarray(self.energy, dtype=float)
        self.mu = np.asarray(self.mu, dtype=float)
        if self.energy.ndim != 1 or self.energy.shape != self.mu.shape:
            raise ValueError(
                f"energy and mu must be 1-D with equal length, got "
                f"{self.energy.shape} and {self.mu.shape}"
            )


class SpectrumEngine(abc.ABC):
    """Interface of a spectrum engine (FEFF, FDMNES, ...).

    Subclasses set :attr:`name`, take their settings dict in ``__init__``
    and implement :meth:`compute`.  They are created through
    :func:`cumor.engines.get_engine`.
    """

    #: Registry name of the engine, e.g. ``"feff"``.
    name: str = ""

    @property
    def cluster_radius(self) -> float:
        """Radius (A) of the cluster the engine computes around an absorber."""
        return float(getattr(self, "settings", {}).get("cluster_radius", DEFAULT_SIGNATURE_RADIUS))

    @property
    def calibration(self) -> Calibration:
        """Theory-experiment calibration of this engine's spectra (settings key
        ``calibration``; none if absent), applied by :func:`compute_average_spectrum`."""
        return Calibration.from_settings(getattr(self, "settings", {}).get("calibration"))

    def check_available(self) -> None:
        """Raise :class:`EngineError` if the engine cannot run here (default: it can).

        Engines that call an external program override this to say how to install
        or point to it.
        """

    @abc.abstractmethod
    def compute(self, atoms: Atoms, absorber: int, workdir: Path) -> AbsorberSpectrum:
        """Spectrum of atom ``absorber`` of ``atoms``.

        Parameters
        ----------
        atoms : ase.Atoms
            Whole structure (periodic or not).
        absorber : int
            Index of the absorbing atom.
        workdir : pathlib.Path
            Directory for the engine's files; created if missing.

        Returns
        -------
        AbsorberSpectrum

        Raises
        ------
        EngineError
            If the calculation fails or its output is unusable.
        """


def _image_range(cell: np.ndarray, pbc: np.ndarray, radius: float) -> list[range]:
    """Lattice translations needed to find every atom within ``radius``.

    Along a periodic axis ``i`` the lattice planes are ``h_i = 1/|b_i|``
    apart (``b_i`` reciprocal vectors without 2*pi).  With fractional
    displacements wrapped into [-0.5, 0.5), an atom within ``radius`` needs
    ``|n_i| <= radius/h_i + 0.5``.  This also covers cells smaller than the
    cluster, where a plain minimum-image convention is not enough.

    Parameters
    ----------
    cell : numpy.ndarray
        3x3 cell matrix (rows are lattice vectors).
    pbc : numpy.ndarray
        Three booleans.
    radius : float
        Cluster radius (Angstrom).

    Returns
    -------
    list of range
        One range of integer translations per axis (``range(0, 1)`` for
        non-periodic axes).
    """
    reciprocal = np.linalg.inv(cell).T
    ranges = []
    for axis in range(3):
        if pbc[axis]:
            spacing = 1.0 / np.linalg.norm(reciprocal[axis])
            nmax = int(np.ceil(radius / spacing + 0.5))
            ranges.append(range(-nmax, nmax + 1))
        else:
            ranges.append(range(0, 1))
    return ranges


def cluster_around(atoms: Atoms, absorber: int, radius: float) -> Atoms:
    """Spherical, non-periodic cluster centred on one atom.

    Every atom (including periodic images along the periodic axes of
    ``atoms.pbc``) whose distance from the absorber is ``<= radius`` is
    kept.  The absorber comes first, at the origin; the other atoms follow
    sorted by distance (ties keep the order of the original indices, so the
    result is deterministic).

    Parameters
    ----------
    atoms : ase.Atoms
        Structure; positions need not be wrapped into the cell.
    absorber : int
        Index of the central atom.
    radius : float
        Cluster radius (Angstrom), > 0.

    Returns
    -------
    ase.Atoms
        Cluster with ``pbc=False`` and no cell.  ``cluster.arrays
        ["source_index"]`` holds the index in ``atoms`` of every cluster atom
        and ``cluster.info["absorber_index"]`` the absorber's index.

    Raises
    ------
    ValueError
        If ``radius`` is not positive, ``absorber`` is out of range, or a
        periodic axis has a degenerate cell vector.
    """
    n_atoms = len(atoms)
    if not radius > 0:
        raise ValueError(f"cluster radius must be positive, got {radius}")
    if not -n_atoms <= absorber < n_atoms:
        raise ValueError(f"absorber index {absorber} out of range for {n_atoms} atoms")
    absorber = absorber % n_atoms
    pbc = np.asarray(atoms.pbc, dtype=bool)
    positions = atoms.get_positions()
    displacement = positions - positions[absorber]

    if pbc.any():
        cell = atoms.cell.complete().array  # fills non-periodic axes so inv() works
        if abs(np.linalg.det(cell)) < 1e-8:
            raise ValueError("cell is degenerate; cannot build periodic images")
        # Wrap displacements into [-0.5, 0.5) along periodic axes so the
        # image range of _image_range is sufficient.
        frac = displacement @ np.linalg.inv(cell)
        frac[:, pbc] -= np.floor(frac[:, pbc] + 0.5)
        displacement = frac @ cell
        shifts = np.array(list(itertools.product(*_image_range(cell, pbc, radius))))
        vectors = (displacement[None, :, :] + (shifts @ cell)[:, None, :]).reshape(-1, 3)
        sources = np.tile(np.arange(n_atoms), len(shifts))
    else:
        vectors = displacement
        sources = np.arange(n_atoms)

    dist = np.linalg.norm(vectors, axis=1)
    keep = dist <= radius
    # The absorber itself is the (only) zero vector from its own source.
    is_centre = (sources == absorber) & (dist < 1e-8)
    keep &= ~is_centre
    order = np.lexsort((sources[keep], dist[keep]))  # by distance, then index
    kept_vectors = vectors[keep][order]
    kept_sources = sources[keep][order]

    numbers = np.concatenate(([atoms.numbers[absorber]], atoms.numbers[kept_sources]))
    cluster = Atoms(
        numbers=numbers,
        positions=np.vstack([np.zeros((1, 3)), kept_vectors]),
        pbc=False,
    )
    cluster.arrays["source_index"] = np.concatenate(([absorber], kept_sources))
    cluster.info["absorber_index"] = int(absorber)
    return cluster


def _absorber_spectrum_on_grid(spectrum, grid, workdir, calibration=None):
    """Calibrate and normalise one engine spectrum and put it on the E0-relative grid.

    The raw spectrum gets the engine's theory-experiment calibration
    (:func:`cumor.calibration.apply_calibration`: energy offset, broadening), then the
    one alignment and normalisation of every spectrum, simulated or measured
    (:func:`cumor.normalise.normalised_on_grid`: E0 at 0.3 of the edge step,
    windows E0-40..-15 and E0+20..+90 eV).

    Parameters
    ----------
    spectrum : AbsorberSpectrum
        Raw engine output.
    grid : numpy.ndarray
        Energies relative to E0 (eV).
    workdir : pathlib.Path
        The absorber's directory, named in errors.
    calibration : cumor.calibration.Calibration or dict, optional
        None = no calibration.

    Returns
    -------
    e0 : float
        Absolute edge energy (eV; on the measured scale when calibrated).
    mu : numpy.ndarray
        Normalised mu on ``grid``.

    Raises
    ------
    EngineError
        If the spectrum cannot be normalised or does not cover the grid.
    """
    try:
        energy, mu = apply_calibration(spectrum.energy, spectrum.mu, calibration)
        return normalise.normalised_on_grid(energy, mu, grid)
    except ValueError as exc:
        raise EngineError(
            f"spectrum of absorber {spectrum.absorber} is unusable: {exc}", workdir
        ) from exc


def compute_average_spectrum(
    atoms: Atoms,
    engine: SpectrumEngine,
    workdir: Path,
    energy_grid,
    absorber_symbol: str = "Cu",
) -> dict:
    """Site-averaged normalised spectrum over every absorber of one element.

    Each absorber is computed in its own subdirectory
    ``workdir/<symbol><index>`` (e.g. ``Cu144``), calibrated (the engine's
    ``calibration``), aligned and normalised
    (:func:`cumor.normalise.normalised_on_grid`), interpolated onto
    ``energy_grid`` relative to *its own* E0, and the results are averaged
    with equal weights.  Aligning on each site's E0 compares spectral shapes;
    the absolute E0 per site is returned separately.

    Parameters
    ----------
    atoms : ase.Atoms
        Structure.
    engine : SpectrumEngine
        Engine to run.
    workdir : pathlib.Path
        Parent directory for the per-absorber calculations.
    energy_grid : array_like
        Energies relative to E0 (eV), e.g. from
        :func:`cumor.normalise.energy_grid`.
    absorber_symbol : str, optional
        Element whose atoms are absorbers (default ``"Cu"``).

    Returns
    -------
    dict
        ``energy`` (the grid, ndarray), ``mu`` (averaged normalised mu,
        ndarray), ``e0`` (list of float, absolute eV per absorber),
        ``seconds`` (list of float per absorber), ``absorbers`` (list of
        int, atom indices).

    Raises
    ------
    EngineError
        If ``atoms`` has no ``absorber_symbol`` atom, or any absorber fails.
    """
    workdir = Path(workdir)
    grid = np.asarray(energy_grid, dtype=float)
    symbols = atoms.get_chemical_symbols()
    absorbers = [i for i, s in enumerate(symbols) if s == absorber_symbol]
    if not absorbers:
        raise EngineError(
            f"structure {atoms.get_chemical_formula()} has no {absorber_symbol} atom "
            f"to use as absorber",
            workdir,
        )

    radius = getattr(engine, "cluster_radius", DEFAULT_SIGNATURE_RADIUS)
    groups = equivalent_absorbers(atoms, absorbers, radius)
    e0s, seconds, curves, weights = [], [], [], []
    for group in groups:
        index = group[0]  # one representative per class of equivalent absorbers
        site_dir = workdir / f"{absorber_symbol}{index}"
        spectrum = engine.compute(atoms, index, site_dir)
        e0, curve = _absorber_spectrum_on_grid(spectrum, grid, site_dir, engine.calibration)
        e0s.append(e0)
        seconds.append(float(spectrum.seconds))
        curves.append(curve)
        weights.append(len(group))

    return {
        "energy": grid,
        "mu": np.average(curves, axis=0, weights=weights),
        "e0": e0s,
        "seconds": seconds,
        "absorbers": [g[0] for g in groups],
        "multiplicity": weights,
        "equivalent": groups,
    }


#: Radius (A) of the neighbour signature when the engine does not say its cluster radius.
DEFAULT_SIGNATURE_RADIUS = 6.0
#: Two absorbers are equivalent when their sorted neighbour distances agree this well (A).
SIGNATURE_TOLERANCE = 0.02


def absorber_signature(atoms: Atoms, index: int, radius: float) -> list[tuple[str, float]]:
    """Sorted (element, distance) list of every atom within ``radius`` of ``index``."""
    cluster = cluster_around(atoms, index, radius)
    distances = np.linalg.norm(cluster.positions[1:], axis=1)
    return sorted(zip(cluster.get_chemical_symbols()[1:], np.round(distances, 4)))


def equivalent_absorbers(
    atoms: Atoms, absorbers: list[int], radius: float, tol: float = SIGNATURE_TOLERANCE
) -> list[list[int]]:
    """Group absorbers whose clusters are the same up to a rotation.

    Two absorbers are equivalent when their neighbour signatures (elements and
    sorted distances within ``radius``) agree within ``tol``: their spectra are then
    the same (orientation-averaged K edge), so each class is computed once and
    weighted by its multiplicity. Distances alone can in principle coincide for
    non-congruent clusters; with 40-60 atoms per cluster this does not happen in
    practice, and the tolerance errs toward computing more.

    Returns
    -------
    list of list of int
        Classes of equivalent absorbers, each in input order.
    """
    groups: list[tuple[list, list[int]]] = []
    for index in absorbers:
        signature = absorber_signature(atoms, index, radius)
        for reference, members in groups:
            if _same_signature(signature, reference, tol):
                members.append(index)
                break
        else:
            groups.append((signature, [index]))
    return [members for _, members in groups]


def _same_signature(a, b, tol: float) -> bool:
    if len(a) != len(b):
        return False
    return all(sa == sb and abs(da - db) <= tol for (sa, da), (sb, db) in zip(a, b))
