"""The Python examples in README.md and docs/*.md run as written.

Each ```python block of a page runs in one namespace shared by the page's blocks, in order. A
block right after a line ``<!-- not executed: REASON -->`` is skipped (training runs of an hour,
a Ray cluster); the marker must give a reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?P<marker><!-- not executed: (?P<reason>[^>]*?) -->\s*\n)?```python\n(?P<code>.*?)```", re.S)


def _blocks(page: Path) -> list[tuple[int, str | None, str]]:
    text = page.read_text()
    return [(text[: m.start()].count("\n") + 1, m.group("reason"), m.group("code")) for m in BLOCK.finditer(text)]


def test_skip_markers_give_reasons():
    for page in PAGES:
        for line, reason, _ in _blocks(page):
            assert reason is None or reason.strip(), f"{page.name}:{line}: a not-executed marker needs a reason"


@pytest.mark.parametrize("page", [p for p in PAGES if any(r is None for _, r, _ in _blocks(p))], ids=lambda p: p.name)
def test_page_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for line, reason, code in _blocks(page):
        if reason is not None:
            continue
        try:
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)  # noqa: S102 - our own docs
        except Exception as err:
            pytest.fail(f"{page.name}, block at line {line}: {type(err).__name__}: {err}")


def test_docs_site_builds_without_warnings(tmp_path):
    """mkdocs.yml renders docs/ as a site, strict: a broken link or anchor, or a page missing from
    the navigation, fails the build."""
    import subprocess
    import sys

    pytest.importorskip("mkdocs", reason="mkdocs comes with the test extra (pip install -e .[test])")
    nav = (ROOT / "mkdocs.yml").read_text()
    assert all(f"{page.name}" in nav for page in (ROOT / "docs").glob("*.md")), "every docs page is in the nav"
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"),
                          "-d", str(tmp_path / "site")], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / "site" / "phases" / "index.html").is_file()
