"""A read-only replica refuses to start on settings it cannot work with, naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.wiring import build_engine
from tests.helpers.live_server import make_settings


@pytest.mark.parametrize(("overrides", "named"), [
    ({"backend": "faiss"}, "ARTICLEQA_BACKEND=milvus"),
    ({"backend": "milvus", "milvus_uri": ""}, "ARTICLEQA_MILVUS_URI"),
    ({"backend": "milvus", "milvus_uri": "/srv/milvus.db"}, "Milvus Lite file"),
    ({"backend": "milvus", "milvus_uri": "http://127.0.0.1:19530", "watch": True}, "ARTICLEQA_WATCH"),
])
def test_replica_settings_that_cannot_work_are_refused(tmp_path: Path, overrides: dict[str, object],
                                                       named: str) -> None:
    with pytest.raises(ValueError, match=named):
        build_engine(make_settings(tmp_path / "replica", read_only=True, **overrides))
    assert not (tmp_path / "replica").exists()  # refused before anything was created
