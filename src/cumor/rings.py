"""Rings of the MOR framework: smallest rings and channel windows.

Two kinds of rings matter for Cu siting:

* **Wall rings** (4-, 5-, 6-rings): the shortest cycle of the T-O-T graph through
  each pair of a T atom's neighbours (the rings "at the T-O-T angles").
* **Windows** (8- and 12-rings): channel and side-pocket openings. They are *not*
  shortest cycles at any angle, so they are found geometrically: the shortest cycle
  of the T-O-T graph that winds once around a line (a channel axis, or the axis of a
  side pocket). Winding is counted with a half-plane cut: every edge that crosses the
  half-plane bounded by the line adds +-1, and a window is a shortest path from a T
  atom back to the *same periodic image* of itself with net crossing count 1.

Every ring is stored with its T atoms as (index, cell shift) pairs, so a ring that
crosses the cell boundary keeps contiguous Cartesian coordinates.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from ase import Atoms

from cumor.framework import framework_facts, t_indices, t_o_t_edges
from cumor.tiebreak import canonical_sign, position_key, stable_max, stable_min

Node = tuple[int, tuple[int, int, int]]  # (atom index, cell shift)

#: Ring classes :func:`find_rings` produces on MOR (a test keeps this in sync), so a
#: config can be checked without running the ring search.
KNOWN_RING_LABELS = ("12", "8", "8.12", "8.8", "7.8", "6.12", "5.12", "5.8", "4.8")


@dataclass(frozen=True)
class Ring:
    """A ring of T atoms.

    Attributes
    ----------
    size : int
        Number of T atoms.
    nodes : tuple of (int, (int, int, int))
        T atoms in cycle order, each with its cell shift.
    oxygens : tuple of (int, (int, int, int))
        Bridging O atoms between consecutive T atoms, same convention.
    kind : str
        ``"wall"`` (smallest ring) or ``"window"`` (channel / pocket opening).
    channel : str
        The channel the ring lines (``"12"`` or ``"8"``), or ``""`` if unassigned.
    label : str
        The ring's class in the paper's naming: ``"12"``, ``"8"``, ``"8.12"``,
        ``"8.8"``, ``"6.12"``, ``"5.12"``, ``"4.12"`` ...
    """

    size: int
    nodes: tuple
    oxygens: tuple
    kind: str
    channel: str = ""
    label: str = ""
    axis: str = field(default="", compare=False)

    def t_positions(self, atoms: Atoms) -> np.ndarray:
        """Cartesian positions of the ring's T atoms (contiguous across cells)."""
        return _positions(atoms, self.nodes)

    def o_positions(self, atoms: Atoms) -> np.ndarray:
        """Cartesian positions of the ring's bridging O atoms."""
        return _positions(atoms, self.oxygens)

    def centroid(self, atoms: Atoms) -> np.ndarray:
        """Centroid of the T atoms."""
        return self.t_positions(atoms).mean(axis=0)

    def normal(self, atoms: Atoms) -> np.ndarray:
        """Unit normal of the ring's best-fit plane (smallest principal axis).

        The sign of an SVD vector depends on the LAPACK kernel; it is fixed by
        :func:`cumor.tiebreak.canonical_sign` so every machine gets the same normal.
        """
        xyz = self.t_positions(atoms)
        _, _, vt = np.linalg.svd(xyz - xyz.mean(axis=0))
        return canonical_sign(vt[-1])

    @property
    def t_indices(self) -> list[int]:
        """Atom indices of the T atoms, in cycle order."""
        return [n[0] for n in self.nodes]


def _positions(atoms: Atoms, nodes) -> np.ndarray:
    cell = np.asarray(atoms.cell)
    return np.array([atoms.positions[i] + np.asarray(s) @ cell for i, s in nodes])


def _adjacency(atoms: Atoms) -> dict[int, list[tuple[int, tuple, int]]]:
    """T -> [(neighbour T, cell shift, bridging O)] for the periodic T-O-T graph.

    Neighbours are listed in the order of their (lifted) positions, not in the order
    ASE's neighbour list returns them: that order comes from an unstable sort and
    differs between CPUs, and the breadth-first ring searches follow it.
    """
    cell = np.asarray(atoms.cell)
    adj: dict[int, list[tuple[int, tuple, int]]] = {int(t): [] for t in t_indices(atoms)}
    for ta, o, tb, shift in t_o_t_edges(atoms):
        adj[ta].append((tb, tuple(int(x) for x in shift), o))
    for ta, neighbours in adj.items():
        neighbours.sort(key=lambda n: position_key(atoms.positions[n[0]] + np.asarray(n[1]) @ cell))
    return adj


def _shift(s: tuple, d: tuple) -> tuple:
    return (s[0] + d[0], s[1] + d[1], s[2] + d[2])


def _canonical(nodes: list[Node]) -> tuple:
    """Translation- and rotation-invariant key of a ring (to count each once)."""
    keys = []
    for _, s0 in nodes:
        moved = sorted((i, (s[0] - s0[0], s[1] - s0[1], s[2] - s0[2])) for i, s in nodes)
        keys.append(tuple(moved))
    return min(keys)


def _bridging_oxygens(adj, nodes: list[Node]) -> list[Node]:
    """Bridging O between consecutive ring nodes (with their cell shifts)."""
    oxygens = []
    for (ta, sa), (tb, sb) in zip(nodes, nodes[1:] + nodes[:1]):
        rel = (sb[0] - sa[0], sb[1] - sa[1], sb[2] - sa[2])
        o = next(o for t, d, o in adj[ta] if t == tb and d == rel)
        oxygens.append((o, sa))  # O position is resolved against ta's image below
    return oxygens


def _o_nodes(atoms: Atoms, nodes: list[Node], oxygens: list[Node]) -> list[Node]:
    """Pick, for each bridging O, the periodic image closest to its two T atoms."""
    cell = np.asarray(atoms.cell)
    inv = np.linalg.inv(cell)
    result = []
    t_xyz = _positions(atoms, nodes)
    for k, (o, _) in enumerate(oxygens):
        mid = 0.5 * (t_xyz[k] + t_xyz[(k + 1) % len(nodes)])
        frac = (mid - atoms.positions[o]) @ inv
        s = tuple(int(x) for x in np.round(frac))
        result.append((o, s))
    return result


def _make_ring(atoms, adj, nodes: list[Node], kind: str, axis: str = "") -> Ring:
    nodes = _canonical_order(atoms, nodes)
    oxygens = _o_nodes(atoms, nodes, _bridging_oxygens(adj, nodes))
    return Ring(len(nodes), tuple(nodes), tuple(oxygens), kind, axis=axis)


def _node_key(atoms: Atoms, node: Node) -> tuple:
    """Crystallographic label, then rounded position: orders ring nodes on any machine."""
    xyz = atoms.positions[node[0]] + np.asarray(node[1]) @ np.asarray(atoms.cell)
    return (str(atoms.arrays["site"][node[0]]) if "site" in atoms.arrays else "", *position_key(xyz))


def _canonical_order(atoms: Atoms, nodes: list[Node]) -> list[Node]:
    """The ring in one periodic image, from one start node, in one direction.

    The image puts the centroid in [0, 1) fractional coordinates; the cycle starts at
    the node with the smallest :func:`_node_key` and runs toward the smaller-keyed of
    its two ring neighbours. A ring found from any start, in either direction or in
    any image therefore comes out the same, so "the first T1 of the ring" and
    "``separation`` T atoms on" mean the same atoms everywhere.
    """
    cell = np.asarray(atoms.cell)
    centroid = _positions(atoms, nodes).mean(axis=0)
    frac = np.round(np.linalg.solve(cell.T, centroid), 6)
    move = tuple(int(x) for x in -np.floor(frac))
    nodes = [(i, _shift(s, move)) for i, s in nodes]
    n = len(nodes)
    start = stable_min(range(n), lambda k: 0.0, lambda k: _node_key(atoms, nodes[k]))
    forward = _node_key(atoms, nodes[(start + 1) % n])
    backward = _node_key(atoms, nodes[(start - 1) % n])
    step = 1 if forward <= backward else -1
    return [nodes[(start + step * k) % n] for k in range(n)]


# --------------------------------------------------------------------------- walls
def find_wall_rings(atoms: Atoms, max_size: int = 7) -> list[Ring]:
    """Smallest rings at every T-O-T angle.

    For each T atom and each pair of its T neighbours, the shortest path between the
    two neighbours that avoids the central T closes the smallest ring at that angle.

    Parameters
    ----------
    atoms : ase.Atoms
        Periodic framework.
    max_size : int
        Largest ring size searched.

    Returns
    -------
    list of Ring
        Each distinct ring once (per unit cell), ``kind="wall"``.
    """
    adj = _adjacency(atoms)
    seen: dict[tuple, Ring] = {}
    zero = (0, 0, 0)
    for t, neighbours in adj.items():
        for a in range(len(neighbours)):
            for b in range(a + 1, len(neighbours)):
                start = (neighbours[a][0], neighbours[a][1])
                goal = (neighbours[b][0], neighbours[b][1])
                path = _shortest_path(adj, start, goal, {(t, zero)}, max_size - 2)
                if path is None:
                    continue
                nodes = [(t, zero)] + path
                key = _canonical(nodes)
                if key not in seen:
                    seen[key] = _make_ring(atoms, adj, nodes, "wall")
    return list(seen.values())


def _shortest_path(adj, start: Node, goal: Node, banned: set, max_edges: int):
    """BFS shortest path start -> goal in the lifted graph, avoiding ``banned``."""
    parent = {start: None}
    queue = deque([(start, 0)])
    while queue:
        node, depth = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = parent[node]
            return path[::-1]
        if depth >= max_edges:
            continue
        t, s = node
        for tb, d, _ in adj[t]:
            nxt = (tb, _shift(s, d))
            if nxt in parent or nxt in banned:
                continue
            parent[nxt] = node
            queue.append((nxt, depth + 1))
    return None


# ------------------------------------------------------------------------- windows
def find_windows_around(
    atoms: Atoms,
    point: np.ndarray,
    direction: np.ndarray,
    max_size: int = 12,
    max_radius: float = 8.0,
) -> list[Ring]:
    """Shortest T-O-T cycles that wind once around a line.

    Parameters
    ----------
    atoms : ase.Atoms
        Periodic framework.
    point, direction : array
        The line (Cartesian point and direction), e.g. a channel axis.
    max_size : int
        Largest ring searched.
    max_radius : float
        Only T atoms within this distance of the line take part (keeps the search
        local to one channel).

    Returns
    -------
    list of Ring
        The distinct windows of the smallest size found, ``kind="window"``.
    """
    adj = _adjacency(atoms)
    d = np.asarray(direction, float) / np.linalg.norm(direction)
    ref = np.cross(d, [0.0, 0.0, 1.0])
    if np.linalg.norm(ref) < 1e-6:
        ref = np.cross(d, [1.0, 0.0, 0.0])
    u = ref / np.linalg.norm(ref)  # half-plane: point + s*u + t*d, s > 0
    w = np.cross(d, u)
    cell = np.asarray(atoms.cell)
    p0 = np.asarray(point, float)

    positions = atoms.positions
    radial_cache: dict = {}

    def radial(node):
        # memoised: the BFS asks for the same lifted node many times
        r = radial_cache.get(node)
        if r is None:
            r = positions[node[0]] + node[1][0] * cell[0] + node[1][1] * cell[1] + node[1][2] * cell[2] - p0
            r = r - (r @ d) * d
            radial_cache[node] = r
        return r

    crossing_cache: dict = {}

    def crossing(a, b) -> int:
        key = (a, b)
        if key not in crossing_cache:
            crossing_cache[key] = _crossing(a, b)
        return crossing_cache[key]

    def _crossing(a, b) -> int:
        # sign of crossing the half-plane {s*u + t*d, s > 0} going from a to b
        ra, rb = radial(a), radial(b)
        wa, wb = ra @ w, rb @ w
        if (wa > 0) == (wb > 0):
            return 0
        f = wa / (wa - wb)
        if (ra + f * (rb - ra)) @ u <= 0:
            return 0
        return 1 if wa < 0 else -1

    def near(node):
        r = radial(node)
        return r @ r <= max_radius * max_radius

    # candidate start atoms: images of T atoms near the line, within one axial period
    starts = _nodes_near_line(atoms, adj, p0, d, max_radius)
    best: dict[tuple, list[Node]] = {}
    best_len = max_size + 1
    for start in starts:
        cycle = _winding_cycle(adj, start, crossing, near, max_size)
        if cycle is None or len(cycle) > best_len:
            continue
        if len(cycle) < best_len:
            best, best_len = {}, len(cycle)
        best.setdefault(_canonical(cycle), cycle)
    return [_make_ring(atoms, adj, c, "window") for c in best.values()]


def _nodes_near_line(atoms, adj, p0, d, max_radius) -> list[Node]:
    cell = np.asarray(atoms.cell)
    nodes = []
    for t in adj:
        for s in np.ndindex(3, 3, 3):
            shift = tuple(int(x) - 1 for x in s)
            r = atoms.positions[t] + np.asarray(shift) @ cell - p0
            along = r @ d
            radial = np.linalg.norm(r - along * d)
            # one axial period of the line through the cell is enough: windows are
            # counted per cell after canonicalisation
            if radial <= max_radius and 0.0 <= along < _period(cell, d):
                nodes.append((t, shift))
    return nodes


def _period(cell: np.ndarray, d: np.ndarray) -> float:
    """Length of the shortest lattice vector parallel to d (the line's period)."""
    for v in cell:
        if abs(abs(v @ d) - np.linalg.norm(v)) < 1e-6:
            return float(np.linalg.norm(v))
    return float(np.max(np.linalg.norm(cell, axis=1)))


def _winding_cycle(adj, start: Node, crossing, near, max_size: int):
    """Shortest path from (start, 0) to (start, 1) in the winding cover."""
    origin = (start, 0)
    parent = {origin: None}
    queue = deque([(origin, 0)])
    while queue:
        state, depth = queue.popleft()
        node, wind = state
        if depth >= max_size:
            continue
        t, s = node
        for tb, dshift, _ in adj[t]:
            nxt = (tb, _shift(s, dshift))
            if not near(nxt):
                continue
            nwind = wind + crossing(node, nxt)
            if abs(nwind) > 1:
                continue
            nstate = (nxt, nwind)
            if nstate in parent:
                continue
            parent[nstate] = state
            if nxt == start and nwind == 1:
                cycle = []
                st = state
                while st is not None:
                    cycle.append(st[0])
                    st = parent[st]
                cycle = cycle[::-1]
                return cycle if len(set(cycle)) == len(cycle) else None
            queue.append((nstate, depth + 1))
    return None


# ---------------------------------------------------------------- whole framework
def channel_axes(atoms: Atoms) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Channel axes of the framework as (channel name, point, direction)."""
    cell = np.asarray(atoms.cell)
    axes = []
    for channel in framework_facts()["channels"]:
        direction = cell["abc".index(channel["axis"])]
        for x, y in channel["through_frac"]:
            axes.append((channel["name"], np.array([x, y, 0.0]) @ cell, direction))
    return axes


def distance_to_channel(atoms: Atoms, xyz: np.ndarray, channel: str) -> float:
    """Shortest distance from a point to any periodic image of a channel's axes."""
    cell = np.asarray(atoms.cell)
    best = np.inf
    for name, point, direction in channel_axes(atoms):
        if name != channel:
            continue
        d = direction / np.linalg.norm(direction)
        for i in (-1, 0, 1):
            for j in (-1, 0, 1):
                r = xyz - (point + i * cell[0] + j * cell[1])
                best = min(best, float(np.linalg.norm(r - (r @ d) * d)))
    return best


def nearest_channel(atoms: Atoms, xyz: np.ndarray) -> tuple[str, float]:
    """The channel whose axis is nearest to ``xyz`` and that distance."""
    names = sorted({c["name"] for c in framework_facts()["channels"]})
    return stable_min(
        [(n, distance_to_channel(atoms, xyz, n)) for n in names], lambda x: x[1], lambda x: (x[0],)
    )


def find_rings(atoms: Atoms, max_wall_size: int = 7) -> list[Ring]:
    """All rings of the framework with the channel they line and their class label.

    Labels follow the paper's naming: a window around a channel axis is labelled by
    the channel ("12", "8"); an 8-ring side-pocket window is "8.12" or "8.8" after
    the channel whose axis is nearer; a wall ring of size n is "n.12" or "n.8".

    Returns
    -------
    list of Ring
        Sorted by (label, centroid) so that ``ring_index`` in a model spec is stable.
    """
    rings: dict[tuple, Ring] = {}
    for ring in find_wall_rings(atoms, max_wall_size):
        rings[_canonical(list(ring.nodes))] = ring
    cell = np.asarray(atoms.cell)
    for name, point, direction in channel_axes(atoms):
        for ring in find_windows_around(atoms, point, direction, max_size=12):
            rings.setdefault(_canonical(list(ring.nodes)), _relabel(ring, name, name))
    pockets = framework_facts()["pockets"]
    direction = cell["abc".index(pockets["axis"])]
    for x, z in pockets["through_frac"]:
        point = np.array([x, 0.0, z]) @ cell
        for ring in find_windows_around(atoms, point, direction, max_size=8, max_radius=5.5):
            rings.setdefault(_canonical(list(ring.nodes)), ring)
    labelled = [r if r.label else _label_by_channel(atoms, r) for r in rings.values()]
    keys = [(r.label, *_wrapped_centroid(atoms, r)) for r in labelled]
    if len(set(keys)) != len(keys):
        raise ValueError("find_rings: two rings share a label and a centroid; ring_index would be ambiguous")
    return [r for _, r in sorted(zip(keys, labelled), key=lambda kr: kr[0])]


def _wrapped_centroid(atoms: Atoms, ring: Ring) -> tuple:
    """Fractional centroid wrapped into [0, 1), rounded: a stable sort key."""
    frac = np.linalg.solve(np.asarray(atoms.cell).T, ring.centroid(atoms))
    return tuple(np.round(np.mod(np.round(frac, 3), 1.0), 3))


def _relabel(ring: Ring, channel: str, label: str) -> Ring:
    return Ring(ring.size, ring.nodes, ring.oxygens, ring.kind, channel, label, ring.axis)


def _label_by_channel(atoms: Atoms, ring: Ring) -> Ring:
    if ring.kind == "window":
        # side-pocket windows are open on both faces: the nearer axis names them
        channel, _ = nearest_channel(atoms, ring.centroid(atoms))
    else:
        channel = facing_channel(atoms, ring)
    return _relabel(ring, channel, f"{ring.size}.{channel}")


#: How far in front of a wall ring the open-space probe sits (A).
PROBE_DISTANCE = 2.0


def facing_channel(atoms: Atoms, ring: Ring) -> str:
    """The channel a wall ring opens into.

    A wall ring separates two pores. A probe point is placed ``PROBE_DISTANCE`` in
    front of each face; the face with more clearance (distance to the nearest atom)
    opens into the wider pore, and the channel whose axis is nearest to that probe
    is the one the ring lines. Nearest-axis distance from the centroid alone would
    mislabel rings that sit between a wide and a narrow channel.
    """
    return nearest_channel(atoms, ring.centroid(atoms) + PROBE_DISTANCE * open_normal(atoms, ring))[0]


def open_normal(atoms: Atoms, ring: Ring) -> np.ndarray:
    """Ring normal oriented toward the face with more clearance.

    Clearances are compared at 1e-4 A; a ring open equally on both faces (a channel
    window on a mirror plane) keeps the canonical sign of :meth:`Ring.normal`.
    """
    centroid, normal = ring.centroid(atoms), ring.normal(atoms)
    return stable_max(
        (normal, -normal),
        lambda n: clearance(atoms, centroid + PROBE_DISTANCE * n),
        lambda n: tuple(-x for x in position_key(n)),
    )


def clearance(atoms: Atoms, xyz: np.ndarray) -> float:
    """Distance from a point to the nearest atom centre (periodic images included)."""
    cell = np.asarray(atoms.cell)
    frac = np.linalg.solve(cell.T, xyz)
    best = np.inf
    for shift in np.ndindex(3, 3, 3):
        offset = (np.asarray(shift) - 1 + np.floor(frac)) @ cell
        d = np.linalg.norm(atoms.positions + offset - xyz, axis=1).min()
        best = min(best, float(d))
    return best


def rings_by_label(rings: list[Ring], label: str) -> list[Ring]:
    """Rings with a given class label, in :func:`find_rings` order."""
    return [r for r in rings if r.label == label]


# ------------------------------------------------------------------ serialisation
def ring_to_dict(ring: Ring) -> dict:
    """Plain-data form of a ring (JSON)."""
    return {
        "size": ring.size,
        "kind": ring.kind,
        "channel": ring.channel,
        "label": ring.label,
        "nodes": [[i, list(s)] for i, s in ring.nodes],
        "oxygens": [[i, list(s)] for i, s in ring.oxygens],
    }


def ring_from_dict(data: dict) -> Ring:
    """Inverse of :func:`ring_to_dict`."""
    return Ring(
        int(data["size"]),
        tuple((int(i), tuple(int(x) for x in s)) for i, s in data["nodes"]),
        tuple((int(i), tuple(int(x) for x in s)) for i, s in data["oxygens"]),
        data["kind"],
        data["channel"],
        data["label"],
    )


def write_ring_catalogue(path, rings: list[Ring], atoms: Atoms) -> None:
    """Write the rings (with centroid and normal, for people) to JSON atomically."""
    import json

    from cumor.atomic_io import atomic_path

    records = []
    for ring in rings:
        record = ring_to_dict(ring)
        record["centroid"] = [round(float(x), 4) for x in ring.centroid(atoms)]
        record["normal"] = [round(float(x), 4) for x in ring.normal(atoms)]
        records.append(record)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({"framework": atoms.info.get("framework", ""), "rings": records}))


def read_ring_catalogue(path) -> list[Ring]:
    """Rings written by :func:`write_ring_catalogue`."""
    import json
    from pathlib import Path

    try:
        data = json.loads(Path(path).read_text())
        return [ring_from_dict(r) for r in data["rings"]]
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"{path}: not a ring catalogue ({err})") from err
