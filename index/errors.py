"""The errors every backend shares; all of index/'s errors derive from ingest's ArticleqaError."""

from __future__ import annotations

from ingest.errors import ArticleqaError


class IndexUnusable(ArticleqaError, RuntimeError):
    """A published index is missing, incomplete, corrupted, or was built differently from what is asked."""


class BackendUnavailable(ArticleqaError, RuntimeError):
    """The backend cannot be reached or opened (a Milvus server down, a Lite file open elsewhere)."""


class GateRefused(ArticleqaError, RuntimeError):
    """The new index scored below the gate; the current one keeps serving."""
