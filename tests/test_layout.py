"""The layout keeps the wall visible: no import cycles, no imports hidden in functions, and the
import contracts in pyproject.toml fail a change that reaches across the wall."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from partnercontact.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "partnercontact"
# The command line may import what a command needs when it runs (the app, the worker).
COMMAND_LINE = PACKAGE / "cli"
# Lazy on purpose, each with its reason in a comment just above: the Twilio SDK is loaded only
# when Twilio is the configured transport.
HEAVY = {"partnercontact.transports.twilio_transport"}


def _strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(module: str) -> None:
        nonlocal counter
        index[module] = low[module] = counter
        counter += 1
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_there_is_no_import_cycle() -> None:
    graph = grimp.build_graph("partnercontact", exclude_type_checking_imports=True)
    assert _strongly_connected(graph) == []


def _function_level_imports(path: Path) -> list[tuple[int, str, str]]:
    """(line, imported module, the line above) for first-party imports inside functions."""
    source = path.read_text()
    lines = source.splitlines()
    found: list[tuple[int, str, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, True)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            elif isinstance(child, ast.Import | ast.ImportFrom) and in_function:
                module = (
                    child.module if isinstance(child, ast.ImportFrom) else child.names[0].name
                ) or ""
                if module.startswith("partnercontact"):
                    above = lines[child.lineno - 2].strip() if child.lineno > 1 else ""
                    found.append((child.lineno, module, above))
            else:
                visit(child, in_function)

    visit(ast.parse(source), False)
    return found


def test_no_first_party_import_hides_in_a_function_outside_the_command_line() -> None:
    hidden = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if COMMAND_LINE in path.parents:
            continue
        for line, module, above in _function_level_imports(path):
            explained = module in HEAVY and above.startswith("# Imported here")
            if not explained:
                hidden.append(f"{path.relative_to(PROJECT_ROOT)}:{line} {module}")
    assert hidden == []


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(executable), str(root / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def copy_of_the_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    shutil.copytree(PACKAGE, root / "partnercontact", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    clean = _lint_imports(root)
    assert clean.returncode == 0, clean.stdout
    return root


@pytest.mark.parametrize(
    ("module", "reaching_for", "contract"),
    [
        (
            "client_side/cases/service.py",
            "partnercontact.partner_side.models",
            "The client side never imports the partner side",
        ),
        (
            "partner_side/contact.py",
            "partnercontact.client_side.consent.models",
            "The partner side never imports the client side",
        ),
        ("audit/service.py", "partnercontact.partner_side.models", "The platform and the kernel"),
        (
            "portal/views.py",
            "partnercontact.client_side.cases.models",
            "Her portal uses partner-side services only",
        ),
        (
            "staffing/queries.py",
            "partnercontact.client_side.cases.models",
            "The shared instruments, lists and staffing records know neither side",
        ),
    ],
)
def test_an_import_across_the_wall_fails_the_contracts(
    copy_of_the_tree: Path, module: str, reaching_for: str, contract: str
) -> None:
    target = copy_of_the_tree / "partnercontact" / module
    original = target.read_text()
    try:
        target.write_text(original + f"\nimport {reaching_for}  # noqa: E402, F401\n")
        result = _lint_imports(copy_of_the_tree)
    finally:
        target.write_text(original)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken) == 1 and broken[0].startswith(contract), result.stdout
