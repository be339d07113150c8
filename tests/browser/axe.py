"""axe-core run on a page, as the pages' accessibility tests do."""

from __future__ import annotations

from playwright.sync_api import Page


def serious_findings(page: Page, axe_source: str) -> list[str]:
    """The serious and critical axe violations on the page as it stands.

    axe is evaluated through the browser's debugging protocol, not added as a script tag:
    the pages' Content-Security-Policy refuses inline scripts, as it should."""
    page.evaluate(f"() => {{ {axe_source}\n; window.axe = axe; }}")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
