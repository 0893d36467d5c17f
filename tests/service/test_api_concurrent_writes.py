"""Writers at once: uploads queue on the write lock, none is lost, and every one is searchable afterwards."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from service.settings import Settings
from tests.helpers.live_server import ADMIN, Api, copy_data_dir, make_settings

TOPICS = ["珊瑚礁", "火山岛", "冰川湖", "红树林", "盐碱地", "喀斯特", "沙漠绿洲", "苔原带", "季风区", "峡湾"]


@pytest.fixture()
def busy(tmp_path: Path, built_data_dir: Path, start_server: Callable[[Settings], Api]) -> Api:
    data_dir = copy_data_dir(built_data_dir, tmp_path / "data")
    return start_server(make_settings(data_dir, admin_key=ADMIN["X-API-Key"], lock_timeout=120.0))


def test_ten_uploads_at_once_all_land(busy: Api) -> None:
    gate = threading.Barrier(len(TOPICS))
    answers: dict[str, httpx.Response] = {}

    def upload(i: int, topic: str) -> None:
        text = f"{topic}考察笔记\n\n一、概况\n\n{topic}编号{i}的考察记录:{topic}的地貌和生态在这里详细描述。\n"
        with busy.client() as c:
            gate.wait()
            answers[topic] = c.post("/documents", headers=ADMIN,
                                    files={"file": (f"field-{i}.txt", text.encode(), "text/plain")})

    threads = [threading.Thread(target=upload, args=(i, t)) for i, t in enumerate(TOPICS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert sorted(answers) == sorted(TOPICS)
    assert {t: r.status_code for t, r in answers.items()} == {t: 201 for t in TOPICS}
    versions = [r.json()["index_version"] for r in answers.values()]
    assert len(set(versions)) == len(TOPICS)  # one publish each, one after another
    with busy.client() as c:
        listed = {d["doc_id"] for d in c.get("/documents").json()}
        assert {f"field-{i}" for i in range(len(TOPICS))} <= listed
        for i, topic in enumerate(TOPICS):
            hits = c.post("/search", json={"query": f"{topic}的地貌和生态", "top_k": 1}).json()["results"]
            assert hits[0]["doc_id"] == f"field-{i}", topic
