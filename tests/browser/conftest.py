"""Real headless Chromium (Debian's package) against the app served on a loopback port."""
import shutil
from pathlib import Path

import pytest
from helpers import unavailable

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        unavailable("Chromium is not installed (make test installs Debian's chromium package)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@pytest.fixture
def app_config():
    """Browsers get the real thing: CSRF on, and a fast queue poll so tests wait less."""
    return {"WTF_CSRF_ENABLED": True, "QUEUE_POLL_SECONDS": 1}


@pytest.fixture
def screenshot():
    """Save a screenshot under test-artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    return take
