"""FEFF10 Cu K-edge XANES engine (through the ``feff10`` Python bindings).

Pipeline per absorber: :func:`cumor.engines.base.cluster_around` cuts a
sphere out of the structure, :func:`feff_input` writes ``feff.inp``,
``feff10.run`` executes the FEFF10 modules, and ``xmu.dat`` is parsed into an
:class:`~cumor.engines.base.AbsorberSpectrum` (absolute energy ``omega`` and
``mu``).

Facts about ``feff10`` (feff10-rs 0.2.4) this module relies on:

* ``feff10.run(input, work_dir)`` runs every FEFF stage in a fresh Python
  worker process; FEFF itself reports "FEFF-serial using 1 thread", so one
  calculation keeps one core busy.
* The bindings hold a process-wide lock: two ``feff10.run`` calls in threads
  of one process run one after the other.  FEFF also prints its progress to
  the inherited stdout.  :meth:`FeffEngine.compute` therefore calls
  ``feff10.run`` in a child Python process whose output goes to
  ``feff.log`` in the work directory: concurrent jobs (threads or
  processes) run truly in parallel and keep their logs apart.
* ``xmu.dat`` columns are ``omega e k mu mu0 chi``: absolute photon energy
  (eV), energy relative to the edge, photoelectron k, mu, embedded-atom
  mu0, and chi.  ``mu`` is already divided by the atomic edge jump.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers

from cumor.calibration import Calibration
from cumor.engines.child_process import kill_process_group, log_tail
from cumor.engines.base import AbsorberSpectrum, EngineError, SpectrumEngine, cluster_around

__all__ = ["FeffEngine", "feff_input", "resolve_settings", "parse_xmu", "DEFAULT_SETTINGS"]

#: Default settings.  Energies of the EGRID are relative to FEFF's Fermi
#: level, which lies ~1-3 eV below the E0 of :func:`cumor.normalise.edge_energy`.
DEFAULT_SETTINGS: dict = {
    # Cluster and potentials
    "cluster_radius": 6.0,  # Angstrom; ~40-50 atoms in MOR, 65 in dense Cu2O
    "fms_radius": None,  # None -> the whole cluster (plus a tiny margin)
    "scf_radius": None,  # None -> overlapped atomic potentials (no SCF)
    # SCF card "SCF rfms1 lfms1 nscmt ca": with FEFF's own mixing ca = 0.2 the SCF
    # of a Cu-MOR cluster oscillates ("Found bad counts") and stops in pot with
    # "Cannot determine Norman radius"; ca = 0.05 converges in ~17 iterations.
    "scf_iterations": 30,  # nscmt, largest number of SCF iterations
    "scf_mixing": 0.05,  # ca, Broyden mixing of the new density (FEFF default 0.2)
    "core_hole": "RPA",  # RPA | FSR | none
    "exchange": "HL",  # HL (Hedin-Lundqvist, EXCHANGE 0) | DH (Dirac-Hara, 1)
    "vr0": 0.0,  # eV, constant real shift of the self-energy
    "vi0": 0.0,  # eV, extra constant broadening (imaginary part)
    "s02": 1.0,
    # Energy grid (EGRID card): coarse below the edge, where FEFF's mu is a
    # featureless Lorentzian tail; 0.5 eV across the edge (finer than the
    # 1.7 eV Cu 1s core-hole width); uniform in k above, like EXAFS grids.
    "egrid_start": -40.0,  # eV; covers E0-30 eV with margin
    "egrid_pre_step": 3.0,
    "egrid_fine_start": -10.0,
    "egrid_fine_stop": 25.0,
    "egrid_fine_step": 0.5,
    "xanes_kmax": 5.7,  # 1/Angstrom; 5.7 -> ~124 eV above the Fermi level
    "xanes_kstep": 0.06,  # 1/Angstrom; 1.2-2.6 eV steps from 25 to 124 eV
    # Execution
    "timeout": 3600.0,  # seconds per FEFF run; None -> no limit
    # Theory-experiment calibration applied to the raw spectrum before alignment
    # (cumor.calibration; energy_offset, gaussian_fwhm, ...); None -> none.
    "calibration": None,
}

#: hbar^2 / 2m_e in eV*Angstrom^2: E = 3.81 k^2.
_HBAR2_2M = 3.80998

_CORE_HOLES = {"rpa": "RPA", "fsr": "FSR", "none": "NONE"}
_EXCHANGES = {"hl": 0, "dh": 1}

#: Margin (Angstrom) added to the default FMS radius: atoms exactly on the
#: cluster boundary must stay inside FEFF's FMS sphere despite the 5-decimal
#: rounding of coordinates in feff.inp.
_FMS_MARGIN = 0.01

#: Child-process program: run FEFF in the current directory and record the
#: per-stage timings.  Kept tiny; errors surface as a traceback in feff.log
#: and a non-zero exit status.
_RUNNER = """
import json, feff10
result = feff10.run("feff.inp", ".")
stages = {s.stage.executable_name: s.duration_secs for s in result.stages}
with open("feff_stages.json", "w") as fh:
    json.dump(stages, fh)
"""

LOG_NAME = "feff.log"
XMU_NAME = "xmu.dat"
STAGES_NAME = "feff_stages.json"


def resolve_settings(settings: dict | None) -> dict:
    """Defaults merged with ``settings``, validated and normalised.

    Parameters
    ----------
    settings : dict or None
        Keys of :data:`DEFAULT_SETTINGS`; missing keys take the default.

    Returns
    -------
    dict
        Complete settings; ``core_hole`` and ``exchange`` upper-cased and
        ``fms_radius`` filled in.

    Raises
    ------
    ValueError
        On unknown keys (typos would otherwise be ignored silently) or
        invalid values.
    """
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(DEFAULT_SETTINGS))
    if unknown:
        raise ValueError(
            f"unknown FEFF setting(s) {unknown}; known: {sorted(DEFAULT_SETTINGS)}"
        )
    resolved = {**DEFAULT_SETTINGS, **settings}

    core_hole = str(resolved["core_hole"]).lower()
    if core_hole not in _CORE_HOLES:
        raise ValueError(f"core_hole must be one of RPA, FSR, none; got {resolved['core_hole']!r}")
    resolved["core_hole"] = _CORE_HOLES[core_hole]
    exchange = str(resolved["exchange"]).lower()
    if exchange not in _EXCHANGES:
        raise ValueError(f"exchange must be HL or DH, got {resolved['exchange']!r}")
    resolved["exchange"] = exchange.upper()

    radius = float(resolved["cluster_radius"])
    if not radius > 0:
        raise ValueError(f"cluster_radius must be positive, got {radius}")
    if resolved["fms_radius"] is None:
        resolved["fms_radius"] = radius + _FMS_MARGIN
    for key in ("fms_radius", "scf_radius"):
        if resolved[key] is not None and not float(resolved[key]) > 0:
            raise ValueError(f"{key} must be positive or None, got {resolved[key]}")

    if not (
        resolved["egrid_start"] < resolved["egrid_fine_start"] < resolved["egrid_fine_stop"]
    ):
        raise ValueError("need egrid_start < egrid_fine_start < egrid_fine_stop")
    iterations = resolved["scf_iterations"]
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"scf_iterations must be a positive integer, got {iterations!r}")
    if not 0 < float(resolved["scf_mixing"]) <= 1:
        raise ValueError(f"scf_mixing must be in (0, 1], got {resolved['scf_mixing']}")
    for key in ("egrid_pre_step", "egrid_fine_step", "xanes_kstep", "s02"):
        if not float(resolved[key]) > 0:
            raise ValueError(f"{key} must be positive, got {resolved[key]}")
    k_fine_stop = np.sqrt(resolved["egrid_fine_stop"] / _HBAR2_2M)
    if not resolved["xanes_kmax"] > k_fine_stop:
        raise ValueError(
            f"xanes_kmax={resolved['xanes_kmax']} must exceed k={k_fine_stop:.2f}/A "
            f"of egrid_fine_stop"
        )
    if resolved["timeout"] is not None and not float(resolved["timeout"]) > 0:
        raise ValueError(f"timeout must be positive or None, got {resolved['timeout']}")
    Calibration.from_settings(resolved["calibration"])  # raises on a bad calibration
    return resolved



def _potential_types(cluster: Atoms) -> dict[str, int]:
    """Map element symbol -> FEFF ipot for the scatterers of a cluster.

    One potential per element present among the scatterers, numbered 1, 2,
    ... in order of atomic number (deterministic across clusters of the same
    composition).  The absorber (cluster atom 0) always gets ipot 0 and is
    not in this map.  FEFF rejects potential types without atoms, so only
    elements actually present get one.

    Parameters
    ----------
    cluster : ase.Atoms
        Cluster with the absorber first.

    Returns
    -------
    dict
        ``{symbol: ipot}``.
    """
    symbols = sorted(set(cluster.get_chemical_symbols()[1:]), key=atomic_numbers.get)
    return {symbol: ipot for ipot, symbol in enumerate(symbols, start=1)}


def _egrid_lines(s: dict) -> list[str]:
    """EGRID card (written to FEFF's grid.inp); energies relative to E_Fermi.

    Parameters
    ----------
    s : dict
        Resolved settings.

    Returns
    -------
    list of str
    """
    return [
        "EGRID",
        f"e_grid {s['egrid_start']:g} {s['egrid_fine_start']:g} {s['egrid_pre_step']:g}",
        f"e_grid last {s['egrid_fine_stop']:g} {s['egrid_fine_step']:g}",
        f"k_grid last {s['xanes_kmax']:g} {s['xanes_kstep']:g}",
    ]


def feff_input(cluster: Atoms, settings: dict, title: str = "") -> str:
    """Complete ``feff.inp`` for Cu K-edge XANES of a cluster.

    Cards: TITLE, EDGE K, S02, CONTROL (all modules), PRINT (minimal),
    EXCHANGE, COREHOLE, SCF (only when ``scf_radius`` is set; with
    ``scf_iterations`` and ``scf_mixing``), FMS, XANES,
    EGRID, POTENTIALS (absorber ipot 0, then one ipot per element), ATOMS.

    Parameters
    ----------
    cluster : ase.Atoms
        Cluster whose atom 0 is the absorber, e.g. from
        :func:`cumor.engines.base.cluster_around`.  Coordinates are written
        relative to atom 0, so the absorber is at the origin.
    settings : dict
        FEFF settings (see :data:`DEFAULT_SETTINGS`); missing keys take
        defaults.
    title : str, optional
        Free text for the TITLE card (newlines are replaced).

    Returns
    -------
    str
        The file content, ending with ``END`` and a newline.

    Raises
    ------
    ValueError
        For an empty cluster or invalid settings.
    """
    if len(cluster) == 0:
        raise ValueError("cluster is empty")
    s = resolve_settings(settings)
    ipots = _potential_types(cluster)
    absorber_symbol = cluster.get_chemical_symbols()[0]

    title_text = " ".join(str(title).split()) or f"{absorber_symbol} K-edge XANES"
    lines = [
        f"TITLE {title_text[:70]}",  # FEFF keeps ~75 characters per title line
        "",
        "EDGE K",
        f"S02 {s['s02']:g}",
        "CONTROL 1 1 1 1 1 1",
        "PRINT 0 0 0 0 0 0",
        "",
        # FEFF reads vr0 and vi0 unconditionally, so they are always written.
        f"EXCHANGE {_EXCHANGES[s['exchange'].lower()]} {s['vr0']:g} {s['vi0']:g}",
        f"COREHOLE {s['core_hole']}",
    ]
    if s["scf_radius"] is not None:
        # rfms1, lfms1 (0 = cluster, not crystal), nscmt, ca
        lines.append(
            f"SCF {float(s['scf_radius']):g} 0 {s['scf_iterations']:d} {float(s['scf_mixing']):g}"
        )
    lines += [
        f"FMS {float(s['fms_radius']):g}",
        f"XANES {s['xanes_kmax']:g} {s['xanes_kstep']:g}",
        *_egrid_lines(s),
        "",
        "POTENTIALS",
        "*  ipot   Z  tag",
        f"   0  {atomic_numbers[absorber_symbol]:3d}  {absorber_symbol}",
    ]
    for symbol, ipot in ipots.items():
        lines.append(f"   {ipot}  {atomic_numbers[symbol]:3d}  {symbol}")

    lines += ["", "ATOMS", "*        x           y           z   ipot tag   distance"]
    positions = cluster.get_positions() - cluster.get_positions()[0]
    distances = np.linalg.norm(positions, axis=1)
    for i, (symbol, xyz, dist) in enumerate(
        zip(cluster.get_chemical_symbols(), positions, distances)
    ):
        ipot = 0 if i == 0 else ipots[symbol]
        x, y, z = xyz
        lines.append(f"{x:11.5f} {y:11.5f} {z:11.5f}  {ipot:3d}  {symbol:<3s} {dist:9.5f}")
    lines += ["END", ""]
    return "\n".join(lines)


def parse_xmu(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Absolute energy and mu from a FEFF ``xmu.dat``.

    The column layout is read from the last header line
    (``#  omega    e    k    mu    mu0     chi``) rather than assumed, so a
    changed layout fails loudly instead of returning the wrong column.

    Parameters
    ----------
    path : pathlib.Path
        The ``xmu.dat`` file.

    Returns
    -------
    energy, mu : numpy.ndarray
        ``omega`` (eV) and ``mu``.

    Raises
    ------
    ValueError
        If the header lacks omega/mu columns, or the data are empty or
        not finite.
    """
    lines = Path(path).read_text().splitlines()
    header = [line for line in lines if line.startswith("#")]
    rows = [line for line in lines if line.strip() and not line.startswith("#")]
    names = header[-1].lstrip("#").split() if header else []
    if "omega" not in names or "mu" not in names:
        raise ValueError(f"{path}: no 'omega ... mu' column header found")
    if not rows:
        raise ValueError(f"{path} contains no data rows")
    data = np.loadtxt(rows, ndmin=2)
    energy, mu = data[:, names.index("omega")], data[:, names.index("mu")]
    if not (np.all(np.isfinite(energy)) and np.all(np.isfinite(mu))):
        raise ValueError(f"{path} contains non-finite values")
    return energy, mu


def _child_environment() -> dict:
    """Environment for the FEFF child: pinned to one thread per process.

    FEFF10 reports running serially, but its statically linked MKL/OpenMP
    runtime would otherwise be free to start threads; the workflow runs
    many jobs side by side on few cores.
    """
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    return env


def run_feff(workdir: Path, timeout: float | None) -> dict:
    """Run ``feff10.run`` on ``workdir/feff.inp`` in a child process.

    The child is the current interpreter; its stdout/stderr (FEFF's
    progress chatter, or a traceback) go to ``workdir/feff.log``.  It runs
    in its own session so that on timeout the whole process group (the
    child and the per-stage feff10 workers it started) is killed.

    Parameters
    ----------
    workdir : pathlib.Path
        Directory holding ``feff.inp``.
    timeout : float or None
        Seconds before the run is killed.

    Returns
    -------
    dict
        Per-stage wall times in seconds, ``{stage_name: seconds}``.

    Raises
    ------
    EngineError
        If the child fails or times out.
    """
    log_path = workdir / LOG_NAME
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", _RUNNER],
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_child_environment(),
            start_new_session=True,
        )
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_process_group(proc)
            raise EngineError(f"FEFF timed out after {timeout} s", workdir, log_path) from None
        except BaseException:
            # e.g. KeyboardInterrupt: do not leave FEFF running behind us.
            kill_process_group(proc)
            raise
    if returncode != 0:
        raise EngineError(
            f"FEFF failed (exit status {returncode}):\n{log_tail(log_path)}",
            workdir,
            log_path,
        )
    try:
        return json.loads((workdir / STAGES_NAME).read_text())
    except (OSError, ValueError):
        return {}


class FeffEngine(SpectrumEngine):
    """Cu K-edge XANES with FEFF10 full multiple scattering.

    Parameters
    ----------
    settings : dict, optional
        See :data:`DEFAULT_SETTINGS`; validated at construction so that a
        bad configuration fails before any calculation starts.
    """

    name = "feff"

    def __init__(self, settings: dict | None = None):
        self.settings = resolve_settings(settings)

    def compute(self, atoms: Atoms, absorber: int, workdir: Path) -> AbsorberSpectrum:
        """Spectrum of atom ``absorber``; see :meth:`SpectrumEngine.compute`.

        Files left in ``workdir``: ``feff.inp``, FEFF's outputs (``xmu.dat``,
        ``log.dat`` ...), ``feff.log`` (captured stdout/stderr) and
        ``feff_stages.json`` (per-stage seconds).
        """
        start = time.perf_counter()
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        xmu_path = workdir / XMU_NAME
        # Stale results from an earlier run must never pass as this run's.
        xmu_path.unlink(missing_ok=True)
        (workdir / STAGES_NAME).unlink(missing_ok=True)

        cluster = cluster_around(atoms, absorber, self.settings["cluster_radius"])
        title = f"{atoms.get_chemical_formula()} absorber {absorber}"
        (workdir / "feff.inp").write_text(feff_input(cluster, self.settings, title))

        stages = run_feff(workdir, self.settings["timeout"])
        if not xmu_path.exists():
            raise EngineError(
                f"FEFF produced no {XMU_NAME}:\n{log_tail(workdir / LOG_NAME)}",
                workdir,
                workdir / LOG_NAME,
            )
        try:
            energy, mu = parse_xmu(xmu_path)
        except ValueError as exc:
            raise EngineError(f"unusable FEFF output: {exc}", workdir, workdir / LOG_NAME) from exc

        return AbsorberSpectrum(
            energy=energy,
            mu=mu,
            absorber=int(absorber),
            seconds=time.perf_counter() - start,
            meta={
                "engine": self.name,
                "n_atoms": len(cluster),
                "settings": dict(self.settings),
                "stage_seconds": stages,
                "workdir": str(workdir),
            },
        )
