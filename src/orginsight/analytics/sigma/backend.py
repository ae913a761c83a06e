"""The pySigma backend: a rule's detection, condition by condition, as a sqlglot tree over ``cloudtrail``.

Sigma matches strings case-insensitively and Athena (Trino) does not, so every string comparison
lower-cases both sides; wildcards become ``LIKE`` with ``%``/``_`` escaped; ``re`` becomes
``regexp_like``; ``null`` and ``exists`` become ``IS NULL`` / ``IS NOT NULL``. A field the event lacks
fails every test on it, so ``not`` keeps the event (:func:`sigma_truth`), as Sigma defines it.
"""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar

from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionNOT, ConditionOR
from sigma.conversion.base import Backend, TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.types import SigmaCompareExpression, SigmaString, SpecialChars
from sqlglot import exp

from orginsight.analytics.sigma.fields import field_node, field_sql


def _like_pattern(value: SigmaString) -> str:
    """A LIKE pattern (escape character ``\\``) for a Sigma string with wildcards."""
    out = []
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            out.append("%")
        elif part == SpecialChars.WILDCARD_SINGLE:
            out.append("_")
        elif isinstance(part, str):
            out.append(re.sub(r"([\\%_])", r"\\\1", part))
        else:  # placeholders and other special parts cannot be expressed
            raise NotImplementedError(f"unsupported special value part {part!r}")
    return "".join(out)


def _string_match(field: exp.Expression, value: SigmaString, lower: bool) -> exp.Expression:
    """``field = 'value'``, or ``field LIKE 'pattern' ESCAPE '\\'`` for a value with wildcards; both lower-cased
    when ``lower`` (Sigma matches strings regardless of case)."""
    if lower:
        field = exp.Lower(this=field)
    if value.contains_special():
        pattern = _like_pattern(value)
        like = exp.Like(this=field, expression=exp.Literal.string(pattern.lower() if lower else pattern))
        return exp.Escape(this=like, expression=exp.Literal.string("\\"))
    text = str(value)
    return exp.EQ(this=field, expression=exp.Literal.string(text.lower() if lower else text))


def sigma_truth(condition: exp.Expression) -> exp.Expression:
    """``COALESCE(condition, FALSE)``: the condition as Sigma evaluates it, where a test on a field the event
    lacks is false, never unknown.

    SQL's comparisons with NULL are unknown, and ``NOT unknown`` is unknown, which ``WHERE`` drops: a rule's
    ``not filter`` on ``userIdentity.type`` would lose every event an AWS service logged (they have no
    ``type``). Under AND and OR an unknown acts as false wherever the result is read as true-or-not, so
    making it false at each NOT (and WHERE treating the top level's unknown as false) gives Sigma's
    two-valued answer for every modifier, whatever node the modifier became.
    """
    return exp.Coalesce(this=condition, expressions=[exp.false()])


def in_parentheses(node: Any) -> Any:
    """A condition in parentheses (a node; anything else pySigma passes on as it is)."""
    return exp.Paren(this=node) if isinstance(node, exp.Expression) else node


class AthenaCloudTrailBackend(TextQueryBackend):
    """pySigma backend: Sigma ``product: aws, service: cloudtrail`` rules to conditions over the ``cloudtrail`` table.

    Each condition is a sqlglot tree: pySigma's text templates (``re_expression``,
    ``field_null_expression``...) are not used, every conversion method builds nodes, and
    AND/OR/NOT combine nodes. ``convert_rule`` returns one tree per rule condition.
    """

    name: ClassVar[str] = "orginsight Athena CloudTrail"
    formats: ClassVar[dict[str, str]] = {
        "default": "WHERE-clause condition over the cloudtrail table (sqlglot tree)"
    }
    requires_pipeline: ClassVar[bool] = False

    precedence: ClassVar[tuple[type, type, type]] = (ConditionNOT, ConditionAND, ConditionOR)
    group_expression: ClassVar[str] = "({expr})"
    token_separator: str = " "
    or_token: ClassVar[str] = "OR"
    and_token: ClassVar[str] = "AND"
    not_token: ClassVar[str] = "NOT"
    eq_token: ClassVar[str] = " = "
    str_quote: ClassVar[str] = "'"
    escape_char: ClassVar[str] = "'"
    add_escaped: ClassVar[str] = ""
    compare_operators: ClassVar[dict[Any, type[exp.Expression]]] = {
        SigmaCompareExpression.CompareOperators.LT: exp.LT,
        SigmaCompareExpression.CompareOperators.LTE: exp.LTE,
        SigmaCompareExpression.CompareOperators.GT: exp.GT,
        SigmaCompareExpression.CompareOperators.GTE: exp.GTE,
    }
    cidr_expression: ClassVar[str | None] = None  # pySigma expands a CIDR into address-prefix wildcards

    # --- combining conditions (nodes, not text) ---------------------------------------------------

    def _converted(self, cond: Any, arg: Any, state: ConversionState) -> exp.Expression:
        node = (
            self.convert_condition(arg, state)
            if self.compare_precedence(cond, arg)
            else self.convert_condition_group(arg, state)
        )
        if not isinstance(node, exp.Expression):
            raise NotImplementedError(f"cannot convert the condition part {arg!r}")
        return node

    def convert_condition_group(self, cond: Any, state: ConversionState) -> Any:
        return in_parentheses(self.convert_condition(cond, state))

    def convert_condition_or(self, cond: ConditionOR, state: ConversionState) -> Any:
        return exp.or_(*(self._converted(cond, arg, state) for arg in cond.args), copy=False)

    def convert_condition_and(self, cond: ConditionAND, state: ConversionState) -> Any:
        return exp.and_(*(self._converted(cond, arg, state) for arg in cond.args), copy=False)

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> Any:
        arg = cond.args[0]
        inner = (
            self.convert_condition_group(arg, state)
            if arg.__class__ in self.precedence
            else self.convert_condition(arg, state)
        )
        if not isinstance(inner, exp.Expression):
            raise NotImplementedError(f"cannot negate the condition part {arg!r}")
        return exp.Not(this=sigma_truth(inner))

    def finish_query(self, rule: Any, query: Any, state: ConversionState) -> Any:
        """The condition tree as it is (pySigma's text backend would format it into its query template)."""
        if state.has_deferred():
            raise NotImplementedError("deferred query parts are not supported")
        return Backend.finish_query(self, rule, query, state)

    def finalize_query_default(self, rule: Any, query: Any, index: int, state: ConversionState) -> Any:
        return query

    # --- fields and values ------------------------------------------------------------------------

    def escape_and_quote_field(self, field_name: str) -> str:
        return field_sql(field_name)

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """Case-insensitive equality, or LIKE when the value has wildcards."""
        return _string_match(field_node(cond.field), cond.value, lower=True)

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        return _string_match(field_node(cond.field), cond.value, lower=False)

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """CloudTrail's scalar values are text in the table (and in json_extract_scalar): compare as text."""
        return exp.EQ(this=field_node(cond.field), expression=exp.Literal.string(str(cond.value)))

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        text = str(bool(cond.value.boolean)).lower()
        return exp.EQ(this=exp.Lower(this=field_node(cond.field)), expression=exp.Literal.string(text))

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """``regexp_like(field, 'regex')``, Sigma's flags as an inline ``(?i)`` prefix."""
        regex = cond.value.escape((), "\\", False, True)
        return exp.Anonymous(
            this="regexp_like", expressions=[field_node(cond.field), exp.Literal.string(regex)]
        )

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        number = getattr(cond.value.number, "number", None)
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise NotImplementedError(f"field '{cond.field}': cannot compare with {cond.value.number!r}")
        op = self.compare_operators[cond.value.op]
        cast = exp.TryCast(this=field_node(cond.field), to=exp.DataType.build("double"))
        return op(this=cast, expression=exp.Literal.number(number))

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        ref = cond.value
        if ref.starts_with or ref.ends_with:
            raise NotImplementedError("field references with startswith/endswith are not supported")
        return exp.EQ(
            this=exp.Lower(this=field_node(cond.field)), expression=exp.Lower(this=field_node(ref.field))
        )

    def convert_condition_field_eq_val_null(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        return exp.Is(this=field_node(cond.field), expression=exp.Null())

    convert_condition_field_not_exists = convert_condition_field_eq_val_null

    def convert_condition_field_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        return exp.Not(this=exp.Is(this=field_node(cond.field), expression=exp.Null()))

    def convert_condition_field_eq_val_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """``exists: true`` is ``IS NOT NULL``, ``exists: false`` is ``IS NULL`` (not a double negation)."""
        if cond.value:
            return self.convert_condition_field_exists(cond, state)
        return self.convert_condition_field_not_exists(cond, state)

    def convert_condition_field_eq_query_expr(self, cond: Any, state: ConversionState) -> Any:
        raise NotImplementedError("query expressions (raw backend text from a pipeline) are not supported")

    def convert_condition_field_eq_val_timestamp_part(self, cond: Any, state: ConversionState) -> Any:
        raise NotImplementedError("timestamp-part modifiers (minute, hour, day...) are not supported")

    def convert_condition_val_str(self, cond: Any, state: ConversionState) -> Any:
        raise NotImplementedError("keyword (field-less) searches are not supported: name the field to match")

    convert_condition_val_num = convert_condition_val_str
    convert_condition_val_re = convert_condition_val_str
    convert_condition_query_expr = convert_condition_val_str
    convert_condition_field_eq_val_re_contains = convert_condition_val_str
