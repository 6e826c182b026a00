"""FDMNES Cu K-edge XANES engine (external ``fdmnes`` executable).

FDMNES (Y. Joly, Institut Neel; https://fdmnes.neel.cnrs.fr/) is the code of
the paper.  It is not on any package registry: users install it themselves
and point cumor to it with the config key ``xanes.fdmnes.executable`` or the
environment variable ``FDMNES_BIN`` (:func:`check_fdmnes_available`).

Pipeline per absorber: :func:`cumor.engines.base.cluster_around` cuts a
sphere out of the structure, :func:`fdmnes_input` writes ``in.txt`` (absorber
first, ``Absorber 1``), :func:`run_fdmnes` writes ``fdmfile.txt`` and runs
FDMNES in the work directory, and the spectra are read with
:func:`parse_fdmnes_output` / :func:`parse_fdmnes_conv`.

Physics keywords, checked in the FDMNES source (``lecture.f90`` and
``main.f90`` of the public mirror github.com/gudasergey/fdmnes; the keyword
names are those of the FDMNES User's Guide):

* The paper's "excited state" is FDMNES's excited absorber: a core hole on
  the absorber plus one screening electron on its first non-full valence
  level.  At a K edge this is FDMNES's default (the non-excited absorber is
  the default only for edges from p, d, f core levels such as L2,3, for
  optics and for FLAPW potentials); the keyword ``Excited`` forces it and
  ``Nonexc`` switches it off.  ``Excited`` is written explicitly (setting
  ``excited=True``).  ``Screening`` is deliberately
  *not* written: its default is already 1 electron, and giving the keyword
  also sets ``Charge_free`` (as ``Chlib`` does), which would change the
  calculation.
* The paper's Hedin-Lundqvist potential is FDMNES's default
  exchange-correlation potential: ``lecture.f90`` sets ``Hedin = .true.``
  unless ``Xalpha``, ``Perdew`` or a FLAPW potential is given.  The keyword
  ``Hedin`` is written explicitly anyway.
* The edge (``Edge``, default K) and the convolution parameters (tabulated
  core-hole width plus the energy-dependent arctangent broadening with
  ``Gamma_max`` 15 eV, ``Ecent`` 30 eV, ``Elarg`` 30 eV; states below the
  Fermi level removed) are FDMNES defaults and are not written.

Facts about FDMNES output this module relies on (see the real runs in
``tests/data/fdmnes``):

* ``<filout>.txt`` (one absorber) or ``<filout>_<n>.txt`` (several):
  a header line ``values = E_edge, Z, n_edge, ...``, a column line
  ``Energy <xanes>``, then the energy relative to the edge (eV) and the
  cross-section (Mbarn).  ``E_edge`` is the tabulated edge energy (8979 eV
  for Cu K); ``Epsii`` is FDMNES's computed core level, ~150 eV lower.
* ``<filout>_conv.txt``: the convoluted spectrum, ``Energy <xanes>`` then
  two columns, on the same relative scale.  With several absorbers FDMNES
  shifts each by its core-level difference before summing, so the grid is
  no longer the input grid; the engine always runs one absorber.
* FDMNES stops on input errors with a plain Fortran ``stop`` (exit status
  0) after writing ``fdmnes_error.txt``; :func:`run_fdmnes` therefore checks that file and
  the spectrum files, not only the exit status.
"""

from __future__ import annotations

import math
import numbers
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
from ase import Atoms

from cumor.calibration import Calibration
from cumor.engines.child_process import kill_process_group, log_tail
from cumor.engines.base import AbsorberSpectrum, EngineError, SpectrumEngine, cluster_around

__all__ = [
    "DEFAULT_SETTINGS",
    "FdmnesEngine",
    "KEEP_FILES",
    "check_fdmnes_available",
    "clean_workdir",
    "fdmfile_text",
    "fdmnes_input",
    "parse_fdmnes_conv",
    "parse_fdmnes_output",
    "resolve_settings",
    "run_fdmnes",
]

#: Default settings.
DEFAULT_SETTINGS: dict = {
    # Execution
    "executable": None,  # None -> environment variable FDMNES_BIN
    "mpi_launcher": None,  # e.g. "mpirun -np 4" (string or list) for fdmnes_mpi builds
    "timeout": None,  # seconds per FDMNES run; None -> no limit
    # Method.  The paper used finite differences.  They are expensive:
    # measured 183 s per energy point at a 6 A radius (Adimp 0.5), ~8 h for
    # the 161 points of the default energy_range, so FDM runs belong on a
    # cluster; "green" (multiple scattering on a muffin-tin potential) took
    # 99-107 s per absorber for the same 6 A cluster (cumor.resources).
    "mode": "fdm",  # "fdm" (finite differences) | "green"
    # FDM grid step (A); fdm mode only.  Either one value or FDMNES's
    # energy-dependent form (a1, E1, a2, ..., an): a1 below E1 eV, etc.
    # None = FDM_ADIMP in fdm mode, and nothing in green mode (so one config
    # value, null, suits both modes).
    # Paper: 0.5 A near the edge; Fig. 1b compares 0.5, 0.2 and 0.05 A.
    "adimp": None,
    # FDMNES Overlap: the muffin-tin radii (Rmtg) are (1 + overlap) times their
    # touching value (potential.f90).  None = not written, FDMNES's default 0.1.
    "overlap": None,
    "cluster_radius": 6.0,  # A; FDMNES Radius and the cut of the Molecule block
    # FDMNES Range: start, step, stop[, step, stop ...] in eV relative to the edge.
    # FDMNES's zero lies ~8-11 eV below the E0 the workflow finds (measured with the
    # derivative maximum; the 0.3 step crossing of cumor.normalise.edge_energy is
    # ~0.5-1 eV lower),
    # so the range runs to +90 eV to cover the default grid E0-15 ... E0+60 eV;
    # 1 eV steps above +30 eV keep the cost down where features are broad.
    "energy_range": (-20.0, 0.5, 30.0, 1.0, 90.0),
    "scf": False,  # True -> keyword SCF (self-consistent potential)
    "excited": True,  # True -> Excited (core hole, K-edge default); False -> Nonexc
    "convolution": True,  # True -> Convolution; compute() then returns <filout>_conv.txt
    # Theory-experiment calibration applied to the parsed spectrum before alignment
    # (cumor.calibration); None -> none (not fitted for FDMNES).
    "calibration": None,
}

#: Finite-difference grid step (A) of mode "fdm" when ``adimp`` is None: the paper's.
FDM_ADIMP = 0.5

#: Environment variable naming the FDMNES executable when the setting is None.
ENV_VAR = "FDMNES_BIN"

INPUT_NAME = "in.txt"
FDMFILE_NAME = "fdmfile.txt"
LOG_NAME = "fdmnes.log"
ERROR_NAME = "fdmnes_error.txt"
#: ``Filout`` of the engine's runs: spectra are ``cumor.txt`` / ``cumor_conv.txt``.
FILOUT = "cumor"
#: FDMNES's own default ``Filout`` (main.f90), used when an input has none.
_FDMNES_DEFAULT_FILOUT = "fdmnes_out"
#: FDMNES stores file names in ``character(len=132)`` variables.
_MAX_NAME = 132

_MODES = ("fdm", "green")

_HOW_TO = (
    "FDMNES is an external program that cumor does not install "
    "(download: https://fdmnes.neel.cnrs.fr/). Point cumor to the executable with the "
    "config key `xanes.fdmnes.executable` (e.g. /opt/fdmnes/fdmnes_linux64) or the "
    f"environment variable {ENV_VAR}; a bare name is looked up on PATH."
)


# ------------------------------------------------------------------ settings


def _is_number(value) -> bool:
    """True for real numbers, False for bools (YAML ``yes`` is not 1.0)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _check_bool(key: str, value) -> bool:
    """A strict boolean: the string "false" must not pass as true."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{key} must be true or false, got {value!r}")
    return bool(value)


def _check_positive(key: str, value) -> float:
    """A finite number > 0."""
    if not (_is_number(value) and math.isfinite(value) and value > 0):
        raise ValueError(f"{key} must be a positive number, got {value!r}")
    return float(value)


def _number_sequence(key: str, value) -> tuple[float, ...]:
    """Finite numbers of a list/tuple/array, as floats."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{key} must be a sequence of numbers, got {value!r}")
    items = tuple(value)
    if not all(_is_number(v) and math.isfinite(v) for v in items):
        raise ValueError(f"{key} must contain finite numbers only, got {value!r}")
    return tuple(float(v) for v in items)


def _check_energy_range(value) -> tuple[float, ...]:
    """FDMNES ``Range``: E0 step1 E1 [step2 E2 ...]; odd length, steps > 0."""
    values = _number_sequence("energy_range", value)
    if len(values) < 3 or len(values) % 2 == 0:
        raise ValueError(
            f"energy_range must be (start, step, stop[, step, stop ...]) with an odd "
            f"number >= 3 of values, got {value!r}"
        )
    steps, bounds = values[1::2], values[0::2]
    if not all(step > 0 for step in steps):
        raise ValueError(f"energy_range steps must be positive, got {value!r}")
    if not all(a < b for a, b in zip(bounds, bounds[1:])):
        raise ValueError(f"energy_range boundaries must increase, got {value!r}")
    return values


def _check_adimp(value) -> float | tuple[float, ...]:
    """FDMNES ``Adimp``: one step, or (a1, E1, a2, ..., an) with E increasing."""
    if _is_number(value):
        return _check_positive("adimp", value)
    values = _number_sequence("adimp", value)
    if len(values) % 2 == 0:
        raise ValueError(f"adimp must be a number or (a1, E1, a2, ..., an), got {value!r}")
    if not all(step > 0 for step in values[0::2]):
        raise ValueError(f"adimp grid steps must be positive, got {value!r}")
    energies = values[1::2]
    if not all(a < b for a, b in zip(energies, energies[1:])):
        # FDMNES stops with "the energy values must be increasing".
        raise ValueError(f"adimp energies must increase, got {value!r}")
    return values if len(values) > 1 else values[0]


def _check_launcher(value) -> tuple[str, ...] | None:
    """MPI launcher as an argument tuple: "mpirun -np 4" -> ("mpirun", "-np", "4")."""
    if value is None:
        return None
    if isinstance(value, str):
        args = tuple(shlex.split(value))
    elif isinstance(value, (list, tuple)):
        args = tuple(value)
    else:
        args = ()
    if not args or not all(isinstance(a, str) and a for a in args):
        raise ValueError(
            f"mpi_launcher must be a command string such as 'mpirun -np 4' or a list "
            f"of non-empty strings, got {value!r}"
        )
    return args


def _check_executable(value) -> str | None:
    """None or a non-empty path/name (existence is checked at run time)."""
    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not (isinstance(value, str) and value.strip()):
        raise ValueError(f"executable must be a path, a program name or null, got {value!r}")
    return value.strip()


def _check_mode_and_adimp(resolved: dict, given: dict) -> None:
    """Normalise ``mode``; ``adimp`` is None in green mode, :data:`FDM_ADIMP`
    in fdm mode unless given.

    An explicit ``adimp`` with ``mode: green`` is an error rather than being
    ignored: an Adimp convergence series (Fig. 1b) run in Green mode would
    otherwise give identical spectra without a word.  ``adimp: None`` is
    the mode's default in both modes, so a config can switch modes by
    ``mode`` alone.
    """
    mode = str(resolved["mode"]).strip().lower()
    if mode not in _MODES:
        raise ValueError(f"mode must be 'fdm' or 'green', got {resolved['mode']!r}")
    resolved["mode"] = mode
    if mode == "green":
        if given.get("adimp") is not None:
            raise ValueError(
                "adimp only applies to mode 'fdm' (finite differences); remove it or set "
                "it to null for mode 'green'"
            )
        resolved["adimp"] = None
    else:
        if resolved["adimp"] is None:
            resolved["adimp"] = FDM_ADIMP
        resolved["adimp"] = _check_adimp(resolved["adimp"])


def _check_overlap(value) -> float | None:
    """None or a finite number >= 0 (FDMNES ``Overlap``)."""
    if value is None:
        return None
    if not (_is_number(value) and math.isfinite(value) and value >= 0):
        raise ValueError(f"overlap must be a number >= 0 or null, got {value!r}")
    return float(value)


def resolve_settings(settings: dict | None) -> dict:
    """Defaults merged with ``settings``, validated and normalised.

    Resolving already resolved settings returns them unchanged.

    Parameters
    ----------
    settings : dict or None
        Keys of :data:`DEFAULT_SETTINGS`; missing keys take the default.

    Returns
    -------
    dict
        Complete settings: ``mode`` lower-case, ``adimp`` None in green
        mode (:data:`FDM_ADIMP` in fdm mode if not given), ``energy_range`` a tuple of floats, ``mpi_launcher`` a tuple
        of arguments or None.

    Raises
    ------
    ValueError
        On unknown keys (typos would otherwise be ignored silently) or
        invalid values; the message names the key.
    """
    given = dict(settings or {})
    unknown = sorted(set(given) - set(DEFAULT_SETTINGS))
    if unknown:
        raise ValueError(
            f"unknown FDMNES setting(s) {unknown}; known: {sorted(DEFAULT_SETTINGS)}"
        )
    resolved = {**DEFAULT_SETTINGS, **given}
    _check_mode_and_adimp(resolved, given)
    resolved["executable"] = _check_executable(resolved["executable"])
    resolved["mpi_launcher"] = _check_launcher(resolved["mpi_launcher"])
    resolved["cluster_radius"] = _check_positive("cluster_radius", resolved["cluster_radius"])
    resolved["energy_range"] = _check_energy_range(resolved["energy_range"])
    resolved["overlap"] = _check_overlap(resolved["overlap"])
    for key in ("scf", "excited", "convolution"):
        resolved[key] = _check_bool(key, resolved[key])
    if resolved["timeout"] is not None:
        resolved["timeout"] = _check_positive("timeout", resolved["timeout"])
    Calibration.from_settings(resolved["calibration"])  # raises on a bad calibration
    return resolved


# -------------------------------------------------------------------- writer


def _fortran_number(value: float) -> str:
    """Short decimal like the fixtures: -15 -> "-15.", 0.5 -> "0.5"."""
    value = float(value)
    if value.is_integer():
        return f"{value:.0f}."
    return f"{value:.10g}"


def _check_filout(filout: str) -> str:
    """One token, short enough for FDMNES's 132-character names with suffixes."""
    if not (isinstance(filout, str) and filout and filout.split() == [filout]):
        raise ValueError(f"filout must be one non-empty word without spaces, got {filout!r}")
    if filout.startswith("!") or len(filout) + len("_conv.txt") > _MAX_NAME:
        raise ValueError(f"filout {filout!r} is not usable as an FDMNES file name")
    return filout


def _check_absorbers(absorbers, n_atoms: int) -> list[int]:
    """1-based, unique indices into the Molecule block."""
    try:
        indices = list(absorbers)
    except TypeError:
        raise ValueError(
            f"absorbers must be a sequence of 1-based indices, got {absorbers!r}"
        ) from None
    valid = all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in indices)
    if not indices or not valid:
        raise ValueError(f"absorbers must be a non-empty list of integers, got {absorbers!r}")
    indices = [int(i) for i in indices]
    if len(set(indices)) != len(indices) or not all(1 <= i <= n_atoms for i in indices):
        raise ValueError(
            f"absorbers must be unique 1-based indices into the {n_atoms} cluster atoms, "
            f"got {indices}"
        )
    return indices


def _method_lines(s: dict) -> list[str]:
    """``Green`` (multiple scattering) or ``Adimp`` (finite differences), then
    ``Overlap`` if set."""
    if s["mode"] == "green":
        lines = ["Green", ""]
    else:
        adimp = s["adimp"] if isinstance(s["adimp"], tuple) else (s["adimp"],)
        lines = ["Adimp", " " + " ".join(_fortran_number(v) for v in adimp), ""]
    if s["overlap"] is not None:
        lines += ["Overlap", f" {_fortran_number(s['overlap'])}", ""]
    return lines


def _physics_lines(s: dict) -> list[str]:
    """SCF, excited absorber and Hedin-Lundqvist (see the module docstring)."""
    lines = ["SCF", ""] if s["scf"] else []
    lines += ["Excited" if s["excited"] else "Nonexc", ""]
    lines += ["Hedin", ""]
    if s["convolution"]:
        lines += ["Convolution", ""]
    return lines


def _molecule_lines(cluster: Atoms) -> list[str]:
    """Molecule block: unit "cell" (Cartesian A) then ``Z x y z`` per atom."""
    lines = ["Molecule", " 1.0 1.0 1.0 90. 90. 90."]
    for z, (x, y, zz) in zip(cluster.numbers, cluster.get_positions()):
        # 5 decimals as in feff.inp: the rounding (<= 5e-6 A) is physically nil.
        lines.append(f" {int(z):3d} {x:10.5f} {y:10.5f} {zz:10.5f}")
    return lines + [""]


def fdmnes_input(
    cluster: Atoms, settings: dict, filout: str = FILOUT, absorbers=(1,)
) -> str:
    """Complete FDMNES input file for the K-edge XANES of a cluster.

    Keywords, in order: ``Filout``, ``Range``, ``Radius``, ``Green`` (green
    mode) or ``Adimp`` (fdm mode), ``Overlap`` (if set), ``Absorber``, ``SCF`` (if set),
    ``Excited`` or ``Nonexc``, ``Hedin``, ``Convolution`` (if set),
    ``Molecule``, ``End`` -- the layout of the real runs in
    ``tests/data/fdmnes`` plus the explicit physics keywords.

    Parameters
    ----------
    cluster : ase.Atoms
        Non-periodic cluster, e.g. from
        :func:`cumor.engines.base.cluster_around` (absorber first, at the
        origin).  All its atoms are written; FDMNES itself limits the
        final-state calculation to ``Radius``.
    settings : dict
        FDMNES settings (see :data:`DEFAULT_SETTINGS`).
    filout : str, optional
        Output prefix: FDMNES writes ``<filout>.txt``, ``<filout>_conv.txt``
        ... in its working directory.
    absorbers : sequence of int, optional
        1-based indices into the Molecule block (default: the first atom).

    Returns
    -------
    str
        The file content, ending with ``End`` and a newline.

    Raises
    ------
    ValueError
        For an empty or periodic cluster, bad absorbers or filout, or
        invalid settings.
    """
    if len(cluster) == 0:
        raise ValueError("cluster is empty")
    if np.any(cluster.pbc):
        raise ValueError("cluster is periodic; FDMNES Molecule needs a finite cluster")
    s = resolve_settings(settings)
    filout = _check_filout(filout)
    indices = _check_absorbers(absorbers, len(cluster))
    lines = [
        "Filout", f" {filout}", "",
        "Range", " " + " ".join(_fortran_number(v) for v in s["energy_range"]), "",
        "Radius", f" {_fortran_number(s['cluster_radius'])}", "",
        *_method_lines(s),
        "Absorber", " " + " ".join(str(i) for i in indices), "",
        *_physics_lines(s),
        *_molecule_lines(cluster),
        "End", "",
    ]
    return "\n".join(lines)


def fdmfile_text(input_name: str) -> str:
    """Content of ``fdmfile.txt``, the file list FDMNES reads at start-up.

    FDMNES (``main.f90``) reads ``fdmfile.txt`` from its working directory:
    the number of input files, then one file name per line (lines starting
    with ``!`` are comments).

    Parameters
    ----------
    input_name : str
        Input file name, relative to the working directory.

    Returns
    -------
    str
        ``"1\\n<input_name>\\n"``.

    Raises
    ------
    ValueError
        If the name is empty, contains whitespace, starts with ``!`` or is
        longer than FDMNES's 132 characters.
    """
    if not (isinstance(input_name, str) and input_name and input_name.split() == [input_name]):
        raise ValueError(f"input file name must be one word without spaces, got {input_name!r}")
    if input_name.startswith("!") or len(input_name) > _MAX_NAME:
        raise ValueError(f"{input_name!r} is not usable as an FDMNES input file name")
    return f"1\n{input_name}\n"


# ------------------------------------------------------------------- parsers


def _to_number(token: str) -> int | float:
    """Fortran number token -> int or float (``1.0D+01`` accepted)."""
    if re.fullmatch(r"[+-]?\d+", token):
        return int(token)
    return float(token.replace("D", "E").replace("d", "e"))


def _non_empty_lines(path: Path) -> list[str]:
    """Lines with content; a clear error for an empty file."""
    lines = [line for line in Path(path).read_text(errors="replace").splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"{path} is empty")
    return lines


def _parse_header(line: str, path: Path) -> dict:
    """``values = name1, name2, ...`` -> ``{name: value}``."""
    if "=" not in line:
        raise ValueError(f"{path}: first line is not an FDMNES header '... = E_edge, Z, ...'")
    values_text, names_text = line.split("=", 1)
    names = [name.strip() for name in names_text.split(",")]
    try:
        values = [_to_number(token) for token in values_text.split()]
    except ValueError:
        raise ValueError(f"{path}: non-numeric value in the header line") from None
    if len(values) != len(names) or "E_edge" not in names:
        raise ValueError(
            f"{path}: header has {len(values)} values for {len(names)} names "
            f"(need E_edge among them)"
        )
    return dict(zip(names, values))


def _parse_row(line: str, k: int, n_columns: int, path: Path) -> list[float]:
    """Numbers of data row ``k`` (1-based), which must have ``n_columns``."""
    try:
        row = [_to_number(token) for token in line.split()]
    except ValueError:
        raise ValueError(f"{path}: non-numeric data in row {k}: {line.strip()!r}") from None
    if len(row) != n_columns:
        raise ValueError(f"{path}: data row {k} has {len(row)} columns, expected {n_columns}")
    return row


def _parse_table(lines: list[str], path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``Energy <xanes> ...`` column line plus rows -> energy, <xanes>.

    The ``<xanes>`` column is found by name: with polarisations FDMNES adds
    columns and ``<xanes>`` is their average.
    """
    names = lines[0].split() if lines else []
    if not names or names[0] != "Energy" or "<xanes>" not in names:
        raise ValueError(f"{path}: no 'Energy <xanes>' column line")
    column = names.index("<xanes>")
    rows = [_parse_row(line, k, len(names), path) for k, line in enumerate(lines[1:], 1)]
    if len(rows) < 2:
        raise ValueError(f"{path} contains fewer than 2 data rows")
    data = np.asarray(rows, dtype=float)
    energy, mu = data[:, 0], data[:, column]
    if not (np.all(np.isfinite(energy)) and np.all(np.isfinite(mu))):
        raise ValueError(f"{path} contains non-finite values")
    if not np.all(np.diff(energy) > 0):
        raise ValueError(f"{path}: energies are not strictly increasing")
    return energy, mu


def parse_fdmnes_output(path) -> tuple[np.ndarray, np.ndarray, dict]:
    """Unconvoluted spectrum of one absorber (``<filout>.txt``, ``<filout>_<n>.txt``).

    Parameters
    ----------
    path : path-like
        The output file.

    Returns
    -------
    energy_rel_edge : numpy.ndarray
        Energies relative to the edge (eV); the absolute photon energy is
        ``header["E_edge"] + energy_rel_edge``.
    mu : numpy.ndarray
        The ``<xanes>`` cross-section (Mbarn).
    header : dict
        First-line parameters by name, e.g. ``E_edge`` (tabulated edge
        energy, eV), ``Z``, ``n_edge``, ``Epsii`` (computed core level, eV),
        ``E_cut`` (Fermi level on the relative scale; ``E_Fermi`` in newer
        FDMNES).  Integers stay int.

    Raises
    ------
    ValueError
        For an empty or malformed file; the message names the file.
    """
    path = Path(path)
    lines = _non_empty_lines(path)
    header = _parse_header(lines[0], path)
    energy, mu = _parse_table(lines[1:], path)
    return energy, mu, header


def parse_fdmnes_conv(path) -> tuple[np.ndarray, np.ndarray]:
    """Convoluted spectrum (``<filout>_conv.txt``).

    Parameters
    ----------
    path : path-like
        The ``_conv.txt`` file.

    Returns
    -------
    energy : numpy.ndarray
        Energies relative to the edge (eV), as in ``<filout>.txt``.  With
        several absorbers FDMNES merges their shifted grids, so the steps
        need not be uniform.
    mu : numpy.ndarray
        Convoluted ``<xanes>`` cross-section.

    Raises
    ------
    ValueError
        For an empty or malformed file; the message names the file.
    """
    path = Path(path)
    return _parse_table(_non_empty_lines(path), path)


# -------------------------------------------------------------------- runner


def _resolve_executable(value: str | None) -> str:
    """Path of the FDMNES executable from the setting or ``$FDMNES_BIN``."""
    source = "setting 'executable'"
    if value is None:
        value, source = os.environ.get(ENV_VAR, "").strip(), f"environment variable {ENV_VAR}"
    if not value:
        raise EngineError(f"no FDMNES executable configured. {_HOW_TO}")
    expanded = os.path.expanduser(value)
    if os.path.dirname(expanded) == "":
        found = shutil.which(expanded)
        if found is None:
            raise EngineError(f"FDMNES executable {value!r} ({source}) is not on PATH. {_HOW_TO}")
        return os.path.abspath(found)  # FDMNES runs in the work directory
    if not os.path.isfile(expanded):
        raise EngineError(f"FDMNES executable {value!r} ({source}) is not a file. {_HOW_TO}")
    if not os.access(expanded, os.X_OK):
        raise EngineError(
            f"FDMNES executable {value!r} ({source}) is not executable (chmod +x?). {_HOW_TO}"
        )
    return os.path.abspath(expanded)


def check_fdmnes_available(settings: dict | None = None) -> str:
    """Path of the FDMNES executable, so a workflow can fail before any job.

    Parameters
    ----------
    settings : dict, optional
        FDMNES settings; ``executable`` None means ``$FDMNES_BIN``.

    Returns
    -------
    str
        Absolute path of an existing, executable file.

    Raises
    ------
    EngineError
        If no executable is configured, or it is missing or not executable;
        the message says how to point cumor to FDMNES.
    ValueError
        For invalid settings.
    """
    return _resolve_executable(resolve_settings(settings)["executable"])


def _filout_of(input_text: str) -> str:
    """The ``Filout`` prefix of an FDMNES input (FDMNES's default if none).

    FDMNES matches keywords on their first 9 characters, case-insensitively;
    ``Filout``, ``File_out`` and ``Fileout`` are aliases.
    """
    lines = [line.strip() for line in input_text.splitlines()]
    for i, line in enumerate(lines):
        if line.lower() in ("end", "fin"):
            break
        if line.lower()[:9] in ("filout", "file_out", "fileout"):
            following = [rest for rest in lines[i + 1 :] if rest and not rest.startswith("!")]
            if following:
                return following[0].split()[0]
    return _FDMNES_DEFAULT_FILOUT


def _spectrum_files(workdir: Path, filout: str) -> list[Path]:
    """Spectra of a run: ``<filout>.txt``, ``<filout>_conv.txt``, ``<filout>_<n>.txt``."""
    pattern = re.compile(re.escape(filout) + r"(_conv|_\d+)?\.txt")
    protected = {INPUT_NAME, FDMFILE_NAME}
    return sorted(
        p for p in workdir.iterdir()
        if pattern.fullmatch(p.name) and p.name not in protected and p.is_file()
    )


def _child_environment() -> dict:
    """Environment for FDMNES: one BLAS/OpenMP thread unless the user chose.

    The workflow runs several jobs side by side on few cores; parallelism
    belongs to ``mpi_launcher``.  Values already exported are kept.
    """
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def _execute(command: list[str], workdir: Path, timeout: float | None) -> int:
    """Run ``command`` in ``workdir``, output to the log; return the exit status.

    The child runs in its own session so that on timeout (or Ctrl-C) the
    whole process group -- mpirun and all its ranks -- is killed.
    """
    log_path = workdir / LOG_NAME
    with open(log_path, "w") as log:
        try:
            proc = subprocess.Popen(
                command,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_child_environment(),
                start_new_session=True,
            )
        except OSError as exc:  # e.g. the MPI launcher is not installed
            message = f"cannot start {shlex.join(command)}: {exc}"
            raise EngineError(message, workdir, log_path) from exc
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_process_group(proc)
            raise EngineError(f"FDMNES timed out after {timeout} s", workdir, log_path) from None
        except BaseException:
            kill_process_group(proc)  # do not leave FDMNES running behind us
            raise


def _check_run_result(workdir: Path, returncode: int, filout: str) -> None:
    """Raise EngineError for a failed run: exit status, error file, no spectrum."""
    log_path = workdir / LOG_NAME
    if returncode != 0:
        raise EngineError(
            f"FDMNES failed (exit status {returncode}):\n{log_tail(log_path)}", workdir, log_path
        )
    # FDMNES stops on bad input with status 0 after writing this file.
    if (workdir / ERROR_NAME).exists():
        raise EngineError(
            f"FDMNES stopped with an error ({ERROR_NAME}):\n{log_tail(workdir / ERROR_NAME)}",
            workdir,
            log_path,
        )
    if not [p for p in _spectrum_files(workdir, filout) if not p.name.endswith("_conv.txt")]:
        raise EngineError(
            f"FDMNES wrote no spectrum ({filout}.txt):\n{log_tail(log_path)}", workdir, log_path
        )


def run_fdmnes(workdir, settings: dict | None) -> float:
    """Run FDMNES on ``workdir/in.txt``; return the wall time in seconds.

    Writes ``fdmfile.txt``, removes spectra and error files of earlier runs
    (they must never pass as this run's), then runs the executable --
    behind ``mpi_launcher`` if set -- in ``workdir`` with stdout and stderr
    in ``workdir/fdmnes.log``.

    Parameters
    ----------
    workdir : path-like
        Directory holding ``in.txt`` (see :func:`fdmnes_input`).
    settings : dict or None
        FDMNES settings; uses ``executable``, ``mpi_launcher``, ``timeout``.

    Returns
    -------
    float
        Wall time of the FDMNES run.

    Raises
    ------
    EngineError
        If FDMNES is not available (the message says how to configure it),
        ``in.txt`` is missing, the run times out or exits non-zero, FDMNES
        wrote ``fdmnes_error.txt``, or no spectrum was written.  The
        message names the log.
    """
    s = resolve_settings(settings)
    executable = _resolve_executable(s["executable"])
    workdir = Path(workdir)
    input_path = workdir / INPUT_NAME
    if not input_path.is_file():
        raise EngineError(f"no FDMNES input {INPUT_NAME}", workdir)
    filout = _filout_of(input_path.read_text(errors="replace"))
    for stale in [*_spectrum_files(workdir, filout), workdir / ERROR_NAME]:
        stale.unlink(missing_ok=True)
    (workdir / FDMFILE_NAME).write_text(fdmfile_text(INPUT_NAME))

    command = [*(s["mpi_launcher"] or ()), executable]
    start = time.perf_counter()
    returncode = _execute(command, workdir, s["timeout"])
    seconds = time.perf_counter() - start
    _check_run_result(workdir, returncode, filout)
    return seconds


# -------------------------------------------------------------------- engine

#: What a work directory keeps after a successful run: the inputs, the log and
#: the spectra the parser reads (:func:`_read_spectrum`).
KEEP_FILES = (INPUT_NAME, FDMFILE_NAME, LOG_NAME, f"{FILOUT}.txt", f"{FILOUT}_conv.txt")


def clean_workdir(workdir, before=()) -> list[str]:
    """Delete what a successful FDMNES run wrote besides :data:`KEEP_FILES`.

    FDMNES writes more than the spectra: ``<filout>_bav.txt`` (1.6 MB per
    absorber at 6 A, several GB over the 2100 structures of the default
    config) and, with some keywords, densities of states and the like.
    Deleted are the files that are not in :data:`KEEP_FILES` and either
    appeared during the run (not in ``before``) or carry the engine's
    ``Filout`` prefix (``cumor_*``, outputs of an earlier run).  Other files
    that were there before the run, and subdirectories, are left alone.

    Parameters
    ----------
    workdir : path-like
        The run's directory.
    before : iterable of str, optional
        Names in ``workdir`` before FDMNES started.

    Returns
    -------
    list of str
        Names of the deleted files, sorted.
    """
    workdir = Path(workdir)
    before = set(before)
    removed = []
    for path in sorted(workdir.iterdir()):
        if path.name in KEEP_FILES or not path.is_file() or path.is_symlink():
            continue
        if path.name in before and not path.name.startswith(f"{FILOUT}_"):
            continue
        path.unlink()
        removed.append(path.name)
    return removed



def _read_spectrum(workdir: Path, convolution: bool) -> tuple[np.ndarray, np.ndarray, dict]:
    """Relative energy, mu and header of the engine's single-absorber run.

    The header (``E_edge``) always comes from ``cumor.txt``; mu comes from
    ``cumor_conv.txt`` when the run was convoluted.
    """
    log_path = workdir / LOG_NAME
    raw_path = workdir / f"{FILOUT}.txt"
    conv_path = workdir / f"{FILOUT}_conv.txt"
    for path in [raw_path] + ([conv_path] if convolution else []):
        if not path.exists():
            raise EngineError(
                f"FDMNES produced no {path.name}:\n{log_tail(log_path)}", workdir, log_path
            )
    try:
        energy, mu, header = parse_fdmnes_output(raw_path)
        if convolution:
            energy, mu = parse_fdmnes_conv(conv_path)
    except ValueError as exc:
        raise EngineError(f"unusable FDMNES output: {exc}", workdir, log_path) from exc
    return energy, mu, header


class FdmnesEngine(SpectrumEngine):
    """Cu K-edge XANES with FDMNES (finite differences or Green).

    Parameters
    ----------
    settings : dict, optional
        See :data:`DEFAULT_SETTINGS`; validated at construction so that a
        bad configuration fails before any calculation starts.  Whether
        FDMNES is installed is checked separately
        (:func:`check_fdmnes_available`), so the engine can be built (e.g. to
        validate a config) on a machine without FDMNES.
    """

    name = "fdmnes"

    def __init__(self, settings: dict | None = None):
        self.settings = resolve_settings(settings)

    def check_available(self) -> None:
        """Raise :class:`EngineError` unless the FDMNES executable can be found."""
        check_fdmnes_available(self.settings)

    def compute(self, atoms: Atoms, absorber: int, workdir: Path) -> AbsorberSpectrum:
        """Spectrum of atom ``absorber``; see :meth:`SpectrumEngine.compute`.

        Returned spectrum: the convoluted ``cumor_conv.txt`` when
        ``convolution`` is on (default) -- the broadened spectrum the paper
        compares with experiment, with the states below the Fermi level
        removed (the raw spectrum keeps sharp peaks of those states, which
        defeat edge finding and normalisation) -- otherwise the raw
        ``cumor.txt``.
        Energies are absolute: ``E_edge`` (tabulated, 8979 eV for Cu K) plus
        the relative energy, FDMNES's own convention for absolute energies
        (keyword ``Energphot``).  Site-to-site core-level shifts (``Epsii``)
        are therefore not in the energy axis; they are kept in ``meta``.

        Files left in ``workdir`` after a successful run: :data:`KEEP_FILES`
        (``in.txt``, ``fdmfile.txt``, ``fdmnes.log``, ``cumor.txt``,
        ``cumor_conv.txt``); the rest FDMNES wrote (e.g. the 1.6 MB
        ``cumor_bav.txt`` per absorber) is deleted (:func:`clean_workdir`).
        After a failed run everything is kept for the diagnosis.
        """
        start = time.perf_counter()
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        cluster = cluster_around(atoms, absorber, self.settings["cluster_radius"])
        text = fdmnes_input(cluster, self.settings, FILOUT, absorbers=(1,))
        (workdir / INPUT_NAME).write_text(text)

        before = {p.name for p in workdir.iterdir()}
        fdmnes_seconds = run_fdmnes(workdir, self.settings)
        energy_rel, mu, header = _read_spectrum(workdir, self.settings["convolution"])
        clean_workdir(workdir, before)

        return AbsorberSpectrum(
            energy=float(header["E_edge"]) + energy_rel,
            mu=mu,
            absorber=int(absorber),
            seconds=time.perf_counter() - start,
            meta={
                "engine": self.name,
                "n_atoms": len(cluster),
                "settings": dict(self.settings),
                "spectrum": "convoluted" if self.settings["convolution"] else "unconvoluted",
                "e_edge": float(header["E_edge"]),
                "epsii": header.get("Epsii"),
                "e_fermi_rel": header.get("E_Fermi", header.get("E_cut")),
                "fdmnes_seconds": fdmnes_seconds,
                "workdir": str(workdir),
            },
        )
