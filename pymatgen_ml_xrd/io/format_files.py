"""The metadata JSON of the package's own file formats (models, generator statistics).

Every file the package writes is a JSON document naming its format and version, next to its
data files (``.keras``, ``.npz``). :func:`read_format_json` checks all of that once, so that
loading refuses a missing, foreign, damaged or newer file with a clear error.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["read_format_json"]


def read_format_json(json_path: Path, companions: tuple[Path, ...], file_format: str, format_version: int,
                     error: type[Exception], what: str = "file") -> dict:
    """The metadata dict of ``json_path`` after checking that it and its ``companions`` exist, that it
    is JSON of ``file_format`` and of ``format_version``.

    Raises:
        error: naming the file and what is wrong with it.
    """
    for p in (json_path, *companions):
        if not p.is_file():
            raise error(f"{what} {p} does not exist")
    try:
        meta = json.loads(json_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise error(f"{json_path} is not valid JSON: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != file_format:
        raise error(f"{json_path} is not a {file_format} file")
    if meta.get("format_version") != format_version:
        raise error(f"{json_path} has format version {meta.get('format_version')!r}; this version of "
                    f"pymatgen_ml_xrd reads version {format_version}")
    return meta
