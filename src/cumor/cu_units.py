"""Extra-framework Cu species as rigid units, fitted to the framework oxygens.

A Cu centre is built as one rigid unit (a Cu+ ion, a mono(mu-oxo) dicopper
[Cu-O-Cu]2+ core or a planar [Cu3(mu-O)3]2+ ring, see :func:`unit_template`) and
placed by a small deterministic fit (:func:`fit_unit`): Cu1 sits at exactly the grid's
Cu-Al distance from its Al, in the half-plane the model's direction and ``tilt`` give;
its elevation in that half-plane and the unit's orientation are chosen so that every
Cu binds framework O at the measured Cu-O distance, without crowding Si/Al or O.

Geometry and its sources:

* Cu+-O(framework) 2.00 A: Cu(I)/Cu(II)-O in Cu-zeolites is 1.95-2.05 A for 2-3 O
  (EXAFS, Lamberti et al., J. Phys. Chem. B 101, 344 (1997)).
* [Cu-O-Cu]2+: Cu-O(bridge) 1.80 A and Cu-O-Cu 140 deg (mono-mu-oxo dicopper core in
  ZSM-5/MOR: Woertink et al., PNAS 106, 18908 (2009); Vanelderen et al., JACS 137,
  6383 (2015)), so Cu...Cu 3.38 A.
* [Cu3(mu-O)3]2+: planar hexagon, Cu-O 1.85 A (Grundner et al., Nat. Commun. 6, 7546
  (2015): Cu3O3 in the MOR side pocket, Cu-O 1.8-1.9 A), Cu...Cu 3.20 A.

Contacts the fit keeps clear (the same limits the QA flags, :mod:`cumor.qa`): Cu-O(fw)
>= 1.85 A, Cu-Si/Al >= 2.60 A (except Cu1 to its own Al, which is the grid value),
O(unit)-O(fw) >= 2.60 A, O(unit)-Si/Al >= 2.90 A.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

#: Cu-O(framework) target distance (A), Lamberti et al. 1997 (EXAFS).
CU_O_FRAMEWORK = 2.00
#: Bridging Cu-O (A) and Cu-O-Cu angle (deg) of [Cu-O-Cu]2+ (Woertink 2009, Vanelderen 2015).
CU_O_BRIDGE = 1.80
CU_O_CU_ANGLE = 140.0
#: Cu-O (A) of the planar [Cu3(mu-O)3]2+ hexagon (Grundner et al. 2015).
CU3O3_BOND = 1.85
#: Framework O each Cu of a unit binds: Cu+ 2-3 (2 aimed at), Cu of Cu-O-Cu 2, Cu of Cu3O3 1.
FRAMEWORK_O_PER_CU = {1: 2, 2: 2, 3: 1}
#: Closest contacts (A) the fit keeps: Cu-O(fw), Cu-T, O(unit)-O(fw), O(unit)-T.
MIN_CU_O_FW = 1.85
MIN_CU_T = 2.65
MIN_O_O = 2.60
MIN_O_T = 2.90
#: How far (deg) Cu1 may leave the model's direction: elevation (out of the ring
#: plane) freely up to MAX_ELEVATION; azimuth (about the ring normal, the grid's
#: ``tilt``) at a cost of AZIMUTH_WEIGHT per AZIMUTH_SCALE squared, so neighbouring
#: tilts stay distinct structures; the unit's designed orientation (3 Cu only; 2 Cu
#: turn freely toward their second Al) at ORIENTATION_WEIGHT per ORIENTATION_SCALE.
MAX_ELEVATION = 60.0
MAX_AZIMUTH = 30.0
AZIMUTH_SCALE = 15.0
AZIMUTH_WEIGHT = 0.05
ORIENTATION_SCALE = 25.0
ORIENTATION_WEIGHT = 0.05
#: The fit may move the Cu centroid this far (A; by number of Cu) from where the model's placement
#: rule puts it at no cost, beyond that at 1 A^2 per DRIFT_SCALE^2: the centre stays
#: at its ring (the model's identity) while it finds its O.
FREE_DRIFT = {1: 1.5, 2: 0.8, 3: 0.8}
DRIFT_SCALE = 0.3
#: Hard limits (A) a built structure must keep (as cumor.models.check_clashes checks),
#: with a margin: a fit that breaks them is retried with more starts.
HARD_CU_O = 1.77
HARD_OTHER = 1.62
#: Weight of a contact violation relative to a Cu-O mismatch (both in A^2).
CONTACT_WEIGHT = 100.0
#: Target Cu2-Al2 distance (A) of a 2-Cu unit: Cu2 bound to O of its own Al.
CU2_AL2 = 2.80
#: Dihedral mismatch (deg) that costs as much as 1 A^2 of misfit: phi is held tightly.
DIHEDRAL_SCALE = 0.1


def chain_dihedral(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> float:
    """Dihedral a-b-c-d in degrees, [0, 360), ASE's convention (Atoms.get_dihedral)."""
    v0, v1, v2 = b - a, c - b, d - c
    n0, n1 = np.cross(v0, v1), np.cross(v1, v2)
    angle = np.degrees(np.arctan2(np.dot(np.cross(n0, n1), v1) / np.linalg.norm(v1), np.dot(n0, n1)))
    return float(angle % 360.0)


@dataclass(frozen=True)
class Unit:
    """A rigid Cu unit: symbols and local coordinates, Cu first, Cu1 at the origin."""

    symbols: tuple[str, ...]
    local: np.ndarray

    @property
    def n_cu(self) -> int:
        return self.symbols.count("Cu")


def unit_template(n_cu: int) -> Unit:
    """The rigid Cu unit of a model with ``n_cu`` Cu (1, 2 or 3).

    Local frame: Cu1 at the origin; for 2 Cu the Cu...Cu axis along +x and the bridging
    O in the xy plane (+y); for 3 Cu the hexagon in the xy plane, its centre on +x.
    """
    if n_cu == 1:
        return Unit(("Cu",), np.zeros((1, 3)))
    if n_cu == 2:
        half = np.radians(CU_O_CU_ANGLE) / 2
        s, h = CU_O_BRIDGE * np.sin(half), CU_O_BRIDGE * np.cos(half)
        return Unit(("Cu", "Cu", "O"), np.array([[0.0, 0, 0], [2 * s, 0, 0], [s, h, 0]]))
    if n_cu == 3:
        angles = np.radians([180.0, 300.0, 60.0, 240.0, 0.0, 120.0])  # Cu, Cu, Cu, O, O, O
        ring = CU3O3_BOND * np.stack([np.cos(angles), np.sin(angles), np.zeros(6)], axis=1)
        return Unit(("Cu", "Cu", "Cu", "O", "O", "O"), ring - ring[0])
    raise ValueError(f"n_cu must be 1, 2 or 3, got {n_cu!r}")


@dataclass(frozen=True)
class Environment:
    """Framework atoms around the site (periodic images unrolled), by kind."""

    oxygen: np.ndarray
    tetrahedral: np.ndarray
    anchor_al: np.ndarray
    second_al: np.ndarray | None
    #: How far (A) the centroid may leave it at no cost (None: FREE_DRIFT by n_cu).
    free_drift: float | None = None

    def __post_init__(self):
        # k-d trees for the nearest-neighbour queries of the fit (built once per site)
        object.__setattr__(self, "oxygen_tree", cKDTree(self.oxygen))
        object.__setattr__(self, "tetrahedral_tree", cKDTree(self.tetrahedral))
        own = np.flatnonzero(np.linalg.norm(self.tetrahedral - self.anchor_al, axis=1) < 1e-3)
        object.__setattr__(self, "anchor_index", int(own[0]) if len(own) else -1)


def fit_unit(
    unit: Unit,
    env: Environment,
    distance: float,
    direction: np.ndarray,
    normal: np.ndarray,
    orientation: np.ndarray,
    dihedral: float | None = None,
) -> np.ndarray:
    """Place a rigid unit: Cu1 at ``distance`` from the anchor Al, Cu bound to framework O.

    Parameters
    ----------
    unit : Unit
        From :func:`unit_template`.
    env : Environment
        Framework O and T positions near the site, the anchor Al (Cu1's) and, for
        2 and 3 Cu, the second Al.
    distance : float
        Cu1-Al distance (A), kept exactly.
    direction : array
        Unit vector from the anchor Al toward where the model puts Cu1 (tilt
        included). Cu1's elevation over the ring plane is fitted within
        ``MAX_ELEVATION``; its azimuth about the normal stays near the direction's
        (``AZIMUTH_*``).
    normal : array
        Unit ring normal (open side).
    orientation : array
        3x3 rotation taking the local frame of the unit to its designed orientation.
    dihedral : float, optional
        2 Cu only: the dihedral Al2-Al1-Cu1-Cu2 (deg, ASE convention) the unit must
        have (the chain rotation phi of the grid, held within ~0.1 deg).

    Returns
    -------
    ndarray
        Positions of the unit's atoms (template order).
    """
    normal = np.asarray(normal, float)
    lateral = direction - (direction @ normal) * normal
    if np.linalg.norm(lateral) < 0.2:  # direction along the normal: no azimuth to keep
        lateral = np.cross(normal, [1.0, 0.0, 0.0]) if abs(normal[0]) < 0.9 else np.cross(normal, [0.0, 1.0, 0.0])
    lateral = lateral / np.linalg.norm(lateral)
    start_elevation = np.degrees(np.arctan2(direction @ normal, direction @ lateral))
    side = np.cross(normal, lateral)
    n_free = 2 if unit.n_cu == 1 else 5

    def place(x):
        elevation, azimuth = np.radians(start_elevation + x[0]), np.radians(x[1])
        in_plane = np.cos(azimuth) * lateral + np.sin(azimuth) * side
        cu1 = env.anchor_al + distance * (np.cos(elevation) * in_plane + np.sin(elevation) * normal)
        turn = Rotation.from_rotvec(np.radians(x[2:5])).as_matrix() if n_free > 2 else np.eye(3)
        return cu1 + unit.local @ (turn @ orientation).T

    is_cu = np.array([sym == "Cu" for sym in unit.symbols])
    designed = place(np.zeros(n_free))[is_cu].mean(axis=0)

    free_drift = FREE_DRIFT[unit.n_cu] if env.free_drift is None else float(env.free_drift)

    def cost(x):
        xyz = place(x)
        drift = max(np.linalg.norm(xyz[is_cu].mean(axis=0) - designed) - free_drift, 0.0)
        total = _misfit(unit, env, xyz) + _bounds_penalty(unit, x) + (drift / DRIFT_SCALE) ** 2
        if dihedral is not None:
            off = (chain_dihedral(env.second_al, env.anchor_al, xyz[0], xyz[1]) - dihedral + 180.0) % 360.0 - 180.0
            total += (off / DIHEDRAL_SCALE) ** 2
        return total

    # a coarse scan of the elevation (and for multi-Cu a few orientations), then a
    # local refinement from the best start: deterministic, no random restarts. If that
    # pose still has a hard clash, the best three starts of a finer scan are refined
    # too and the lowest-cost result wins.
    coarse = _starts(unit, n_free, 20.0, (-15.0, 0.0, 15.0))
    xyz, value = _refine(cost, place, coarse, 1)
    if _hard_clash(unit, env, xyz):
        fine = _starts(unit, n_free, 10.0, (-30.0, -15.0, 0.0, 15.0, 30.0))
        xyz2, value2 = _refine(cost, place, fine, 8)
        if round(value2, 6) < round(value, 6):
            xyz = xyz2
    return xyz


def _starts(unit, n_free, elevation_step, azimuths) -> list[np.ndarray]:
    starts = []
    for e in np.arange(-MAX_ELEVATION, MAX_ELEVATION + 1e-9, elevation_step):
        for a in azimuths:
            for turn in _orientation_starts(unit):
                starts.append(np.concatenate([[e, a], turn])[:n_free])
    return starts


def _refine(cost, place, starts, n_best: int) -> tuple[np.ndarray, float]:
    """Nelder-Mead from the ``n_best`` lowest-cost starts; the best result."""
    scored = sorted((round(float(cost(x)), 6), k) for k, x in enumerate(starts))
    results = []
    for _, k in scored[:n_best]:
        fit = minimize(cost, starts[k], method="Nelder-Mead",
                       options={"xatol": 0.01, "fatol": 1e-7, "maxfev": 2000,
                                "initial_simplex": _simplex(starts[k])})
        results.append((round(float(fit.fun), 6), k, fit.x))
    value, _, x = min(results, key=lambda r: (r[0], r[1]))
    return place(x), value


def _hard_clash(unit: Unit, env: Environment, xyz: np.ndarray) -> bool:
    """Whether a pose breaks a hard limit of :func:`cumor.models.check_clashes`."""
    is_cu = np.array([s == "Cu" for s in unit.symbols])
    d_cu_o, _ = env.oxygen_tree.query(xyz[is_cu], k=1)
    d_any_o, _ = env.oxygen_tree.query(xyz, k=1)
    d_any_t, _ = env.tetrahedral_tree.query(xyz[~is_cu], k=1) if (~is_cu).any() else (np.array([9.9]), None)
    return bool(d_cu_o.min() < HARD_CU_O or d_any_o.min() < HARD_OTHER or np.min(d_any_t) < HARD_OTHER)


def _simplex(x0: np.ndarray, step: float = 5.0) -> np.ndarray:
    """Initial Nelder-Mead simplex: ``step`` degrees along each parameter."""
    return np.vstack([x0] + [x0 + step * np.eye(len(x0))[k] for k in range(len(x0))])


def _orientation_starts(unit: Unit) -> list[np.ndarray]:
    if unit.n_cu == 1:
        return [np.zeros(3)]
    if unit.n_cu == 3:  # near the variant's designed orientation
        return [np.array(v, float) for v in ((0, 0, 0), (0, 0, 30), (0, 0, -30))]
    return [np.array(v, float) for v in ((0, 0, 0), (0, 0, 60), (0, 0, -60), (60, 0, 0), (-60, 0, 0), (0, 60, 0), (0, -60, 0))]


def _bounds_penalty(unit: Unit, x: np.ndarray) -> float:
    over = max(abs(x[0]) - MAX_ELEVATION, 0.0) + max(abs(x[1]) - MAX_AZIMUTH, 0.0)
    penalty = (over / 5.0) ** 2 + AZIMUTH_WEIGHT * (x[1] / AZIMUTH_SCALE) ** 2
    if unit.n_cu == 3:
        penalty += ORIENTATION_WEIGHT * float(np.sum((x[2:5] / ORIENTATION_SCALE) ** 2))
    return penalty


#: Neighbours looked at per unit atom (k nearest): enough for every contact that
#: can be violated at once; keeps a cost evaluation at tens of microseconds.
_K_NEAREST = 6


def _misfit(unit: Unit, env: Environment, xyz: np.ndarray) -> float:
    """Cu-O(fw) mismatch plus contact violations (A^2), see the module notes."""
    is_cu = np.array([s == "Cu" for s in unit.symbols])
    cu, ox = xyz[is_cu], xyz[~is_cu]
    want = FRAMEWORK_O_PER_CU[unit.n_cu]
    total = 0.0
    d_cu_o, _ = env.oxygen_tree.query(cu, k=_K_NEAREST)
    total += float(np.sum((d_cu_o[:, :want] - CU_O_FRAMEWORK) ** 2))
    total += CONTACT_WEIGHT * float(np.sum(np.clip(MIN_CU_O_FW - d_cu_o, 0, None) ** 2))
    d_cu_t, which = env.tetrahedral_tree.query(cu, k=_K_NEAREST)
    d_cu_t[0, which[0] == env.anchor_index] = np.inf  # Cu1-Al1 is the grid value
    total += CONTACT_WEIGHT * float(np.sum(np.clip(MIN_CU_T - d_cu_t, 0, None) ** 2))
    if len(ox):
        d_o_o, _ = env.oxygen_tree.query(ox, k=_K_NEAREST)
        d_o_t, _ = env.tetrahedral_tree.query(ox, k=_K_NEAREST)
        total += CONTACT_WEIGHT * float(np.sum(np.clip(MIN_O_O - d_o_o, 0, None) ** 2))
        total += CONTACT_WEIGHT * float(np.sum(np.clip(MIN_O_T - d_o_t, 0, None) ** 2))
    if unit.n_cu == 2 and env.second_al is not None:
        total += float((np.linalg.norm(cu[1] - env.second_al) - CU2_AL2) ** 2)
    if unit.n_cu == 3 and env.second_al is not None:
        total += 0.25 * float((np.min(np.linalg.norm(cu[1:] - env.second_al, axis=1)) - CU2_AL2) ** 2)
    return total


def site_environment(atoms, centre: np.ndarray, anchor_al: np.ndarray, second_al=None,
                     radius: float = 12.0, free_drift=None) -> Environment:
    """Framework O and T atoms (all periodic images) within ``radius`` of ``centre``.

    The Cu and extra-framework O already in ``atoms`` (none while building) are left out.
    """
    cell = np.asarray(atoms.cell)
    symbols = np.array(atoms.get_chemical_symbols())
    frac = np.linalg.solve(cell.T, (atoms.positions - centre).T).T
    base = atoms.positions - np.floor(frac + 0.5) @ cell  # images nearest to centre
    shifts = np.array(list(np.ndindex(3, 3, 3))) - 1
    images = (base[None, :, :] + (shifts @ cell)[:, None, :]).reshape(-1, 3)
    kinds = np.tile(symbols, len(shifts))
    near = np.linalg.norm(images - centre, axis=1) <= radius
    return Environment(
        oxygen=images[near & (kinds == "O")],
        tetrahedral=images[near & np.isin(kinds, ["Si", "Al"])],
        anchor_al=np.asarray(anchor_al, float),
        second_al=None if second_al is None else np.asarray(second_al, float),
        free_drift=free_drift,
    )
