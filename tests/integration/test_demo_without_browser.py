"""`orginsight demo` on a machine with no browser (issue 15: a fresh Debian machine without Chromium).

The real command runs in a subprocess whose environment holds no Chromium that orginsight or kaleido could
start: BROWSER_PATH names a file that does not exist (both stop there), PATH holds only the virtual
environment's commands, and HOME is empty, so no Chrome that ``plotly_get_chrome`` downloaded is found either.
The demo must finish with exit status 0, write every HTML page, report and chart, write no static image, and
say once, in one line, how to get the images.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orginsight.outputs.report import CHART_DIR, REPORT_NAME

SMALL_DEMO = {"accounts": 6, "days": 7, "events_per_day": 500, "delivery_minutes": 60, "processes": 1}
"""The smallest demo that holds both incidents (6 accounts is the generator's minimum, 7 days a baseline)."""

STATIC_SUFFIXES = {".png", ".svg", ".pdf", ".jpeg", ".jpg", ".webp"}


def no_browser_env(home: Path) -> dict[str, str]:
    """This process's environment, minus every way to a browser."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "BROWSER_PATH"))}
    env.update(
        BROWSER_PATH=str(home / "no-such-chromium"),
        PATH=str(Path(sys.executable).parent),
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
    )
    return env


def browsers_seen(env: dict[str, str]) -> dict[str, str | None]:
    """What orginsight and kaleido's browser driver find in ``env``, asked in a fresh interpreter."""
    probe = (
        "import json\n"
        "from choreographer.browsers.chromium import Chromium\n"
        "from orginsight.outputs.charts.export import find_browser\n"
        "print(json.dumps({'orginsight': find_browser(), 'kaleido': Chromium.find_browser(skip_local=False)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from orginsight.demo import generate_lake

    work = tmp_path_factory.mktemp("demo-fresh-machine")
    lake, out = work / "lake", work / "out"
    generate_lake(lake, progress=False, **SMALL_DEMO)
    env = no_browser_env(work / "home")
    seen = browsers_seen(env)
    done = subprocess.run(
        [sys.executable, "-m", "orginsight.cli", "demo", "--lake", str(lake), "--out", str(out)],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    return {"out": out, "done": done, "seen": seen}


def test_the_environment_offers_no_browser_to_orginsight_or_kaleido(demo_run: dict) -> None:
    seen = demo_run["seen"]
    assert seen["orginsight"] is None
    assert seen["kaleido"] is None or not Path(seen["kaleido"]).is_file(), seen  # kaleido would fail to start


def test_demo_exits_0_and_writes_every_html_output(demo_run: dict) -> None:
    done, out = demo_run["done"], demo_run["out"]
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    triage, report = out / "triage" / "triage.html", out / "report" / REPORT_NAME
    for page in (triage, report):
        text = page.read_text(encoding="utf-8")
        assert text.count("Plotly.newPlot(") >= 3, f"{page} draws no charts"
    assert json.loads((out / "report" / "summary.json").read_text())["numbers"]
    assert f"Report: {report}" in done.stdout and f"Triage: {triage}" in done.stdout


def test_no_static_image_is_written_and_one_line_says_how_to_get_them(demo_run: dict) -> None:
    done, out = demo_run["done"], demo_run["out"]
    images = [p for p in out.rglob("*") if p.suffix.lower() in STATIC_SUFFIXES]
    assert images == []
    assert not (out / "report" / CHART_DIR).exists() or not any((out / "report" / CHART_DIR).iterdir())
    output = done.stdout + done.stderr
    notes = [line for line in output.splitlines() if "chromium" in line.lower() or "browser" in line.lower()]
    assert len(notes) == 1, notes
    assert notes[0].startswith("Skipped static chart images") and "apt-get install chromium" in notes[0]
    assert "no-such-chromium is not a file" in notes[0]
    assert "Traceback" not in done.stderr
