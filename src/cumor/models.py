"""Cu-centre models in the MOR framework, built from a ring and a grid point.

A model is a config entry (see ``config/config.yaml``): the ring it sits in (a ring
class label and an index among the rings of that label, see
:func:`cumor.rings.find_rings`), which T sites carry Al, how the Cu centre is placed,
and a grid of Cu-Al distances and directions (Table 2 of the paper). No Cartesian
coordinate is typed by hand: every position follows from the framework, the ring and
the grid point, by rules that give the same atoms on every machine (choices go through
:mod:`cumor.tiebreak`; rings have one canonical start and direction).

The Cu centre is a rigid unit (:mod:`cumor.cu_units`), charge-balanced by framework Al
(one Al per positive charge), Loewenstein's rule kept (no Al-O-Al):

* 1 Cu: a Cu+ next to one Al.
* 2 Cu: a mono(mu-oxo) dicopper [Cu-O-Cu]2+ (Cu-O 1.80 A, Cu-O-Cu 140 deg) on two Al;
  it is fitted at phi = 0, then turned by ``phi`` about the Al1-Al2 axis (the paper's
  chain rotation; both Cu-Al distances stay).
* 3 Cu: a planar [Cu3(mu-O)3]2+ ring (Cu-O 1.85 A) on two Al; ``spin`` turns its plane.

Placement. ``placement`` gives the direction from Al1 in which Cu1 goes (``tilt`` turns
it about the ring normal, the paper's "displaced in different directions"):
``ring_plane`` (toward the ring centroid at ``height`` over its plane), ``ring_axis``
(toward the ring's normal axis), ``channel`` (toward the axis of the channel the ring
lines), ``face`` (out of the AlO4 face that looks toward the ring or channel, ``target``).
Cu1 sits at exactly the grid's Cu-Al distance from Al1; the unit's elevation, a small
azimuth change and (2 and 3 Cu) its orientation are then fitted so that every Cu binds
framework O at the measured 2.0 A without crowding Si/Al or O, the Cu centroid staying
near where the rule put it (``free_drift``). The relaxation then holds only the grid values (Cu1-Al1 and, for
2 Cu, the chain rotation) by restraints; every atom moves.

Distances (`cu_al_reading` in the config). The grid value is always the Cu1-Al1 distance.
Table 2 lists values down to 1.81 A; a Cu bound to O of the AlO4 cannot come closer to
the Al than :data:`MIN_CU_AL` = 2.40 A, so ranges that start lower are moved up to start
at 2.40 A with their span and point count kept; :mod:`cumor.config` refuses lower values.

The second Al (2 and 3 Cu) is either ``separation`` T atoms further along the anchor
ring (``2Si``/``3Si`` = Si atoms between the two Al) or the T atom of a ring of a given
label nearest to the placement target (``al2_ring``), never a T neighbour of Al1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

from cumor.cu_units import chain_dihedral, fit_unit, site_environment, unit_template
from cumor.framework import build_mor_framework, t_o_t_edges
from cumor.rings import Ring, channel_axes, find_rings, nearest_channel, open_normal, rings_by_label
from cumor.tiebreak import position_key, stable_max, stable_min

#: Shortest grid Cu-Al distance (A): a Cu bound to two O of the AlO4 at Cu-O 2.00 A
#: (Lamberti et al. 1997) over an O-O edge of the tetrahedron (Al-O 1.74 A, O-Al-O
#: 109.5 deg) is 2.41 A from the Al; closer, it sits inside the tetrahedron's O shell.
MIN_CU_AL = 2.40
#: Shortest allowed Cu-O distance (A); shorter is an unphysical start geometry.
MIN_CU_O = 1.75
#: Shortest allowed distance between any other pair that is not a T-O bond (A).
MIN_OTHER = 1.6
#: Shortest allowed Cu-Cu distance (A) in a multi-Cu centre (Cu-Cu in oxo-bridged
#: dicopper cores is 2.7-3.4 A; below 2.2 A the model would be a Cu2 dimer).
MIN_CU_CU = 2.2
#: Max T-O bond length (A) used to recognise T-O bonds in the clash check.
T_O_BOND = 1.9

#: [Cu-O-Cu]2+ geometry: bridging Cu-O bond (A).
CU2O_BOND = 1.80
#: [Cu3(mu-O)3]2+ geometry: Cu-O bond (A) of the planar hexagon.
CU3O3_BOND = 1.85

RING_CLASSES = ("12", "8", "8.12", "8.8", "6.12", "5.12")
PLACEMENTS = ("ring_plane", "ring_axis", "channel", "face")


@dataclass(frozen=True)
class GridPoint:
    """One structure of a model's grid: Cu-Al distance (A) and two angles (deg)."""

    model: str
    point: str
    cu_al: float
    tilt: float = 0.0
    phi: float = 0.0

    def as_dict(self) -> dict:
        """Plain-dict form (Snakemake params, JSON)."""
        return {
            "model": self.model,
            "point": self.point,
            "cu_al": self.cu_al,
            "tilt": self.tilt,
            "phi": self.phi,
        }


def grid_segments(grid: dict) -> list[dict]:
    """The segments of a model grid (a grid is one segment or ``segments: [...]``)."""
    return list(grid["segments"]) if "segments" in grid else [grid]


def model_grid(name: str, spec: dict) -> list[GridPoint]:
    """All grid points of a model, in a stable order.

    Each segment contributes ``cu_al.n`` distances x ``tilt`` x ``phi`` points.

    Parameters
    ----------
    name : str
        Model name (e.g. ``"5.12_1Cu"``).
    spec : dict
        The model's config entry.

    Returns
    -------
    list of GridPoint
        Named ``p000``, ``p001``, ...
    """
    points = []
    for segment in grid_segments(spec["grid"]):
        rng = segment["cu_al"]
        distances = np.linspace(rng["min"], rng["max"], rng["n"])
        for phi in segment.get("phi", [0.0]):
            for tilt in segment.get("tilt", [0.0]):
                for r in distances:
                    points.append(
                        GridPoint(
                            name, f"p{len(points):03d}", round(float(r), 4), float(tilt), float(phi)
                        )
                    )
    return points


@lru_cache(maxsize=1)
def _framework() -> Atoms:
    return build_mor_framework()


@lru_cache(maxsize=1)
def _framework_and_rings() -> tuple[Atoms, tuple[Ring, ...]]:
    atoms = _framework()
    return atoms, tuple(find_rings(atoms))


def framework_and_rings() -> tuple[Atoms, tuple[Ring, ...]]:
    """The pure-silica framework (a copy) and its rings (cached)."""
    atoms, rings = _framework_and_rings()
    return atoms.copy(), rings


def anchor_ring(spec: dict, atoms: Atoms | None = None, rings=None) -> Ring:
    """The ring a model sits in (``spec['ring']``, ``spec.get('ring_index', 0)``)."""
    if atoms is None or rings is None:
        atoms, rings = _framework_and_rings()
    return _ring_by_label(rings, spec["ring"], spec.get("ring_index", 0))


def _ring_by_label(rings, label: str, index: int = 0) -> Ring:
    candidates = rings_by_label(list(rings), label)
    if not candidates:
        labels = sorted({r.label for r in rings})
        raise ValueError(f"ring {label!r}: no such ring class; known: {labels}")
    if not 0 <= index < len(candidates):
        raise ValueError(
            f"ring_index {index} out of range for ring {label!r} "
            f"({len(candidates)} rings of that class)"
        )
    return candidates[index]


def build_cu_model(spec: dict, point: GridPoint, rings=None) -> Atoms:
    """Build one Cu-MOR structure.

    Parameters
    ----------
    spec : dict
        The model's config entry (``class``, ``n_cu``, ``ring``, ``ring_index``,
        ``al_site``, ``separation``/``al2_ring``, ``placement``, ``height``,
        ``spin``).
    point : GridPoint
        The grid point (Cu-Al distance, tilt, phi).
    rings : sequence of Ring, optional
        The framework's rings (e.g. read from the workflow's ring catalogue);
        found with :func:`cumor.rings.find_rings` when not given.

    Returns
    -------
    ase.Atoms
        Periodic cell with Al substituted and the Cu centre added. ``info`` holds
        model, class, grid values, ``cu_indices``, ``al_indices``, ``o_extra_indices``
        and ``fixed`` (the atoms a relaxation holds so the grid values survive: Cu,
        their Al and the extra-framework O).

    Raises
    ------
    ValueError
        On an unknown ring or T site, an impossible distance, or a clash (the message
        names model, grid point and the offending pair).
    """
    where = f"model {point.model!r} grid point {point.point}"
    if rings is None:
        framework, rings = _framework_and_rings()
    else:
        framework = _framework()
    atoms = framework.copy()
    ring = _ring_by_label(rings, spec["ring"], spec.get("ring_index", 0))
    n_cu = int(spec["n_cu"])
    al_xyz = [_node_xyz(atoms, _al_node(atoms, ring, spec))]
    al_indices = [_al_node(atoms, ring, spec)[0]]
    if n_cu > 1:
        node2 = _second_al_node(atoms, rings, ring, spec, al_indices[0], where)
        al_indices.append(node2[0])
        al_xyz.append(_node_xyz(atoms, node2))
    for index in al_indices:
        atoms[index].symbol = "Al"

    symbols, xyz = _place_unit(atoms, ring, al_xyz, spec, point, where)
    added = [_add_extraframework(atoms, sym, x) for sym, x in zip(symbols, xyz)]
    cu_indices = [i for i, sym in zip(added, symbols) if sym == "Cu"]
    o_indices = [i for i, sym in zip(added, symbols) if sym == "O"]
    atoms.wrap()
    atoms.info.update(
        model=point.model,
        point=point.point,
        ring_class=str(spec["class"]),
        n_cu=n_cu,
        cu_al=point.cu_al,
        tilt=point.tilt,
        phi=point.phi,
        ring=ring.label,
        al_index=int(al_indices[0]),
        al_indices=[int(i) for i in al_indices],
        cu_indices=cu_indices,
        o_extra_indices=o_indices,
        # nothing is frozen: the relaxation holds the grid values by restraints
        # (cumor.batches.grid_restraints) and lets every atom, Cu included, move
        fixed=[],
    )
    atoms.info["grid_pair"] = [cu_indices[0], int(al_indices[0])]
    if n_cu == 2:  # the chain rotation phi: dihedral Al2-Al1-Cu1-Cu2
        atoms.info["grid_dihedral"] = [int(al_indices[1]), int(al_indices[0]), cu_indices[0], cu_indices[1]]
    check_clashes(atoms, where=where)
    return atoms


# ------------------------------------------------------------------------ Al sites
def _node_xyz(atoms: Atoms, node) -> np.ndarray:
    return atoms.positions[node[0]] + np.asarray(node[1]) @ np.asarray(atoms.cell)


def _al_node(atoms: Atoms, ring: Ring, spec: dict):
    site = spec.get("al_site")
    sites = atoms.arrays["site"]
    for node in ring.nodes:
        if site is None or sites[node[0]] == site:
            return node
    have = sorted({str(sites[n[0]]) for n in ring.nodes})
    raise ValueError(f"al_site {site!r} is not a T site of ring {ring.label!r}; it has {have}")


def _t_neighbours(atoms: Atoms, t: int) -> set[int]:
    return {tb for ta, _, tb, _ in t_o_t_edges(atoms) if ta == t}


def _second_al_node(atoms, rings, ring: Ring, spec: dict, al1: int, where: str):
    """Second Al: ``separation`` T atoms on along the ring, or the T of an ``al2_ring``
    ring nearest to the placement target (same channel side as the Cu centre)."""
    first = _al_node(atoms, ring, spec)
    banned = {al1} | _t_neighbours(atoms, al1)  # Loewenstein: no Al-O-Al
    if "separation" in spec:
        k = ring.nodes.index(first)
        node = ring.nodes[(k + int(spec["separation"]) + 1) % ring.size]
        if node[0] in banned:
            raise ValueError(f"{where}: separation {spec['separation']} puts Al next to Al")
        return node
    label = spec.get("al2_ring", ring.label)
    # nearest to where the Cu centre goes (not to Al1): a T just behind the wall
    # would face another channel
    aim = _target(atoms, ring, _node_xyz(atoms, first), spec)
    candidates = [
        node for other in rings_by_label(list(rings), label) for node in other.nodes if node[0] not in banned
    ]
    if not candidates:
        raise ValueError(f"{where}: no T site for the second Al in rings {label!r}")
    return stable_min(
        candidates,
        lambda node: np.linalg.norm(_node_xyz(atoms, node) - aim),
        lambda node: (str(atoms.arrays["site"][node[0]]), *position_key(_node_xyz(atoms, node))),
    )


def _add_extraframework(atoms: Atoms, symbol: str, xyz: np.ndarray) -> int:
    """Append an extra-framework atom in place; its site label is its symbol."""
    extra = Atoms(symbol, positions=[xyz], cell=atoms.cell, pbc=True)
    extra.set_array("site", np.array([symbol], dtype=atoms.arrays["site"].dtype))
    if "spacegroup_kinds" in atoms.arrays:
        extra.set_array("spacegroup_kinds", np.array([-1]))
    atoms.extend(extra)
    return len(atoms) - 1


# ----------------------------------------------------------------------- geometry
def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _rotate(v: np.ndarray, axis: np.ndarray, angle_deg: float) -> np.ndarray:
    """Rodrigues rotation of ``v`` about ``axis`` by ``angle_deg`` degrees."""
    k, a = _unit(axis), np.radians(angle_deg)
    return v * np.cos(a) + np.cross(k, v) * np.sin(a) + k * (k @ v) * (1 - np.cos(a))


def _perpendicular(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Part of ``v`` perpendicular to ``axis``."""
    k = _unit(axis)
    return v - (v @ k) * k


def _nearest_axis_point(atoms: Atoms, xyz: np.ndarray, channel: str) -> np.ndarray:
    """Foot of the perpendicular from ``xyz`` to the nearest axis of ``channel``."""
    cell = np.asarray(atoms.cell)
    feet = []
    for name, point, direction in channel_axes(atoms):
        if name != channel:
            continue
        d = _unit(direction)
        for i in (-1, 0, 1):
            for j in (-1, 0, 1):
                p = point + i * cell[0] + j * cell[1]
                feet.append(p + ((xyz - p) @ d) * d)
    return stable_min(feet, lambda foot: np.linalg.norm(xyz - foot), position_key)


def _target(atoms: Atoms, ring: Ring, al: np.ndarray, spec: dict) -> np.ndarray:
    """Point the Cu centre leans toward: the channel axis or above the ring centroid."""
    if spec.get("placement", "ring_plane") == "channel" or spec.get("target") == "channel":
        return _nearest_axis_point(atoms, al, ring.channel)
    return ring.centroid(atoms) + float(spec.get("height", 0.0)) * open_normal(atoms, ring)


def _reach_distance(al, centroid, normal, height, tilt) -> float:
    """Shortest Cu-Al distance at which the ``ring_plane`` line can be reached, + 0.3 A."""
    u = _rotate(_unit(_perpendicular(centroid - al, normal)), normal, tilt)
    rel = centroid + height * normal - al
    return float(np.sqrt(max(rel @ rel - (rel @ u) ** 2, 0.0))) + 0.3


#: Cu-Al distance (A) at which a model's placement rule is evaluated to get Cu1's
#: direction from its Al (the grid distance itself is then applied along the fitted
#: direction, see :func:`cumor.cu_units.fit_unit`).
REFERENCE_DISTANCE = 3.0


def _start_direction(atoms, ring, al, spec, tilt: float) -> np.ndarray:
    """Unit vector from ``al`` toward where the model's ``placement`` puts the Cu.

    ``tilt`` turns it about the ring normal (the paper's "displaced in different
    directions"); the grid distance does not change the direction.
    """
    placement = spec.get("placement", "ring_plane")
    normal = open_normal(atoms, ring)
    centroid = ring.centroid(atoms)
    if placement == "ring_axis":
        rel = al - centroid
        lateral = np.linalg.norm(_perpendicular(rel, normal))
        r = max(REFERENCE_DISTANCE, lateral + 0.3)
        cu = centroid + (rel @ normal + np.sqrt(r**2 - lateral**2)) * normal
        return _unit(_rotate(cu - al, normal, tilt))
    if placement == "channel":
        return _rotate(_unit(_target(atoms, ring, al, spec) - al), normal, tilt)
    if placement == "face":
        return _rotate(_face_direction(atoms, ring, al, spec), normal, tilt)
    if placement == "ring_plane":
        height = float(spec.get("height", 0.0))
        r = max(REFERENCE_DISTANCE, _reach_distance(al, centroid, normal, height, tilt))
        point = GridPoint("", "", r, tilt)
        return _unit(_on_ring_line(al, centroid, normal, height, r, point, "") - al)
    raise ValueError(f"placement {placement!r}: unknown; use one of {PLACEMENTS}")


def _face_direction(atoms: Atoms, ring: Ring, al: np.ndarray, spec: dict) -> np.ndarray:
    """Outward normal of the AlO4 face that looks most toward the placement target."""
    toward = _unit(_target(atoms, ring, al, spec) - al)
    faces = [-_unit(b) for b in _al_o_bonds(atoms, al)]
    return stable_max(faces, lambda f: f @ toward, position_key)


def _al_o_bonds(atoms: Atoms, al: np.ndarray) -> list[np.ndarray]:
    """Vectors from the T atom at ``al`` (any periodic image) to its bonded O atoms."""
    index = int(np.argmin(np.linalg.norm(atoms.positions - _wrap(atoms, al), axis=1)))
    first, second, vectors = neighbor_list("ijD", atoms, T_O_BOND)
    return [v for a, b, v in zip(first, second, vectors) if a == index and atoms[b].symbol == "O"]


def _wrap(atoms: Atoms, xyz: np.ndarray) -> np.ndarray:
    cell = np.asarray(atoms.cell)
    frac = np.linalg.solve(cell.T, xyz)
    return (frac - np.floor(frac)) @ cell


def _on_ring_line(al, centroid, normal, height, r, point, where) -> np.ndarray:
    """Cu at ``height`` over the ring plane, on the Al -> centroid line, |Cu - Al| = r."""
    u = _rotate(_unit(_perpendicular(centroid - al, normal)), normal, point.tilt)
    base = centroid + height * normal  # Cu = base + s * u, solve |Cu - al| = r
    rel = base - al
    b, c = rel @ u, rel @ rel - r**2
    disc = b * b - c
    if disc < 0:
        raise ValueError(
            f"{where}: cu_al {r} A cannot be reached at height {height} A over the ring"
        )
    s = -b + np.sqrt(disc)  # the root on the ring side of the Al (s < 0: before the centroid)
    return base + s * u


def _frame(x_axis: np.ndarray, y_hint: np.ndarray) -> np.ndarray:
    """Rotation matrix whose columns are x_axis and the part of y_hint normal to it."""
    x = _unit(x_axis)
    y = _perpendicular(y_hint, x)
    if np.linalg.norm(y) < 1e-6:
        y = _perpendicular(np.array([0.0, 0.0, 1.0]), x)
    y = _unit(y)
    return np.column_stack([x, y, np.cross(x, y)])


def _place_unit(atoms, ring, al_xyz, spec, point, where):
    """Cu-unit positions (template order) for one grid point; see :mod:`cumor.cu_units`.

    1 Cu: the Cu+ alone. 2 Cu: the [Cu-O-Cu]2+ unit, its Cu...Cu axis first aimed at
    the second Al's side, fitted at phi = 0 and then turned by ``phi`` about the
    Al1-Al2 axis (keeps Cu1-Al1). 3 Cu: the [Cu3(mu-O)3]2+ hexagon, its centre toward
    the placement target and its plane turned by ``spin`` about that line.
    """
    n_cu = int(spec["n_cu"])
    unit = unit_template(n_cu)
    normal = open_normal(atoms, ring)
    al1 = al_xyz[0]
    direction = _start_direction(atoms, ring, al1, spec, point.tilt)
    cu1 = al1 + point.cu_al * direction
    if n_cu == 1:
        orientation = np.eye(3)
    elif n_cu == 2:
        partner = al_xyz[1] + REFERENCE_DISTANCE * _start_direction(atoms, ring, al_xyz[1], spec, point.tilt)
        orientation = _frame(partner - cu1, normal)
    else:
        toward = _target(atoms, ring, al1, spec) - cu1
        u = _unit(toward) if np.linalg.norm(toward) > 0.5 else direction
        w = _rotate(_unit(_perpendicular(normal, u)), u, float(spec.get("spin", 0.0)))
        orientation = _frame(u, w)
    env = site_environment(atoms, cu1, al1, al_xyz[1] if n_cu > 1 else None, free_drift=spec.get("free_drift"))
    xyz = fit_unit(unit, env, point.cu_al, direction, normal, orientation)
    if n_cu == 2 and point.phi:
        # phi turns the chain about the Al1-Al2 axis: the dihedral Al2-Al1-Cu1-Cu2
        # moves by phi from the phi = 0 fit; the unit is refitted holding that
        # dihedral, so a turned chain still binds its O and clears the framework
        target = chain_dihedral(al_xyz[1], al1, xyz[0], xyz[1]) + point.phi
        xyz = fit_unit(unit, env, point.cu_al, direction, normal, orientation, dihedral=target % 360.0)
    return list(unit.symbols), xyz


# ----------------------------------------------------------------------- checks
def check_clashes(atoms: Atoms, where: str = "structure") -> None:
    """Raise ValueError if two atoms are unphysically close.

    Cu-O must be at least ``MIN_CU_O`` and Cu-Cu at least ``MIN_CU_CU``; T-O bonds
    are exempt; every other pair must be at least ``MIN_OTHER`` apart (Cu-Al down to
    the paper's 1.81 A included).
    """
    i, j, d = neighbor_list("ijd", atoms, max(MIN_CU_O, MIN_OTHER, MIN_CU_CU, T_O_BOND))
    symbols = np.array(atoms.get_chemical_symbols())
    for a, b, dist in zip(i, j, d):
        if a >= b:
            continue
        pair = {symbols[a], symbols[b]}
        if pair == {"Cu", "O"}:
            limit = MIN_CU_O
        elif pair == {"Cu"}:
            limit = MIN_CU_CU
        elif "O" in pair and pair & {"Si", "Al"}:
            continue
        else:
            limit = MIN_OTHER
        if dist < limit:
            raise ValueError(
                f"{where}: atoms {a} ({symbols[a]}) and {b} ({symbols[b]}) are "
                f"{dist:.2f} A apart (minimum {limit} A)"
            )


def nearest_ring(atoms: Atoms, xyz: np.ndarray, rings=None) -> Ring:
    """The ring nearest to ``xyz`` relative to its size.

    Distance is measured from the ring centroid (minimum image) in units of the ring's
    radius (mean T-centroid distance), so a point in the middle of the 12-ring channel
    belongs to the 12-ring even when a small wall ring is closer in absolute terms.
    """
    if rings is None:
        _, rings = _framework_and_rings()
    cell = np.asarray(atoms.cell)

    def relative_distance(ring):
        t = ring.t_positions(atoms)
        centroid = t.mean(axis=0)
        frac = np.linalg.solve(cell.T, xyz - centroid)
        d = np.linalg.norm((frac - np.round(frac)) @ cell)
        return d / np.linalg.norm(t - centroid, axis=1).mean()

    return stable_min(rings, relative_distance, lambda ring: (ring.label, *position_key(ring.centroid(atoms))))


def ring_matches_class(ring: Ring, ring_class: str) -> bool:
    """Whether a ring belongs to a Cu-site class.

    The ring classes ("8.12", "8.8", "6.12", "5.12") are single rings: the label must
    match. The channel classes ("12", "8") are the channel: a ring lining it counts (a
    Cu in the 12-ring channel sits next to its 5- and 6-rings), but a window is its own
    class: an "8.8" side-pocket window is class 8.8, never class 8, and an "8.12"
    window never class 12.
    """
    if ring.kind == "window" and ring.label != ring_class:
        return False
    if ring_class in ("12", "8"):
        return ring.channel == ring_class
    return ring.label == ring_class


def cu_centroid(atoms: Atoms) -> np.ndarray:
    """Centroid of the Cu atoms, each taken at its periodic image nearest to the first.

    A wrapped cell can put the two Cu of one unit on opposite faces; their plain mean
    would lie across the cell.
    """
    cu = np.flatnonzero(np.array(atoms.get_chemical_symbols()) == "Cu")
    cell = np.asarray(atoms.cell)
    rel = atoms.positions[cu] - atoms.positions[cu[0]]
    frac = np.linalg.solve(cell.T, rel.T).T
    return atoms.positions[cu[0]] + ((frac - np.round(frac)) @ cell).mean(axis=0)


def centre_matches_class(atoms: Atoms, ring_class: str, rings=None) -> bool:
    """Whether the Cu centroid of a structure sits at a ring or channel of its class.

    Ring classes: the nearest ring (:func:`nearest_ring`) has the class's label.
    Channel classes ("12", "8"): the nearest channel axis is that channel's and the
    nearest ring is no window of another class (see :func:`ring_matches_class`).
    """
    centre = cu_centroid(atoms)
    ring = nearest_ring(atoms, centre, rings)
    if ring_class in ("12", "8"):
        if ring.kind == "window" and ring.label != ring_class:
            return False
        return nearest_channel(atoms, centre)[0] == ring_class
    return ring_matches_class(ring, ring_class)
