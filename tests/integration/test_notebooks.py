"""The analyst notebooks run top to bottom on a small demo lake, and the charts they export draw in a browser.

Each notebook is executed with nbclient in a real ``python3`` kernel (the venv's interpreter), with its
parameters cell overridden the way papermill would: a lake in a temporary folder and a small demo size.
The triage notebook runs first and builds the lake itself (its first cell builds the demo when the lake
is absent), so that path is tested too; the two others reuse the lake. Nothing may go to stderr but
progress bars and the warnings listed in ``ALLOWED_STDERR``, each with the reason it is expected.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbclient  # in the dev extra, with nbformat and ipykernel
import nbformat
import pytest
from conftest import headless_chromium, real_data

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"

SMALL_DEMO = {"accounts": 6, "days": 7, "events_per_day": 1000, "delivery_minutes": 60}
"""The smallest demo that holds both incidents (6 accounts is the generator's minimum); hour-long CloudTrail
files keep the file count, hence the local engine's time, low."""

ALLOWED_STDERR: list[tuple[str, str]] = [
    (
        r"UserWarning: the baseline before .* holds \d+ day\(s\) of events",
        "the test lake holds 7 days, less than the 14 days of baseline the entity graph asks for; the demo "
        "and real lakes hold more",
    ),
]
"""stderr lines a notebook run may print, with why; anything else fails the test."""

pytestmark = pytest.mark.browser
"""The notebooks export PNG and SVG charts, which need a Chromium; without one every test here skips."""

PROGRESS = re.compile(r"^\s*[\w .:-]*:?\s*\d+%\|")
"""A tqdm progress line (demo generation, hunts, chart export): progress, not a warning."""


# --- running a notebook ----------------------------------------------------------------------------


def kernel_name() -> str:
    """``python3`` from this interpreter: jupyter_client runs ipykernel's own spec with ``sys.executable``;
    when no spec is found at all, one is installed into this venv."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        subprocess.run(
            [sys.executable, "-m", "ipykernel", "install", "--sys-prefix"], check=True, capture_output=True
        )
    return "python3"


def with_parameters(nb, overrides: dict[str, object]):
    """The notebook with its one ``parameters`` cell followed by overriding assignments (papermill-style)."""
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "a notebook has exactly one cell tagged 'parameters'"
    lines = [f"{k} = {v!r}" for k, v in overrides.items()]
    tagged[0].source += "\n# overridden by tests/integration/test_notebooks.py\n" + "\n".join(lines)
    return nb


def run_notebook(name: str, workdir: Path, overrides: dict[str, object], final: str | None = None):
    """Execute ``notebooks/<name>.ipynb`` in ``workdir``; ``final`` is a last cell whose stdout is returned."""
    nb = with_parameters(nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4), overrides)
    if final is not None:
        nb.cells.append(nbformat.v4.new_code_cell(final))
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name=kernel_name(), resources={"metadata": {"path": str(workdir)}}
    )
    client.execute()
    nbformat.write(nb, workdir / f"{name}.executed.ipynb")
    return nb


def stderr_problems(nb) -> list[str]:
    """stderr lines that are neither progress nor an allowed warning, and error outputs."""
    problems = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"cell {i}: {out['ename']}: {out['evalue']}")
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                allowed_warning = False
                for line in re.split(r"[\r\n]+", out["text"]):
                    if allowed_warning and line.startswith(" "):
                        continue  # the source line Python prints under the warning
                    allowed_warning = any(re.search(p, line) for p, _ in ALLOWED_STDERR)
                    if allowed_warning or PROGRESS.match(line) or not line.strip():
                        continue
                    problems.append(f"cell {i}: {line}")
    return problems


def final_json(nb) -> dict:
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    return json.loads(text)


# --- the runs (one lake, built by the first notebook) ----------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if not NOTEBOOKS.is_dir():
        pytest.fail(f"no notebooks folder at {NOTEBOOKS}")
    work = tmp_path_factory.mktemp("notebooks")
    lake = work / "lake"
    common = {"LAKE": str(lake), "DEMO_SIZE": SMALL_DEMO}
    triage = run_notebook(
        "01_incident_triage",
        work,
        common,
        final="import json\nprint(json.dumps({'eventids': sorted(t.timeline['eventid']), "
        "'ticket': dict(zip(ticket['field'], ticket['value'])), 'charts': list(charts['file'])}))",
    )
    hunting = (
        "02_threat_hunting",
        work,
        {**common, "START": "2026-11-24", "END": "2026-11-26", "SIGMA_RULES": sigma_rules()},
        "import json\nprint(json.dumps({'pivot': pivot, 'principal': hit['principal'], "
        "'stats_columns': list(notebook.query_stats(results).columns), "
        "'sigma': sigma_summary.to_dict('records'), 'adhoc_rows': len(adhoc)}, default=str))",
    )
    posture = (
        "03_posture_review",
        work,
        common,
        "import json\nprint(json.dumps({'figures': sorted(review.figures), 'out': str(files.html)}))",
    )
    centralization = (
        "04_centralization_review",
        work,
        common,
        "import json\nprint(json.dumps({'failures': sorted(map(list, zip(failures['check'], "
        "failures['account_id'], failures['region']))), 'fixes': len(fixes), 'admins': len(admins), "
        "'guardrails': len(guardrails), 'out': OUT}))",
    )
    with ThreadPoolExecutor(max_workers=2) as pool:  # all only read the lake the triage notebook built
        hunting, posture, centralization = pool.map(
            lambda args: run_notebook(*args), [hunting, posture, centralization]
        )
    return {
        "work": work,
        "lake": lake,
        "triage": triage,
        "hunting": hunting,
        "posture": posture,
        "centralization": centralization,
    }


def sigma_rules() -> list[str]:
    """Two SigmaHQ rules (tests/data/real/sigma; the notebook also writes its own rule)."""
    folder = real_data("sigma", "rules", "cloud", "aws", "cloudtrail")
    return [
        str(folder / n) for n in ("aws_cloudtrail_disable_logging.yml", "aws_iam_backdoor_users_keys.yml")
    ]


@pytest.mark.parametrize("name", ["triage", "hunting", "posture", "centralization"])
def test_notebook_runs_without_errors_or_unexplained_warnings(runs: dict, name: str) -> None:
    assert stderr_problems(runs[name]) == []


def test_triage_timeline_holds_every_planted_event_of_the_leaked_key(runs: dict) -> None:
    truth = json.loads((runs["lake"] / "scenario.json").read_text())
    planted = {e["eventID"] for e in truth["events"] if e["incident"] == "leaked-ci-access-key"}
    out = final_json(runs["triage"])
    assert len(planted) > 100
    assert planted <= set(out["eventids"])
    ticket = out["ticket"]
    indicators = truth["indicators"]
    assert ticket["indicator"] == truth["guardduty"]["incident_findings"][0]["id"]
    assert indicators["backdoor_access_key_id"] in ticket["access keys created"]
    assert set(indicators["attacker_ips"]) <= set(ticket["source IPs"].split(", "))
    assert set(truth["incidents"][0]["accounts"]) <= set(ticket["accounts"].split(", "))
    assert "Stealth:IAMUser/CloudTrailLoggingDisabled" in ticket["related findings"]
    assert "cloudtrail_tampering (2)" in ticket["hunts with hits"]
    assert {Path(f).suffix for f in out["charts"]} == {".html", ".png"}
    assert all(
        (runs["work"] / f).stat().st_size > 1000 for f in out["charts"]
    )  # relative to the notebook's folder


def test_hunting_notebook_pivots_to_the_attacker_session_and_reports_query_stats(runs: dict) -> None:
    truth = json.loads((runs["lake"] / "scenario.json").read_text())
    out = final_json(runs["hunting"])
    assert out["pivot"] == "cloudtrail_tampering"
    assert ":assumed-role/" in out["principal"] and truth["incidents"][0]["accounts"][0] in out["principal"]
    assert {"query", "rows", "engine", "elapsed_s"} <= set(out["stats_columns"])
    assert {"files_read", "bytes_read"} <= set(
        out["stats_columns"]
    )  # local engine; Athena: bytes_scanned, cost_usd
    own = next(r for r in out["sigma"] if r["rule"] == "cloudtrail_stopped_from_kali")
    assert own["status"] == "ran" and own["hits"] >= 1
    assert out["adhoc_rows"] >= 1


def test_posture_notebook_writes_the_report_and_slide_charts(runs: dict) -> None:
    out = final_json(runs["posture"])
    assert {"service_coverage", "finding_trend", "s3_protection", "bucket_encryption"} <= set(out["figures"])
    charts = runs["work"] / "out" / "03_posture_review" / "charts"
    for name in ("service_coverage", "finding_trend", "org_tree"):
        assert (charts / f"{name}.png").stat().st_size > 1000
        assert (charts / f"{name}.svg").stat().st_size > 1000
    assert (runs["work"] / out["out"]).is_file()


def test_centralization_notebook_lists_the_planted_gaps_as_fixes(runs: dict) -> None:
    gaps = json.loads((runs["lake"] / "scenario.json").read_text())["centralization_gaps"]
    out = final_json(runs["centralization"])
    failing = {(c, a) for c, a, _r in out["failures"]}
    assert {("guardrail_scps", a) for a in gaps["missing_scp"]["accounts"]} <= failing
    assert {("baseline_stacksets", a) for a in gaps["stackset_drift"]["accounts"]} <= failing
    assert ("identitycenter_session_duration", gaps["long_session"]["account"]) in failing
    assert out["fixes"] == len(failing) and out["admins"] > 0 and out["guardrails"] > 0
    assert (runs["work"] / out["out"] / "audit_heatmap.html").stat().st_size > 1000


# --- the browser check -------------------------------------------------------------------------------


def dump_dom(page: Path, profile: Path) -> str:
    """The page's DOM after its scripts ran, from headless Chromium."""
    return headless_chromium(page, profile, "--dump-dom")


def figures_in(html_text: str) -> int:
    """How many plotly figures a page asks to draw."""
    return html_text.count("Plotly.newPlot(")


def test_exported_html_charts_draw_in_headless_chromium(runs: dict, tmp_path: Path) -> None:
    pages = sorted((runs["work"] / "out").rglob("*.html"))
    assert len(pages) >= 8, pages
    expected = {p: figures_in(p.read_text(encoding="utf-8")) for p in pages}
    assert all(n >= 1 for n in expected.values()), expected

    def check(item: tuple[int, Path]) -> tuple[Path, int, int]:
        i, page = item
        dom = dump_dom(page, tmp_path / f"profile-{i}")
        return (
            page,
            len(re.findall(r'<div[^>]*class="[^"]*js-plotly-plot', dom)),
            len(re.findall(r'<svg[^>]*class="main-svg"', dom)),
        )

    with ThreadPoolExecutor(max_workers=4) as pool:  # mostly Chromium start-up and plotly.js parsing
        drawn = list(pool.map(check, enumerate(pages)))
    for page, plots, svgs in drawn:
        assert plots >= expected[page], f"{page.name}: {plots} of {expected[page]} figures drawn"
        assert svgs >= expected[page], f"{page.name}: {svgs} main-svg elements for {expected[page]} figures"
    shutil.rmtree(tmp_path, ignore_errors=True)
