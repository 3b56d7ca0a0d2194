"""The shape of the code, kept true by tests: small modules and functions, presenters on the facade only,
stages that import only downwards, no import cycle."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit

PACKAGE = REPO_ROOT / "qa"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
PRESENTERS = ("qa.cli", "qa.web", "qa.eval")
# What a presenter may import from the product: the facade, settings, the data types and errors it
# hands around, the shared text tools, the HTML templating, atomic file writes and the progress display.
# Never a store, embedder, engine or LLM.
FACADE_AND_DATA = (
    "qa.service",
    "qa.settings",
    "qa.documents",
    "qa.results",
    "qa.errors",
    "qa.text",
    "qa.templating",
    "qa.files",
    "qa.progress",
)


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path))
    return found


def _qa_imports(path: Path) -> set[str]:
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module)
    return {name for name in imported if name == "qa" or name.startswith("qa.")}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_no_module_is_longer_than_a_screenful_or_two() -> None:
    long = {
        name: n for name, path in _modules() if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, (
        f"split these by job (STYLE: a module past ~{MAX_MODULE_LINES} lines becomes a package)"
    )


def test_no_function_is_longer_than_sixty_lines() -> None:
    long = {}
    for name, path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long[f"{name}.{node.name}"] = size
    assert long == {}


def test_presenters_import_only_the_facade_settings_and_data_types() -> None:
    leaks = {}
    for name, path in _modules():
        if not _within(name, PRESENTERS):
            continue
        allowed = FACADE_AND_DATA + (name.split(".")[0] + "." + name.split(".")[1],) + PRESENTERS
        wrong = {imported for imported in _qa_imports(path) if not _within(imported, allowed)}
        if wrong:
            leaks[name] = sorted(wrong)
    assert leaks == {}, "presenters go through qa.service.NewsDesk"


def test_the_check_sees_a_leak(tmp_path: Path) -> None:
    # The import check reads real code: a presenter importing the store would be caught.
    path = tmp_path / "leaky_presenter.py"
    path.write_text(
        "from qa.store.chroma import ChromaStore\nimport qa.indexing\nfrom qa.service import NewsDesk\n"
    )
    assert {i for i in _qa_imports(path) if not _within(i, FACADE_AND_DATA)} == {
        "qa.store.chroma",
        "qa.indexing",
    }


# The stages, lowest first: a module may import its own stage and those below, never one above. Base
# is the data types, settings, errors and shared tools every stage uses; `qa.sources` (the saved
# feeds and pages) sits on the fetch package and under the rest; the presenters are on top.
STAGES: tuple[tuple[str, ...], ...] = (
    ("qa.errors", "qa.settings", "qa.documents", "qa.results", "qa.text", "qa.templating", "qa.locking"),
    ("qa.loaders",),
    ("qa.sources",),
    ("qa.cleaning",),
    ("qa.chunking",),
    ("qa.embedding",),
    ("qa.store",),
    ("qa.indexing",),
    ("qa.retrieval",),
    ("qa.llm",),
    ("qa.answer",),
    ("qa.service",),
    (*PRESENTERS, "qa.__main__"),
)
# Small helpers at the base: atomic writes, a free port, the backend registry (it names modules as
# strings, imported only when a backend is opened), progress on stderr.
BASE_HELPERS = ("qa.files", "qa.ports", "qa.backends", "qa.progress")


def _stage(name: str) -> int | None:
    """The stage a module belongs to (the package `qa` itself, its version, is base); None if none."""
    if name == "qa" or _within(name, BASE_HELPERS):
        return 0
    return next((n for n, stage in enumerate(STAGES) if _within(name, stage)), None)


def _upward_arrows(modules: list[tuple[str, Path]]) -> set[tuple[str, str]]:
    """Every (module, imported) pair where the imported module is of a higher stage; imports inside
    functions and under TYPE_CHECKING count too."""
    arrows = set()
    for name, path in modules:
        for imported in _qa_imports(path):
            low, high = _stage(name), _stage(imported)
            if low is not None and high is not None and high > low:
                arrows.add((name, imported))
    return arrows


def test_every_module_has_a_stage() -> None:
    assert [name for name, _ in _modules() if _stage(name) is None] == []


def test_no_stage_imports_a_stage_above_it() -> None:
    assert _upward_arrows(_modules()) == set(), "data flows one way: move the shared piece down"


def test_the_check_sees_an_arrow_up(tmp_path: Path) -> None:
    path = tmp_path / "remote.py"
    path.write_text("from qa.cleaning import canonical_url\n\ndef f():\n    import qa.service\n")
    assert _upward_arrows([("qa.loaders.fetch.remote", path)]) == {
        ("qa.loaders.fetch.remote", "qa.cleaning"),
        ("qa.loaders.fetch.remote", "qa.service"),
    }


def _module_level_qa_imports(path: Path) -> set[str]:
    """The qa modules imported when `path` is imported: its top-level imports (also under a top-level
    try or if), not those inside functions (imported when called) nor under TYPE_CHECKING."""
    imported: set[str] = set()
    pending = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending += node.orelse
        elif isinstance(node, ast.If | ast.Try):
            pending += (
                node.body + node.orelse + getattr(node, "handlers", []) + getattr(node, "finalbody", [])
            )
        elif isinstance(node, ast.ExceptHandler):
            pending += node.body
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module)
    return {name for name in imported if name == "qa" or name.startswith("qa.")}


def _a_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of `graph` (module -> modules it imports), as a path that ends where it starts;
    [] when there is none."""
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str]:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return []
        for imported in sorted(graph.get(name, ())):
            if cycle := visit(imported, [*path, name]):
                return cycle
        done.add(name)
        return []

    return next((cycle for name in sorted(graph) if (cycle := visit(name, []))), [])


def test_no_import_cycle() -> None:
    # Module-level imports only: a lazy import inside a function (a package's factory importing the
    # backend module that imports the package's protocol) is no cycle at import time.
    graph = {name: _module_level_qa_imports(path) for name, path in _modules()}
    assert _a_cycle(graph) == []


def test_the_check_sees_a_cycle() -> None:
    graph = {"qa.a": {"qa.b"}, "qa.b": {"qa.c"}, "qa.c": {"qa.a"}, "qa.d": {"qa.a"}}
    assert _a_cycle(graph) == ["qa.a", "qa.b", "qa.c", "qa.a"]
    assert _a_cycle({"qa.a": {"qa.b"}, "qa.b": set()}) == []


def _declared_distributions() -> set[str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra
    ]
    return {_normal(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]) for requirement in requirements}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_package_the_code_imports_is_declared() -> None:
    # A package that happens to be installed (by another package, or an extra an older pip leaves
    # out) breaks the install elsewhere: every third-party import must name a declared distribution.
    providers = importlib.metadata.packages_distributions()
    declared = _declared_distributions()
    undeclared = {}
    for name, path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            for root in roots - set(sys.stdlib_module_names) - {"qa", "tests"}:
                if not {_normal(d) for d in providers.get(root, [root])} & declared:
                    undeclared[root] = name
    assert undeclared == {}
    # Imported by trafilatura's justext, not by us, and only declared there as an extra.
    assert "lxml-html-clean" in declared
