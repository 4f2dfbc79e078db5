"Every module of btvq imports only the standard library and the runtime requirements (and what they depend on)."
import ast
import re
import sys
from configparser import ConfigParser
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

REPO = Path(__file__).parents[1]


def _name(req: str) -> str:
    "Distribution name of a requirement line ('torch>=2.2' -> 'torch'), normalised."
    return re.split(r"[<>=!~;\[ ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def runtime_closure() -> set[str]:
    "The runtime requirements of settings.ini and, recursively, their own non-optional requirements."
    cfg = ConfigParser(delimiters=["="])
    cfg.read(REPO / "settings.ini")
    todo, seen = [_name(r) for r in cfg["DEFAULT"]["requirements"].split()], set()
    while todo:
        name = todo.pop()
        if name in seen: continue
        seen.add(name)
        try: deps = requires(name) or []
        except PackageNotFoundError: continue
        todo += [_name(d) for d in deps if "extra ==" not in d]
    return seen


def imported_modules(path: Path) -> set[str]:
    "Top-level names of every module `path` imports (anywhere in the file), except relative imports."
    mods = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import): mods |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0: mods.add(node.module.split(".")[0])
    return mods


def offenders(folder: Path) -> dict[str, list[str]]:
    "For each .py file of `folder`, the modules it imports that are neither stdlib nor runtime requirements."
    allowed, dists, bad = runtime_closure(), packages_distributions(), {}
    for path in sorted(folder.rglob("*.py")):                   # subpackages too (btvq.report)
        for mod in sorted(imported_modules(path) - set(sys.stdlib_module_names) - {"btvq"}):
            if not {_name(d) for d in dists.get(mod, [mod])} & allowed:
                bad.setdefault(path.relative_to(folder).as_posix(), []).append(mod)
    return bad


def test_modules_need_only_runtime_requirements():
    assert offenders(REPO / "btvq") == {}, "imports outside the runtime requirements (dev-only or missing)"


def test_the_check_catches_a_dev_only_import(tmp_path):
    (tmp_path / "m.py").write_text("import json\nimport numpy\nfrom fastcore.imports import IN_NOTEBOOK\n")
    assert offenders(tmp_path) == {"m.py": ["fastcore"]}
