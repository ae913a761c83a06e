"""Hostile case: script payloads in values from logs stay inert on the triage page and the posture report.

An attacker shapes much of what these pages show: the user agent, user name (so the ARN), request
parameters and error messages of the CloudTrail records their calls leave, the title and type of a
finding they trigger or import into Security Hub, and the names of accounts and OUs they create. Each
of those carries a script payload here. Both pages are written from one small demo lake that holds
them, and loaded in headless Chromium: no payload may run (the page's title stays, no marker attribute
or injected element appears, no ``javascript:`` link exists), every chart still renders (a payload that
broke out of plotly's inline JSON would break it), and each payload the page shows is there as visible
text, so the test cannot pass by a value being dropped.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import headless_chromium, require_browser

from orginsight.outputs.triage_page import write as write_triage_page

DAY = datetime(2026, 11, 25)
"""A day inside the demo lake's period (it ends on 2026-11-27 by default)."""
ACCESS_KEY = "AKIAPAYL0ADTESTKEY01"
ATTACKER_IP = "203.0.113.7"


def _runs(field: str) -> str:
    """What each payload does when it runs: a title and a marker attribute naming the field it came in."""
    return f"document.title='PWNED';document.documentElement.setAttribute('data-pwned','{field}')"


PAYLOADS = {
    "user_agent": f"</script><script>{_runs('user_agent')}</script>",
    "arn": f'"><svg id=pwned onload="{_runs("arn")}">',
    "request_parameters": f'<img src=x id=pwned onerror="{_runs("request_parameters")}">',
    "error_message": f"<!--<script>{_runs('error_message')}</script>-->",
    "finding_title": f"<script>{_runs('finding_title')}</script>",
    "finding_type": f'\'><img src=x id=pwned onerror="{_runs("finding_type")}">',
    "account_name": (
        f'</script><a id=pwned href="javascript:{_runs("account_name")}">shared-services</a>'
        f"<script>{_runs('account_name')}</script><!--"
    ),
    "ou_name": f'<iframe id=pwned src="javascript:{_runs("ou_name")}"></iframe>',
}
"""One payload per attacker-shaped value; each is distinct and none holds another."""

ON_TRIAGE_PAGE = (
    "user_agent",
    "arn",
    "request_parameters",
    "error_message",
    "finding_title",
    "finding_type",
    "account_name",
)
"""The values the triage page shows (OUs are not on it)."""
ON_REPORT = ("account_name", "ou_name", "finding_type")
"""The values the posture report shows: it aggregates events and findings, so per-event values and
finding titles never reach it."""

PROBE = """<script>
window.addEventListener('load', () => setTimeout(() => {
  const handlers = [];
  const links = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.startsWith('on')) handlers.push(el.tagName + ' ' + a.name);
      if (/^\\s*javascript:/i.test(a.value) && /(href|src|action)$/i.test(a.name)) links.push(el.tagName);
    }
  }
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({
    title: document.title,
    marker: document.documentElement.getAttribute('data-pwned'),
    injected: document.querySelectorAll('#pwned').length,
    handlers: handlers,
    links: links,
    plots: [...document.querySelectorAll('.js-plotly-plot')].filter(d => d.querySelector('.main-svg')).length,
    text: document.body.innerText,
  });
  document.body.appendChild(out);
}, 500));
</script>"""
"""Appended to a copy of a page: after load, records what a payload that ran would have changed, how
many charts rendered, and the page's visible text."""


def _needs_chromium() -> None:
    require_browser()


# --- the lake ----------------------------------------------------------------------------------------


def _rename(root: Path, operation: str, list_key: str, old_name: str, new_name: str) -> str:
    """Give one account or OU of the demo organization's recorded state a hostile name; its id."""
    path = root / "api" / "organizations" / "global" / f"{operation}.json"
    calls = json.loads(path.read_text())
    found = [
        item for call in calls for item in call["response"].get(list_key, []) if item["Name"] == old_name
    ]
    assert found, f"no {old_name!r} in {path}"
    for item in found:
        item["Name"] = new_name
    path.write_text(json.dumps(calls))
    return found[0]["Id"]


def _account_id(root: Path, name: str) -> str:
    """The id of the demo organization's account named ``name``."""
    calls = json.loads((root / "api" / "organizations" / "global" / "list_accounts.json").read_text())
    return next(a["Id"] for call in calls for a in call["response"]["Accounts"] if a["Name"] == name)


def _hostile_records(account: str) -> list[dict]:
    """Six failed reads by an attacker's key, every attacker-shaped field carrying a payload."""
    arn = f"arn:aws:iam::{account}:user/{PAYLOADS['arn']}"
    return [
        {
            "eventVersion": "1.09",
            "eventTime": f"{DAY + timedelta(hours=3, minutes=i):%Y-%m-%dT%H:%M:%SZ}",
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "awsRegion": "us-east-1",
            "sourceIPAddress": ATTACKER_IP,
            "userAgent": PAYLOADS["user_agent"],
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDAPAYLOADTESTUSER01",
                "arn": arn,
                "accountId": account,
                "accessKeyId": ACCESS_KEY,
                "userName": PAYLOADS["arn"],
            },
            "requestParameters": {"bucketName": PAYLOADS["request_parameters"], "key": f"secrets/{i}"},
            "responseElements": None,
            "errorCode": "AccessDenied",
            "errorMessage": PAYLOADS["error_message"],
            "eventID": str(uuid.UUID(int=i + 1)),
            "eventType": "AwsApiCall",
            "readOnly": True,
            "managementEvent": False,
            "eventCategory": "Data",
            "recipientAccountId": account,
        }
        for i in range(6)
    ]


HOSTILE_FINDINGS = 12


def _hostile_finding(account: str, fid: str = "0123456789abcdef0123456789abcdef") -> dict:
    """A GuardDuty finding (export format) on the attacker's key, titled and typed with payloads."""
    return {
        "schemaVersion": "2.0",
        "accountId": account,
        "region": "us-east-1",
        "partition": "aws",
        "id": fid,
        "arn": f"arn:aws:guardduty:us-east-1:{account}:detector/0123/finding/{fid}",
        "type": PAYLOADS["finding_type"],
        "resource": {
            "resourceType": "AccessKey",
            "accessKeyDetails": {
                "accessKeyId": ACCESS_KEY,
                "principalId": "AIDAPAYLOADTESTUSER01",
                "userType": "IAMUser",
                "userName": "attacker",
            },
        },
        "service": {
            "serviceName": "guardduty",
            "detectorId": "0123",
            "action": {
                "actionType": "AWS_API_CALL",
                "awsApiCallAction": {
                    "api": "GetObject",
                    "serviceName": "s3.amazonaws.com",
                    "callerType": "Remote IP",
                    "remoteIpDetails": {"ipAddressV4": ATTACKER_IP},
                },
            },
            "eventFirstSeen": f"{DAY + timedelta(hours=3):%Y-%m-%dT%H:%M:%S}.000Z",
            "eventLastSeen": f"{DAY + timedelta(hours=3, minutes=5):%Y-%m-%dT%H:%M:%S}.000Z",
            "archived": False,
            "count": 6,
        },
        "severity": 8,
        "createdAt": f"{DAY + timedelta(hours=3, minutes=6):%Y-%m-%dT%H:%M:%S}.000Z",
        "updatedAt": f"{DAY + timedelta(hours=3, minutes=6):%Y-%m-%dT%H:%M:%S}.000Z",
        "title": PAYLOADS["finding_title"],
        "description": "A finding an attacker shaped.",
    }


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The triage page of the attacker's key and the posture report, from one hostile demo lake."""
    from orginsight.demo import generate_lake
    from orginsight.lake import Lake
    from orginsight.outputs.report import build_posture_review, write_review
    from orginsight.sources.lake_import import import_files

    work = tmp_path_factory.mktemp("payloads")
    root = work / "lake"
    generate_lake(root, accounts=6, days=3, events_per_day=100, progress=False, delivery_minutes=60)
    account = _rename(root, "list_accounts", "Accounts", "shared-services", PAYLOADS["account_name"])
    security = _account_id(root, "security-tooling")
    ou = json.loads((root / "api/organizations/global/list_organizational_units_for_parent.json").read_text())
    first_ou = ou[0]["response"]["OrganizationalUnits"][0]["Name"]
    _rename(
        root, "list_organizational_units_for_parent", "OrganizationalUnits", first_ou, PAYLOADS["ou_name"]
    )

    source = work / "hostile-records.json"
    source.write_text(json.dumps({"Records": _hostile_records(account)}))
    imported = import_files([source], root)
    assert imported.records_placed == 6 and not imported.failures, imported.summary()
    export = root / f"AWSLogs/{security}/GuardDuty/us-east-1/{DAY:%Y/%m/%d}/hostile.jsonl.gz"
    export.parent.mkdir(parents=True, exist_ok=True)
    # Twelve of them, so the hostile type is among the report's most frequent finding types, beside
    # the demo's Inspector and Access Analyzer findings.
    hostile = [
        _hostile_finding(account, f"{n:02d}23456789abcdef0123456789abcdef") for n in range(HOSTILE_FINDINGS)
    ]
    export.write_bytes(gzip.compress("".join(json.dumps(f) + "\n" for f in hostile).encode()))

    triage = Lake.local(root).triage(ACCESS_KEY, since=DAY, until=DAY + timedelta(days=1), baseline_days=2)
    assert len(triage.timeline) == 6 and len(triage.summary["findings"]) == HOSTILE_FINDINGS
    page = write_triage_page(triage, work / "triage", png=False)[0]
    review = build_posture_review(root, since="90d")
    assert not review.notes, review.notes
    report = write_review(review, work / "report", formats=(), progress=False).html
    return {
        "triage": page,
        "report": report,
        "figures_triage": len(triage.figures),
        "figures_report": len(review.figures),
    }


def _probe(page: Path, tmp_path: Path) -> tuple[str, dict]:
    """The page as Chromium leaves it (``--dump-dom``) and what the probe found in it."""
    probed = tmp_path / f"probed-{page.name}"
    probed.write_text(
        page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    profile = tmp_path / "chromium-profile"
    try:
        dom = headless_chromium(probed, profile, "--window-size=1400,900", "--dump-dom")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, f"the probe did not run on {page.name}: the page's scripts were broken"
    return dom, json.loads(html.unescape(found.group(1)))


def _assert_inert(page: Path, tmp_path: Path, shown: tuple[str, ...], figures: int, title: str) -> None:
    dom, seen = _probe(page, tmp_path)
    assert seen["title"].startswith(title) and "PWNED" not in seen["title"], seen["title"]
    assert seen["marker"] is None, f"the {seen['marker']} payload ran"
    assert seen["injected"] == 0, "a payload's markup became an element (id=pwned)"
    assert seen["links"] == [], f"javascript: links: {seen['links']}"
    assert seen["handlers"] == [], f"inline event handlers: {seen['handlers']}"
    # The DOM as Chromium serialized it agrees: no marker on <html>, the page's own title.
    assert "data-pwned" not in dom[: dom.index(">")]
    assert re.search(r"<title>([^<]*)</title>", dom).group(1).startswith(html.escape(title))
    assert seen["plots"] == figures > 0, "a chart did not render: the inline figure JSON was broken"
    missing = [field for field in shown if PAYLOADS[field] not in seen["text"]]
    assert not missing, f"payloads not shown as text on {page.name}: {missing}"


def test_pages_never_hold_a_payload_verbatim(pages) -> None:
    for name in ("triage", "report"):
        text = pages[name].read_text(encoding="utf-8")
        verbatim = [field for field, payload in PAYLOADS.items() if payload in text]
        assert not verbatim, f"{name}: unescaped payloads of {verbatim}"


def test_payloads_stay_inert_on_the_triage_page(pages, tmp_path: Path) -> None:
    _needs_chromium()
    _assert_inert(pages["triage"], tmp_path, ON_TRIAGE_PAGE, pages["figures_triage"], f"Triage {ACCESS_KEY}")


def test_payloads_stay_inert_on_the_posture_report(pages, tmp_path: Path) -> None:
    _needs_chromium()
    _assert_inert(pages["report"], tmp_path, ON_REPORT, pages["figures_report"], "Security posture review")
