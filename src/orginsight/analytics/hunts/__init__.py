"""Hunts: the parameterized Athena queries of ``queries/``, with their metadata.

Each hunt is one ``queries/<tactic>/<name>.sql`` file: plain Athena SQL over the
``cloudtrail`` table that an analyst can read and paste into the Athena console,
preceded by a YAML header in SQL comments between two ``-- ---`` lines::

    -- ---
    -- name: console_login_without_mfa
    -- title: Console sign-in without MFA
    -- description: A successful ConsoleLogin whose session was not MFA-authenticated.
    -- mitre: [T1078.004]
    -- severity: medium
    -- tables: [cloudtrail]
    -- parameters:
    --   principal: {type: string, default: null, description: ARN substring; null means everyone}
    -- ---
    SELECT ...

Every hunt also takes the four parameters of ``COMMON_PARAMETERS`` (``start``,
``end``, ``accounts``, ``regions``) without declaring them; a header may
redeclare one to change its default (e.g. a 30-day window). Optional filters are
written so an empty list or NULL means "all"::

    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND (:principal IS NULL OR useridentity.arn LIKE '%' || :principal || '%')

Before running, :func:`prepare` folds those tests on the bound values away, so
the SQL sent to Athena (and shown by ``orginsight hunt show``) reads
``account IN ('111122223333')`` and partition pruning sees it.

Output contract (checked by the tests): a hunt returns either events (columns
``eventtime``, ``account``, ``eventid``) or groups of events (``first_seen``,
``last_seen``, ``account``, ``eventids``), so ``hunt run --all`` and ``hunt eval``
can summarize any hunt.

Where the queries live: ``$ORGINSIGHT_QUERIES`` if set, else ``orginsight/queries``
inside an installed package, else the ``queries/`` folder of the source checkout
(``src/orginsight/analytics/hunts/`` -> ``../../../queries``), which is what an editable
install (``pip install -e .``) uses.

Where each part lives: ``library`` (finding, parsing and validating hunt files), ``params`` (typed
parameters), ``bind`` (values bound, optional filters folded), ``runner`` (``run``, ``run_all``),
``evaluation`` (hunts against a scenario's ground truth).
"""

from orginsight.analytics.hunts.bind import athena_sql, prepare, resolve
from orginsight.analytics.hunts.evaluation import GroundTruth, evaluate, load_ground_truth
from orginsight.analytics.hunts.library import (
    HEADER_SCHEMA,
    SEVERITIES,
    TACTICS,
    Hunt,
    HuntError,
    catalog,
    get,
    list_hunts,
    load_file,
    parse,
    queries_dir,
    split_header,
    validate,
)
from orginsight.analytics.hunts.params import (
    COMMON_PARAMETERS,
    INT64_RANGE,
    PARAMETER_TYPES,
    Parameter,
    coerce,
    finite_number,
    parse_time,
)
from orginsight.analytics.hunts.runner import event_ids, run, run_all, summarize

list = list_hunts  # noqa: A001 - the public name the issue asks for: orginsight.analytics.hunts.list()
"""``orginsight.analytics.hunts.list()``: every hunt (alias of :func:`list_hunts`)."""

__all__ = [
    "COMMON_PARAMETERS",
    "HEADER_SCHEMA",
    "INT64_RANGE",
    "PARAMETER_TYPES",
    "SEVERITIES",
    "TACTICS",
    "GroundTruth",
    "Hunt",
    "HuntError",
    "Parameter",
    "athena_sql",
    "catalog",
    "coerce",
    "evaluate",
    "event_ids",
    "finite_number",
    "get",
    "list",
    "list_hunts",
    "load_file",
    "load_ground_truth",
    "parse",
    "parse_time",
    "prepare",
    "queries_dir",
    "resolve",
    "run",
    "run_all",
    "split_header",
    "summarize",
    "validate",
]
