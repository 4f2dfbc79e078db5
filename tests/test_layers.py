"""The README's notebook table is the package's layering: every import of a `btvq` module points to its own layer or
one listed above it, and no module imports, directly or through others, the one importing it."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_layers() -> dict[str, int]:
    "Module -> layer index (0: the first layer of the README's table; blank layer cells continue the one above)."
    layers, layer = {}, -1
    for line in (ROOT / 'README.md').read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) != 4 or not cells[2].startswith('`btvq'): continue
        if cells[0]: layer += 1
        name = cells[2].strip('`')
        m = re.fullmatch(r'(btvq(?:\.\w+)*)\.\{(.+)\}', name)
        for mod in ([f'{m[1]}.{part.strip()}' for part in m[2].split(',')] if m else [name]): layers[mod] = layer
    return layers


def imports() -> dict[str, set[str]]:
    "Each module of the package -> the `btvq` modules it imports anywhere (module level or inside functions)."
    out = {}
    for path in (ROOT / 'btvq').rglob('*.py'):
        if path.name in ('_modidx.py', '__main__.py'): continue
        rel = path.relative_to(ROOT).with_suffix('')
        name = '.'.join(rel.parts[:-1] if rel.name == '__init__' else rel.parts)
        package = name if rel.name == '__init__' else name.rsplit('.', 1)[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = '.'.join(package.split('.')[:len(package.split('.')) - node.level + 1]) if node.level else ''
                mod = '.'.join(p for p in (base, node.module or '') if p)
                found |= {f'{mod}.{a.name}' for a in node.names} | {mod}
            elif isinstance(node, ast.Import): found |= {a.name for a in node.names}
        out[name] = {m for m in found if m.startswith('btvq')}
    return out


def resolve(name: str, modules) -> str | None:
    "The package module `name` refers to (an attribute import names its module), None if none."
    while name and name not in modules: name = name.rpartition('.')[0]
    return name or None


def test_every_module_has_a_layer():
    layers, mods = readme_layers(), imports()
    missing = sorted(m for m in mods if m not in layers and m not in ('btvq', 'btvq.report'))
    assert not missing, f"modules missing from the README's layer table: {missing}"


def test_imports_point_up_the_table():
    layers, mods = readme_layers(), imports()
    bad = [f'{m} (layer {layers[m]}) imports {d} (layer {layers[d]})' for m, deps in mods.items() if m in layers
           for d in {resolve(x, mods) for x in deps} if d in layers and layers[d] > layers[m]]
    assert not bad, 'imports pointing down the table:\n' + '\n'.join(bad)


def test_no_import_circle():
    mods = imports()
    graph = {m: {resolve(x, mods) for x in deps} - {None, m, 'btvq', 'btvq.report'} for m, deps in mods.items()}
    def reach(start):
        seen, todo = set(), list(graph[start])
        while todo:
            n = todo.pop()
            if n not in seen: seen.add(n); todo += graph.get(n, ())
        return seen
    circles = sorted(m for m in graph if m in reach(m))
    assert not circles, f"modules that import themselves through others: {circles}"
