"""The package's shape: public names where users import them, no import cycles, small modules,
and dependencies that point one way (DESIGN.md: io/signals <- features <- datasets/augment <-
models <- train/evaluate/predict <- cli/widgets).

The import graph is read from the source with ``ast`` (nothing is imported to build it), counting
module-level and function-level imports alike: a cycle through a function-level import is still a
cycle, it only fails later.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "audiokit"
NOTEBOOKS = ROOT / "notebooks"
MAX_LINES = 450  # the hard limit of the style guide (the aim is 400)

# Layer of each top-level part of audiokit: a module may import its own layer and the ones below.
LAYERS = {
    "io": 0, "signals": 0, "metrics": 0, "plots": 0,
    "features": 1,
    "datasets": 2, "augment": 2, "lessons": 2,
    "models": 3,
    "train": 4, "pretrained": 4, "evaluate": 4, "predict": 4, "export": 4, "preprocess": 4, "sources": 4,
    "streaming": 4, "robustness": 4, "crossval": 4,
    "cli": 5, "widgets": 5, "__main__": 5,
    "mic": 4, "recorder": 5, "live": 5, "perturbations": 4, "profiling": 3, "exercises": 5,
    "course": 5,
}


# -- (a) public names keep their import paths -------------------------------------------------


def test_train_names_import_from_audiokit_train():
    from audiokit.train import (  # noqa: F401 - importing them is the test
        BUILTIN_DATA,
        CHECKPOINT_FORMAT,
        CHECKPOINT_VERSION,
        DATA_KINDS,
        RECIPES,
        CheckpointError,
        ConfigError,
        DataConfig,
        ModelConfig,
        Run,
        TrainConfig,
        build_datasets,
        build_from_checkpoint,
        cleanup_distributed,
        fit,
        load_checkpoint,
        parse_data_spec,
        recipe,
        resolve_device,
        save_checkpoint,
    )

    # The on-disk checkpoint format did not move with the code: old checkpoints still load.
    assert (CHECKPOINT_FORMAT, CHECKPOINT_VERSION) == ("audiokit-checkpoint", 1)
    assert BUILTIN_DATA == ("spoken_digits", "spoken_digits_real", "drum_hits")
    assert set(RECIPES) == {"spoken_digits", "drum_hits"}
    assert issubclass(ConfigError, ValueError) and issubclass(CheckpointError, RuntimeError)
    assert recipe("drum_hits").model.name == "resnet_se"


def test_datasets_names_import_from_audiokit_datasets():
    from audiokit.datasets import (  # noqa: F401 - importing them is the test
        AudioDataset,
        Collate,
        esc50,
        from_folder,
        from_list,
        kfold_by_group,
        load_builtin,
        make_loader,
        split_by_group,
        urbansound8k,
    )

    assert callable(from_folder) and isinstance(AudioDataset, type)


def _notebook_imports() -> Iterator[tuple[str, str, list[str]]]:
    """(notebook, module, names) of every ``from audiokit... import ...`` in a code cell."""
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
            try:
                tree = ast.parse("\n".join(lines))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("audiokit"):
                    yield nb.name, node.module, [a.name for a in node.names]


def test_every_name_the_notebooks_import_exists():
    import importlib

    missing = []
    for nb, module, names in _notebook_imports():
        mod = importlib.import_module(module)
        for name in names:
            if not hasattr(mod, name):
                try:
                    importlib.import_module(f"{module}.{name}")
                except ImportError:
                    missing.append(f"{nb}: from {module} import {name}")
    assert not missing, "names the notebooks import that no longer exist:\n" + "\n".join(missing)


# -- the import graph, read from the source ---------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in _imports_in(child))
            continue
        yield from _imports_in(node)


def _imports_in(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    else:
        yield from _imports(node)


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest known module ``name`` starts with (``audiokit.train.fit`` -> ``audiokit.train``)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in modules:
            return candidate
    return None


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom,
             modules: dict[str, Path]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield _resolve(alias.name, modules)
        return
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    for alias in node.names:  # `from pkg import sub` imports the submodule pkg.sub
        yield _resolve(f"{base}.{alias.name}", modules) or _resolve(base, modules)


def _graph() -> dict[str, set[str]]:
    """module -> the audiokit modules it imports (module- or function-level)."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for node in _imports(ast.parse(path.read_text(), filename=str(path))):
            for target in _targets(module, path, node, modules):
                if target is not None and target != module:
                    graph[module].add(target)
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_graph_reader_resolves_relative_absolute_and_function_level_imports(tmp_path):
    """The reader itself: a cycle through a relative and a function-level import is found."""
    src = {"__init__.py": "", "a.py": "from . import b\n",
           "b.py": "def f():\n    from pkg.c import g\n", "c.py": "import pkg.a\n",
           "d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n"}
    for name, text in src.items():
        (tmp_path / "pkg").mkdir(exist_ok=True)
        (tmp_path / "pkg" / name).write_text(text)
    modules = {_module_name_under(p, tmp_path): p for p in sorted((tmp_path / "pkg").glob("*.py"))}
    graph = {m: set() for m in modules}
    for m, p in modules.items():
        for node in _imports(ast.parse(p.read_text())):
            graph[m] |= {t for t in _targets(m, p, node, modules) if t and t != m}
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.c"}
    assert graph["pkg.d"] == set()  # typing-only imports are not runtime edges
    assert _find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]


def _module_name_under(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# -- (b) no cycles ----------------------------------------------------------------------------


def test_no_import_cycles():
    cycle = _find_cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


# -- (c) module size --------------------------------------------------------------------------


def test_no_module_over_the_line_limit():
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        n = len(path.read_text().splitlines())
        if n > MAX_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {n} lines")
    assert not too_long, f"modules over {MAX_LINES} lines (split them):\n" + "\n".join(too_long)


# -- (d) layering -----------------------------------------------------------------------------


def _part(module: str) -> str | None:
    """``audiokit.train.loop`` -> ``train``; the root package itself -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_top_level_module_has_a_layer():
    parts = {_part(m) for m in _modules()} - {None}
    unplaced = sorted(parts - set(LAYERS))
    assert not unplaced, (f"audiokit modules with no layer: {unplaced}; add them to LAYERS in "
                          f"tests/test_structure.py (and to DESIGN.md's module table)")


@pytest.mark.parametrize("low, high", [
    ({"io", "signals"}, {"features", "datasets", "augment", "models", "train", "evaluate",
                         "predict", "cli", "widgets"}),
    ({"models"}, {"train", "evaluate", "predict", "cli", "widgets"}),
])
def test_named_layering_rules(low, high):
    """The rules DESIGN.md spells out, checked by name (independent of the LAYERS table)."""
    graph = _graph()
    wrong = sorted(f"{m} imports {t}" for m, targets in graph.items() if _part(m) in low
                   for t in targets if _part(t) in high)
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_dependencies_point_one_way():
    graph = _graph()
    wrong = []
    for module, targets in sorted(graph.items()):
        here = LAYERS.get(_part(module))
        for t in sorted(targets):
            there = LAYERS.get(_part(t))
            if here is not None and there is not None and there > here:
                wrong.append(f"{module} (layer {here}) imports {t} (layer {there})")
    assert not wrong, "imports that point up the layers:\n" + "\n".join(wrong)


def test_train_package_modules_are_one_concern_each():
    """The split of the old 1,355-line train.py stays split: each file well under the limit."""
    sizes = {p.name: len(p.read_text().splitlines()) for p in (PACKAGE / "train").glob("*.py")}
    assert {"config.py", "data.py", "checkpoint.py", "distributed.py", "loop.py",
            "run.py"} <= set(sizes)
    assert max(sizes.values()) <= 400, sizes
    assert not (PACKAGE / "train.py").exists()


# -- (e) cited files exist --------------------------------------------------------------------

#: A repository file cited in prose: ``data/...``, ``notebooks/...`` or any Markdown file
#: (relative to the repository root). Absolute, home (~), ``../`` and ``$VAR`` paths are not
#: citations of repository files, and neither are bare folder names (``data/``).
CITED = re.compile(r"(?<![\w/.~$-])((?:data|notebooks)/[\w.-]+(?:/[\w.-]+)*|[\w-]+(?:/[\w.-]+)*\.md)"
                   r"(?![\w/])")


def _prose_of_python(text: str) -> list[str]:
    """Comments and docstrings: where code cites files (string literals are data, not citations)."""
    parts = [tok.string for tok in tokenize.generate_tokens(io.StringIO(text).readline)
             if tok.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            parts.append(ast.get_docstring(node, clean=False) or "")
    return parts


def _prose_of_notebook(path: Path) -> list[str]:
    """Markdown cells, and the comment lines of code cells."""
    parts = []
    for cell in json.loads(path.read_text())["cells"]:
        source = "".join(cell["source"])
        parts += [source] if cell["cell_type"] == "markdown" else [
            ln for ln in source.splitlines() if "#" in ln]
    return parts


def _citations() -> dict[str, set[str]]:
    """cited path -> the files (relative to the root) that cite it."""
    sources = {p: _prose_of_python(p.read_text()) for p in
               sorted([*PACKAGE.rglob("*.py"), *(ROOT / "tests").rglob("*.py")])}
    sources |= {p: _prose_of_notebook(p) for p in sorted(NOTEBOOKS.glob("*.ipynb"))}
    sources |= {p: [p.read_text()] for p in (ROOT / "DESIGN.md", ROOT / "README.md")}
    cited: dict[str, set[str]] = {}
    for path, parts in sources.items():
        for text in parts:
            for name in CITED.findall(text):
                cited.setdefault(name.rstrip("."), set()).add(str(path.relative_to(ROOT)))
    return cited


def test_citation_reader_finds_repository_paths_only():
    text = ("see DESIGN.md and `data/README.md` (notebooks/07_tdnn.ipynb), not ../data/x.md, "
            "~/notes.md, $AUDIOKIT_DATA/y, /tmp/z.md or data/")
    assert CITED.findall(text) == ["DESIGN.md", "data/README.md", "notebooks/07_tdnn.ipynb"]


def test_every_cited_file_exists():
    """Docstrings, comments, tests and notebooks cite files that are in the repository."""
    cited = _citations()
    assert "DESIGN.md" in cited  # the reader works on the real sources
    missing = sorted(f"{name} (cited in {', '.join(sorted(where))})"
                     for name, where in cited.items() if not (ROOT / name).exists())
    assert not missing, "cited files that do not exist:\n" + "\n".join(missing)


def test_design_md_layer_table_matches_layers():
    """DESIGN.md's layer table says what LAYERS says: each part in the row of its layer."""
    rows = {}
    for line in (ROOT / "DESIGN.md").read_text().splitlines():
        m = re.match(r"\|\s*(\d)\s*\|(.*)\|\s*$", line)
        if m:
            rows[int(m[1])] = set(re.findall(r"`(\w+)`", m[2]))
    assert rows == {layer: {p for p, v in LAYERS.items() if v == layer} for layer in rows}
    assert set(rows) == set(LAYERS.values())
