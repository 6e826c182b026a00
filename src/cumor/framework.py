"""The mordenite (MOR) framework built from the IZA crystallographic facts.

The asymmetric unit, cell and space group live in ``cumor/data/mor_iza.json`` with
their citation (Baerlocher & McCusker, Database of Zeolite Structures). ASE's
space-group tools expand them to the full Cmcm cell: 144 atoms, Si48O96.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list
from ase.spacegroup import crystal

#: T-O bond cut-off (A) used to build the T-O-T graph; T-O in MOR is ~1.6 A and the
#: next O is beyond 2.6 A, so 1.8 A is unambiguous (also for Al-O ~1.75 A).
T_O_CUTOFF = 1.9
T_ELEMENTS = ("Si", "Al")


@lru_cache(maxsize=1)
def framework_facts() -> dict:
    """Return the crystallographic facts of MOR (cell, sites, channels, citation)."""
    text = resources.files("cumor.data").joinpath("mor_iza.json").read_text()
    return json.loads(text)


def build_mor_framework() -> Atoms:
    """Build the pure-silica MOR unit cell.

    Returns
    -------
    ase.Atoms
        144 atoms (Si48O96), periodic, Cmcm cell a=18.256, b=20.534, c=7.542 A.
        ``atoms.arrays['site']`` holds the crystallographic label (T1..T4, O1..O10)
        of every atom, so models can name T sites.
    """
    facts = framework_facts()
    cell = facts["cell"]
    sites = facts["sites"]
    atoms = crystal(
        symbols=[s["element"] for s in sites],
        basis=[s["frac"] for s in sites],
        spacegroup=facts["spacegroup"],
        cellpar=[cell[k] for k in ("a", "b", "c", "alpha", "beta", "gamma")],
        primitive_cell=False,
        onduplicates="error",
    )
    labels = np.array([sites[k]["label"] for k in atoms.get_array("spacegroup_kinds")])
    atoms.set_array("site", labels)
    atoms.info["framework"] = facts["name"]
    return atoms


def t_indices(atoms: Atoms) -> np.ndarray:
    """Indices of tetrahedral (Si or Al) atoms."""
    return np.flatnonzero(np.isin(atoms.get_chemical_symbols(), T_ELEMENTS))


def t_o_t_edges(atoms: Atoms) -> list[tuple[int, int, int, np.ndarray]]:
    """Edges of the periodic T-O-T graph.

    Returns
    -------
    list of (t_a, o, t_b, shift)
        Two T atoms bridged by oxygen ``o``; ``shift`` is the integer cell offset of
        ``t_b`` relative to ``t_a`` (so the edge vector is
        ``pos[t_b] + shift @ cell - pos[t_a]``). Each edge appears once per direction.
    """
    symbols = np.array(atoms.get_chemical_symbols())
    i, j, shifts = neighbor_list("ijS", atoms, T_O_CUTOFF)
    is_t = np.isin(symbols, T_ELEMENTS)
    mask = is_t[i] & (symbols[j] == "O")
    o_neighbours: dict[int, list[tuple[int, np.ndarray]]] = {}
    for t, o, s in zip(i[mask], j[mask], shifts[mask]):
        # store T as seen from O: T sits at shift -s relative to this O image
        o_neighbours.setdefault(int(o), []).append((int(t), -s))
    edges = []
    for o, ts in o_neighbours.items():
        for ta, sa in ts:
            for tb, sb in ts:
                if ta == tb and np.array_equal(sa, sb):
                    continue
                edges.append((ta, o, tb, sb - sa))
    return edges
