"""Metadata conditions (Dify's `metadata_condition`) over the article metadata we keep, resolved to doc ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from index.catalog import Catalog
from index.filters import parse_date
from ingest.errors import ArticleqaError

TEXT_FIELDS = ("doc_id", "title", "url", "publisher")
DATE_FIELDS = ("published_at", "updated_at")
# Names other systems use for the same fields (Dify's built-in document metadata among them).
ALIASES = {"document_name": "title", "name": "title", "source": "url", "link": "url", "author": "publisher",
           "uploader": "publisher", "date": "published_at", "published": "published_at",
           "publish_date": "published_at", "upload_date": "published_at", "last_update_date": "updated_at",
           "updated": "updated_at"}
TEXT_OPERATORS = ("contains", "not contains", "start with", "end with", "is", "is not", "in", "not in",
                  "empty", "not empty", "null", "not null")
DATE_OPERATORS = ("is", "is not", "=", "≠", "!=", "before", "after", ">", "<", "≥", "≤", ">=", "<=",
                  "empty", "not empty", "null", "not null")


class ConditionError(ArticleqaError, ValueError):
    """A condition naming a field we do not keep, an unknown operator, or a value of the wrong kind."""


@dataclass(frozen=True)
class Condition:
    """`name` (one field, or several: any of them may satisfy it) compared with `value` by `operator`."""

    names: tuple[str, ...]
    operator: str
    value: str | float | tuple[str, ...] | None = None


def field_of(name: str) -> str:
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in TEXT_FIELDS + DATE_FIELDS:
        known = ", ".join(TEXT_FIELDS + DATE_FIELDS)
        raise ConditionError(f"no article metadata named {name!r}: the fields are {known}")
    return key


def check(condition: Condition) -> None:
    """ConditionError unless every name is a field we keep and the operator applies to it."""
    for name in condition.names:
        field = field_of(name)
        allowed = DATE_OPERATORS if field in DATE_FIELDS else TEXT_OPERATORS
        if condition.operator not in allowed:
            raise ConditionError(f"operator {condition.operator!r} does not apply to {field}: use one of "
                                 + ", ".join(allowed))
        if condition.operator not in ("empty", "not empty", "null", "not null") and condition.value is None:
            raise ConditionError(f"operator {condition.operator!r} on {field} needs a value")
        if field in DATE_FIELDS and condition.value is not None and condition.operator not in (
                "empty", "not empty", "null", "not null") and _as_date(condition.value) is None:
            raise ConditionError(f"{field} is compared with dates: {condition.value!r} is not a date "
                                 "(use 2024-03-05)")


def matching_doc_ids(store: Catalog, conditions: Sequence[Condition], logical: str = "and") -> list[str]:
    """The articles whose metadata satisfies all (`and`) or any (`or`) of the conditions."""
    for c in conditions:
        check(c)
    if logical not in ("and", "or"):
        raise ConditionError(f"logical_operator must be 'and' or 'or', got {logical!r}")
    out = []
    for doc_id, title, url, publisher, published_at, updated_at in store.documents_table():
        row = {"doc_id": doc_id, "title": title or "", "url": url or "", "publisher": publisher or "",
               "published_at": published_at or "", "updated_at": updated_at or ""}
        results = [any(_holds(row[field_of(n)], field_of(n) in DATE_FIELDS, c) for n in c.names)
                   for c in conditions]
        if (all(results) if logical == "and" else any(results)) or not conditions:
            out.append(doc_id)
    return out


def _holds(actual: str, is_date: bool, c: Condition) -> bool:
    op = c.operator
    if op in ("empty", "null"):
        return not actual.strip()
    if op in ("not empty", "not null"):
        return bool(actual.strip())
    if is_date:
        return _date_holds(parse_date(actual), op, _as_date(c.value))
    a = actual.strip().casefold()
    values = [str(v).strip().casefold() for v in c.value] if isinstance(c.value, tuple) else [
        str(c.value).strip().casefold()]
    if op == "in":
        return a in values
    if op == "not in":
        return a not in values
    v = values[0]
    return {"contains": v in a, "not contains": v not in a, "start with": a.startswith(v),
            "end with": a.endswith(v), "is": a == v, "is not": a != v}[op]


def _date_holds(actual: date | None, op: str, wanted: date | None) -> bool:
    if actual is None or wanted is None:
        return op in ("is not", "≠", "!=")
    if op in ("is", "="):
        return actual == wanted
    if op in ("is not", "≠", "!="):
        return actual != wanted
    if op in ("before", "<"):
        return actual < wanted
    if op in ("after", ">"):
        return actual > wanted
    if op in ("≤", "<="):
        return actual <= wanted
    return actual >= wanted  # ≥, >=


def _as_date(value: object) -> date | None:
    if isinstance(value, tuple):
        value = value[0] if value else ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Dify sends dates as Unix timestamps from its date pickers.
        try:
            return datetime.fromtimestamp(float(value), tz=UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    return parse_date(str(value)) if value is not None else None


def article_metadata(store: Catalog, doc_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """doc_id → the metadata fields the conditions range over, for these articles."""
    return {r[0]: {"doc_id": r[0], "title": r[1] or "", "url": r[2] or "", "publisher": r[3] or "",
                   "published_at": r[4] or "", "updated_at": r[5] or ""}
            for r in store.documents_table(list(doc_ids))}
