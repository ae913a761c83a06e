"""A lake opens and answers queries in a Jupyter kernel without ``ipywidgets``.

There DuckDB refuses any change of its progress-bar setting, even turning it off ("required package
'ipywidgets' is missing", DuckDB 2.0.1); opening a lake used to set it, and failed. The kernel is a
real ipykernel run by nbclient, with ``ipywidgets`` made unimportable before anything imports it.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import nbclient
import nbformat

from orginsight.sources.layout import cloudtrail_key

NO_WIDGETS = "import sys\nsys.modules['ipywidgets'] = None  # as in a kernel where it is not installed"

DUCKDB_REFUSES = """
import duckdb
try:
    duckdb.connect().execute("SET enable_progress_bar = false")
except duckdb.InvalidInputException as e:
    print("refused:", e)
"""

OPEN_LAKE = """
from orginsight.lake import Lake
lake = Lake.local({root!r})
print("events:", lake.sql("SELECT count(*) AS n FROM cloudtrail")["n"][0])
print("progress bar:", lake.engine.con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0])
"""


def run_cells(cells: list[str], workdir: Path) -> list[str]:
    """Run code cells in a fresh ``python3`` kernel (this interpreter); each cell's stdout."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    ).execute()
    return [
        "".join(o.get("text", "") for o in c.outputs if o.get("output_type") == "stream") for c in nb.cells
    ]


def test_a_lake_opens_in_a_kernel_without_ipywidgets(tmp_path: Path) -> None:
    key = tmp_path / cloudtrail_key("111122223333", "us-east-1", datetime(2024, 5, 1, 12), "o-abcdefghij")
    key.parent.mkdir(parents=True)
    with gzip.open(key, "wt") as fh:
        json.dump({"Records": [{"eventTime": "2024-05-01T12:00:00Z", "eventID": "e-1"}]}, fh)
    _, refused, opened = run_cells(
        [NO_WIDGETS, DUCKDB_REFUSES, OPEN_LAKE.format(root=str(tmp_path))], tmp_path
    )
    assert "ipywidgets" in refused  # the kernel is one where DuckDB refuses the setting
    assert "events: 1" in opened
    assert "progress bar: False" in opened


def test_a_lake_turns_the_progress_bar_off_in_a_kernel_with_ipywidgets(tmp_path: Path) -> None:
    """With ``ipywidgets`` DuckDB turns its bar on in a kernel; the engine turns it off (see LocalEngine)."""
    key = tmp_path / cloudtrail_key("111122223333", "us-east-1", datetime(2024, 5, 1, 12), "o-abcdefghij")
    key.parent.mkdir(parents=True)
    with gzip.open(key, "wt") as fh:
        json.dump({"Records": [{"eventTime": "2024-05-01T12:00:00Z", "eventID": "e-1"}]}, fh)
    default = "import duckdb\nprint('default:', duckdb.connect().execute(\"SELECT current_setting('enable_progress_bar')\").fetchall()[0][0])"
    on, opened = run_cells([default, OPEN_LAKE.format(root=str(tmp_path))], tmp_path)
    assert "default: True" in on  # DuckDB's own choice in a kernel that can draw widgets
    assert "events: 1" in opened and "progress bar: False" in opened
