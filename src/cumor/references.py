"""Copper-oxide reference crystals (CuO, Cu2O) and their Cu K-edge spectra.

The paper augments its Cu-MOR spectra with linear combinations of each spectrum
with CuO and Cu2O (25, 50, 75 % oxide), a crude model of partly oxidised /
segregated copper in a real sample. The oxide spectra are computed here from
their crystal structures with the *same* engine, engine settings, normalisation
and energy grid as the data set, so that a mixture of two spectra is a mixture of
like with like.

Both crystals have a single Cu Wyckoff position, so every Cu atom is
symmetry-equivalent (same surroundings up to a rotation) and has the same
isotropic (powder) spectrum: one absorber suffices, and that is what
:func:`compute_reference_spectrum` computes. :func:`equivalent_cu_sites` checks
the claim from the space-group bookkeeping of :func:`ase.spacegroup.crystal`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import numpy as np
from ase import Atoms
from ase.spacegroup import crystal

from cumor.engines.base import SpectrumEngine, _absorber_spectrum_on_grid

__all__ = [
    "REFERENCES",
    "MEASURED_CRYSTALS",
    "build_cuo",
    "build_cu2o",
    "build_cu_fcc",
    "build_covellite",
    "build_reference",
    "equivalent_cu_sites",
    "compute_reference_spectrum",
]

#: Literature data of the oxides (cell, Wyckoff positions, source).
CUO_DATA = {
    "name": "CuO",
    "mineral": "tenorite",
    "spacegroup": "C2/c (No. 15, unique axis b, cell choice 1)",
    "cellpar": (4.6837, 3.4226, 5.1288, 90.0, 99.54, 90.0),
    "sites": {"Cu": ("4c", (0.25, 0.25, 0.0)), "O": ("4e", (0.0, 0.4184, 0.25))},
    "citation": (
        "S. Asbrink and L.-J. Norrby, 'A refinement of the crystal structure of "
        "copper(II) oxide with a discussion of some exceptional e.s.d.'s', "
        "Acta Cryst. B26, 8-15 (1970)"
    ),
}
CU2O_DATA = {
    "name": "Cu2O",
    "mineral": "cuprite",
    "spacegroup": "Pn-3m (No. 224, origin choice 2)",
    "cellpar": (4.2696, 4.2696, 4.2696, 90.0, 90.0, 90.0),
    "sites": {"Cu": ("4b", (0.0, 0.0, 0.0)), "O": ("2a", (0.25, 0.25, 0.25))},
    "citation": (
        "a = 4.2696 A: room-temperature powder value of the ICDD/JCPDS card 05-0667 "
        "(Swanson & Fuyat, NBS Circular 539, vol. II, 1953); positions fixed by "
        "symmetry (R. Restori and D. Schwarzenbach, Acta Cryst. B42, 201-208 (1986), "
        "refine a = 4.2685 A; the 0.03 % difference is irrelevant for XANES)"
    ),
}


CU_FCC_DATA = {
    "name": "Cu",
    "mineral": "copper (metal)",
    "spacegroup": "Fm-3m (No. 225)",
    "cellpar": (3.6149, 3.6149, 3.6149, 90.0, 90.0, 90.0),
    "sites": {"Cu": ("4a", (0.0, 0.0, 0.0))},
    "citation": (
        "a = 3.6149 A (room temperature): H. E. Swanson and E. Tatge, 'Standard X-ray "
        "diffraction powder patterns', NBS Circular 539, vol. I (1953), ICDD card 04-0836 "
        "(3.615 A to four figures)"
    ),
}
COVELLITE_DATA = {
    "name": "CuS",
    "mineral": "covellite",
    "spacegroup": "P6_3/mmc (No. 194)",
    "cellpar": (3.7938, 3.7938, 16.341, 90.0, 90.0, 120.0),
    # Cu(1) in the CuS3 triangle, Cu(2) in the CuS4 tetrahedron; S(2) forms the S2 pair.
    "sites": {
        "Cu": ("2d", (1 / 3, 2 / 3, 0.75)),
        "Cu2": ("4f", (1 / 3, 2 / 3, 0.10733)),
        "S": ("2c", (1 / 3, 2 / 3, 0.25)),
        "S2": ("4e", (0.0, 0.0, 0.06337)),
    },
    "citation": (
        "H. T. Evans Jr. and J. A. Konnert, 'Crystal structure refinement of covellite', "
        "Am. Mineral. 61, 996-1000 (1976): a = 3.7938(5), c = 16.341(1) A, "
        "z(Cu2) = 0.10733(9), z(S2) = 0.06337(15)"
    ),
}


def build_cu_fcc() -> Atoms:
    """Copper metal, fcc conventional cell (Cu4), a = 3.6149 A (Swanson & Tatge 1953).

    Nearest neighbours 12 x a/sqrt(2) = 2.556 A. One Wyckoff site: every Cu equivalent.
    """
    return _build(CU_FCC_DATA, spacegroup=225, setting=1)


def build_covellite() -> Atoms:
    """Covellite CuS, hexagonal cell (Cu6S6), Evans & Konnert, Am. Mineral. 61, 996 (1976).

    P6_3/mmc, a = 3.7938, c = 16.341 A. Cu(1) on 2d in a CuS3 triangle (3 x 2.190 A),
    Cu(2) on 4f (z = 0.10733) in a CuS4 tetrahedron (3 x 2.302 + 2.331 A); S(1) on 2c,
    S(2) on 4e (z = 0.06337), S(2)-S(2) 2.071 A. Two Cu sites in the ratio 1 : 2, so
    the crystal's spectrum is the 1 : 2 average of two absorbers.
    """
    return _build(COVELLITE_DATA, spacegroup=194, setting=1)


def build_cuo() -> Atoms:
    """Tenorite CuO, conventional cell (Cu4O4).

    C2/c (No. 15, unique axis b), a = 4.6837, b = 3.4226, c = 5.1288 A,
    beta = 99.54 deg; Cu on 4c (1/4, 1/4, 0), O on 4e (0, 0.4184, 1/4)
    (Asbrink & Norrby, Acta Cryst. B26, 8 (1970)). Each Cu has four O at
    1.951 (x2) and 1.961 A (x2): the square-planar Cu(II) of tenorite.
    Cell volume 81.08 A^3.

    Returns
    -------
    ase.Atoms
        Periodic, 8 atoms; ``info["reference"]`` holds :data:`CUO_DATA`.
    """
    return _build(CUO_DATA, spacegroup=15, setting=1)


def build_cu2o() -> Atoms:
    """Cuprite Cu2O, cubic cell (Cu4O2).

    Pn-3m (No. 224), origin choice 2, a = 4.2696 A; Cu on 4b (0, 0, 0),
    O on 2a (1/4, 1/4, 1/4). Each Cu is linearly coordinated by two O at
    a*sqrt(3)/4 = 1.849 A (Cu(I)); each O sits in a Cu4 tetrahedron.

    Returns
    -------
    ase.Atoms
        Periodic, 6 atoms; ``info["reference"]`` holds :data:`CU2O_DATA`.
    """
    return _build(CU2O_DATA, spacegroup=224, setting=2)


def _build(data: dict, spacegroup: int, setting: int) -> Atoms:
    labels = list(data["sites"])
    # A label such as "Cu2" is a second site of Cu: the element is the label's letters.
    symbols = [re.match(r"[A-Z][a-z]?", label).group(0) for label in labels]
    basis = [data["sites"][s][1] for s in labels]
    atoms = crystal(symbols, basis=basis, spacegroup=spacegroup, setting=setting,
                    cellpar=list(data["cellpar"]), pbc=True)
    atoms.info["reference"] = {k: (list(v) if isinstance(v, tuple) else v)
                               for k, v in data.items() if k != "sites"}
    return atoms


#: Reference name -> builder.
REFERENCES: dict[str, Callable[[], Atoms]] = {
    "CuO": build_cuo,
    "Cu2O": build_cu2o,
    "Cu_foil": build_cu_fcc,
    "CuS": build_covellite,
}

#: Crystals with a measured spectrum among cumor's packaged references
#: (:data:`cumor.measured_readers.MEASURED_REFERENCES`, same keys). Not built:
#: Cu2S (low chalcocite, P2_1/c with 48 Cu sites in a 144-atom cell: 48 FEFF runs per
#: spectrum) and azurite (two Cu sites, H positions from neutron data; the
#: coordinates of Zigan & Schuster 1972 could not be checked here against the paper).
MEASURED_CRYSTALS = ("Cu_foil", "CuO", "CuS")


def build_reference(name: str) -> Atoms:
    """Build a reference crystal by name (``"CuO"`` or ``"Cu2O"``).

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    if name not in REFERENCES:
        raise ValueError(f"unknown reference {name!r}; known: {', '.join(REFERENCES)}")
    return REFERENCES[name]()


def equivalent_cu_sites(atoms: Atoms) -> bool:
    """Whether every Cu of a crystal built by :func:`ase.spacegroup.crystal` is
    on the same Wyckoff orbit (``spacegroup_kinds`` = index of the basis site
    an atom was generated from), i.e. symmetry-equivalent."""
    kinds = atoms.get_array("spacegroup_kinds")
    cu = np.array(atoms.get_chemical_symbols()) == "Cu"
    return bool(cu.any() and len(set(kinds[cu].tolist())) == 1)


def compute_reference_spectrum(
    name: str,
    engine: SpectrumEngine,
    workdir: str | Path,
    energy_grid,
) -> tuple[dict, dict]:
    """Cu K-edge spectrum of a reference oxide, like a data-set spectrum.

    One Cu absorber (all Cu are equivalent, :func:`equivalent_cu_sites`) is
    computed with ``engine`` and normalised exactly like every absorber of the
    data set (:func:`cumor.engines.base.compute_average_spectrum` uses the same
    :func:`~cumor.engines.base._absorber_spectrum_on_grid`: the engine's
    calibration, E0 at 0.3 of the edge step, pre-edge line, edge step 1,
    interpolation onto the E0-relative grid).

    Parameters
    ----------
    name : str
        ``"CuO"`` or ``"Cu2O"``.
    engine : SpectrumEngine
        Same engine and settings as the data set.
    workdir : path-like
        Parent of the absorber's work directory (``workdir/Cu<index>``).
    energy_grid : array_like
        Energies relative to E0 (eV), the data set's grid.

    Returns
    -------
    result : dict
        Like :func:`~cumor.engines.base.compute_average_spectrum`: ``energy``,
        ``mu``, ``e0`` (one value), ``seconds``, ``absorbers``.
    meta : dict
        ``reference``, formula, space group, cell parameters, citation,
        ``n_cu`` and ``equivalent_cu`` (True).

    Raises
    ------
    ValueError
        If the Cu atoms of the crystal are not all equivalent (then one
        absorber would not represent the crystal).
    """
    atoms = build_reference(name)
    if not equivalent_cu_sites(atoms):
        raise ValueError(f"{name}: Cu sites are not all equivalent; one absorber is not enough")
    grid = np.asarray(energy_grid, dtype=float)
    index = next(i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Cu")
    site_dir = Path(workdir) / f"Cu{index}"
    spectrum = engine.compute(atoms, index, site_dir)
    e0, mu = _absorber_spectrum_on_grid(spectrum, grid, site_dir, engine.calibration)
    result = {"energy": grid, "mu": mu, "e0": [e0], "seconds": [float(spectrum.seconds)],
              "absorbers": [index]}
    info = atoms.info["reference"]
    meta = {
        "reference": name,
        "model": name,
        "point": "ref",
        "formula": atoms.get_chemical_formula(),
        "mineral": info["mineral"],
        "spacegroup": info["spacegroup"],
        "cellpar": list(info["cellpar"]),
        "citation": info["citation"],
        "n_cu": int(atoms.get_chemical_symbols().count("Cu")),
        "equivalent_cu": True,
        "absorber_note": "all Cu symmetry-equivalent: one absorber computed",
    }
    return result, meta
