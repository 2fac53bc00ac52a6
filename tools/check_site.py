"""Open every page of the built site in headless Chromium, as a reader's browser would.

    python -m tools.check_site [_build/html] [more folders of pages, or pages ...]

Fails (exit 1) on a console error or warning-level JavaScript error, a MathJax error (an
`merror` node or "Math input error" in the typeset page), a page whose math was not typeset, or
a request to another host. Needs Debian's `chromium` (apt-get install chromium fonts-noto-cjk);
`make check-site` builds the book first and runs this.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=15000", "--run-all-compositor-stages-before-draw"]
# Chromium's own chatter on a machine without a session bus or GPU, not the page's.
_NOISE = re.compile(r"dbus|DBus|gpu|GPU|viz_main|sandbox|Fontconfig|crashpad|"
                    r"ALSA|pulse|google_apis|gcm|disk_cache|Sandbox|shared_image")
# Chromium logs every console message, whatever its level, as "...:CONSOLE(12)] "text", source:
# url (12)" (older) or "...:CONSOLE:12] ..." (newer), so the text decides what is a problem.
_CONSOLE = re.compile(r":(INFO|WARNING|ERROR|FATAL):CONSOLE[:(]\d+\)?\] \"(.*)\", source: (.*)")
_BAD = re.compile(r"error|uncaught|failed|warning|exception|refused", re.IGNORECASE)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check-site needs Chromium: apt-get install -y chromium fonts-noto-cjk")


def check_page(browser: str, page: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as profile:
        args = [browser, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:   # Chromium refuses root otherwise
            args.insert(1, "--no-sandbox")
        proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    problems = []
    for line in proc.stderr.splitlines():
        m = _CONSOLE.search(line)
        if m and (m.group(1) != "INFO" or _BAD.search(m.group(2))):
            problems.append(f"console: {m.group(2)[:200]} ({m.group(3)[:80]})")
        elif ("Uncaught" in line or "net::ERR" in line) and not _NOISE.search(line):
            problems.append(f"browser: {line.strip()[:200]}")
    dom = proc.stdout
    if not dom.strip():
        problems.append(f"no page rendered (exit {proc.returncode})")
    if "<merror" in dom or "<mjx-merror" in dom or "Math input error" in dom:
        problems.append("MathJax error in the typeset page")
    raw_math = dom.count('class="math notranslate nohighlight"')
    if raw_math and "<mjx-container" not in dom:
        problems.append(f"{raw_math} formulas were not typeset by MathJax")
    remote = re.findall(r"""(?:src|href)=["']https?://(?!localhost|127\.0\.0\.1)[^"']+["'][^>]*>""",
                        dom)
    problems += [f"loads from another host: {r[:120]}" for r in remote
                 if not r.startswith(("href",))]
    return problems


def pages(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.rglob("*.html"))
            if "_static" not in p.parts and "_sources" not in p.parts
            and p.name not in ("genindex.html", "search.html")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=[Path("_build/html")])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    browser = chromium()
    todo = [p for folder in args.folders
            for p in ([folder.resolve()] if folder.is_file() else pages(folder.resolve()))]
    if not todo:
        print("no pages found in " + ", ".join(map(str, args.folders)), file=sys.stderr)
        return 1
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for page, problems in zip(todo, pool.map(lambda p: check_page(browser, p), todo),
                                  strict=True):
            status = "ok" if not problems else "FAIL"
            print(f"{status:4}  {page}")
            for problem in problems:
                print(f"      {problem}")
            failed += bool(problems)
    print(f"{len(todo) - failed} pages ok, {failed} with problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
