"""What `pip install gradstep` puts into a user's site-packages: one `gradstep` package.

The repository keeps `engine/`, `tui/` and `scenarios/` at its top; pyproject.toml maps them to
`gradstep.engine`, `gradstep.tui` and `gradstep.scenarios`. This builds the wheel the way
`pip install .` does (in an isolated build environment, from a copy of the files a source
distribution holds) and reads its file list: nothing but `gradstep/` and the dist-info at the top,
and every module, scenario, style sheet, page template and catalog of the repository inside it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"engine": "gradstep/engine", "tui": "gradstep/tui", "scenarios": "gradstep/scenarios"}
SHIPPED = ("*.py", "*.toml", "*.csv", "*.tcss", "*.mo", "*.html")


def repository_files() -> set[str]:
    """Where each file of the three folders must land in the wheel."""
    out = set()
    for folder, home in PACKAGES.items():
        for pattern in SHIPPED:
            for f in (ROOT / folder).rglob(pattern):
                if "__pycache__" not in f.parts:
                    out.add(f"{home}/{f.relative_to(ROOT / folder).as_posix()}")
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in PACKAGES:
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out),
                    str(source)], check=True, capture_output=True, text=True, timeout=600)
    (path,) = out.glob("gradstep-*.whl")
    with zipfile.ZipFile(path) as zf:
        yield zf


def test_the_wheel_holds_only_the_gradstep_package_and_its_metadata(wheel):
    tops = {name.split("/")[0] for name in wheel.namelist()}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert len(dist_info) == 1 and tops - dist_info == {"gradstep"}, sorted(tops)
    top_level = [n for n in wheel.namelist() if n.endswith("top_level.txt")]
    for name in top_level:
        assert wheel.read(name).decode().split() == ["gradstep"]


def test_every_module_scenario_style_sheet_and_catalog_is_in_the_wheel(wheel):
    inside = {n for n in wheel.namelist() if not n.split("/")[0].endswith(".dist-info")}
    missing = repository_files() - inside
    assert not missing, sorted(missing)


def test_the_console_script_runs_the_packaged_command_line(wheel):
    (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    lines = wheel.read(entry_points).decode().splitlines()
    assert "gradstep = gradstep.tui.cli:main" in [line.strip() for line in lines]


def test_no_source_imports_the_folders_by_their_repository_names():
    """Run from the repository, `import engine` would still work (the folder is on sys.path)
    and would load a second copy of every module; only `gradstep.*` names are meant."""
    import ast

    offenders = []
    for folder in ("engine", "tui", "tests", "benchmarks"):
        for f in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(f.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    if name.split(".")[0] in PACKAGES:
                        offenders.append(f"{f.relative_to(ROOT)}:{node.lineno}: {name}")
    assert not offenders, offenders
