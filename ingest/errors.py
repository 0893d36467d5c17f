"""The base of every error articleqa raises on purpose; index/ and service/ derive theirs from it."""

from __future__ import annotations


class ArticleqaError(Exception):
    """An error articleqa raises on purpose, with a message naming the bad value and what was expected.

    Each subclass also keeps its builtin kind (ValueError, RuntimeError), so callers that catch those
    go on working."""
