"""The CLI's exit codes in one table, as service/errors.py holds the HTTP statuses."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What `articleqa` exits with; README.md lists the same."""

    OK = 0
    BAD_INPUT = 2  # a bad argument, file, query or folder; a write on a read-only replica; backup/restore refused
    NOT_READY = 3  # nothing indexed yet, another writer holds the lock, or the backend is unreachable
    INDEX_UNUSABLE = 4  # the published index is damaged or was built with another embedder or dictionary
    GATE_REFUSED = 5  # the quality gate kept the current index
    VERIFY_PROBLEMS = 6  # `articleqa verify` found problems
    EMBEDDING_FAILED = 7  # the embedding service failed; nothing was published
