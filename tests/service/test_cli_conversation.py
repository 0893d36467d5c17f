"""`articleqa show DOC_ID [--json]` and `articleqa eval --conversations FILE` over the shipped corpus."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from service.cli import app
from tests.helpers.live_server import copy_data_dir

runner = CliRunner()


def test_show_prints_the_article_and_its_json(built_data_dir: Path, tmp_path: Path) -> None:
    data = copy_data_dir(built_data_dir, tmp_path / "data")
    res = runner.invoke(app, ["show", "credit-card-product-manager", "--json", "--data-dir", str(data)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["doc_id"] == "credit-card-product-manager" and doc["title"] == "如何成为信用卡产品经理"
    assert all(doc["text"][p["char_start"]:p["char_end"]] == p["text"] for p in doc["passages"])
    text = runner.invoke(app, ["show", "credit-card-product-manager", "--data-dir", str(data)])
    assert text.exit_code == 0
    assert text.stdout.startswith("如何成为信用卡产品经理\n") and doc["text"] in text.stdout
    assert "https://www.chuangxiangniao.com/p/669469.html" in text.stdout
    missing = runner.invoke(app, ["show", "no-such-article", "--data-dir", str(data)])
    assert missing.exit_code == 2 and "no-such-article" in missing.output


def test_eval_conversations_reports_with_and_without_history(built_data_dir: Path, tmp_path: Path) -> None:
    data = copy_data_dir(built_data_dir, tmp_path / "data")
    cases = [
        {"id": "f", "split": "dev", "turns": [
            {"q": "信用卡产品经理要懂哪些金融知识?", "answers": ["信用评分、利率计算、风险管理等"]},
            {"q": "那法规呢?", "kind": "followup", "answers": ["信用卡产品受到严格的监管"]}]},
        {"id": "s", "split": "held", "turns": [
            {"q": "银行产品经理为什么需要情商?"},
            {"q": "信用卡产品经理为什么要懂利率计算?", "kind": "switch",
             "answers": ["信用评分、利率计算、风险管理等"]}]},
        {"id": "o", "split": "held", "turns": [
            {"q": "领导力包括哪些方面?"}, {"q": "那明天会下雨吗?", "kind": "offtopic"}]},
    ]
    path = tmp_path / "conversations.jsonl"
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["eval", "--conversations", str(path), "--data-dir", str(data), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"rule"}  # no model configured: the rule only
    every = out["rule"]["all"]
    assert every["followups"] == 1 and every["hit@5"] == 1.0 and every["recognised_as_followup"] == 1.0
    assert every["switches_kept"] == 1 and every["offtopic_unanswerable"] == 1
    assert out["rule"]["dev"]["followups"] == 1 and out["rule"]["held"]["switches"] == 1
    # the first turn with expected answers scores as a stand-alone question; the others are not scored
    assert every["first_turns"] == 1 and out["rule"]["dev"]["first_answer_hit"] == 1.0
    assert out["rule"]["held"]["first_turns"] == 0 and out["rule"]["held"]["first_answer_hit"] is None
    (followup,) = [t for t in out["rule"]["per_turn"] if t["kind"] == "followup"]
    assert followup["searched_query"] == "信用卡产品经理要懂哪些金融知识?那法规呢?"
    plain = runner.invoke(app, ["eval", "--conversations", str(path), "--data-dir", str(data)])
    assert plain.exit_code == 0 and "without history" in plain.stdout and "switches kept 1/1" in plain.stdout
    assert "rule dev   follow-ups 1" in plain.stdout and "first turns 1: answer-hit 1.0" in plain.stdout
    both = runner.invoke(app, ["eval", "--conversations", str(path), "--questions", str(path), "--data-dir",
                               str(data)])
    assert both.exit_code == 2 and "exactly one of" in both.output
    path.write_text('{"turns": [{"q": "只有一轮"}]}\n', encoding="utf-8")
    bad = runner.invoke(app, ["eval", "--conversations", str(path), "--data-dir", str(data)])
    assert bad.exit_code == 2 and "at least two turns" in bad.output
