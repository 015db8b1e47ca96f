"""axe-core, the accessibility checker, run inside the page a browser walk visits.

It comes from the npm registry as its published package, pinned by version and checked
against the registry's integrity hash, and is kept under ``test-output/vendor/`` so that later
runs read the local file. Node is not needed: the package is a tar file with one script in it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from functools import cache
from typing import Any

from playwright.sync_api import Page

from partnercontact.config import PROJECT_ROOT

AXE_VERSION = "4.14.1"
AXE_TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
# The registry's "dist.integrity" of that version.
AXE_INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCK"
    "g2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
VENDORED = PROJECT_ROOT / "test-output" / "vendor" / f"axe-core-{AXE_VERSION}.min.js"


def _download() -> bytes:
    with urllib.request.urlopen(AXE_TARBALL, timeout=60) as response:  # noqa: S310  (a fixed https address)
        package = response.read()
    digest = base64.b64encode(hashlib.sha512(package).digest()).decode()
    if f"sha512-{digest}" != AXE_INTEGRITY:
        raise RuntimeError(f"axe-core {AXE_VERSION} from the registry does not match its hash")
    with tarfile.open(fileobj=io.BytesIO(package), mode="r:gz") as tar:
        script = tar.extractfile("package/axe.min.js")
        assert script is not None
        return script.read()


@cache
def axe_source() -> str:
    if not VENDORED.exists():
        VENDORED.parent.mkdir(parents=True, exist_ok=True)
        VENDORED.write_bytes(_download())
    return VENDORED.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every violation axe-core finds on the page as it stands, of any impact: the rule, its
    impact and the first few elements at fault. The page's context must bypass the content
    security policy (``bypass_csp=True``), which would refuse the checker's script."""
    page.add_script_tag(content=axe_source())
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                rule: v.id, impact: v.impact,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
            }));
        }"""
    )
