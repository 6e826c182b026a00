"""Cu-centre models in the MOR framework, built from a ring and a grid point.

A model is a config entry (see ``config/config.yaml``): the ring it sits in (a ring
class label and an index among the rings of that label, see :func:`cumor.rings.find_rings`),
which T sites of that ring carry Al, how the Cu is placed relative to the ring, and
a grid of Cu-Al distances and displacement directions. No Cartesian coordinates are
typed by hand: every position follows from the framework, the ring and the grid
point.

Placement of a single Cu (``placement: ring``)
    ``target = ring centroid + height * n`` where ``n`` is the ring normal pointing to
    the open (wider) side. The Cu sits at exactly ``cu_al`` from the anchoring Al
    along the Al -> target direction, after rotating that direction by ``tilt``
    degrees about the ring normal (the "different directions of displacement" of
    the paper's Table 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

from cumor.framework import build_mor_framework
from cumor.rings import Ring, channel_axes, clearance, find_rings, rings_by_label

#: Shortest allowed Cu-O distance (A); shorter is an unphysical start geometry.
MIN_CU_O = 1.75
#: Shortest allowed distance between any other pair that is not a T-O bond (A).
MIN_OTHER = 1.6
#: Max T-O bond length (A) used to recognise T-O bonds in the clash check.
T_O_BOND = 1.9

RING_CLASSES = ("12", "8", "8.12", "8.8", "6.12", "5.12")


@dataclass(frozen=True)
class GridPoint:
    """One structure of a model's grid."""

    model: str
    point: str
    cu_al: float
    tilt: float

    def as_dict(self) -> dict:
        return {"model": self.model, "point": self.point, "cu_al": self.cu_al, "tilt": self.tilt}


def model_grid(name: str, spec: dict) -> list[GridPoint]:
    """All grid points of a model, in a stable order.

    Parameters
    ----------
    name : str
        Model name (e.g. ``"5.12_1Cu"``).
    spec : dict
        The model's config entry; uses ``spec["grid"]["cu_al"]`` (``min``, ``max``,
        ``n``) and ``spec["grid"]["tilt"]`` (list of degrees).

    Returns
    -------
    list of GridPoint
        ``n * len(tilt)`` points named ``p000``, ``p001``, ...
    """
    grid = spec["grid"]
    distances = np.linspace(grid["cu_al"]["min"], grid["cu_al"]["max"], grid["cu_al"]["n"])
    points = []
    for tilt in grid.get("tilt", [0.0]):
        for r in distances:
            points.append(GridPoint(name, f"p{len(points):03d}", round(float(r), 4), float(tilt)))
    return points


@lru_cache(maxsize=1)
def _framework_and_rings() -> tuple[Atoms, tuple[Ring, ...]]:
    atoms = build_mor_framework()
    return atoms, tuple(find_rings(atoms))


def anchor_ring(spec: dict, atoms: Atoms | None = None, rings=None) -> Ring:
    """The ring a model sits in (``spec['ring']``, ``spec.get('ring_index', 0)``)."""
    if atoms is None or rings is None:
        atoms, rings = _framework_and_rings()
    candidates = rings_by_label(list(rings), spec["ring"])
    index = spec.get("ring_index", 0)
    if not candidates:
        labels = sorted({r.label for r in rings})
        raise ValueError(f"ring {spec['ring']!r}: no such ring class; known: {labels}")
    if not 0 <= index < len(candidates):
        raise ValueError(
            f"ring_index {index} out of range for ring {spec['ring']!r} "
            f"({len(candidates)} rings of that class)"
        )
    return candidates[index]


def build_cu_model(spec: dict, point: GridPoint) -> Atoms:
    """Build one Cu-MOR structure.

    Parameters
    ----------
    spec : dict
        The model's config entry (``class``, ``n_cu``, ``ring``, ``ring_index``,
        ``al_site``, ``placement``, ``height``).
    point : GridPoint
        The grid point (Cu-Al distance and tilt).

    Returns
    -------
    ase.Atoms
        Periodic cell with Al substituted and Cu added. ``info`` holds the model,
        class, grid parameters and the indices of Cu and of the anchoring Al;
        ``info['fixed']`` lists the atoms a relaxation must hold in place so the
        grid parameter survives.

    Raises
    ------
    ValueError
        If the spec names an unknown ring or T site, or the Cu clashes with the
        framework (a message naming model, grid point and the offending pair).
    """
    framework, rings = _framework_and_rings()
    atoms = framework.copy()
    ring = anchor_ring(spec, framework, rings)
    al_node = _al_node(atoms, ring, spec)
    al_index = al_node[0]
    atoms[al_index].symbol = "Al"
    al_xyz = atoms.positions[al_index] + np.asarray(al_node[1]) @ np.asarray(atoms.cell)

    cu_xyz = _cu_position(atoms, ring, al_xyz, spec, point)
    cu_index = _add_extraframework(atoms, "Cu", cu_xyz)
    atoms.wrap()
    atoms.info.update(
        model=point.model,
        point=point.point,
        ring_class=spec["class"],
        n_cu=int(spec["n_cu"]),
        cu_al=point.cu_al,
        tilt=point.tilt,
        ring=ring.label,
        al_index=int(al_index),
        cu_indices=[int(cu_index)],
        fixed=[int(cu_index), int(al_index)],
    )
    check_clashes(atoms, where=f"model {point.model!r} grid point {point.point}")
    return atoms


def _add_extraframework(atoms: Atoms, symbol: str, xyz: np.ndarray) -> int:
    """Append an extra-framework atom in place; its site label is its symbol."""
    extra = Atoms(symbol, positions=[xyz], cell=atoms.cell, pbc=True)
    extra.set_array("site", np.array([symbol], dtype=atoms.arrays["site"].dtype))
    if "spacegroup_kinds" in atoms.arrays:
        extra.set_array("spacegroup_kinds", np.array([-1]))
    atoms.extend(extra)
    return len(atoms) - 1


def _al_node(atoms: Atoms, ring: Ring, spec: dict):
    site = spec.get("al_site")
    sites = atoms.arrays["site"]
    for node in ring.nodes:
        if site is None or sites[node[0]] == site:
            return node
    have = sorted({str(sites[n[0]]) for n in ring.nodes})
    raise ValueError(f"al_site {site!r} is not a T site of ring {ring.label!r}; it has {have}")


def _open_normal(atoms: Atoms, ring: Ring) -> np.ndarray:
    """Ring normal oriented toward the face with more open space."""
    c, n = ring.centroid(atoms), ring.normal(atoms)
    return n if clearance(atoms, c + 2.0 * n) >= clearance(atoms, c - 2.0 * n) else -n


PLACEMENTS = ("toward", "ring_axis", "channel")


def _cu_position(atoms, ring, al_xyz, spec, point: GridPoint) -> np.ndarray:
    """Cu position at exactly ``point.cu_al`` from the anchoring Al.

    ``toward``: along Al -> (ring centroid + height * n).
    ``ring_axis``: on the ring's normal axis through its centroid (open side), at the
    height where the Cu-Al distance equals the grid value.
    ``channel``: along Al -> nearest point of the axis of the channel the ring lines.
    The tilt then rotates the Cu about the axis through Al parallel to the ring
    normal, which keeps the Cu-Al distance.
    """
    placement = spec.get("placement", "toward")
    normal = _open_normal(atoms, ring)
    centroid = ring.centroid(atoms)
    if placement == "toward":
        target = centroid + float(spec.get("height", 0.0)) * normal
        cu = al_xyz + point.cu_al * _unit(target - al_xyz)
    elif placement == "ring_axis":
        lateral = np.linalg.norm((al_xyz - centroid) - ((al_xyz - centroid) @ normal) * normal)
        along = (al_xyz - centroid) @ normal
        if point.cu_al < lateral:
            raise ValueError(
                f"model {point.model!r} grid point {point.point}: cu_al {point.cu_al} A is "
                f"shorter than the Al's distance to the ring axis ({lateral:.2f} A)"
            )
        cu = centroid + (along + np.sqrt(point.cu_al**2 - lateral**2)) * normal
    elif placement == "channel":
        target = _nearest_axis_point(atoms, al_xyz, ring.channel)
        cu = al_xyz + point.cu_al * _unit(target - al_xyz)
    else:
        raise ValueError(f"placement {placement!r}: unknown; use one of {PLACEMENTS}")
    return al_xyz + _rotate(cu - al_xyz, normal, np.radians(point.tilt))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _nearest_axis_point(atoms: Atoms, xyz: np.ndarray, channel: str) -> np.ndarray:
    """Foot of the perpendicular from ``xyz`` to the nearest axis of ``channel``."""
    cell = np.asarray(atoms.cell)
    best, best_d = None, np.inf
    for name, point, direction in channel_axes(atoms):
        if name != channel:
            continue
        d = _unit(direction)
        for i in (-1, 0, 1):
            for j in (-1, 0, 1):
                p = point + i * cell[0] + j * cell[1]
                foot = p + ((xyz - p) @ d) * d
                if np.linalg.norm(xyz - foot) < best_d:
                    best, best_d = foot, np.linalg.norm(xyz - foot)
    return best


def _rotate(v: np.ndarray, axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues rotation of ``v`` about unit ``axis`` by ``angle`` radians."""
    k = axis / np.linalg.norm(axis)
    return v * np.cos(angle) + np.cross(k, v) * np.sin(angle) + k * (k @ v) * (1 - np.cos(angle))


def check_clashes(atoms: Atoms, where: str = "structure") -> None:
    """Raise ValueError if two atoms are unphysically close.

    Cu-O must be at least ``MIN_CU_O``; T-O bonds are exempt; every other pair must
    be at least ``MIN_OTHER`` apart.
    """
    i, j, d = neighbor_list("ijd", atoms, max(MIN_CU_O, MIN_OTHER, T_O_BOND))
    symbols = np.array(atoms.get_chemical_symbols())
    for a, b, dist in zip(i, j, d):
        if a >= b:
            continue
        pair = {symbols[a], symbols[b]}
        if pair == {"Cu", "O"}:
            limit = MIN_CU_O
        elif "O" in pair and pair & {"Si", "Al"}:
            continue
        else:
            limit = MIN_OTHER
        if dist < limit:
            raise ValueError(
                f"{where}: atoms {a} ({symbols[a]}) and {b} ({symbols[b]}) are "
                f"{dist:.2f} A apart (minimum {limit} A)"
            )
