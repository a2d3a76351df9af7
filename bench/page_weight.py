"""Page weight and speed of the report form, as a field worker on a weak signal gets it.

    .venv/bin/python bench/page_weight.py [--runs N]

Prints, for the report form in Chromium:
  1. cold load (empty cache, no service worker) on a slow network: bytes transferred (compressed,
     by type, with and without icons) and the time to first render;
  2. warm load (service worker installed): bytes fetched from the network for the app shell;
  3. with no signal: milliseconds from tapping Submit to "saved on this phone" (IndexedDB committed);
  4. the metrics page as a supervisor on a tablet: cold load bytes (compressed) and first render.
Aims: cold load at most 30 KB compressed excluding icons (issue 3); no network bytes for the shell
on a warm load; saved within 100 ms; the metrics page and its scripts at most 60 KB (issue 12). It
prints figures and asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from demo_server import CHROMIUM_ARGS, demo_server, log_in  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

# A weak signal: 400 ms round trip, 400 kbit/s each way (about the "slow 3G" presets of browser
# developer tools; Lighthouse's mobile preset is a faster 150 ms / 1.6 Mbit/s).
SLOW = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}


def record_transfers(cdp) -> dict:
    """Collect each response's type, URL, encoded bytes and whether the service worker served it."""
    seen: dict = {}
    cdp.on("Network.responseReceived", lambda e: seen.setdefault(e["requestId"], {}).update(
        type=e["type"], url=e["response"]["url"], sw=e["response"].get("fromServiceWorker", False)))
    cdp.on("Network.loadingFinished", lambda e: seen.setdefault(e["requestId"], {}).update(
        bytes=e["encodedDataLength"]))
    return seen


def until(page, script: str, tries: int = 75) -> None:
    """Poll a script in the page until it is true (about 15 s at most)."""
    for _ in range(tries):
        if page.evaluate(script):
            return
        page.wait_for_timeout(200)
    raise RuntimeError(f"never true: {script}")


def first_render_ms(page) -> float:
    return page.evaluate("""() => {
        const paint = performance.getEntriesByName('first-contentful-paint')[0];
        return paint ? paint.startTime : performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd; }""")


def cold_load(browser, base: str, path: str = "/report", who: str = "reporter", device: dict = PHONE
              ) -> tuple[dict, float]:
    context = browser.new_context(**device, service_workers="block")
    page = context.new_page()
    log_in(page, base, who)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW)
    seen = record_transfers(cdp)
    page.goto(f"{base}{path}", wait_until="load")
    page.wait_for_timeout(300)  # let late finished-events arrive
    render = first_render_ms(page)
    context.close()
    by_type: dict = defaultdict(int)
    for item in seen.values():
        if "bytes" in item and "type" in item:
            key = "Icon" if "/icons/" in item["url"] else item["type"]
            by_type[key] += item["bytes"]
    return by_type, render


def warm_load(browser, base: str) -> tuple[int, int]:
    """(network bytes for the shell's static files, how many the worker served from its cache)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, base, "reporter")
    until(page, "navigator.serviceWorker.controller !== null")
    page.goto(f"{base}/report")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    seen = record_transfers(cdp)
    page.reload(wait_until="load")
    page.wait_for_timeout(300)
    context.close()
    shell = [s for s in seen.values() if "/static/" in s.get("url", "")]
    network = sum(s.get("bytes", 0) for s in shell if not s.get("sw"))
    served = sum(1 for s in shell if s.get("sw"))
    return network, served


def saved_offline_ms(browser, base: str, runs: int) -> list[float]:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, base, "reporter")
    until(page, "caches.keys().then(k => k.some(n => n.startsWith('pages-')))")
    context.set_offline(True)
    times = []
    for n in range(runs):
        page.goto(f"{base}/report")
        page.get_by_text("A hazard I spotted").click()
        page.fill("#description", f"Benchmark report {n}: cable across the walkway")
        page.evaluate("""() => {
            window.__saved = null;
            document.querySelector('#report-form button[type=submit]').addEventListener('click',
              () => { window.__tap = performance.now(); }, {capture: true, once: true});
            document.addEventListener('report:saved', () => { window.__saved = performance.now() - window.__tap; },
              {once: true}); }""")
        page.get_by_role("button", name="Submit report").click()
        page.get_by_text("Saved on this phone").wait_for()
        times.append(page.evaluate("window.__saved"))
    context.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with demo_server() as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        colds = [cold_load(browser, base) for _ in range(args.runs)]
        by_type = colds[0][0]
        renders = [render for _, render in colds]
        total = sum(by_type.values())
        print(f"Report form, cold load on a slow network ({SLOW['latency']} ms RTT, 400 kbit/s), "
              f"bytes transferred (compressed):")
        for kind, size in sorted(by_type.items(), key=lambda kv: -kv[1]):
            print(f"  {kind:<12} {size / 1024:7.1f} KB")
        print(f"  {'total':<12} {total / 1024:7.1f} KB; without icons "
              f"{(total - by_type.get('Icon', 0)) / 1024:.1f} KB (aim: at most 30 KB)")
        print(f"  first render: median {statistics.median(renders):.0f} ms over {len(renders)} runs "
              f"(min {min(renders):.0f}, max {max(renders):.0f})")
        network, served = warm_load(browser, base)
        print(f"Warm load (service worker installed): shell files from the network {network} bytes "
              f"(aim: 0); {served} served from the worker's cache. (The page itself is fetched network "
              f"first by the worker, so it is fresh; that fetch is the worker's, not counted here.)")
        saved = saved_offline_ms(browser, base, args.runs)
        print(f"No signal: tap Submit -> saved on this phone: median {statistics.median(saved):.1f} ms, "
              f"max {max(saved):.1f} ms over {len(saved)} reports (aim: within 100 ms)")
        metrics = [cold_load(browser, base, "/metrics?from=2026-01-01", "supervisor", TABLET) for _ in range(args.runs)]
        sizes = sorted(((kind, size) for kind, size in metrics[0][0].items() if kind != "Icon"), key=lambda kv: -kv[1])
        weight = sum(size for _, size in sizes)
        parts = ", ".join(f"{kind} {size / 1024:.1f}" for kind, size in sizes)
        print(f"Metrics page (a supervisor on a tablet, same network), cold: {weight / 1024:.1f} KB compressed "
              f"without icons ({parts}; aim: at most 60 KB); first render median "
              f"{statistics.median(r for _, r in metrics):.0f} ms")
        browser.close()


if __name__ == "__main__":
    main()
