"""Pictures of Cu centres in their rings (the paper's Figs. 2 and 3).

Each picture is a schematic a chemist reads at a glance: the view looks down the
normal of the ring the model is anchored to (open side toward the viewer), centred
on the Cu centroid, and shows the atoms within :data:`VIEW_RADIUS`:

* the framework as T-O-T sticks (every T-O bond a thin grey line, T atoms small
  dots, Al in its own colour), atoms farther from the viewer paler and drawn first;
* the anchor ring's T-O-T path as a thick polygon in its class colour
  (:data:`cumor.plots.CLASS_COLOURS`), the ring of a second Al likewise but thinner,
  each named in the corner;
* Cu as large copper circles, extra-framework O red, and every Cu-O bond shorter
  than :data:`cumor.qa.CU_O_BOND` (framework and extra-framework O) a dark line.

:func:`project_centre` does the geometry (and is what the tests check);
:func:`draw_centre` draws one projection on an axis. Figures are built on
:class:`matplotlib.figure.Figure` (no pyplot state) and written atomically.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from ase import Atoms
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Polygon

from cumor.atomic_io import atomic_path
from cumor.framework import T_ELEMENTS
from cumor.models import T_O_BOND, anchor_ring, cu_centroid
from cumor.plots import CLASS_COLOURS
from cumor.qa import CU_O_BOND
from cumor.rings import Ring, open_normal

#: Radius (A) of the sphere around the Cu centroid that is shown.
VIEW_RADIUS = 7.0

#: Framework atoms farther than this (A) in front of the Cu centroid are cut away.
FRONT_CUT = 2.5

#: Colours and sizes (radii in A, so every panel has the same scale).
CU_COLOUR, CU_EDGE, CU_RADIUS = "#c87533", "#5b2c0c", 0.62
O_COLOUR, O_EDGE, O_FRAMEWORK_COLOUR = "#e8262a", "#7a0c0e", "#f4908f"
O_EXTRA_RADIUS, O_FRAMEWORK_RADIUS = 0.36, 0.24
SI_COLOUR, SI_RADIUS = "#7a7a7a", 0.17
AL_COLOUR, AL_EDGE, AL_RADIUS = "#12a4c4", "#05485a", 0.32
STICK_COLOUR = "#6b6b6b"
BOND_COLOUR = "#1a1a1a"
#: Ring labels without a class colour (rings no model class names) get these.
OTHER_RING_COLOURS = ("#bcbd22", "#e377c2", "#17becf")


def ring_colour(label: str) -> str:
    """The colour of a ring class (the classifier figures' colours where they exist)."""
    if label in CLASS_COLOURS:
        return CLASS_COLOURS[label]
    return OTHER_RING_COLOURS[sum(map(ord, label)) % len(OTHER_RING_COLOURS)]


@dataclass
class CentreView:
    """A Cu centre in view coordinates (A): x, y in the picture, z toward the viewer.

    The origin is the Cu centroid; rows of ``rotation`` are the view axes x, y, z in
    Cartesian coordinates (z = the anchor ring's open normal).

    Attributes
    ----------
    symbols, index, xyz : arrays (n,)
        Every periodic image of an atom within the view radius: element, atom index
        in the structure, view coordinates (n, 3).
    extra : bool array (n,)
        Extra-framework atoms (Cu and the O of the Cu unit).
    ghost : bool array (n,)
        Extra-framework atoms of another periodic image of the Cu unit (c is only
        7.5 A: the unit's copies one cell along c fall inside the view).
    t_o_bonds, cu_o_bonds : int arrays (m, 2)
        Pairs of rows of ``xyz``: framework T-O bonds, Cu-O bonds (< ``CU_O_BOND``).
    rings : list of (Ring, array)
        The highlighted rings (anchor first) with their T-O-T path (T0, O0, T1, O1,
        ...) in view coordinates, (2 * size, 3).
    rotation : array (3, 3)
    """

    symbols: np.ndarray
    index: np.ndarray
    xyz: np.ndarray
    extra: np.ndarray
    ghost: np.ndarray
    t_o_bonds: np.ndarray
    cu_o_bonds: np.ndarray
    rings: list
    rotation: np.ndarray


def centre_rings(spec: dict, atoms: Atoms, rings: Sequence[Ring]) -> list[Ring]:
    """The rings a model's picture highlights: its anchor ring, then (for a model with
    ``al2_ring``) the ring of that class through the second Al nearest the Cu."""
    anchor = anchor_ring(spec, atoms, rings)
    chosen = [anchor]
    al = [int(i) for i in np.atleast_1d(atoms.info.get("al_indices", []))]
    if spec.get("al2_ring") and len(al) > 1:
        centre = cu_centroid(atoms)
        candidates = [r for r in rings if r.label == spec["al2_ring"] and al[1] in r.t_indices and r != anchor]
        if candidates:
            chosen.append(
                min(
                    candidates,
                    key=lambda r: (
                        round(float(np.linalg.norm(_nearest_image(atoms, r.centroid(atoms) - centre))), 6),
                        r.nodes,
                    ),
                )
            )
    return chosen


def ring_near_cu(atoms: Atoms, rings: Sequence[Ring] | None = None) -> Ring:
    """The ring of the structure's ``info['ring']`` class nearest the Cu centroid
    (for a picture whose model entry is not at hand)."""
    if rings is None:
        from cumor.models import framework_and_rings

        _, rings = framework_and_rings()
    label = str(atoms.info.get("ring", ""))
    candidates = [r for r in rings if r.label == label] or list(rings)
    centre = cu_centroid(atoms)
    return min(
        candidates,
        key=lambda r: (round(float(np.linalg.norm(_nearest_image(atoms, r.centroid(atoms) - centre))), 6), r.nodes),
    )


def _nearest_image(atoms: Atoms, vectors: np.ndarray) -> np.ndarray:
    """Minimum-image form of Cartesian difference vectors."""
    cell = np.asarray(atoms.cell)
    frac = np.linalg.solve(cell.T, np.atleast_2d(vectors).T).T
    out = (frac - np.round(frac)) @ cell
    return out.reshape(np.shape(vectors))


def _framework_only(atoms: Atoms) -> Atoms:
    """The structure without its Cu unit (for the ring's open side), when the unit's
    atoms come last (as :func:`cumor.models.build_cu_model` appends them)."""
    extra = sorted(
        {int(i) for i in np.atleast_1d(atoms.info.get("cu_indices", []))}
        | {int(i) for i in np.atleast_1d(atoms.info.get("o_extra_indices", []))}
    )
    if extra and extra == list(range(len(atoms) - len(extra), len(atoms))):
        return atoms[: len(atoms) - len(extra)]
    return atoms


def view_rotation(atoms: Atoms, ring: Ring) -> np.ndarray:
    """Rows x, y, z of the view: z the ring's open normal (toward the viewer), x the
    channel axis c projected on the picture (a when c is along the view)."""
    z = open_normal(_framework_only(atoms), ring)
    z = z / np.linalg.norm(z)
    cell = np.asarray(atoms.cell)
    for axis in (cell[2], cell[0]):
        x = axis - (axis @ z) * z
        if np.linalg.norm(x) > 0.3 * np.linalg.norm(axis):
            break
    x = x / np.linalg.norm(x)
    return np.array([x, np.cross(z, x), z])


def project_centre(
    atoms: Atoms,
    rings: Ring | Sequence[Ring],
    radius: float = VIEW_RADIUS,
    front: float | None = FRONT_CUT,
) -> CentreView:
    """Project a Cu centre down its anchor ring's normal (see :class:`CentreView`).

    Parameters
    ----------
    atoms : ase.Atoms
        A Cu-MOR structure (``info``: ``cu_indices``, ``o_extra_indices``).
    rings : Ring or sequence of Ring
        The anchor ring first (it sets the view), then any other ring to highlight.
    radius : float
        Atoms (all periodic images) within this distance of the Cu centroid are kept.
    front : float or None
        Framework atoms more than this far in front of the Cu centroid (toward the
        viewer) are cut away, except the O bonded to Cu and their T atoms: they
        would hide the ring (down a channel, the next ring of the channel lies
        on top of it). None keeps them.
    """
    rings = [rings] if isinstance(rings, Ring) else list(rings)
    centre = cu_centroid(atoms)
    rotation = view_rotation(atoms, rings[0])
    cell = np.asarray(atoms.cell)
    frac = np.linalg.solve(cell.T, (atoms.positions - centre).T).T
    frac -= np.round(frac)
    heights = abs(np.linalg.det(cell)) / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)
    reach = [int(np.ceil(radius / h + 0.5)) for h in heights]
    index, rel, home = [], [], []
    for shift in itertools.product(*(range(-n, n + 1) for n in reach)):
        r = (frac + np.asarray(shift)) @ cell
        keep = np.flatnonzero(np.einsum("ij,ij->i", r, r) <= radius * radius)
        index.append(keep)
        rel.append(r[keep])
        home.append(np.full(len(keep), not any(shift)))  # the minimum image
    index, rel, home = np.concatenate(index), np.concatenate(rel), np.concatenate(home)
    order = np.lexsort((*np.round(rel, 4).T[::-1], index))  # same rows on every machine
    index, rel, home = index[order], rel[order], home[order]
    symbols = np.array(atoms.get_chemical_symbols())[index]
    extra_ids = {int(i) for i in np.atleast_1d(atoms.info.get("cu_indices", []))} | {
        int(i) for i in np.atleast_1d(atoms.info.get("o_extra_indices", []))
    }
    extra = np.array([int(i) in extra_ids or s == "Cu" for i, s in zip(index, symbols)], dtype=bool)
    xyz = rel @ rotation.T
    dist = np.linalg.norm(rel[:, None, :] - rel[None, :, :], axis=2)
    is_t, is_o, is_cu = np.isin(symbols, T_ELEMENTS), symbols == "O", symbols == "Cu"
    t_o = is_t[:, None] & (is_o & ~extra)[None, :] & (dist < T_O_BOND)
    cu_o = is_cu[:, None] & is_o[None, :] & (dist < CU_O_BOND)
    if front is not None:
        bonded_o = cu_o[is_cu & ~(extra & ~home)].any(axis=0)
        keep = extra | (xyz[:, 2] <= front) | bonded_o | t_o[:, bonded_o].any(axis=1)
        index, symbols, xyz, extra, home = index[keep], symbols[keep], xyz[keep], extra[keep], home[keep]
        t_o, cu_o = t_o[np.ix_(keep, keep)], cu_o[np.ix_(keep, keep)]
    t_o, cu_o = np.argwhere(t_o), np.argwhere(cu_o)
    paths = []
    for ring in rings:
        t_xyz, o_xyz = ring.t_positions(atoms), ring.o_positions(atoms)
        shift = _nearest_image(atoms, t_xyz.mean(axis=0) - centre) - (t_xyz.mean(axis=0) - centre)
        path = np.empty((2 * ring.size, 3))
        path[0::2], path[1::2] = t_xyz, o_xyz
        paths.append((ring, (path - centre + shift) @ rotation.T))
    return CentreView(symbols, index, xyz, extra, extra & ~home, t_o, cu_o, paths, rotation)


#: Depth (A, toward the viewer) in front of which atoms keep their full colour.
FULL_COLOUR_DEPTH = 1.5
#: Alpha of the Cu unit's periodic images.
GHOST_ALPHA = 0.28


def _faded(colour, depth, radius: float, strength: float = 0.78) -> np.ndarray:
    """RGB of ``colour`` mixed with white by depth: full colour from
    ``FULL_COLOUR_DEPTH`` forward, ``strength`` white at the back (z = -radius)."""
    span = FULL_COLOUR_DEPTH + radius
    fade = strength * np.clip((FULL_COLOUR_DEPTH - np.atleast_1d(np.asarray(depth, float))) / span, 0.0, 1.0) ** 0.8
    rgb = np.asarray(to_rgb(colour))
    return rgb[None, :] * (1 - fade[:, None]) + fade[:, None]


def draw_centre(
    atoms: Atoms,
    ax,
    rings: Ring | Sequence[Ring] | None = None,
    title: str = "",
    radius: float = VIEW_RADIUS,
    images: bool = False,
) -> CentreView:
    """Draw a Cu centre on a matplotlib axis, looking down its anchor ring's normal.

    Parameters
    ----------
    atoms : ase.Atoms
        The structure.
    ax : matplotlib Axes
    rings : Ring or sequence of Ring, optional
        The anchor ring first (see :func:`centre_rings`); without it, the ring of the
        structure's ``info['ring']`` class nearest the Cu (:func:`ring_near_cu`).
    title : str
        Panel title (e.g. model name and class).
    radius : float
        Radius of the view (A).
    images : bool
        Also draw, faint, the Cu unit's periodic images inside the view (one cell
        along c, 7.5 A, they are there in every model; off, the picture shows one
        centre as the paper's schemes do).

    Returns
    -------
    CentreView
        The projection drawn (``ax.patches`` holds the ring polygons, labelled
        ``"ring <label>"``, anchor first).
    """
    if rings is None:
        rings = ring_near_cu(atoms)
    view = project_centre(atoms, rings, radius)
    xyz, symbols, ghost = view.xyz, view.symbols, view.ghost
    depth = xyz[:, 2]

    # framework sticks, back to front, paler with depth
    if len(view.t_o_bonds):
        seg = xyz[view.t_o_bonds][:, :, :2]
        seg_depth = xyz[view.t_o_bonds][:, :, 2].mean(axis=1)
        order = np.argsort(seg_depth, kind="stable")
        ax.add_collection(
            LineCollection(
                seg[order],
                colors=_faded(STICK_COLOUR, seg_depth[order], radius),
                linewidths=1.0,
                capstyle="round",
                zorder=1,
            )
        )
    t_rows = np.flatnonzero(np.isin(symbols, T_ELEMENTS))
    on_ring = {int(n[0]) for ring, _ in view.rings for n in ring.nodes}
    for row in t_rows[np.argsort(depth[t_rows], kind="stable")]:
        al = symbols[row] == "Al"
        # ring atoms keep their colour; Al fades only a little (it must stay readable)
        z = max(depth[row], FULL_COLOUR_DEPTH) if int(view.index[row]) in on_ring else depth[row]
        strength = 0.4 if al else 0.78
        ax.add_patch(
            Circle(
                xyz[row, :2],
                AL_RADIUS if al else SI_RADIUS,
                facecolor=_faded(AL_COLOUR if al else SI_COLOUR, z, radius, strength)[0],
                edgecolor=_faded(AL_EDGE if al else SI_COLOUR, z, radius, strength)[0],
                linewidth=0.8 if al else 0.0,
                zorder=4.5 if al or int(view.index[row]) in on_ring else 2,
            )
        )

    # highlighted rings: the anchor thick, others thinner and dashed
    for k, (ring, path) in enumerate(view.rings):
        colour = ring_colour(ring.label)
        ax.add_patch(
            Polygon(
                path[:, :2],
                closed=True,
                facecolor=(*to_rgb(colour), 0.14 if k == 0 else 0.07),
                edgecolor=colour,
                linewidth=3.2 if k == 0 else 2.2,
                linestyle="-" if k == 0 else (0, (3, 1.5)),
                joinstyle="round",
                zorder=3 if k == 0 else 2.9,
                label=f"ring {ring.label}",
            )
        )
        ax.text(
            0.01,
            0.01 + 0.075 * k,
            f"{ring.label} ring" + (" of Al 2" if k else ""),
            transform=ax.transAxes,
            color=colour,
            fontsize=8,
            fontweight="bold",
            ha="left",
            va="bottom",
            zorder=8,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )

    # the Cu unit on top (the subject of the picture): Cu-O bonds, O, Cu;
    # its periodic images faint, when shown
    shown = images | ~ghost
    bonds = view.cu_o_bonds[shown[view.cu_o_bonds[:, 0]]]
    for faint in (True, False):
        mine = bonds[ghost[bonds[:, 0]] == faint] if len(bonds) else bonds
        if len(mine):
            ax.add_collection(
                LineCollection(
                    xyz[mine][:, :, :2],
                    colors=BOND_COLOUR,
                    linewidths=2.0,
                    capstyle="round",
                    alpha=GHOST_ALPHA if faint else 1.0,
                    zorder=5,
                )
            )
    bonded_o = {int(o): bool(ghost[cu]) for cu, o in bonds[np.argsort(~ghost[bonds[:, 0]], kind="stable")]}
    bonded_o.update({int(o): bool(ghost[o]) for o in np.flatnonzero((symbols == "O") & view.extra & shown)})
    for row in sorted(bonded_o, key=lambda r: (depth[r], r)):
        extra = bool(view.extra[row])
        ax.add_patch(
            Circle(
                xyz[row, :2],
                O_EXTRA_RADIUS if extra else O_FRAMEWORK_RADIUS,
                facecolor=O_COLOUR if extra else O_FRAMEWORK_COLOUR,
                edgecolor=O_EDGE,
                linewidth=0.8 if extra else 0.5,
                alpha=GHOST_ALPHA if bonded_o[row] else 1.0,
                zorder=6,
            )
        )
    cu_rows = np.flatnonzero((symbols == "Cu") & shown)
    for row in cu_rows[np.lexsort((depth[cu_rows], ~ghost[cu_rows]))]:
        ax.add_patch(
            Circle(
                xyz[row, :2],
                CU_RADIUS,
                facecolor=CU_COLOUR,
                edgecolor=CU_EDGE,
                linewidth=1.1,
                alpha=GHOST_ALPHA if ghost[row] else 1.0,
                zorder=6.5,
            )
        )

    ax.set_xlim(-radius, radius)
    ax.set_ylim(-radius, radius)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    return view


def model_title(atoms: Atoms, name: str = "") -> str:
    """``"<model>  (class <class>)"`` from the structure's ``info``."""
    name = name or str(atoms.info.get("model", ""))
    cls = atoms.info.get("ring_class")
    return f"{name}  (class {cls})" if cls not in (None, "") else name


def legend_handles(ring_labels: Iterable[str] = (), second_al_ring: bool = False) -> list:
    """Legend entries of the pictures (atoms, bonds, the given ring classes and, with
    ``second_al_ring``, the dashed ring of a second Al)."""

    def dot(colour, edge, size, label):
        return Line2D(
            [], [], linestyle="", marker="o", markersize=size, markerfacecolor=colour, markeredgecolor=edge, label=label
        )

    handles = [
        Line2D([], [], color=STICK_COLOUR, lw=0.9, label="T-O-T framework (paler = farther)"),
        dot(SI_COLOUR, SI_COLOUR, 4, "Si"),
        dot(AL_COLOUR, AL_EDGE, 7, "Al"),
        dot(CU_COLOUR, CU_EDGE, 11, "Cu"),
        dot(O_COLOUR, O_EDGE, 7, "O (extra-framework)"),
        dot(O_FRAMEWORK_COLOUR, O_EDGE, 5, "O (framework, bonded to Cu)"),
        Line2D([], [], color=BOND_COLOUR, lw=2.0, label=f"Cu-O < {CU_O_BOND} \u00c5"),
    ]
    for label in dict.fromkeys(ring_labels):
        handles.append(Line2D([], [], color=ring_colour(label), lw=3.2, label=f"{label} ring"))
    if second_al_ring:
        handles.append(Line2D([], [], color="0.4", lw=2.2, linestyle=(0, (3, 1.5)), label="ring of the second Al"))
    return handles


def plot_model(
    atoms: Atoms,
    paths: Iterable[str | os.PathLike],
    rings: Ring | Sequence[Ring] | None = None,
    title: str | None = None,
) -> CentreView:
    """One model's Cu centre (title: model name and class), saved to every path."""
    fig = Figure(figsize=(4.2, 4.9))
    ax = fig.add_axes((0.02, 0.2, 0.96, 0.74))
    view = draw_centre(atoms, ax, rings, model_title(atoms) if title is None else title)
    handles = legend_handles(dict.fromkeys(r.label for r, _ in view.rings), len(view.rings) > 1)
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=7, frameon=False, bbox_to_anchor=(0.5, 0.0))
    _save(fig, paths)
    return view


def plot_model_panel(structures: Sequence[tuple], paths, ncols: int = 7) -> None:
    """All models in one panel (Figs. 2 and 3 of the paper, extended to every model).

    ``structures`` holds ``(name, atoms)`` or ``(name, atoms, rings)`` per model
    (``rings`` as for :func:`draw_centre`); one legend for the whole panel.
    """
    ncols = max(1, min(ncols, len(structures)))
    nrows = int(np.ceil(len(structures) / ncols))
    legend_rows = 2
    fig = Figure(figsize=(2.35 * ncols, 2.5 * nrows + 0.35 * legend_rows + 0.3))
    bottom = (0.35 * legend_rows + 0.25) / fig.get_figheight()
    grid = fig.add_gridspec(nrows, ncols, left=0.005, right=0.995, top=0.975, bottom=bottom, wspace=0.04, hspace=0.16)
    labels, second = [], False
    for k, entry in enumerate(structures):
        name, atoms = entry[0], entry[1]
        rings = entry[2] if len(entry) > 2 else None
        view = draw_centre(atoms, fig.add_subplot(grid[k // ncols, k % ncols]), rings, model_title(atoms, name))
        labels += [r.label for r, _ in view.rings]
        second |= len(view.rings) > 1
    order = sorted(set(labels), key=lambda s: [-int(x) for x in s.split(".")])
    handles = legend_handles(order, second)
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=int(np.ceil(len(handles) / legend_rows)),
        fontsize=9,
        frameon=False,
        bbox_to_anchor=(0.5, 0.005),
        title="view down the normal of the ring holding the Cu, centred on the Cu; "
        f"all panels to one scale ({2 * VIEW_RADIUS:g} \u00c5 across)",
        title_fontsize=9,
    )
    _save(fig, paths)


def _save(fig: Figure, paths) -> None:
    for path in paths:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=150)
