"""Screenshots of the main pages at a phone's and a desktop's width, for a person to look at.

Run against a server with the seed data (`make run`, or any base URL):

    .venv/bin/python docs/screenshots/take.py http://127.0.0.1:8000 [output-folder] [jpeg]

The folder defaults to var/screenshots/ (git-ignored: a full set is about 12 MB).

Uses Playwright with Debian's Chromium. Each page is shot whole, with the charts and
explanations it folds into <details> opened, as PNGs named <page>-<width>.png (or JPEGs at
quality 60 with `jpeg`, small enough to keep in docs/screenshots/).
"""

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = [375, 1280]
PAGES = {
    "home": "/",
    "list": "/case-studies/",
    "filtered-list": "/case-studies/?response=collaborate&service=adult-social-care",
    "detail": "/case-studies/wigan-deal/",
    "insights": "/insights/",
    "compare": "/compare/?ids=wigan-deal,south-tyneside-alliance",
}
# What is opened before the shot: the list's charts and the outcome terms.
OPENED = {"filtered-list": ".charts-preview", "detail": "details.terms"}
OPEN = "selector => document.querySelectorAll(selector).forEach(d => d.open = true)"


def first_case_studies(page, base: str) -> list[str]:
    """Slugs of the first case studies listed, when the defaults above are not in the data."""
    page.goto(base + "/case-studies/?sort=title")
    links = page.locator(".card__title a").evaluate_all("as => as.map(a => a.pathname)")
    return [link.strip("/").split("/")[-1] for link in links[:2]]


def main() -> None:
    base = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    jpeg = len(sys.argv) > 3 and sys.argv[3] == "jpeg"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or shutil.which("chromium-browser"),
            args=["--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page()
        pages = dict(PAGES)
        if page.goto(base + PAGES["detail"]).status == 404:
            first, second = first_case_studies(page, base)
            pages["detail"] = f"/case-studies/{first}/"
            pages["compare"] = f"/compare/?ids={first},{second}"
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in pages.items():
                page.goto(base + path)
                if name in OPENED:
                    page.evaluate(OPEN, OPENED[name])
                file = folder / f"{name}-{width}.{'jpg' if jpeg else 'png'}"
                if jpeg:
                    page.screenshot(path=file, full_page=True, type="jpeg", quality=60)
                else:
                    page.screenshot(path=file, full_page=True)
                print(file)
        browser.close()


if __name__ == "__main__":
    main()
