"""Read measured powder patterns into :class:`~pymatgen_ml_xrd.Diffractogram`.

Formats: two- or three-column text (.xy, .xye, .csv, .txt, .dat; comment lines starting with # ! or ;,
trailing comments after # or !, an optional header line, separators whitespace, comma, semicolon or tab), PANalytical .xrdml, and powder CIF
(pdCIF: ``_pd_meas_*`` / ``_pd_proc_*`` loops, read with pymatgen's CIF parser).

The wavelength, one rule for every reader: the ``wavelength`` argument when given (a warning
names both when the file states another: the argument wins, for files whose header is wrong);
else the file's (.xrdml and pdCIF state one); else Cu K-alpha (pymatgen's "CuKa", 1.54184 A),
as text files state none. A scan given in descending 2-theta is reversed.
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from pymatgen_ml_xrd.diffraction import Diffractogram
from pymatgen_ml_xrd.diffraction.wavelengths import resolve_wavelength
from pymatgen_ml_xrd.errors import PymatgenMLXRDError

__all__ = ["read_pattern", "read_xy", "read_xrdml", "read_pdcif", "PatternFileError"]

_TEXT_SUFFIXES = {".xy", ".xye", ".csv", ".txt", ".dat", ".asc"}
_SPLIT = re.compile(r"[\s,;]+")
_SPLIT_NO_COMMA = re.compile(r"[\s;]+")
# a data line of numbers with decimal commas: at least two, separated by blanks or semicolons,
# at least one with a comma, none with a point
_NUMBER_DC = r"[-+]?\d+(?:,\d*)?(?:[eE][-+]?\d+)?"
_DECIMAL_COMMA_LINE = re.compile(rf"^(?=[^.]*,)(?!.*\.){_NUMBER_DC}(?:[\s;]+{_NUMBER_DC})+$")
_ESD = re.compile(r"\(\d+\)$")


class PatternFileError(PymatgenMLXRDError, ValueError):
    """A pattern file cannot be read; the message names the file (and line)."""


def read_pattern(path: str | Path, wavelength: str | float | None = None) -> Diffractogram:
    """Read any supported pattern file, chosen by its suffix."""
    path = Path(path)
    if path.is_dir():
        raise PatternFileError(f"{path}: is a directory, not a pattern file")
    if not path.is_file():
        raise PatternFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in _TEXT_SUFFIXES:
        return read_xy(path, wavelength)
    if suffix == ".xrdml":
        return read_xrdml(path, wavelength)
    if suffix == ".cif":
        return read_pdcif(path, wavelength)
    raise PatternFileError(f"{path}: unknown pattern format {suffix!r} (xy, xye, csv, txt, dat, xrdml, cif)")


def _finish(path: Path, x, y, wavelength, file_wavelength: float | None) -> Diffractogram:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(x) < 2:
        raise PatternFileError(f"{path}: fewer than two data points")
    if x[0] > x[-1]:
        x, y = x[::-1], y[::-1]
    bad = np.flatnonzero(np.diff(x) <= 0)
    if bad.size:
        raise PatternFileError(f"{path}: 2-theta is not strictly increasing at point {bad[0] + 2} ({x[bad[0] + 1]})")
    if wavelength is not None:
        lam, radiation = resolve_wavelength(wavelength)
        if file_wavelength is not None and abs(lam - file_wavelength) > 1e-4:
            warnings.warn(f"{path}: wavelength={wavelength!r} ({lam:.5f} A) is used, not the {file_wavelength:.5f} A "
                          "the file states", UserWarning, stacklevel=3)  # fmt: skip
    elif file_wavelength is not None:
        lam, radiation = file_wavelength, None
    else:
        lam, radiation = resolve_wavelength("CuKa")
    return Diffractogram(x, y, wavelength=lam, radiation=radiation)


def read_xy(path: str | Path, wavelength: str | float | None = None) -> Diffractogram:
    """Two- or three-column text: 2-theta [deg], intensity[, sigma or anything]. Columns are
    separated by spaces, tabs, commas or semicolons; a file whose numbers have decimal commas
    ("10,02 120,5" or "10,02;120,5", as European locales write them) is read as such, decided
    on its first data line."""
    path = Path(path)
    xs, ys = [], []
    decimal_comma = None  # decided on the first data line
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, raw in enumerate(fh, start=1):
            stripped = raw.strip()
            if not stripped or stripped[0] in "#!;":  # comment lines; # and ! also end a data line
                continue
            line = re.split(r"[#!]", stripped, maxsplit=1)[0].strip()
            if decimal_comma is None and _DECIMAL_COMMA_LINE.match(line):
                decimal_comma = True
            if decimal_comma:
                fields = [f.replace(",", ".") for f in _SPLIT_NO_COMMA.split(line) if f]
            else:
                fields = [f for f in _SPLIT.split(line) if f]
            try:
                values = [float(f) for f in fields[:2]]
            except ValueError:
                if not xs:  # a header line before the data
                    continue
                raise PatternFileError(f"{path}, line {lineno}: cannot read numbers from {raw.strip()!r}") from None
            if len(values) < 2:
                raise PatternFileError(f"{path}, line {lineno}: expected two columns, got {raw.strip()!r}")
            if not all(np.isfinite(values)):
                raise PatternFileError(f"{path}, line {lineno}: non-finite value in {raw.strip()!r}")
            if decimal_comma is None:
                decimal_comma = False
            xs.append(values[0])
            ys.append(values[1])
    if not xs:
        raise PatternFileError(f"{path}: no numeric data found")
    return _finish(path, xs, ys, wavelength, None)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_xrdml(path: str | Path, wavelength: str | float | None = None) -> Diffractogram:
    """PANalytical .xrdml: 2Theta positions (start/end or list) and counts or intensities."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as err:
        raise PatternFileError(f"{path}: not valid XML ({err})") from None
    elements = {}
    for el in root.iter():
        elements.setdefault(_local(el.tag), []).append(el)
    lam = None
    used = elements.get("usedWavelength", [None])[0]
    if used is not None:
        values = {_local(c.tag): c.text for c in used}
        try:
            ka1, ka2 = float(values["kAlpha1"]), float(values.get("kAlpha2", values["kAlpha1"]))
            ratio = float(values.get("ratioKAlpha2KAlpha1", 0.5))
            intended = used.get("intended", "")
            lam = ka1 if "1" in intended and "2" not in intended else (ka1 + ratio * ka2) / (1 + ratio)
        except (KeyError, TypeError, ValueError):
            lam = None
    scan_points = None
    for data in elements.get("dataPoints", []):
        two_theta = [p for p in data if _local(p.tag) == "positions" and p.get("axis") == "2Theta"]
        counts = [c for c in data if _local(c.tag) in ("counts", "intensities")]
        if two_theta and counts:
            scan_points = (two_theta[0], counts[0])
            break
    if scan_points is None:
        raise PatternFileError(f"{path}: no dataPoints with 2Theta positions and counts")
    positions, counts = scan_points
    try:
        y = np.array(counts.text.split(), dtype=np.float64)
        children = {_local(c.tag): c.text for c in positions}
        if "listPositions" in children:
            x = np.array(children["listPositions"].split(), dtype=np.float64)
        else:
            x = np.linspace(float(children["startPosition"]), float(children["endPosition"]), len(y))
    except (AttributeError, KeyError, ValueError) as err:
        raise PatternFileError(f"{path}: malformed dataPoints ({err!r})") from None
    if len(x) != len(y):
        raise PatternFileError(f"{path}: {len(x)} 2Theta positions for {len(y)} counts")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise PatternFileError(f"{path}: non-finite values in dataPoints")
    return _finish(path, x, y, wavelength, lam)


def _numbers(values, path, key) -> np.ndarray:
    out = []
    for i, v in enumerate(values):
        text = _ESD.sub("", str(v).strip())
        try:
            out.append(float(text))
        except ValueError:
            raise PatternFileError(f"{path}: {key} entry {i + 1} is not a number: {v!r}") from None
    return np.array(out)


def read_pdcif(path: str | Path, wavelength: str | float | None = None) -> Diffractogram:
    """Powder CIF: the first data block with a measured or processed profile."""
    from pymatgen.io.cif import CifFile

    path = Path(path)
    try:
        cif = CifFile.from_file(path)
    except Exception as err:  # noqa: BLE001 - the CIF parser raises many types on broken files
        raise PatternFileError(f"{path}: not a readable CIF ({err})") from None
    x_keys = ("_pd_meas_2theta_scan", "_pd_proc_2theta_corrected", "_pd_meas_angle_2theta")
    y_keys = ("_pd_meas_counts_total", "_pd_meas_intensity_total", "_pd_proc_intensity_total",
              "_pd_proc_intensity_net")
    lam = None
    for block in cif.data.values():
        for key in ("_diffrn_radiation_wavelength", "_pd_proc_wavelength"):
            if key in block.data and lam is None:
                value = block.data[key]
                value = value[0] if isinstance(value, list) else value
                try:
                    lam = float(_ESD.sub("", str(value).strip()))
                except ValueError:
                    pass
    for block in cif.data.values():
        y_key = next((k for k in y_keys if k in block.data), None)
        if y_key is None:
            continue
        y = _numbers(block.data[y_key], path, y_key)
        x_key = next((k for k in x_keys if k in block.data), None)
        if x_key is not None:
            x = _numbers(block.data[x_key], path, x_key)
        else:
            try:
                lo, hi, inc = (float(_ESD.sub("", str(block.data[f"_pd_meas_2theta_range_{k}"])))
                               for k in ("min", "max", "inc"))
            except KeyError:
                raise PatternFileError(f"{path}: profile {y_key} without 2-theta values or range") from None
            x = lo + inc * np.arange(len(y))
            if abs(x[-1] - hi) > inc:
                raise PatternFileError(f"{path}: 2-theta range {lo}-{hi} step {inc} does not fit {len(y)} points")
        if len(x) != len(y):
            raise PatternFileError(f"{path}: {len(x)} 2-theta values for {len(y)} intensities ({y_key})")
        return _finish(path, x, y, wavelength, lam)
    raise PatternFileError(f"{path}: no powder profile (_pd_meas_* or _pd_proc_* intensities) in any data block")
