"""Readers of measured Cu K-edge spectra: XDI, text/CSV with or without a header, Athena.

One entry point, :func:`read_spectrum`, tells the format from the file and returns a
:class:`MeasuredSpectrum` (energy in eV, strictly increasing; mu; where mu came from):

* **XDI** (first line ``# XDI/1.x``): columns by their ``# Column.N: name [units]``
  labels, never by position. Energy is the column named ``energy`` (eV or keV), or
  ``angle`` (degrees) converted with ``Mono.d_spacing``. mu, unless given: a column
  named ``mu``, ``xmu``, ``mutrans``, ``mufluor``, ``normtrans``, ``normfluor`` or
  ``normalized``; else ``ln(i0/itrans)`` (transmission); else ``ifluor/i0``
  (fluorescence), where ``ifluor`` may also be a named sum (a column whose name holds
  ``fluor`` and ``sum``, e.g. ``ifluor_sum``). Transmission wins when a file has both.
  An ``Element.symbol`` / ``Element.edge`` header other than Cu / K is refused.
* **Text / CSV**: whitespace-, comma- or semicolon-separated numbers, comment lines
  (``# ! % ; // *``) and non-numeric lines before the data. The last such line before
  the data names the columns when it has one name per column (``energy,i0,itrans`` or
  ``#  energy  i0  itrans``; units in brackets are dropped: ``energy (eV)``). Two
  columns are energy and mu whatever their names (the original behaviour). With more
  columns and a header, energy is the column named ``energy`` / ``e`` and mu follows
  the XDI rules; when no rule applies, columns ``energy_column`` and ``mu_column``
  (0 and 1) are used, as before.
* **Athena project** (``.prj``, gzipped or not): read with xraylarch, which is an
  optional extra (``pip install 'cumor[athena]'``); one group (``group=`` picks it by
  label when the project holds several), its energy and mu arrays.

``mu=EXPR`` overrides the rules in every format: an arithmetic expression over column
names (:class:`MuExpression`, e.g. ``ln(i0/itrans)``, ``(ch1+ch2+ch3+ch4)/i0``),
parsed with :mod:`ast` and evaluated from a whitelist of nodes (numbers, column names,
``+ - * /``, unary minus, parentheses and the functions ``ln log log10 exp sqrt abs``;
``log`` is the natural logarithm, as in numpy and larch). Columns can always be named
``col1``, ``col2``, ... (1-based, like XDI's ``Column.N``); names are matched without
regard to case, and characters other than letters, digits and ``_`` become ``_``.

Every error is a :class:`ValueError` that names the file and the problem. The Cu K
check of E0 (:func:`check_cu_k_edge`) is applied by :func:`cumor.measured.
classify_spectrum` after E0 is found, since the readers do not find edges.

Measured reference spectra shipped with the package (public domain, see
``data/measured/PROVENANCE.md``): :data:`MEASURED_REFERENCES`,
:func:`measured_reference_path`.
"""

from __future__ import annotations

import ast
import gzip
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = [
    "MeasuredSpectrum",
    "MuExpression",
    "read_spectrum",
    "check_cu_k_edge",
    "CU_K_E0_RANGE",
    "MEASURED_REFERENCES",
    "measured_reference_path",
    "ATHENA_EXTRA",
]

#: Lines starting with one of these are comments (text files).
COMMENT_PREFIXES = ("#", "!", "%", ";", "//", "*")
_SPLIT = re.compile(r"[,;\s]+")
#: Smallest number of data points accepted.
MIN_POINTS = 10
#: Range (eV) in which the E0 of a Cu K-edge spectrum must fall. Cu foil's first
#: inflection point is 8979.0 eV; Cu(I)/Cu(II) compounds lie up to ~8995 eV (CuO's main
#: edge 8990 eV, azurite 8992 eV); the margins allow a few eV of monochromator
#: miscalibration. The next edges are far away (Ni K 8333 eV, Zn K 9659 eV, Ta/W L).
CU_K_E0_RANGE = (8960.0, 9010.0)
#: hc in eV * Angstrom (CODATA 2018), for angle -> energy.
HC_EV_ANGSTROM = 12398.419843320026
#: The pip extra that brings xraylarch (Athena projects).
ATHENA_EXTRA = "athena"

#: Column names that are mu already (first match wins, in this order).
MU_COLUMNS = ("mu", "xmu", "mutrans", "mufluor", "normtrans", "normfluor", "normalized",
              "normalised", "norm")
#: Names of the energy column in a text file's header (XDI: ``energy`` only).
ENERGY_NAMES = ("energy", "e", "energy_ev", "ev", "en")
_TRANSMISSION = ("itrans", "it")

#: Measured Cu K-edge references shipped in ``cumor/data/measured`` (XAS Data Library).
MEASURED_REFERENCES = {
    "Cu_foil": "Cu_Foil_rt_2016Foils.xdi",
    "CuO": "CuO_tenorite_13K_01.xdi",
    "Cu2S": "Cu2S_13K_01.xdi",
    "CuS": "CuS_covellite_13K_01.xdi",
    "azurite": "Cu_azurite_13K_01.xdi",
}


def measured_reference_path(name: str) -> Path:
    """Path of a packaged measured reference: a key of :data:`MEASURED_REFERENCES`."""
    if name not in MEASURED_REFERENCES:
        raise ValueError(f"no measured reference {name!r}; known: "
                         f"{', '.join(MEASURED_REFERENCES)}")
    return Path(str(resources.files("cumor") / "data" / "measured" / MEASURED_REFERENCES[name]))


@dataclass
class MeasuredSpectrum:
    """A measured spectrum as read from a file.

    Attributes
    ----------
    energy, mu : numpy.ndarray
        Energy (eV) strictly increasing, absorption.
    source : str
        The file (for messages).
    format : str
        ``"xdi"``, ``"text"`` or ``"athena"``.
    mu_source : str
        How mu was obtained: a column name or the expression (``"ln(i0/itrans)"``).
    energy_source : str
        The energy column (``"energy"``, ``"angle -> energy"``, ``"col1"``).
    columns : list of str
        Column names (cleaned, as usable in ``mu=`` expressions).
    header : dict
        XDI header fields (``{"Element.symbol": "Cu", ...}``); Athena: group label.
    """

    energy: np.ndarray
    mu: np.ndarray
    source: str
    format: str
    mu_source: str
    energy_source: str
    columns: list = field(default_factory=list)
    header: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- #
# safe mu expressions
# --------------------------------------------------------------------------- #
_FUNCTIONS = {"ln": np.log, "log": np.log, "log10": np.log10, "exp": np.exp,
              "sqrt": np.sqrt, "abs": np.abs}
_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
           ast.Div: np.divide}
_UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}
_ALLOWED = ("numbers, column names, + - * /, unary minus, parentheses and the functions "
            + " ".join(_FUNCTIONS))


def clean_name(name: str) -> str:
    """Column name as used in expressions: lower case, units in brackets dropped,
    other characters than letters, digits and ``_`` replaced by ``_``."""
    s = re.sub(r"\s*[\[(][^\])]*[\])]\s*$", "", name.strip()).strip().lower()
    s = re.sub(r"[^a-z0-9_]+", "_", s).strip("_")
    if s and s[0].isdigit():
        s = "c" + s
    return s


class MuExpression:
    """A whitelisted arithmetic expression over column names, e.g. ``ln(i0/itrans)``.

    Parsed with :func:`ast.parse` (mode ``eval``); every node is checked against a
    whitelist (numbers, names, ``+ - * /``, unary ``- +``, calls of ``ln log log10 exp
    sqrt abs`` with one argument), so nothing but arithmetic on arrays is ever run.

    Raises
    ------
    ValueError
        On a syntax error or a node outside the whitelist (the message shows it).
    """

    def __init__(self, text: str):
        self.text = str(text).strip()
        try:
            tree = ast.parse(self.text, mode="eval")
        except SyntaxError as err:
            raise ValueError(f"mu expression {self.text!r}: not a valid expression "
                             f"({err.msg})") from None
        self.names: list[str] = []
        self._check(tree.body)
        self._tree = tree.body

    def _check(self, node) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            self._check(node.operand)
        elif isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id.lower() in _FUNCTIONS):
                raise ValueError(f"mu expression {self.text!r}: function "
                                 f"{ast.unparse(node.func)!r} not allowed (allowed: "
                                 f"{_ALLOWED})")
            if len(node.args) != 1 or node.keywords:
                raise ValueError(f"mu expression {self.text!r}: {node.func.id}() takes "
                                 f"exactly one argument")
            self._check(node.args[0])
        elif isinstance(node, ast.Name):
            if node.id.lower() not in self.names:
                self.names.append(node.id.lower())
        elif (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
              and not isinstance(node.value, bool)):
            pass
        else:
            raise ValueError(f"mu expression {self.text!r}: {ast.unparse(node)!r} is not "
                             f"allowed (allowed: {_ALLOWED})")

    def evaluate(self, columns: dict, source: str = "spectrum") -> np.ndarray:
        """Value of the expression, ``columns`` mapping lower-case names to arrays.

        Raises
        ------
        ValueError
            Naming ``source`` and every unknown column (with the known ones).
        """
        unknown = [n for n in self.names if n not in columns]
        if unknown:
            raise ValueError(f"{source}: mu expression {self.text!r}: unknown column"
                             f"{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                             f"(columns: {', '.join(columns)})")
        with np.errstate(all="ignore"):
            return np.asarray(self._eval(self._tree, columns), float)

    def _eval(self, node, cols):
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](self._eval(node.left, cols),
                                          self._eval(node.right, cols))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._eval(node.operand, cols))
        if isinstance(node, ast.Call):
            return _FUNCTIONS[node.func.id.lower()](self._eval(node.args[0], cols))
        if isinstance(node, ast.Name):
            return cols[node.id.lower()]
        return float(node.value)

    def __repr__(self) -> str:
        return f"MuExpression({self.text!r})"


def _auto_mu(names) -> str | None:
    """The mu expression the column names imply (module doc), or None."""
    names = list(names)
    for n in MU_COLUMNS:
        if n in names:
            return n
    if "i0" in names:
        for t in _TRANSMISSION:
            if t in names:
                return f"ln(i0/{t})"
        if "ifluor" in names:
            return "ifluor/i0"
        sums = [n for n in names if "fluor" in n and "sum" in n]
        if len(sums) == 1:
            return f"{sums[0]}/i0"
    return None


def _mu_hint(names) -> str:
    return (f"give mu as an expression over the columns ({', '.join(names)}), e.g. "
            f"mu='ln(i0/itrans)' (CLI: --mu 'ln(i0/itrans)')")


# --------------------------------------------------------------------------- #
# file reading
# --------------------------------------------------------------------------- #
def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory, not a spectrum file") from None
    except OSError as err:
        raise ValueError(f"{path}: cannot read ({err})") from err


def _is_athena(path: Path, raw: bytes) -> bool:
    if path.suffix.lower() == ".prj":
        return True
    if raw[:2] == b"\x1f\x8b":
        try:
            head = gzip.decompress(raw)[:500]
        except (OSError, EOFError):
            return False
        return b"Athena project file" in head
    return b"Athena project file" in raw[:500]


def read_spectrum(path, mu: str | None = None, energy: str | None = None,
                  energy_column: int = 0, mu_column: int = 1,
                  group: str | None = None) -> MeasuredSpectrum:
    """Read a measured spectrum from an XDI, text/CSV or Athena project file.

    Parameters
    ----------
    path : path-like
    mu : str, optional
        Expression for mu over the column names (:class:`MuExpression`); default: the
        format's rules (module doc).
    energy : str, optional
        Name of the energy column (default: ``energy``; text files: ``energy`` / ``e``
        or column ``energy_column``).
    energy_column, mu_column : int
        0-based columns of a text file without usable column names (defaults 0, 1).
    group : str, optional
        Athena project: label of the group to read (needed if it holds several).

    Returns
    -------
    MeasuredSpectrum

    Raises
    ------
    ValueError
        Naming the file and the problem: missing or empty file, no numeric data, a
        single column, ragged rows, text after the data started, non-finite values,
        too few points, energy not monotonic or repeated (with the point's index and
        line), energies that look like keV, no energy column, unknown column in
        ``mu``, no rule for mu, an XDI/Athena element or edge other than Cu K, an
        Athena project without xraylarch installed.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if not raw.strip():
        raise ValueError(f"{path}: empty file")
    if _is_athena(path, raw):
        return _read_athena(path, mu=mu, energy=energy, group=group)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = raw.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover (latin-1 decodes any byte)
            raise ValueError(f"{path}: not a text file") from None
        if "\x00" in text:
            raise ValueError(f"{path}: not a text file") from None
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if re.match(r"#\s*XDI/", first, re.IGNORECASE):
        return _read_xdi(path, text, mu=mu, energy=energy)
    return _read_text(path, text, mu=mu, energy=energy, energy_column=energy_column,
                      mu_column=mu_column)


def _table(path: Path, text: str, comment_prefixes=COMMENT_PREFIXES):
    """Numeric rows of ``text`` with their line numbers, and the lines before the data."""
    rows, linenos, width, before = [], [], None, []
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s:
            continue
        if s.startswith(comment_prefixes):
            if not rows:
                before.append(s)
            continue
        fields = [f for f in _SPLIT.split(s) if f]
        try:
            values = [float(f) for f in fields]
        except ValueError:
            if rows:
                raise ValueError(f"{path}, line {lineno}: non-numeric data {s[:40]!r} after "
                                 f"the data started") from None
            before.append(s)
            continue  # header line before the data
        if len(values) < 2:
            raise ValueError(f"{path}, line {lineno}: only one column; need energy (eV) "
                             f"and mu in two columns")
        if width is None:
            width = len(values)
        elif len(values) != width:
            raise ValueError(f"{path}, line {lineno}: {len(values)} columns, earlier "
                             f"rows have {width}")
        rows.append(values)
        linenos.append(lineno)
    if not rows:
        raise ValueError(f"{path}: no numeric data (need two columns: energy in eV, mu)")
    return np.asarray(rows, float), linenos, before


def _header_names(before, width: int):
    """Column names from the last non-separator line before the data, or None."""
    for line in reversed(before):
        s = line
        for p in COMMENT_PREFIXES:
            if s.startswith(p):
                s = s[len(p):]
                break
        s = s.strip()
        if not s or not re.search(r"[A-Za-z0-9]", s):
            continue  # separator such as '#-----'
        if re.search(r"[,;\t]", s):
            raw = [f.strip() for f in re.split(r"[,;\t]", s)]
            raw = [f for f in raw if f]
        else:
            raw = s.split()
        if len(raw) != width:
            return None
        names = [clean_name(r) or f"col{i + 1}" for i, r in enumerate(raw)]
        units = [_units(r) for r in raw]
        return names, units
    return None


def _units(name: str) -> str:
    m = re.search(r"[\[(]([^\])]*)[\])]\s*$", name.strip())
    return m.group(1).strip() if m else ""


def _columns(names, data) -> dict:
    """Name -> column array, cleaned names first (first of duplicates wins), then colN."""
    cols = {}
    for i, n in enumerate(names):
        cols.setdefault(n, data[:, i])
    for i in range(data.shape[1]):
        cols.setdefault(f"col{i + 1}", data[:, i])
    return cols


def _energy_in_ev(values, units: str, path, name: str) -> np.ndarray:
    u = units.strip().lower()
    if u in ("", "ev"):
        return values
    if u == "kev":
        return values * 1000.0
    raise ValueError(f"{path}: energy column {name!r} has units {units!r}; expected eV "
                     f"or keV")


def _read_text(path, text, mu, energy, energy_column, mu_column) -> MeasuredSpectrum:
    data, linenos, before = _table(path, text)
    width = data.shape[1]
    header = _header_names(before, width)
    names, units = header if header else ([], [])
    cols = _columns(names, data)
    positional = width == 2 or not names  # the original two-column behaviour
    if max(energy_column, mu_column) >= width:
        raise ValueError(f"{path}: asked for columns {energy_column} and {mu_column}, "
                         f"file has {width}")
    if energy is not None:
        e_name = clean_name(energy)
        if e_name not in cols:
            raise ValueError(f"{path}: no energy column {energy!r} (columns: "
                             f"{', '.join(cols)})")
    elif positional:
        e_name = f"col{energy_column + 1}"
    else:
        e_name = next((n for n in ENERGY_NAMES if n in names), f"col{energy_column + 1}")
    e_index = names.index(e_name) if e_name in names else int(e_name[3:]) - 1
    e = _energy_in_ev(cols[e_name], units[e_index] if units else "", path, e_name)

    if mu is not None:
        mu_text = MuExpression(mu).text
    elif positional:
        mu_text = f"col{mu_column + 1}"
    else:
        mu_text = _auto_mu([n for n in names if n != e_name]) or names[mu_column]
    m = _evaluate_mu(path, mu_text, cols, linenos)
    e, m, linenos = _check_energy(path, e, m, linenos)
    e_source = names[e_index] if names else e_name
    return MeasuredSpectrum(e, m, str(path), "text", mu_text, e_source, list(cols))


def _evaluate_mu(path, mu_text, cols, linenos=None) -> np.ndarray:
    expr = MuExpression(mu_text)
    m = expr.evaluate(cols, source=str(path))
    if m.shape == ():
        raise ValueError(f"{path}: mu expression {mu_text!r} uses no column")
    bad = ~np.isfinite(m)
    if bad.any():
        i = int(np.argmax(bad))
        where = f"line {linenos[i]}" if linenos is not None else f"point {i}"
        vals = ", ".join(f"{n} = {cols[n][i]:g}" for n in expr.names)
        raise ValueError(f"{path}, {where}: non-finite mu (nan or inf) at data point "
                         f"index {i}: mu = {mu_text} with {vals} ({int(bad.sum())} such "
                         f"points)")
    return m


def _check_energy(path, energy, mu, linenos=None):
    """Finite, enough points, strictly monotonic (reversed if decreasing), eV."""
    where = (lambda i: f"{path}, line {linenos[i]}") if linenos is not None else (
        lambda i: f"{path}")
    if not np.all(np.isfinite(energy)):
        i = int(np.argmin(np.isfinite(energy)))
        raise ValueError(f"{where(i)}: non-finite value (nan or inf) in the energy at "
                         f"data point index {i}")
    if len(energy) < MIN_POINTS:
        raise ValueError(f"{path}: only {len(energy)} data points; need at least {MIN_POINTS}")
    step = np.diff(energy)
    if np.all(step < 0):
        energy, mu, step = energy[::-1], mu[::-1], -step[::-1]
        linenos = linenos[::-1] if linenos is not None else None
        where = (lambda i: f"{path}, line {linenos[i]}") if linenos is not None else (
            lambda i: f"{path}")
        note = " (after reversing the decreasing energies)"
    else:
        note = ""
    if not np.all(step > 0):
        i = int(np.argmax(step <= 0)) + 1
        what = "repeated" if step[i - 1] == 0 else "unsorted"
        raise ValueError(f"{where(i)}: energy is not monotonic at data point index {i}"
                         f"{note}: {energy[i - 1]:g} then {energy[i]:g} eV ({what}); sort "
                         f"the data or remove repeated energies")
    if energy[-1] - energy[0] < 5.0:
        raise ValueError(f"{path}: energy spans only {energy[-1] - energy[0]:g} units; "
                         f"energies must be in eV (keV given?)")
    return np.ascontiguousarray(energy), np.ascontiguousarray(mu), linenos


# --------------------------------------------------------------------------- #
# XDI
# --------------------------------------------------------------------------- #
_XDI_FIELD = re.compile(r"^#\s*([A-Za-z_][\w]*)\.([\w]+)\s*:\s*(.*?)\s*$")


def _read_xdi(path, text, mu, energy) -> MeasuredSpectrum:
    """XDI 1.x: ``# Family.key: value`` fields, ``# Column.N: name [units]`` labels."""
    header, labels = {}, {}
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("#"):
            if s:
                break
            continue
        if re.match(r"#\s*(///|---)", s):
            break  # end of the fields: free comments or the column line follow
        m = _XDI_FIELD.match(s)
        if not m:
            continue
        family, key, value = m.groups()
        header[f"{family}.{key}"] = value
        if family.lower() == "column":
            try:
                n = int(key)
            except ValueError:
                raise ValueError(f"{path}: XDI field 'Column.{key}' is not a column "
                                 f"number") from None
            parts = value.split()
            if not parts:
                raise ValueError(f"{path}: XDI field 'Column.{n}' has no name")
            labels[n] = (clean_name(parts[0]), " ".join(parts[1:]))
    _check_element(path, header)
    data, linenos, _ = _table(path, text, comment_prefixes=("#",))
    width = data.shape[1]
    if not labels:
        raise ValueError(f"{path}: XDI file without '# Column.N: name' labels; cannot tell "
                         f"the columns apart")
    extra = sorted(n for n in labels if not 1 <= n <= width)
    if extra:
        raise ValueError(f"{path}: XDI header labels Column.{extra[0]} but the data have "
                         f"{width} columns")
    names = [labels.get(i + 1, (f"col{i + 1}", ""))[0] for i in range(width)]
    units = [labels.get(i + 1, ("", ""))[1] for i in range(width)]
    cols = _columns(names, data)

    want = clean_name(energy) if energy is not None else "energy"
    if want in names:
        i = names.index(want)
        e = _energy_in_ev(data[:, i], units[i], path, want)
        e_source = want
    elif energy is None and "angle" in names:
        e = _angle_to_energy(path, data[:, names.index("angle")],
                             units[names.index("angle")], header)
        e_source = "angle -> energy"
    else:
        raise ValueError(f"{path}: no energy column "
                         f"{'named ' + repr(energy) if energy else ''}(XDI columns: "
                         f"{', '.join(names)}; need '# Column.N: energy eV'"
                         f"{'' if energy else ', or angle with Mono.d_spacing'})")
    if mu is not None:
        mu_text = MuExpression(mu).text
    else:
        mu_text = _auto_mu(names)
        if mu_text is None:
            raise ValueError(f"{path}: cannot tell mu from the XDI columns "
                             f"({', '.join(names)}): no mu/mutrans/mufluor column, no "
                             f"i0 with itrans or ifluor; {_mu_hint(names)}")
    m = _evaluate_mu(path, mu_text, cols, linenos)
    e, m, _ = _check_energy(path, e, m, linenos)
    return MeasuredSpectrum(e, m, str(path), "xdi", mu_text, e_source, list(cols), header)


def _check_element(path, header: dict) -> None:
    """Refuse an XDI/Athena header naming another element or edge than Cu K."""
    fields = {k.lower(): v for k, v in header.items()}
    sym = fields.get("element.symbol", "").strip()
    edge = fields.get("element.edge", "").strip()
    if (sym and sym.lower() != "cu") or (edge and edge.upper() != "K"):
        raise ValueError(f"{path}: the file is a {sym or '?'} {edge or '?'}-edge spectrum "
                         f"(Element.symbol = {sym or 'not given'}, Element.edge = "
                         f"{edge or 'not given'}); cumor classifies Cu K-edge spectra only")


def _angle_to_energy(path, angle, units: str, header: dict) -> np.ndarray:
    fields = {k.lower(): v for k, v in header.items()}
    try:
        d = float(fields["mono.d_spacing"].split()[0])
    except (KeyError, ValueError, IndexError):
        raise ValueError(f"{path}: no energy column, and the angle column cannot be "
                         f"converted without a numeric Mono.d_spacing (A)") from None
    u = units.strip().lower()
    theta = np.radians(angle) if u in ("", "deg", "degrees", "degree") else (
        angle if u in ("rad", "radians") else None)
    if theta is None:
        raise ValueError(f"{path}: angle column has units {units!r}; expected degrees")
    with np.errstate(all="ignore"):
        return HC_EV_ANGSTROM / (2.0 * d * np.sin(theta))


# --------------------------------------------------------------------------- #
# Athena projects (xraylarch, optional)
# --------------------------------------------------------------------------- #
def _read_athena(path, mu, energy, group) -> MeasuredSpectrum:
    try:
        from larch.io.athena_project import read_athena
    except ImportError:
        raise ValueError(
            f"{path}: reading Athena project files needs xraylarch, which is not installed; "
            f"install the optional extra: pip install 'cumor[{ATHENA_EXTRA}]' (or export "
            f"the group from Athena as XDI or as columns)") from None
    try:
        project = read_athena(str(path), do_preedge=False)
    except Exception as err:  # larch raises IOError/ValueError/parse errors of all kinds
        raise ValueError(f"{path}: not a readable Athena project file ({err})") from None
    groups = dict(project.groups)
    if not groups:
        raise ValueError(f"{path}: the Athena project holds no data group")
    labels = {k: str(getattr(g, "label", k)) for k, g in groups.items()}
    if group is None:
        if len(groups) > 1:
            raise ValueError(f"{path}: the Athena project holds {len(groups)} groups "
                             f"({', '.join(labels.values())}); choose one with group= "
                             f"(CLI: --group LABEL)")
        key = next(iter(groups))
    else:
        g = group.lower()
        key = next((k for k, lab in labels.items() if g in (k.lower(), lab.lower())), None)
        if key is None:
            raise ValueError(f"{path}: no group {group!r} in the Athena project (groups: "
                             f"{', '.join(labels.values())})")
    grp = groups[key]
    params = getattr(grp, "athena_params", None)
    elem = str(getattr(getattr(params, "bkg", None), "z", "") or "")
    edge = str(getattr(getattr(params, "fft", None), "edge", "") or "")
    _check_element(f"{path} (group {labels[key]})",
                   {"Element.symbol": elem, "Element.edge": edge})
    arrays = {}
    for name in dir(grp):
        val = getattr(grp, name, None)
        if isinstance(val, np.ndarray) and val.ndim == 1 and not name.startswith("_"):
            arrays[clean_name(name)] = np.asarray(val, float)
    e_name = clean_name(energy) if energy is not None else "energy"
    if e_name not in arrays:
        raise ValueError(f"{path} (group {labels[key]}): no energy column "
                         f"{e_name!r} (arrays: {', '.join(arrays)})")
    e = arrays[e_name]
    arrays = {k: v for k, v in arrays.items() if v.shape == e.shape}
    mu_text = MuExpression(mu).text if mu is not None else "mu"
    if mu is None and "mu" not in arrays:
        raise ValueError(f"{path} (group {labels[key]}): no mu array; "
                         f"{_mu_hint(list(arrays))}")
    src = f"{path} (group {labels[key]})"
    m = _evaluate_mu(src, mu_text, arrays)
    e, m, _ = _check_energy(src, e, m)
    return MeasuredSpectrum(e, m, str(path), "athena", mu_text, e_name, list(arrays),
                            {"group": labels[key]})


# --------------------------------------------------------------------------- #
# edge check
# --------------------------------------------------------------------------- #
def check_cu_k_edge(e0: float, source: str = "spectrum",
                    e0_range: tuple[float, float] = CU_K_E0_RANGE) -> None:
    """Refuse an E0 outside :data:`CU_K_E0_RANGE` (not a Cu K edge on an absolute scale).

    Raises
    ------
    ValueError
        Naming ``source``, E0 and the expected range.
    """
    lo, hi = e0_range
    if not lo <= float(e0) <= hi:
        raise ValueError(
            f"{source}: E0 = {float(e0):.1f} eV is not a Cu K edge (expected "
            f"{lo:g}..{hi:g} eV; Cu foil 8979 eV): another element or edge, energies "
            f"relative to E0, or a monochromator far off calibration? For a spectrum on "
            f"a shifted or relative energy scale use --skip-edge-check (edge_check=False)")
