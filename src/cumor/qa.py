"""Quality checks of relaxed structures: is the model still the model it claims to be?

Flags are reported, never used to drop a structure silently: the data set keeps every
structure and the QA table says which ones a user may want to exclude.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from ase import Atoms
from ase.neighborlist import neighbor_list

from cumor.framework import T_ELEMENTS

#: T-O bond cut-off (A) for the "framework intact" check.
T_O_BOND = 1.9
#: Largest accepted change of the Cu-Al distance (A) before the structure is flagged.
CU_AL_TOLERANCE = 0.05
#: A Cu counts as coordinated with at least MIN_O_NEIGHBOURS O within CU_O_BOND (A) and
#: no Si/Al closer than MIN_CU_T (A): measured Cu-O in Cu-zeolites is 1.95-2.05 A for
#: 2-3 O (EXAFS, Lamberti et al., J. Phys. Chem. B 101, 344 (1997)); Cu...Al in
#: bidentate Cu+-AlO4 sites is >= 2.4 A (see cumor.models.MIN_CU_AL).
CU_O_BOND = 2.3
MIN_O_NEIGHBOURS = 2
MIN_CU_T = 2.45


def broken_tetrahedra(atoms: Atoms) -> list[int]:
    """Indices of T atoms that do not have exactly four O within ``T_O_BOND``."""
    i, j = neighbor_list("ij", atoms, T_O_BOND)
    symbols = np.array(atoms.get_chemical_symbols())
    t_atoms = np.flatnonzero(np.isin(symbols, T_ELEMENTS))
    o_count = np.bincount(i[symbols[j] == "O"], minlength=len(atoms))
    return [int(t) for t in t_atoms if o_count[t] != 4]


def cu_chemistry(atoms: Atoms) -> list[dict]:
    """First-shell chemistry of every Cu of a structure.

    Returns
    -------
    list of dict
        One per Cu (in ``info['cu_indices']`` order): ``cu`` (index), ``n_o`` (O within
        ``CU_O_BOND``, framework and extra-framework), ``n_o_framework``, ``cu_o_min``,
        ``cu_t_min`` (nearest Si/Al), ``cu_cu_min`` (nan for one Cu), ``cu_o_cu``
        (angles at extra-framework O bridging two Cu within ``CU_O_BOND``, deg) and
        ``coordinated`` (see the module constants).
    """
    symbols = np.array(atoms.get_chemical_symbols())
    cu_indices = [int(i) for i in np.atleast_1d(atoms.info.get("cu_indices", np.flatnonzero(symbols == "Cu")))]
    extra_o = {int(i) for i in np.atleast_1d(atoms.info.get("o_extra_indices", []))}
    is_t = np.isin(symbols, T_ELEMENTS)
    everyone = np.arange(len(atoms))
    rows = []
    for cu in cu_indices:
        d = atoms.get_distances(cu, everyone, mic=True)
        d[cu] = np.inf
        bonded_o = np.flatnonzero((symbols == "O") & (d < CU_O_BOND))
        others = [c for c in cu_indices if c != cu]
        angles = []
        for o in bonded_o:
            if int(o) not in extra_o:
                continue
            for other in others:
                if atoms.get_distance(int(o), other, mic=True) < CU_O_BOND:
                    angles.append(float(atoms.get_angle(cu, int(o), other, mic=True)))
        row = {
            "cu": cu,
            "n_o": int(len(bonded_o)),
            "n_o_framework": int(sum(int(o) not in extra_o for o in bonded_o)),
            "cu_o_min": float(d[symbols == "O"].min()),
            "cu_t_min": float(d[is_t].min()),
            "cu_cu_min": float(d[others].min()) if others else float("nan"),
            "cu_o_cu": sorted(set(round(a, 1) for a in angles)),
        }
        row["coordinated"] = bool(row["n_o"] >= MIN_O_NEIGHBOURS and row["cu_t_min"] >= MIN_CU_T)
        rows.append(row)
    return rows


def chemistry_summary(atoms: Atoms) -> dict:
    """Per-structure summary of :func:`cu_chemistry` (QA table columns)."""
    rows = cu_chemistry(atoms)
    angles = [a for r in rows for a in r["cu_o_cu"]]
    return {
        "n_cu_coordinated": sum(r["coordinated"] for r in rows),
        "n_cu": len(rows),
        "n_o_per_cu": " ".join(str(r["n_o"]) for r in rows),
        "cu_o_min": min(r["cu_o_min"] for r in rows),
        "cu_o_max_first": max(r["cu_o_min"] for r in rows),
        "cu_t_min": min(r["cu_t_min"] for r in rows),
        "cu_cu_min": min((r["cu_cu_min"] for r in rows), default=float("nan")),
        "cu_o_cu": " ".join(f"{a:.1f}" for a in sorted(set(angles))),
    }


def relaxation_qa(initial: Atoms, relaxed: Atoms) -> dict:
    """QA record of one relaxation.

    Parameters
    ----------
    initial, relaxed : ase.Atoms
        The structure before and after relaxation (same atom order; ``info`` as
        written by the ``structure`` and ``relax`` rules).

    Returns
    -------
    dict
        ``structure_id``, model, class, energies, largest displacement, requested and
        final Cu-Al distance, largest Cu movement, broken tetrahedra, and the flags
        ``flag_framework_broken``, ``flag_cu_off_grid`` and ``flag_not_converged``.
    """
    info = relaxed.info
    cu, partner = initial.info.get("grid_pair", [initial.info["cu_indices"][0], initial.info["al_index"]])
    final_cu_al = float(relaxed.get_distance(cu, partner, mic=True))
    cu_move = max(
        float(np.linalg.norm(_mic(relaxed, relaxed.positions[i] - initial.positions[i])))
        for i in initial.info["cu_indices"]
    )
    broken = broken_tetrahedra(relaxed)
    record = {
        "structure_id": f"{info['model']}/{info['point']}",
        "model": info["model"],
        "ring_class": str(info["ring_class"]),
        "cu_al_requested": float(initial.info["cu_al"]),
        "cu_al_final": final_cu_al,
        "cu_max_move": cu_move,
        "energy_initial": float(info.get("relax_energy_initial", np.nan)),
        "energy_final": float(info.get("relax_energy_final", np.nan)),
        "max_displacement": float(info.get("relax_max_displacement", np.nan)),
        "n_steps": int(info.get("relax_n_steps", -1)),
        "converged": bool(info.get("relax_converged", False)),
        "broken_tetrahedra": " ".join(str(t) for t in broken),
    }
    record.update(chemistry_summary(relaxed))
    record["flag_cu_uncoordinated"] = record["n_cu_coordinated"] < record["n_cu"]
    record["flag_off_class"] = not _in_class(relaxed)
    record["flag_framework_broken"] = bool(broken)
    # Cu relax freely except the grid's Cu1-Al1 distance: only that must survive
    record["flag_cu_off_grid"] = bool(abs(final_cu_al - record["cu_al_requested"]) > CU_AL_TOLERANCE)
    record["flag_not_converged"] = not record["converged"]
    record["flagged"] = (
        record["flag_framework_broken"]
        or record["flag_cu_off_grid"]
        or record["flag_not_converged"]
        or record["flag_cu_uncoordinated"]
    )
    return record


def _in_class(atoms: Atoms) -> bool:
    """Whether the Cu centroid sits at a ring or channel of the structure's class."""
    from cumor.models import centre_matches_class, framework_and_rings

    _, rings = framework_and_rings()
    return bool(centre_matches_class(atoms, str(atoms.info["ring_class"]), rings))


def _mic(atoms: Atoms, vector: np.ndarray) -> np.ndarray:
    cell = np.asarray(atoms.cell)
    frac = np.linalg.solve(cell.T, vector)
    return (frac - np.round(frac)) @ cell


def qa_table(records: list[dict]) -> pd.DataFrame:
    """All QA records as one table, flagged rows first."""
    table = pd.DataFrame(records)
    return table.sort_values(["flagged", "structure_id"], ascending=[False, True]).reset_index(drop=True)


def plot_relaxation_qa(table: pd.DataFrame, paths) -> None:
    """QA over the grid: displacement, first-shell Cu-O against EXAFS, coordination.

    Panels per model: largest atomic displacement; shortest and longest first-shell
    Cu-O (the measured 1.95-2.05 A band shaded); fraction of coordinated Cu.
    Flagged structures are marked, never dropped.
    """
    from matplotlib.figure import Figure

    from cumor.atomic_io import atomic_path

    fig = Figure(figsize=(14, 4.2))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    models = sorted(table["model"].unique())
    x = table["model"].map({m: k for k, m in enumerate(models)})
    ok = ~table["flagged"]
    ax1.scatter(x[ok], table["max_displacement"][ok], s=8, label="ok")
    ax1.scatter(x[~ok], table["max_displacement"][~ok], s=14, marker="x", color="red", label="flagged")
    ax1.set_ylabel("largest atomic displacement (A)")
    ax1.legend(fontsize=7)
    ax2.axhspan(1.95, 2.05, color="0.85", label="EXAFS Cu-O, Lamberti 1997")
    ax2.scatter(x, table["cu_o_min"], s=8, label="shortest Cu-O")
    ax2.scatter(x, table["cu_o_max_first"], s=8, marker="^", label="Cu with the longest nearest O")
    ax2.axhline(CU_O_BOND, color="red", lw=0.8, ls="--", label=f"{CU_O_BOND} A (coordinated)")
    ax2.set_ylabel("Cu-O (A)")
    ax2.legend(fontsize=6)
    share = table.groupby("model")[["n_cu_coordinated", "n_cu"]].sum()
    ax3.bar(range(len(models)), (share["n_cu_coordinated"] / share["n_cu"]).reindex(models))
    ax3.axhline(0.95, color="red", lw=0.8, ls="--")
    ax3.set_ylim(0, 1.02)
    ax3.set_ylabel(f">= {MIN_O_NEIGHBOURS} O within {CU_O_BOND} A, no Si/Al within {MIN_CU_T} A")
    for ax in (ax1, ax2, ax3):
        ax.set_xticks(range(len(models)), models, rotation=90, fontsize=6)
    coordinated = int(table["n_cu_coordinated"].sum())
    total = int(table["n_cu"].sum())
    fig.suptitle(
        f"Relaxation QA: {int((~ok).sum())} of {len(table)} structures flagged; "
        f"{coordinated} of {total} Cu ({100 * coordinated / max(total, 1):.1f} %) coordinated"
    )
    for path in paths:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=150, bbox_inches="tight")
