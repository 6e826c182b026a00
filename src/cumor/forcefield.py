"""Force fields for the relaxation: what they are, parsed and checked from config.

Two styles, both described by a plain dict so a config file can swap them
(:func:`forcefield_from_config`; the package default is
:func:`default_forcefield_spec`):

``buckingham_coulomb``
    Rigid-ion Buckingham + long-range Coulomb, with an optional short-range guard
    and fixed charges (:func:`atomic_charges`).
``reaxff``
    ReaxFF with charge equilibration, for an ``ffield`` parameter file.

:mod:`cumor.relax` drives LAMMPS with them.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers

__all__ = [
    "BuckinghamPair",
    "ForceField",
    "GuardPair",
    "atomic_charges",
    "default_forcefield_spec",
    "forcefield_from_config",
    "rigid_ion_forcefield_spec",
]

#: e^2 / (4 pi eps0) in eV Angstrom, the value LAMMPS uses in ``metal`` units.
COULOMB_EV_A = 14.399645

#: Styles understood by :func:`forcefield_from_config`.
STYLES = ("chgnet", "buckingham_coulomb", "reaxff")

# Charges tried for an ``auto`` element when checking for short-range collapse:
# the real value depends on the structure (Al count, extra-framework O), and a
# Cu balancing one to three framework Al is the range this project meets.
_AUTO_CHARGE_PROBES = (1.0, 2.0, 3.0)

# Range (Angstrom) over which every pair energy must be purely repulsive. No
# Si/Al/Cu-O or O-O distance is physically this short, so an energy that turns
# attractive here is the BKS-type collapse, not chemistry.
_COLLAPSE_CHECK_RANGE = (0.5, 1.2)


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
        ``"chgnet"``, ``"buckingham_coulomb"`` or ``"reaxff"``.
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
    model, optimizer : str
        CHGNet model (weights shipped in the wheel) and ASE optimiser (chgnet only).
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
    model: str = ""
    optimizer: str = ""
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def known_elements(self) -> tuple[str, ...]:
        """Elements this force field can describe (chgnet: all, the empty tuple)."""
        if self.style == "reaxff":
            return tuple(self.elements)
        if self.style == "chgnet":
            return ()
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


CHGNET_CITATION = (
    "CHGNet 0.3.0 (chgnet 0.4.2 wheel, weights shipped): B. Deng, P. Zhong, K. Jun, "
    "J. Riebesell, K. Han, C. J. Bartel, G. Ceder, Nat. Mach. Intell. 5, 1031 (2023), "
    "doi:10.1038/s42256-023-00716-3; trained on MPtrj (Materials Project GGA/GGA+U "
    "relaxation trajectories). Every term of the potential is the published model."
)


def default_forcefield_spec() -> dict:
    """The default force field: CHGNet 0.3.0 through ASE, PreconLBFGS (a fresh dict).

    A universal machine-learned potential whose weights ship inside its wheel, with
    one citation for the whole model (:data:`CHGNET_CITATION`); see
    :mod:`cumor.relax_chgnet` for what was measured against experiment.

    Returns
    -------
    dict
        A spec accepted by :func:`forcefield_from_config`.

    Examples
    --------
    >>> forcefield_from_config(default_forcefield_spec()).style
    'chgnet'
    """
    return {"style": "chgnet", "model": "0.3.0", "optimizer": "PreconLBFGS", "citation": CHGNET_CITATION}


def rigid_ion_forcefield_spec() -> dict:
    """A ``buckingham_coulomb`` spec for silica and aluminosilicate frameworks (a fresh dict).

    Si-O and O-O are BKS, Al-O is Kramer et al. (same charges family), the
    short-range wall is the 30-6 term of Saika-Voivod et al. Its Cu-O term is
    provisional (see its citation string): it is kept for tests of the LAMMPS path and
    for framework-only work, and is never the default for Cu-MOR. All numbers live in
    the dict so a config file can override any of them.

    Returns
    -------
    dict
        A spec accepted by :func:`forcefield_from_config`.

    Examples
    --------
    >>> spec = rigid_ion_forcefield_spec()
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
    if style == "chgnet":
        return _chgnet_from_spec(spec)
    return _buckingham_from_spec(spec)


_CHGNET_KEYS = {"style", "citation", "model", "optimizer"}


def _chgnet_from_spec(spec: Mapping[str, Any]) -> ForceField:
    from cumor.relax_chgnet import OPTIMIZERS, SHIPPED_MODELS

    _check_keys(spec, _CHGNET_KEYS, "force-field")
    model = spec.get("model", "0.3.0")
    if model not in SHIPPED_MODELS:
        raise ValueError(f"force-field key 'model' must be one of {SHIPPED_MODELS}, got {model!r}")
    optimizer = spec.get("optimizer", "PreconLBFGS")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"force-field key 'optimizer' must be one of {OPTIMIZERS}, got {optimizer!r}")
    return ForceField(style="chgnet", citation=spec["citation"], model=model, optimizer=optimizer,
                      spec=dict(spec))


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


