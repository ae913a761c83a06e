"""Athena SQL in, engine SQL out: parse and check a query, write its tree for an engine.

Queries are written once, in Athena's dialect (Trino). sqlglot parses them into a
tree (:func:`parse`, which refuses anything but one read-only query); parameters
are bound in the tree (:mod:`~orginsight.engines.parameters`), and the predicates
around each ``cloudtrail`` reference decide what it reads
(:mod:`~orginsight.engines.pruning`). The tree is written out for the local engine
in :class:`~orginsight.engines.dialect.LocalDuckDB`, sqlglot's DuckDB plus the
Trino-to-DuckDB rewrites it lacks.

``bind``, ``placeholders``, ``table_refs`` and ``add_timestamp_predicates`` are kept here
too, for the hunts, Sigma and Storage Lens code that reaches them as ``translate.*``.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from orginsight.engines.dialect import DIALECT, LocalDuckDB
from orginsight.engines.parameters import bind as bind
from orginsight.engines.parameters import placeholders as placeholders
from orginsight.engines.pruning import add_timestamp_predicates as add_timestamp_predicates
from orginsight.engines.pruning import table_refs as table_refs
from orginsight.errors import QueryError
from orginsight.sources.schema import COLUMNS

READ_ONLY = "only read-only queries run (one SELECT, WITH ... SELECT or VALUES statement)"

QUERY_ROOTS: tuple[type[exp.Expression], ...] = (exp.Select, exp.SetOperation, exp.Subquery, exp.Values)
"""What a statement may be: SELECT (with or without WITH), UNION/INTERSECT/EXCEPT of them, a
parenthesized query, VALUES."""

NOT_A_QUERY: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Command",
        "Copy",
        "Insert",
        "Create",
        "Drop",
        "Alter",
        "Set",
        "Pragma",
        "Attach",
        "Detach",
        "Install",
        "Use",
        "Update",
        "Delete",
        "Merge",
        "TruncateTable",
        "Into",
        "LoadData",
        "Export",
        "Describe",
        "Show",
        "Summarize",
        "Analyze",
        "Transaction",
        "Commit",
        "Rollback",
        "Grant",
        "Revoke",
        "Cache",
        "Uncache",
        "Refresh",
        "Kill",
        "Execute",
        "Declare",
        "Comment",
    )
    if hasattr(exp, name)
)
"""Nodes that are statements (or write a table, like ``SELECT ... INTO``), refused anywhere in a query's tree.
sqlglot parses what it does not know (``LOAD``, ``CALL``, ``EXPLAIN``...) as ``Command``."""

QUERY_KEYWORDS = frozenset({"SELECT", "WITH", "VALUES", "TABLE", "FROM"})
"""First keywords of a query: any other first word of a statement sqlglot cannot parse names what it is."""

_FIRST_WORD = re.compile(r"(?:\s|\(|--[^\n]*(?:\n|$)|/\*.*?\*/)*([A-Za-z_]+)", re.DOTALL)


def parse(sql: str) -> exp.Expression:
    """One read-only Athena statement as a sqlglot tree; a syntax error says where.

    Anything but one query (see :func:`ensure_read_only`) is refused here, before any engine
    sees it: every way SQL text reaches an engine (``Lake.sql``, hunts, Sigma rules, published
    queries, notebooks) goes through this function.
    """
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except (ParseError, TokenError) as e:
        try:
            keywords = statement_keywords(sql)
        except TokenError:
            keywords = [k for k in [first_keyword(sql)] if k]
        refused = [k for k in keywords if k not in QUERY_KEYWORDS]
        if refused:
            raise QueryError(f"{refused[0]} statement refused: {READ_ONLY}", sql=sql) from e
        raise QueryError(f"cannot parse the SQL as Athena SQL: {e}", sql=sql) from e
    if len(statements) != 1:
        kinds = f" ({', '.join(statement_keywords(sql))})" if statements else ""
        raise QueryError(f"expected one SQL statement, got {len(statements)}{kinds}: {READ_ONLY}", sql=sql)
    ensure_read_only(statements[0], sql)
    return statements[0]


def statement_keywords(sql: str) -> list[str]:
    """The first word of each statement of ``sql`` (split on ``;`` by sqlglot's tokenizer), upper-cased."""
    from sqlglot.tokens import TokenType

    words, fresh = [], True
    for token in sqlglot.Dialect.get_or_raise(DIALECT).tokenize(sql):
        if token.token_type == TokenType.SEMICOLON:
            fresh = True
        elif fresh and token.token_type not in (TokenType.L_PAREN,):
            words.append(token.text.upper())
            fresh = False
    return words


def first_keyword(sql: str) -> str | None:
    """The first word of a statement after comments and opening parentheses, upper-cased (None if none)."""
    m = _FIRST_WORD.match(sql)
    return m.group(1).upper() if m else None


def statement_kind(node: exp.Expression, sql: str | None = None) -> str:
    """What a statement node is, as its SQL keyword (``COPY``, ``CREATE``, ``LOAD``...).

    A statement sqlglot misreads as an expression (``INSTALL httpfs`` as a column with an alias)
    is named by the first word of its text.
    """
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, exp.Into):
        return "SELECT ... INTO"
    if isinstance(node, NOT_A_QUERY):
        return node.key.upper()
    return (first_keyword(sql) if sql else None) or node.key.upper()


def ensure_read_only(tree: exp.Expression, sql: str | None = None) -> exp.Expression:
    """``tree`` itself if it is one read-only query, else a QueryError naming what it is.

    Checks the root (a SELECT, a set operation of queries, VALUES) and every node below it (no
    COPY, INSERT, CREATE, SET, PRAGMA, ATTACH... inside a CTE or a subquery either). What a query
    may read is the engine's business: the local engine's DuckDB reads only the lake and its cache.
    """
    if not isinstance(tree, QUERY_ROOTS):
        raise QueryError(f"{statement_kind(tree, sql)} statement refused: {READ_ONLY}", sql=sql)
    for node in tree.walk():
        if isinstance(node, NOT_A_QUERY):
            raise QueryError(
                f"query refused: it holds a {statement_kind(node)} statement, and {READ_ONLY}", sql=sql
            )
    return tree


ENGINE_DIALECTS: dict[str, type[sqlglot.Dialect]] = {"duckdb": LocalDuckDB}
"""sqlglot dialects that write Athena trees for an engine in place of sqlglot's own of that name:
DuckDB reads some Trino functions' arguments differently (see :mod:`orginsight.engines.dialect`)."""

LOCAL_DIALECT = LocalDuckDB
"""The dialect the local engine's DuckDB runs Athena queries in."""


def to_sql(tree: exp.Expression, dialect: str | type[sqlglot.Dialect]) -> str:
    """The tree (read as Athena SQL) as ``dialect`` SQL; ``"duckdb"`` means :data:`LOCAL_DIALECT`."""
    target = ENGINE_DIALECTS.get(dialect, dialect) if isinstance(dialect, str) else dialect
    return tree.sql(dialect=target)


# --- columns a query uses ---------------------------------------------------------------------------


def columns_used(tree: exp.Expression) -> dict[str, set[tuple[str, ...]] | None] | None:
    """The ``cloudtrail`` columns a query names, each with the struct sub-paths it reads.

    ``{"useridentity": {("arn",)}, "eventname": None}`` means only ``useridentity.arn``
    and the whole ``eventname``; ``None`` for the whole map means every column
    (``SELECT *``). Reading fewer fields is most of what makes a scan fast.
    """
    # SELECT * or t.* needs every column; count(*) needs none.
    if any(isinstance(s.parent, exp.Select | exp.Column) for s in tree.find_all(exp.Star)):
        return None
    used: dict[str, set[tuple[str, ...]] | None] = {}
    for c in tree.find_all(exp.Column):
        names = [p.name.lower() for p in c.parts]
        node: exp.Expression = c
        while isinstance(node.parent, exp.Dot) and node.arg_key == "this":  # a.b.c.d.e parses as Dot(Column)
            names.append(node.parent.expression.name.lower())
            node = node.parent
        for i, name in enumerate(names):
            if name not in COLUMNS:
                continue
            rest = tuple(names[i + 1 :])
            if not rest:
                used[name] = None
            elif name not in used or used[name] is not None:
                used.setdefault(name, set()).add(rest)  # type: ignore[union-attr]
            break
    # A name inside a JSON path or a lambda is not a column; unknown names are left to the engine.
    return {c: used[c] for c in COLUMNS if c in used}


def renamed(ref: exp.Table, name: str) -> exp.Table:
    """The same table reference pointing at ``name``, keeping the alias queries qualify columns with."""
    alias = ref.alias_or_name
    return exp.Table(
        this=exp.to_identifier(name, quoted=True), alias=exp.TableAlias(this=exp.to_identifier(alias))
    )
