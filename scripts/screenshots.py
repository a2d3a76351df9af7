"""Screenshots of every page at phone (390x844) and tablet (1024x768) size, for people to look at.

    .venv/bin/python scripts/screenshots.py [OUTPUT_DIR] [ONLY]

ONLY: take only the pages whose address contains it (e.g. /api-reference).

Serves a throwaway demo with a few incidents and drives Debian's Chromium. Writes PNG files
(default: test-artifacts/screens/).
"""
import logging
import sys
from pathlib import Path

from demo_server import CHROMIUM_ARGS, ROOT, demo_server, log_in
from playwright.sync_api import sync_playwright

SIZES = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 1024, "height": 768}}
PAGES = {
    "reporter": ["/report", "/reports/mine", "/incidents/INC-000001", "/account/password", "/lessons"],
    "responder": ["/alerts", "/account/alerts", "/dev/mailbox", "/dev/mailbox/1", "/dev/mailbox/1/html", "/actions",
                  "/actions/1"],
    "supervisor": ["/incidents", "/incidents/INC-000001", "/incidents/INC-000001/answers", "/oncall",
                   "/alerts", "/account/alerts", "/incidents/INC-000001/investigation", "/incidents/INC-000001/review",
                   "/incidents/INC-000001/review/print", "/incidents/INC-000001/report", "/incidents/INC-000001/packs",
                   "/actions", "/reviews", "/lessons", "/structural-issues",
                   "/metrics", "/metrics/incidents?figure=near_misses"],
    "admin": ["/admin/users", "/admin/sites", "/admin/organisation", "/admin/tokens", "/admin/teams",
              "/admin/schedules", "/admin/policies", "/admin/sla", "/admin/regulatory", "/admin/hours",
              "/api-reference"],
}


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "test-artifacts" / "screens"
    only = sys.argv[2] if len(sys.argv) > 2 else ""
    out.mkdir(parents=True, exist_ok=True)
    with demo_server() as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, has_touch=True)
            page = context.new_page()
            page.goto(f"{base}/login")
            page.screenshot(path=str(out / f"{size}-login.png"), full_page=True)
            page.goto(f"{base}/offline")
            page.screenshot(path=str(out / f"{size}-offline.png"), full_page=True)
            for role, urls in PAGES.items():
                context.clear_cookies()
                log_in(page, base, role)
                for url in (u for u in urls if only in u):
                    page.goto(base + url)
                    name = out / f"{size}-{role}{url.replace('/', '-')}.png"
                    page.screenshot(path=str(name), full_page=True)
                    print(name)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
