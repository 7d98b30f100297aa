"""Measured scans with known phases, and the reference structures of those phases: the data of a
phase-identification benchmark on real diffractograms.

    python benchmarks/phase_data.py [--data ../shared/data]

prints what is loaded (collections, wavelengths, 2-theta ranges, phases per scan) and which scans
are left out and why. Nothing is written or cached; everything is read from ``data``
(../shared/data by default).

rruff90 has no structures, so it gives no phase references; :func:`rruff_type_scans` loads the
RRUFF scans whose structure type is known from the mineral (RRUFF_TYPES, by hand: the mineral's
textbook structure type, as paper 003 labelled its 80 RRUFF scans), for the structure-type
benchmark only (RRUFF data is for evaluation, never shipped).

Collections (``MeasuredScan.collection``):

- ``refined_xy`` (experimental/refined_xy/<material>/): the raw .xy scan with the wavelength of
  its TOPAS .inp (first emission line; three are synchrotron scans at ~0.4066 A, the others Cu
  K-alpha1 1.5406 A) and the phases of the refined CIF. A multi-phase refinement gives several
  phases, the first data block being the main one.
- ``iucr_pdcif`` (experimental/iucr_pdcif/*.cif): the measured profile of the powder CIF (its
  stated wavelength) and the refined structure(s) of the same CIF, first one main. Blocks that
  do not parse into a structure are skipped with a printed note. ck5030Vsup6 (Er2Ge3.17) is an
  incommensurately modulated (superspace) refinement: pymatgen reads only its basic cell
  ("ErGe", Amm2 here), so its satellite reflections are not in the reference.
- ``autoanalyzer`` (experimental/autoanalyzer_mixtures, XRD-AutoAnalyzer, MIT):
  Example/Spectra/*.xy, the phases in the file name ("TiO2+MnO.xy"), references from
  Example/References/<formula>_<space group>.cif. The .xy files state no wavelength; the
  AutoAnalyzer README says its models assume Cu K-alpha, so the scans get pymatgen's "CuKa"
  (K-alpha1/K-alpha2 weighted, 1.54184 A). Several formulas have more than one reference CIF;
  the polymorph of each was read off the measured peaks (see AUTOANALYZER_POLYMORPHS).
  PDF_Example/Spectra/Li2CO3-ZrO2.xy is an XRD scan too (10-80 deg, no references of its own);
  it would take its references from the precursor table below, but Li2CO3 has none, so it is
  left out (MISSING_REFERENCES). No weight fractions are known for these.
- ``precursor_mixture`` (experimental/precursor_mixtures_xrdml/precursor_mixture, dara, MIT):
  20 weighed powder mixtures, each scanned twice (2 min and 8 min); phases and weight fractions
  from the file name, the wavelength from the .xrdml (K-alpha1, 1.5406 A). Phases are ordered by
  weight fraction (largest, the main phase, first). References: PRECURSOR_REFERENCES. Mixtures
  with a precursor that has no usable structure in ../shared are left out and listed in
  MISSING_REFERENCES (La(OH)3 and MnCO3: no structure at all; Li2CO3 and Bi2O3: only polymorphs
  the precursor is not - see MISSING_WHY).
- ``binary_reaction`` scans are NOT loaded: they are reaction products whose phases are not
  stated anywhere in the data (only the precursors and the temperature are), so there is no
  ground truth.

Caveats for whoever scores against these references: the Materials Project / AFLOW structures
are DFT-relaxed (PBE lattices are ~1-2 % too large, so their peaks sit below the measured ones:
ZnO ~0.5 deg, In2O3 ~0.5 deg at 30 deg Cu K-alpha), and MP's alpha-V2O5 (mp-25279, no van der
Waals correction) has its interlayer axis ~10 % too long: its (001) reflection falls at ~18.5
deg instead of the measured 20.3 deg. A matcher needs a lattice-strain tolerance (or to refine
the lattice) to use them.
"""

from __future__ import annotations

import argparse
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from _common import DEFAULT_DATA

__all__ = [
    "MeasuredScan",
    "RRUFF_AMBIGUOUS",
    "RRUFF_TYPES",
    "rruff_scans",
    "rruff_type_scans",
    "single_phase_scans",
    "mixture_scans",
    "all_references",
    "MISSING_REFERENCES",
    "MISSING_WHY",
    "PRECURSOR_REFERENCES",
    "AUTOANALYZER_POLYMORPHS",
]

EXPERIMENTAL = Path("experimental")

# Formula in an AutoAnalyzer spectrum name -> the reference CIF (Example/References/<stem>.cif).
# Where References holds several polymorphs, the one whose strongest reflections are the
# measured ones (checked on the scans, Cu K-alpha): MnO rock salt (34.96/40.59/58.73 deg),
# TiO2 anatase (25.3 deg, no rutile 27.4 deg line), MnO2 pyrolusite (28.7/37.4/56.7 deg),
# LiMnO2 orthorhombic Pmmn (15.4/24.8/39.3/45.1 deg). Mn2O3, Li2MnO3 and LiF have one CIF each.
AUTOANALYZER_POLYMORPHS: dict[str, str] = {
    "MnO": "MnO_225",
    "TiO2": "TiO2_141",
    "MnO2": "MnO2_136",
    "LiMnO2": "LiMnO2_59",
    "Mn2O3": "Mn2O3_206",
    "Li2MnO3": "Li2MnO3_12",
    "LiF": "LiF_225",
}

# Precursor (reduced formula) -> (file under data, how the row is chosen, what it is).
# structures/*.csv.gz rows are chosen by material_id (MP) or by space group (aflow_statistics,
# which has no ids). The measured scans decide the polymorph where ../shared offers several.
PRECURSOR_REFERENCES: dict[str, tuple[str, str, str]] = {
    "TiO2": ("experimental/autoanalyzer_mixtures/Example/References/TiO2_141.cif", "",
             "anatase I4_1/amd (XRD-AutoAnalyzer reference CIF): every TiO2 mixture shows the anatase "
             "(101) line at 25.4 deg and no rutile (110) line at 27.4 deg beyond what other phases explain; "
             "the structures/ files hold rutile (AFLOW) and MP's C2/m and Cmm2 TiO2 only"),
    "NiO": ("experimental/precursor_mixtures_xrdml/tutorial_data/NiO_225_sym.cif", "",
            "rock salt Fm-3m (dara tutorial CIF, peaks 37.3/43.3 deg as measured, no NiO in structures/)"),
    "ZnO": ("structures/mp20_pilot_train.csv.gz", "mp-2133",
            "MP mp-2133 wurtzite P6_3mc, e_above_hull 0 (lowest of the two ZnO rows)"),
    "V2O5": ("structures/mp20_pilot_train.csv.gz", "mp-25279",
             "MP mp-25279 alpha-V2O5 Pmmn, e_above_hull 0 (lowest, the others are P-1 and P2_1/m)"),
    "ZrO2": ("structures/mp20_pilot_train.csv.gz", "mp-2858",
             "MP mp-2858 baddeleyite P2_1/c, e_above_hull 0 (lowest, monoclinic as the precursor)"),
    "In2O3": ("structures/aflow_statistics.csv.gz", "206",
              "AFLOW aflow_statistics, bixbyite Ia-3 (space group 206), the only In2O3 in ../shared"),
}

# Why a precursor has no reference (no structure, or only polymorphs the precursor is not).
MISSING_WHY: dict[str, str] = {
    "La(OH)3": "no La(OH)3 structure anywhere in ../shared",
    "MnCO3": "no MnCO3 structure anywhere in ../shared",
    "Li2CO3": "only MP mp-556777 (P6_3/mcm, hexagonal, e_above_hull 0.067 eV) in ../shared; the precursor "
              "is monoclinic C2/c zabuyelite and the measured lines (21.5/30.8/31.9 deg) are not those "
              "of the hexagonal cell (22.1/33.3/42.3 deg)",
    "Bi2O3": "no alpha-Bi2O3 (P2_1/c, the commercial form; lines 27.4/33.2 deg measured) in ../shared: only "
             "Pn-3m (AFLOW), P6_3mc, P-42_1c (beta), Pbcn and P-3m1 (MP), none of which fits the scans",
}

# RRUFF id -> (mineral, type keys that are right). The key of the mineral's structure type in the
# catalogue's convention (space group | Wyckoff letters | anonymized formula). Spinel has two keys
# in the catalogue: the same structure with the origin shifted (Mg on 8a or 8b), both right.
# Left out: minerals whose type is not a catalogue key (baryte, monazite, aragonite, anatase,
# baddeleyite, tysonite, MoS2-type, ...), and those whose key the catalogue holds under an
# unrelated type (cotunnite PbCl2 = Co2Si key, montroydite HgO = FeB key, diaspore = CuSbS2 key).
SPINEL = ("227|bce|AB2C4", "227|ade|AB2C4")
RRUFF_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "R040035": ("smithsonite ZnCO3, calcite type", ("167|abe|ABC3",)),
    "R040133": ("rhodochrosite MnCO3, calcite type", ("167|abe|ABC3",)),
    "R050262": ("siderite FeCO3, calcite type", ("167|abe|ABC3",)),
    "R050676": ("magnesite MgCO3, calcite type", ("167|abe|ABC3",)),
    "R040172": ("scheelite CaWO4", ("88|abf|ABC4",)),
    "R150130": ("scheelite CaWO4", ("88|abf|ABC4",)),
    "R050355": ("powellite CaMoO4, scheelite type", ("88|abf|ABC4",)),
    "R050045": ("fluorite CaF2", ("225|ac|AB2",)),
    "R130003": ("thorianite ThO2, fluorite type", ("225|ac|AB2",)),
    "R050140": ("sphalerite ZnS", ("216|ac|AB",)),
    "R050550": ("tiemannite HgSe, sphalerite type", ("216|ac|AB",)),
    "R050166": ("sylvite KCl, rock salt", ("225|ab|AB",)),
    "R070534": ("halite NaCl", ("225|ab|AB",)),
    "R060939": ("altaite PbTe, rock salt", ("225|ab|AB",)),
    "R080121": ("bunsenite NiO, rock salt", ("225|ab|AB",)),
    "R050287": ("cryolite Na3AlF6", ("14|adeeee|AB3C6",)),
    "R050300": ("hematite Fe2O3, corundum type", ("167|ce|A2B3",)),
    "R100131": ("corundum Al2O3", ("167|ce|A2B3",)),
    "R050403": ("delafossite CuFeO2", ("166|abc|ABC2",)),
    "R060121": ("nickeline NiAs", ("194|ac|AB",)),
    "R060928": ("breithauptite NiSb, nickeline type", ("194|ac|AB",)),
    "R070211": ("pyrophanite MnTiO3, ilmenite type", ("148|ccf|ABC3",)),
    "R070479": ("geikielite MgTiO3, ilmenite type", ("148|ccf|ABC3",)),
    "R150142": ("ilmenite FeTiO3", ("148|ccf|ABC3",)),
    "R070279": ("gold Au, fcc", ("225|a|A",)),
    "R070343": ("gersdorffite NiAsS, ullmannite type", ("198|aaa|ABC",)),
    "R070368": ("chernovite YAsO4, zircon type", ("141|abh|ABC4",)),
    "R070592": ("loellingite FeAs2, marcasite type", ("58|ag|AB2",)),
    "R090012": ("brunogeierite Fe2GeO4, spinel", SPINEL),
    "R100133": ("spinel MgAl2O4", SPINEL),
    "R130024": ("carrollite CuCo2S4, spinel", SPINEL),
    "R061077": ("bismuthinite Bi2S3, stibnite type", ("62|ccccc|A2B3",)),
    "R070307": ("emplectite CuBiS2, chalcostibite type", ("62|cccc|ABC2",)),
    "R110178": ("perovskite CaTiO3, GdFeO3 type", ("62|bccd|ABC3",)),
    "R040077": ("brucite Mg(OH)2", ("164|add|AB2C2",)),
}

# rruff90 scans neither in RRUFF_TYPES nor negatives of the "unknown" decision: their type's key is
# a catalogue key under an unrelated type's name (cotunnite, montroydite, diaspore), or the
# mineral's structure is not certain from RRUFF's data (hexagonal NiS, NbBO4).
RRUFF_AMBIGUOUS = {"R060655": "cotunnite PbCl2: the Co2Si key", "R070235": "montroydite HgO: the FeB key",
                   "R060546": "diaspore AlO(OH): the CuSbS2 key", "R080122": "NiS, hexagonal: NiAs type or not",
                   "R090010": "NbBO4: type not certain"}  # fmt: skip

# {scan name: [phases without a usable reference]}, filled by mixture_scans().
MISSING_REFERENCES: dict[str, list[str]] = {}


@dataclass
class MeasuredScan:
    """One measured diffractogram and the phases known to be in the sample.

    Attributes:
        name: unique, ``<collection folder>/<material or file stem>`` (e.g. "refined_xy/KBi3").
        collection: "refined_xy", "iucr_pdcif", "autoanalyzer", "precursor_mixture" (or
            "binary_reaction", not loaded: their phases are unknown).
        pattern: the scan as measured (no background removal), with the wavelength of the
            file or of the TOPAS input [angstrom].
        phases: names of the known phases, main phase first; keys of ``references``.
        references: structure of each known phase (conventional cells, as in their files).
        weight_fractions: known weight fractions in phase order (weighed mixtures), else None.
        note: where the references come from.
    """

    name: str
    collection: str
    pattern: "Diffractogram"  # noqa: F821 - pymatgen_ml_xrd.diffraction.Diffractogram
    phases: list[str]
    references: dict[str, "Structure"]  # noqa: F821 - pymatgen.core.Structure
    weight_fractions: list[float] | None
    note: str = ""


def rruff_scans(data: Path = DEFAULT_DATA) -> list[tuple["MeasuredScan", str]]:
    """[(scan, formula)] of every rruff90 scan, Cu K-alpha as bench_experimental.py reads them
    (RRUFF states no wavelength; its powder scans are Cu K-alpha). A scan has no references;
    ``phases`` and the formula hold RRUFF's ideal chemistry, charges dropped ("Mn2+TiO3" ->
    MnTiO3), ``note`` the mineral of RRUFF_TYPES where it is listed."""
    import pandas as pd
    from pymatgen.core import Composition

    from pymatgen_ml_xrd.io import read_pattern

    folder = Path(data) / EXPERIMENTAL / "rruff90"
    table = pd.read_csv(folder / "RRUFFlist.tsv", sep="\t")
    out = []
    for rid, chemistry in zip(table["ID"], table["IDEAL CHEMISTRY"]):
        files = sorted((folder / "RRUFFdata90").glob(f"{rid}*.csv"))
        if not files:
            print(f"  note: rruff90 {rid}: no scan file, skipped")
            continue
        formula = Composition(re.sub(r"([A-Z][a-z]?)\d\+", r"\1", chemistry)).reduced_formula
        note = RRUFF_TYPES[rid][0] if rid in RRUFF_TYPES else ""
        scan = MeasuredScan(name=f"rruff90/{rid}", collection="rruff90", pattern=read_pattern(files[0], "CuKa"),
                            phases=[formula], references={}, weight_fractions=None, note=note)
        out.append((scan, formula))
    return out


def rruff_type_scans(data: Path = DEFAULT_DATA) -> list[tuple["MeasuredScan", str, tuple[str, ...]]]:
    """[(scan, formula, right type keys)] of the rruff90 scans in RRUFF_TYPES (see :func:`rruff_scans`)."""
    return [(scan, formula, RRUFF_TYPES[scan.name.split("/")[1]][1]) for scan, formula in rruff_scans(data)
            if scan.name.split("/")[1] in RRUFF_TYPES]  # fmt: skip


def _space_group(structure) -> tuple[int, str]:
    """(number, symbol) of a structure, spglib with symprec 0.1 (as bench_experimental.py)."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    sga = SpacegroupAnalyzer(structure, symprec=0.1)
    return sga.get_space_group_number(), sga.get_space_group_symbol()


def phase_name(structure) -> str:
    """``<reduced formula>_<space group number>``, the XRD-AutoAnalyzer convention ("TiO2_141")."""
    return f"{structure.composition.reduced_formula}_{_space_group(structure)[0]}"


def _cif_structures(cif: Path) -> list:
    """Every structure of a CIF (conventional cells), file order; a block that fails is skipped
    and a printed note says so, as does a composition differing from the CIF's formula."""
    from pymatgen.io.cif import CifParser

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parser = CifParser(cif)
        structures = parser.parse_structures(primitive=False, on_error="warn")
    with_atoms = sum("_atom_site_fract_x" in b.data or "_atom_site_cartn_x" in b.data
                     for b in parser._cif.data.values())
    if len(structures) < with_atoms:
        print(f"  note: {cif.name}: {with_atoms - len(structures)} block(s) with atom sites gave no structure")
    for w in caught:
        text = str(w.message)
        if text.startswith("Incorrect stoichiometry"):
            print(f"  note: {cif.name}: " + " ".join(text.split())[:150])
    return structures


def _named(structures: list, where: str) -> dict:
    """{unique phase name: structure}, in order; a repeated name gets "-2", "-3", ..."""
    out: dict = {}
    for s in structures:
        base = name = phase_name(s)
        k = 2
        while name in out:
            name, k = f"{base}-{k}", k + 1
        out[name] = s
    return out


def single_phase_scans(data: Path = DEFAULT_DATA) -> list["MeasuredScan"]:
    """refined_xy and iucr_pdcif scans, each with the structures refined against it.

    "Single-phase" names the collections (one intended compound per sample); multi-phase
    refinements keep all their phases (impurities, internal standards), main phase first.
    """
    from pymatgen_ml_xrd.io import read_pattern
    from pymatgen_ml_xrd.io.topas import topas_wavelengths

    data = Path(data)
    scans: list[MeasuredScan] = []
    root = data / EXPERIMENTAL / "refined_xy"
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        cifs, xys, inps = (sorted(folder.glob(f"*.{e}")) for e in ("cif", "xy", "inp"))
        if not (cifs and xys):
            print(f"  note: {folder.name}: no .cif or .xy, skipped")
            continue
        lines = topas_wavelengths(inps[0]) if inps else []
        if not lines:
            print(f"  note: {folder.name}: no TOPAS wavelength, assuming Cu K-alpha")
        refs = _named(_cif_structures(cifs[0]), folder.name)
        if not refs:
            print(f"  note: {folder.name}: no structure in {cifs[0].name}, skipped")
            continue
        scans.append(MeasuredScan(
            name=f"refined_xy/{folder.name}", collection="refined_xy",
            pattern=read_pattern(xys[0], lines[0] if lines else None),
            phases=list(refs), references=refs, weight_fractions=None,
            note=f"refined CIF {cifs[0].name}" + (f" ({len(refs)} phases)" if len(refs) > 1 else "")
                 + (f"; wavelength from {inps[0].name}" if lines else "")))
    for cif in sorted((data / EXPERIMENTAL / "iucr_pdcif").glob("*.cif")):
        refs = _named(_cif_structures(cif), cif.name)
        stem = cif.name.split(".")[0]
        if not refs:
            print(f"  note: iucr_pdcif/{stem}: no parsable structure, skipped")
            continue
        scans.append(MeasuredScan(
            name=f"iucr_pdcif/{stem}", collection="iucr_pdcif", pattern=read_pattern(cif),
            phases=list(refs), references=refs, weight_fractions=None,
            note="refined structure(s) of the same powder CIF"))
    return scans


def _precursor_structure(data: Path, formula: str, tables: dict):
    """(structure, note) of a precursor from PRECURSOR_REFERENCES."""
    import pandas as pd
    from pymatgen.core import Composition, Structure

    rel, key, what = PRECURSOR_REFERENCES[formula]
    path = data / rel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if path.suffix == ".cif":
            return Structure.from_file(path), what + f" [{rel}]"
        if rel not in tables:
            tables[rel] = pd.read_csv(path)
        frame = tables[rel]
        if "material_id" in frame.columns:
            rows = frame.index[frame["material_id"] == key]
        else:  # aflow_statistics: no ids; the row of that formula and space group
            rows = [i for i in frame.index[frame["spacegroup.number"] == int(key)]
                    if Composition(re.search(r"_chemical_formula_sum\s+'?([^'\n]+)", frame["cif"][i]).group(1))
                    .reduced_formula == Composition(formula).reduced_formula]
        if len(rows) != 1:
            raise ValueError(f"{rel}: expected one row for {formula} ({key!r}), found {len(rows)}")
        structure = Structure.from_str(frame["cif"][rows[0]], fmt="cif")
    if structure.composition.reduced_formula != Composition(formula).reduced_formula:
        raise ValueError(f"{rel} {key}: holds {structure.composition.reduced_formula}, not {formula}")
    return structure, what + f" [{rel}]"


_MIXTURE = re.compile(r"^(?P<body>.+)--(?P<time>\d+min)$")


def _mixture_name(stem: str) -> tuple[list[str], list[float]]:
    """Precursors and weight fractions of "In2O3_0p3022-La(OH)3_0p5014-TiO2_0p2004--2min"."""
    body = _MIXTURE.match(stem).group("body")
    phases, fractions = [], []
    for part in body.split("-"):
        formula, frac = part.rsplit("_", 1)
        phases.append(formula)
        fractions.append(float(frac.replace("p", ".")))
    return phases, fractions


def mixture_scans(data: Path = DEFAULT_DATA) -> list["MeasuredScan"]:
    """Measured multi-phase scans with known phases: XRD-AutoAnalyzer examples and dara's weighed
    precursor mixtures (weight fractions known). Scans with a phase without a usable reference are
    left out and recorded in MISSING_REFERENCES (reasons in MISSING_WHY). The binary-reaction
    scans are not loaded: their product phases are unknown.

    Assumed: AutoAnalyzer .xy scans are Cu K-alpha (pymatgen "CuKa", 1.54184 A), the convention
    of the AutoAnalyzer README; .xrdml scans carry their own wavelength (K-alpha1, 1.5406 A).
    """
    from pymatgen.core import Composition, Structure

    from pymatgen_ml_xrd.io import read_pattern

    data = Path(data)
    MISSING_REFERENCES.clear()
    scans: list[MeasuredScan] = []
    tables: dict = {}
    cache: dict[str, tuple] = {}

    def precursor(formula: str):
        if formula not in cache:
            cache[formula] = _precursor_structure(data, formula, tables)
        return cache[formula]

    aa = data / EXPERIMENTAL / "autoanalyzer_mixtures"
    for xy in sorted((aa / "Example" / "Spectra").glob("*.xy")):
        formulas = xy.stem.split("+")
        missing = [f for f in formulas if f not in AUTOANALYZER_POLYMORPHS]
        if missing:
            MISSING_REFERENCES[f"autoanalyzer/{xy.stem}"] = missing
            continue
        refs, notes = {}, []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for f in formulas:
                stem = AUTOANALYZER_POLYMORPHS[f]
                refs[stem] = Structure.from_file(aa / "Example" / "References" / f"{stem}.cif")
                notes.append(f"{stem}: AutoAnalyzer References/{stem}.cif")
        scans.append(MeasuredScan(
            name=f"autoanalyzer/{xy.stem}", collection="autoanalyzer", pattern=read_pattern(xy, "CuKa"),
            phases=list(refs), references=refs, weight_fractions=None,
            note="; ".join(notes) + "; order: as in the file name, Cu K-alpha assumed"))
    for xy in sorted((aa / "PDF_Example" / "Spectra").glob("*.xy")):
        formulas = [Composition(f).reduced_formula for f in xy.stem.split("-")]
        missing = [f for f in formulas if f not in PRECURSOR_REFERENCES]
        if missing:
            MISSING_REFERENCES[f"autoanalyzer/PDF_Example/{xy.stem}"] = missing
            continue
        refs, notes = {}, []
        for f in formulas:
            s, what = precursor(f)
            refs[phase_name(s)] = s
            notes.append(f"{phase_name(s)}: {what}")
        scans.append(MeasuredScan(
            name=f"autoanalyzer/PDF_Example/{xy.stem}", collection="autoanalyzer",
            pattern=read_pattern(xy, "CuKa"), phases=list(refs), references=refs, weight_fractions=None,
            note="; ".join(notes)))

    folder = data / EXPERIMENTAL / "precursor_mixtures_xrdml" / "precursor_mixture"
    for path in sorted(folder.glob("*.xrdml")):
        precursors, fractions = _mixture_name(path.stem)
        name = f"precursor_mixture/{path.stem}"
        missing = [p for p in precursors if p not in PRECURSOR_REFERENCES]
        if missing:
            MISSING_REFERENCES[name] = missing
            continue
        order = sorted(range(len(precursors)), key=lambda i: -fractions[i])
        refs, notes, phases = {}, [], []
        for i in order:
            s, what = precursor(precursors[i])
            phases.append(phase_name(s))
            refs[phases[-1]] = s
            notes.append(f"{phases[-1]}: {what}")
        scans.append(MeasuredScan(
            name=name, collection="precursor_mixture", pattern=read_pattern(path),
            phases=phases, references=refs, weight_fractions=[fractions[i] for i in order],
            note="; ".join(notes)))
    return scans


def all_references(scans: list["MeasuredScan"]) -> dict[str, "Structure"]:  # noqa: F821
    """Union of the scans' reference structures (a distractor library), names unique.

    The same name from several scans is kept once when the structures match (pymatgen
    StructureMatcher, default tolerances: e.g. anatase shared by AutoAnalyzer and the precursor
    mixtures); a different structure under a taken name (e.g. the same compound refined in two
    studies) is renamed "<name>-2", "-3", ... in the returned dict AND in that scan's ``phases``
    and ``references`` (modified in place), so every scan's phases stay keys of the union.
    """
    from pymatgen.analysis.structure_matcher import StructureMatcher

    matcher = StructureMatcher()
    union: dict = {}
    for scan in scans:
        renames = {}
        for name in scan.phases:
            s = scan.references[name]
            base = candidate = name
            k = 2
            while candidate in union and union[candidate] is not s and not matcher.fit(union[candidate], s):
                candidate, k = f"{base}-{k}", k + 1
            union.setdefault(candidate, s)
            if candidate != name:
                renames[name] = candidate
        if renames:
            scan.phases = [renames.get(p, p) for p in scan.phases]
            scan.references = {renames.get(p, p): s for p, s in scan.references.items()}
    return union


def _summary(scans: list[MeasuredScan]) -> None:
    from collections import defaultdict

    groups = defaultdict(list)
    for s in scans:
        groups[s.collection].append(s)
    print(f"\n{'collection':<18} {'scans':>5}  {'wavelength(s) [A]':<26} {'2-theta range [deg]':<22} phases/scan")
    for col, items in groups.items():
        lams = sorted({round(s.pattern.wavelength, 4) for s in items})
        lo = min(s.pattern.x[0] for s in items)
        hi = max(s.pattern.x[-1] for s in items)
        counts = defaultdict(int)
        for s in items:
            counts[len(s.phases)] += 1
        per = ", ".join(f"{n}: {c}" for n, c in sorted(counts.items()))
        print(f"{col:<18} {len(items):>5}  {', '.join(map(str, lams)):<26} {lo:6.2f} - {hi:6.2f}        {per}")
    print()
    for s in scans:
        wf = "" if s.weight_fractions is None else " wf " + "/".join(f"{w:.2f}" for w in s.weight_fractions)
        print(f"  {s.name:<62} {s.pattern.wavelength:7.4f} A {s.pattern.x[0]:6.2f}-{s.pattern.x[-1]:6.2f} "
              f"n={len(s.pattern.x):<6} {' + '.join(s.phases)}{wf}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    print("loading single-phase collections ...")
    single = single_phase_scans(args.data)
    print("loading mixtures ...")
    mixtures = mixture_scans(args.data)
    scans = single + mixtures
    _summary(scans)
    refs = all_references(scans)
    print(f"\nreference library: {len(refs)} structures")
    sources = {}
    for s in scans:
        if s.collection in ("refined_xy", "iucr_pdcif"):
            for p in s.phases:
                sources.setdefault(p, f"{s.note} ({s.name})")
        else:
            for part in s.note.split("; "):
                p, _, what = part.partition(": ")
                if p in refs and what:
                    sources.setdefault(p, what)
    for p in refs:
        print(f"  {p:<22} {sources.get(p, '')}"[:240])
    print(f"\nleft out ({len(MISSING_REFERENCES)} scans):")
    for name, phases in MISSING_REFERENCES.items():
        print(f"  {name:<64} missing {', '.join(phases)}")
    print("\nwhy:")
    for p, why in MISSING_WHY.items():
        print(f"  {p}: {why}")
    print("\nnot loaded: precursor_mixtures_xrdml/binary_reactions (20 reaction products, phases not stated)")


if __name__ == "__main__":
    main()
