"""Pictures of Cu centres in their rings (the paper's Figs. 2 and 3)."""

from __future__ import annotations

import os
from typing import Iterable

import numpy as np
from ase import Atoms
from ase.visualize.plot import plot_atoms
from matplotlib.figure import Figure

from cumor.atomic_io import atomic_path

#: Radius (A) of the cut shown around the Cu centroid.
VIEW_RADIUS = 6.5


def centre_view(atoms: Atoms, radius: float = VIEW_RADIUS) -> Atoms:
    """The atoms within ``radius`` of the Cu centroid, turned so the view looks
    down the axis of least spread of the Cu's nearest framework atoms (the ring
    normal for a Cu in or over a ring)."""
    cu = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Cu"]
    centre = atoms.positions[cu].mean(axis=0)
    cell = np.asarray(atoms.cell)
    frac = np.linalg.solve(cell.T, (atoms.positions - centre).T).T
    rel = (frac - np.round(frac)) @ cell  # minimum-image vectors from the centre
    keep = np.linalg.norm(rel, axis=1) <= radius
    view = Atoms(np.array(atoms.get_chemical_symbols())[keep], positions=rel[keep])
    near = rel[keep][np.argsort(np.linalg.norm(rel[keep], axis=1))[: min(14, keep.sum())]]
    _, _, vt = np.linalg.svd(near - near.mean(axis=0))
    rotation = np.array([vt[0], vt[1], vt[2]])  # rows: new x, y, z (z = view axis)
    if np.linalg.det(rotation) < 0:
        rotation[2] *= -1
    view.positions = view.positions @ rotation.T
    return view


def draw_centre(atoms: Atoms, ax, title: str = "") -> None:
    """Draw a Cu centre on a matplotlib axis (Cu large, framework small)."""
    view = centre_view(atoms)
    radii = [0.55 if s == "Cu" else 0.45 if s == "Al" else 0.3 for s in view.get_chemical_symbols()]
    plot_atoms(view, ax, radii=radii, rotation="0x,0y,0z")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=8)


def plot_model(atoms: Atoms, paths: Iterable[str | os.PathLike], title: str = "") -> None:
    """One model's Cu centre, saved to every path."""
    fig = Figure(figsize=(3.2, 3.2))
    draw_centre(atoms, fig.add_subplot(), title)
    _save(fig, paths)


def plot_model_panel(structures: list[tuple[str, Atoms]], paths, ncols: int = 7) -> None:
    """All models in one panel (Figs. 2 and 3 of the paper, extended to every model)."""
    nrows = int(np.ceil(len(structures) / ncols))
    fig = Figure(figsize=(2.2 * ncols, 2.3 * nrows))
    for k, (name, atoms) in enumerate(structures):
        draw_centre(atoms, fig.add_subplot(nrows, ncols, k + 1), name)
    _save(fig, paths)


def _save(fig: Figure, paths) -> None:
    for path in paths:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=150, bbox_inches="tight")
