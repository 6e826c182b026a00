"""Cu-centre models in the MOR framework, built from a ring and a grid point.

A model is a config entry (see ``config/config.yaml``): the ring it sits in (a ring
class label and an index among the rings of that label, see
:func:`cumor.rings.find_rings`), which T sites carry Al, how the Cu centre is placed,
and a grid of Cu-Al distances and directions (Table 2 of the paper). No Cartesian
coordinate is typed by hand: every position follows from the framework, the ring and
the grid point.

Three kinds of Cu centre, charge-balanced by framework Al (one Al per positive charge):

* 1 Cu (``n_cu: 1``): a Cu+ next to one Al. The Cu sits at exactly ``cu_al`` from the
  Al; ``placement`` says where:

  - ``ring_plane``: at ``height`` above the ring's mean plane (open side), on the line
    from the Al's projection through the ring centroid, turned by ``tilt`` about the
    ring normal; ``height: 0`` puts the Cu in the window of an 8-ring.
  - ``ring_axis``: on the ring's normal axis through its centroid, at the height that
    gives the Cu-Al distance (Cu over the middle of a 5- or 6-ring).
  - ``channel``: on the ray from the Al to the nearest point of the axis of the channel
    the ring lines, turned by ``tilt`` about the ring normal.
  - ``face``: capping the face of the AlO4 tetrahedron that looks most toward the ring
    (``target: ring``, over the centroid at ``height``) or the channel axis
    (``target: channel``): three O equidistant, which allows the paper's shortest
    Cu-Al distances (1.81 A) without Cu-O below 1.75 A.

* 2 Cu (``n_cu: 2``): a mono(mu-oxo) dicopper [Cu-O-Cu]2+ unit (bridging Cu-O
  1.80 A, as found for Cu-O-Cu in zeolites, Woertink et al., PNAS 106, 18908 (2009))
  bound to two Al. Each Cu is placed at exactly ``cu_al`` from its own Al as a single
  Cu would be; ``phi`` (and ``tilt``) then rotate the pair about the Al-Al axis, which
  keeps both Cu-Al distances: the paper's chain rotation angle.

* 3 Cu (``n_cu: 3``): a planar [Cu3(mu-O)3]2+ ring (Cu-O 1.85 A; Grundner et al.,
  Nat. Commun. 6, 7546 (2015) for Cu3O3 in MOR side pockets) bound to two Al. Cu1 sits
  at exactly ``cu_al`` from Al1 on the ray toward the placement target; the Cu3O3 centre
  lies further along that ray; ``spin`` turns the Cu3O3 plane about the ray. The
  numbered variants of a position (8.12.1 ... 8.12.6) differ in ``spin``, target
  (``placement``/``height``) and ``tilt``.

Distances. The grid value is the Cu-Al distance (Cu1-Al1 for 3 Cu). Table 2 lists
1.81-1.92 A for four 3-Cu models of the 8.8 class; a Cu that close to Al would sit
inside the AlO4 tetrahedron's O shell (every placement gives Cu-O < 1.75 A), while
1.81-1.92 A is the typical Cu-O bond. Those models therefore read the value as the
Cu1-O distance to the Al's O nearest the target (``distance: cu_o``); the config says
so per model.

The second Al (2 and 3 Cu) is either ``separation`` T atoms further along the anchor
ring (``2Si``/``3Si`` = Si atoms between the two Al) or the T atom of a ring of a given
label nearest to the first Al (``al2_ring``), never a T neighbour of Al1
(Loewenstein's rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

from cumor.framework import build_mor_framework, t_o_t_edges
from cumor.rings import Ring, channel_axes, clearance, find_rings, rings_by_label

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

    builders = {1: _single_cu, 2: _cu_o_cu, 3: _cu3o3}
    cu_xyz, o_xyz = builders[n_cu](atoms, ring, al_xyz, spec, point, where)
    cu_indices = [_add_extraframework(atoms, "Cu", x) for x in cu_xyz]
    o_indices = [_add_extraframework(atoms, "O", x) for x in o_xyz]
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
        fixed=cu_indices + [int(i) for i in al_indices] + o_indices,
    )
    atoms.info["grid_pair"] = [cu_indices[0], _grid_partner(atoms, ring, al_xyz[0], al_indices[0], spec)]
    check_clashes(atoms, where=where)
    return atoms


def _grid_partner(atoms: Atoms, ring: Ring, al_xyz: np.ndarray, al_index: int, spec: dict) -> int:
    """Index of the atom whose distance to Cu1 is the grid value (Al1, or its O)."""
    if spec.get("distance", "cu_al") != "cu_o":
        return int(al_index)
    o = _wrap(atoms, _al_oxygen_toward(atoms, ring, al_xyz, spec))
    return int(np.argmin(np.linalg.norm(atoms.positions[: len(atoms)] - o, axis=1)))


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
    best, best_d = None, np.inf
    for other in rings_by_label(list(rings), label):
        for node in other.nodes:
            d = np.linalg.norm(_node_xyz(atoms, node) - aim)
            if node[0] not in banned and d < best_d:
                best, best_d = node, d
    if best is None:
        raise ValueError(f"{where}: no T site for the second Al in rings {label!r}")
    return best


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


def _open_normal(atoms: Atoms, ring: Ring) -> np.ndarray:
    """Ring normal oriented toward the face with more open space."""
    c, n = ring.centroid(atoms), ring.normal(atoms)
    return n if clearance(atoms, c + 2.0 * n) >= clearance(atoms, c - 2.0 * n) else -n


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


def _target(atoms: Atoms, ring: Ring, al: np.ndarray, spec: dict) -> np.ndarray:
    """Point the Cu centre leans toward: the channel axis or above the ring centroid."""
    if spec.get("placement", "ring_plane") == "channel" or spec.get("target") == "channel":
        return _nearest_axis_point(atoms, al, ring.channel)
    return ring.centroid(atoms) + float(spec.get("height", 0.0)) * _open_normal(atoms, ring)


def _cu_near_al(atoms, ring, al, spec, point: GridPoint, where: str) -> np.ndarray:
    """One Cu at exactly ``point.cu_al`` from ``al``, placed as ``spec`` says.

    With ``distance: cu_o`` the grid value is instead the distance from the Cu to the
    O of the Al nearest to the placement target, the Cu sitting on the ray from that
    O toward the target (see the module notes on the paper's 1.81 A values).
    """
    if spec.get("distance", "cu_al") == "cu_o":
        o = _al_oxygen_toward(atoms, ring, al, spec)
        return o + point.cu_al * _rotate(
            _unit(_target(atoms, ring, al, spec) - o), _open_normal(atoms, ring), point.tilt
        )
    placement = spec.get("placement", "ring_plane")
    normal = _open_normal(atoms, ring)
    centroid = ring.centroid(atoms)
    r = point.cu_al
    if placement == "ring_axis":
        rel = al - centroid
        lateral = np.linalg.norm(_perpendicular(rel, normal))
        if r < lateral:
            raise ValueError(
                f"{where}: cu_al {r} A is shorter than the Al's distance to the ring "
                f"axis ({lateral:.2f} A)"
            )
        cu = centroid + (rel @ normal + np.sqrt(r**2 - lateral**2)) * normal
        return al + _rotate(cu - al, normal, point.tilt)
    if placement == "channel":
        return al + r * _rotate(_unit(_target(atoms, ring, al, spec) - al), normal, point.tilt)
    if placement == "face":
        return al + r * _rotate(_face_direction(atoms, ring, al, spec), normal, point.tilt)
    if placement == "ring_plane":
        return _on_ring_line(al, centroid, normal, float(spec.get("height", 0.0)), r, point, where)
    raise ValueError(f"{where}: placement {placement!r}: unknown; use one of {PLACEMENTS}")


def _face_direction(atoms: Atoms, ring: Ring, al: np.ndarray, spec: dict) -> np.ndarray:
    """Outward normal of the AlO4 face that looks most toward the placement target.

    A Cu capping a face of the tetrahedron is equidistant from three O, which is
    the only way to get Cu-Al below ~2.1 A (Table 2 goes down to 1.81 A) without a
    Cu-O shorter than 1.75 A.
    """
    toward = _unit(_target(atoms, ring, al, spec) - al)
    return max((-_unit(b) for b in _al_o_bonds(atoms, al)), key=lambda f: f @ toward)


def _al_oxygen_toward(atoms: Atoms, ring: Ring, al: np.ndarray, spec: dict) -> np.ndarray:
    """Position of the Al's O atom (bonded image) nearest to the placement target."""
    target = _target(atoms, ring, al, spec)
    return min((al + v for v in _al_o_bonds(atoms, al)), key=lambda o: np.linalg.norm(target - o))


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


def _single_cu(atoms, ring, al_xyz, spec, point, where):
    return [_cu_near_al(atoms, ring, al_xyz[0], spec, point, where)], []


def _cu_o_cu(atoms, ring, al_xyz, spec, point, where):
    """[Cu-O-Cu]2+: each Cu placed at ``cu_al`` from its own Al, the pair rotated.

    Both Cu are placed as a single Cu would be (``placement``), then turned together
    by ``tilt + phi`` about the Al-Al axis, which keeps both Cu-Al distances. The
    bridging O sits on the Cu-Cu bisector, away from the Al-Al line, at Cu-O 1.80 A
    (or at the midpoint when the Cu are further apart than two such bonds).
    """
    al1, al2 = al_xyz
    flat = GridPoint(point.model, point.point, point.cu_al)
    axis = al2 - al1
    cus = [
        al1 + _rotate(_cu_near_al(atoms, ring, al, spec, flat, where) - al1, axis, point.tilt + point.phi)
        for al in (al1, al2)
    ]
    middle = (cus[0] + cus[1]) / 2
    half = np.linalg.norm(cus[1] - cus[0]) / 2
    away = _unit(_perpendicular(middle - (al1 + al2) / 2, cus[1] - cus[0]))
    o = middle + np.sqrt(max(CU2O_BOND**2 - half**2, 0.0)) * away
    return cus, [o]


def _cu3o3(atoms, ring, al_xyz, spec, point, where):
    """Planar [Cu3(mu-O)3]2+: Cu1 at ``cu_al`` from Al1, the ring toward the target.

    Cu1 is placed as a single Cu would be; the Cu3O3 centre lies one Cu-O bond beyond
    Cu1 toward the placement target (ring centre or channel axis), and ``spin`` turns
    the Cu3O3 plane about the Cu1 -> centre line.
    """
    al1 = al_xyz[0]
    normal = _open_normal(atoms, ring)
    cu1 = _cu_near_al(atoms, ring, al1, spec, point, where)
    toward = _target(atoms, ring, al1, spec) - cu1
    u = _unit(toward) if np.linalg.norm(toward) > 0.5 else _unit(cu1 - al1)
    centre = cu1 + CU3O3_BOND * u
    w = _rotate(_unit(_perpendicular(normal, u)), u, float(spec.get("spin", 0.0)))
    vertices = [
        centre + CU3O3_BOND * (np.cos(np.radians(a)) * u + np.sin(np.radians(a)) * w)
        for a in (180.0, 240.0, 300.0, 0.0, 60.0, 120.0)
    ]
    return vertices[0::2], vertices[1::2]  # Cu at 180/300/60 deg, O between


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
    best, best_d = None, np.inf
    for ring in rings:
        t = ring.t_positions(atoms)
        centroid = t.mean(axis=0)
        frac = np.linalg.solve(cell.T, xyz - centroid)
        d = np.linalg.norm((frac - np.round(frac)) @ cell)
        d /= np.linalg.norm(t - centroid, axis=1).mean()
        if d < best_d:
            best, best_d = ring, d
    return best


def ring_matches_class(ring: Ring, ring_class: str) -> bool:
    """Whether a ring belongs to a Cu-site class.

    The ring classes ("8.12", "8.8", "6.12", "5.12") are single rings: the label must
    match. The channel classes ("12", "8") are the channel: any ring lining it counts
    (a Cu in the 12-ring channel sits next to its 5-, 6- and 8-rings).
    """
    if ring_class in ("12", "8"):
        return ring.channel == ring_class
    return ring.label == ring_class


def centre_matches_class(atoms: Atoms, ring_class: str, rings=None) -> bool:
    """Whether the Cu centroid of a structure sits nearest to a ring of its class."""
    cu = atoms.positions[[i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Cu"]]
    return ring_matches_class(nearest_ring(atoms, cu.mean(axis=0), rings), ring_class)
