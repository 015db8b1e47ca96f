"""The API's layout: each side's package imports nothing of the other side's, and no module of
the API is in an import cycle (each side's blueprint is in its package's ``__init__``, which
imports none of the route modules that add to it)."""

from __future__ import annotations

import grimp
import pytest

API = "partnercontact.api"
SIDES = ("partnercontact.api.client", "partnercontact.api.partner")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("partnercontact", cache_dir=None)


def _modules_of(graph: grimp.ImportGraph, package: str) -> set[str]:
    return {package, *graph.find_descendants(package)}


@pytest.mark.parametrize(("side", "other"), [SIDES, SIDES[::-1]])
def test_a_side_of_the_api_imports_nothing_of_the_other(
    graph: grimp.ImportGraph, side: str, other: str
) -> None:
    imported = {
        found
        for module in _modules_of(graph, side)
        for found in graph.find_modules_directly_imported_by(module)
    }
    assert sorted(imported & _modules_of(graph, other)) == []
    assert sorted(imported & {API}) == []


def test_no_module_of_the_api_is_in_an_import_cycle(graph: grimp.ImportGraph) -> None:
    in_cycles = [
        (module, found)
        for module in sorted(_modules_of(graph, API))
        for found in sorted(graph.find_modules_directly_imported_by(module))
        if graph.chain_exists(importer=found, imported=module)
    ]
    assert in_cycles == []
