"""The `articleqa` command line: ingest, search, stats, eval, serve, mcp, ui and up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from index.beir import (
    corpus_hash,
    evaluate_beir,
    evaluate_beir_answers,
    ingest_beir_corpus,
    load_beir,
    load_beir_answers,
)
from index.conversation_eval import evaluate_conversations, load_conversations
from index.engine import DB_NAME, Engine, NotReady, ReadOnly
from index.errors import BackendUnavailable, GateRefused, IndexUnusable
from index.evaluation import candidate_question, compare_modes, evaluate_questions, load_questions
from index.gate import question_gate
from index.lock import LockTimeout
from index.searcher import QueryError, SearchParams
from index.snapshots.backup import backup, restore
from ingest.embedders import EmbeddingServiceError
from service.exit_codes import ExitCode
from service.models import AskResponse, DocumentOut, SearchResponse, wire
from service.rewrite import rewrite_from
from service.settings import Settings
from service.wiring import build_engine

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Search Chinese articles with exact citations.")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="data folder (default: ARTICLEQA_DATA_DIR or ./data)")]
JsonOut = Annotated[bool, typer.Option("--json", help="print JSON")]


def _settings(data_dir: Path | None = None) -> Settings:
    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings


def _print_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2))


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


class _Bars:
    """tqdm bars per stage, on stderr, only on long runs."""

    def __init__(self) -> None:
        self.bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        key = stage.split(" ")[0]
        if total < 50 and key != "published":
            return
        bar = self.bars.get(key)
        if bar is None:
            bar = self.bars[key] = tqdm(total=total, desc=key, unit="psg", leave=False, file=sys.stderr)
        bar.total = total
        bar.n = min(done, total)
        bar.refresh()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="files or folders (default: the corpus folder)")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="re-read and re-embed everything")] = False,
    gate: Annotated[Path | None, typer.Option("--gate", help="question file the new snapshot must pass")] = None,
    gate_min_hit5: Annotated[float, typer.Option("--gate-min-hit5", help="the gate's minimum hit@5")] = 0.9,
    data_dir: DataDir = None,
    as_json: JsonOut = False,
) -> None:
    """Index new and changed articles, remove deleted ones, publish a new snapshot.

    With --gate, the new snapshot is evaluated first and published only if its hit@5 reaches
    --gate-min-hit5 and the current snapshot's hit@5; otherwise the current one keeps serving."""
    settings = _settings(data_dir)
    engine = build_engine(settings)
    check = None
    if gate is not None:
        check = question_gate(load_questions(gate), engine.embedder, engine.segmenter,
                              min_hit5=gate_min_hit5, params=engine.search_params)
    bars = _Bars()
    try:
        report = engine.ingest(paths or [settings.corpus_dir], rebuild=rebuild, progress=bars, gate=check)
    except (LockTimeout, BackendUnavailable) as exc:
        _fail(str(exc), ExitCode.NOT_READY)
    except EmbeddingServiceError as exc:
        _fail(f"{exc}; nothing was published, the current index keeps serving", ExitCode.EMBEDDING_FAILED)
    except GateRefused as exc:
        _fail(f"{exc}; the current snapshot keeps serving", ExitCode.GATE_REFUSED)
    finally:
        bars.close()
    if as_json:
        _print_json(report.to_dict())
    else:
        typer.echo(
            f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
            f"removed {len(report.removed)}, duplicates {len(report.duplicates)}, errors {len(report.errors)} "
            f"→ index {report.index_version}: {report.documents} documents, {report.passages} passages "
            f"({report.seconds:.1f} s)"
        )
        for d in report.duplicates:
            typer.echo(f"  duplicate: {d['doc_id']} has the same content as {d['duplicate_of']} (skipped)")
        for err in report.errors:
            typer.secho(f"  error: {err['error']}", fg=typer.colors.YELLOW, err=True)
    if report.errors and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(ExitCode.BAD_INPUT)


@app.command()
def watch(
    paths: Annotated[list[Path] | None, typer.Argument(help="folders (default: the corpus folder)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Ingest once, then keep the index in line with the folders: added, changed, renamed and removed files
    are ingested in debounced bursts; a bad file is reported and skipped. One line per publish; Ctrl-C stops."""
    import logging

    from index.watcher import FolderWatcher
    from service.watch import watch_settings, watched_paths

    settings = _settings(data_dir)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    engine = build_engine(settings)
    try:
        watcher = FolderWatcher(engine, watched_paths(settings, paths), watch_settings(settings))
    except FileNotFoundError as exc:
        _fail(str(exc), ExitCode.BAD_INPUT)
    typer.echo(f"watching {', '.join(str(p) for p in watcher.paths)} (Ctrl-C stops)", err=True)
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        watcher.run()
    except (KeyboardInterrupt, _StopSignal):
        pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        engine.close()


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="question or keywords")],
    k: Annotated[int, typer.Option("-k", "--top-k", help="number of passages")] = 5,
    doc_id: Annotated[list[str] | None, typer.Option("--doc", help="only these documents")] = None,
    data_dir: DataDir = None,
    as_json: JsonOut = False,
) -> None:
    """Hybrid search; --json prints the /search response."""
    engine = _ready_engine(data_dir)
    try:
        result = engine.search(query, top_k=k, doc_ids=doc_id)
    except QueryError as exc:
        _fail(str(exc), ExitCode.BAD_INPUT)
    except EmbeddingServiceError as exc:
        _fail(str(exc), ExitCode.EMBEDDING_FAILED)
    if as_json:
        _print_json(wire(SearchResponse, result))
        return
    if result.low_confidence:
        typer.secho("(low confidence: the articles may not cover this)", fg=typer.colors.YELLOW)
    for i, h in enumerate(result.hits, 1):
        c = h.citation
        typer.secho(f"{i}. [{h.score:.3f}] {c.title} › {c.section} (¶{c.paragraph}, {c.char_start}-{c.char_end})",
                    bold=True)
        typer.echo(f"   {h.text}")
        if c.url:
            typer.echo(f"   {c.url}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument()],
    k: Annotated[int, typer.Option("-k", "--top-k")] = 5,
    data_dir: DataDir = None,
    as_json: JsonOut = False,
) -> None:
    """Extractive answer with quotes; --json prints the /ask response."""
    engine = _ready_engine(data_dir)
    try:
        answer = engine.ask(question, top_k=k)
    except QueryError as exc:
        _fail(str(exc), ExitCode.BAD_INPUT)
    except EmbeddingServiceError as exc:
        _fail(str(exc), ExitCode.EMBEDDING_FAILED)
    if as_json:
        _print_json(wire(AskResponse, answer))
        return
    typer.echo(answer.answer)
    for q in answer.quotes:
        c = q.citation
        typer.echo(f"  — {c.title} › {c.section} [{c.char_start}:{c.char_end}] {c.url}")


@app.command()
def stats(data_dir: DataDir = None, as_json: JsonOut = False) -> None:
    """Documents, passages, index version and embedder of the current snapshot."""
    info = _ready_engine(data_dir).stats()
    if as_json:
        _print_json(info)
    else:
        for key, value in info.items():
            typer.echo(f"{key}: {value}")


@app.command(name="eval")
def evaluate(
    questions: Annotated[Path | None, typer.Option("--questions", help="question file (JSON lines)")] = None,
    beir: Annotated[Path | None, typer.Option("--beir", help="BEIR folder: corpus, queries, qrels")] = None,
    conversations: Annotated[Path | None, typer.Option(
        "--conversations", help="conversation file (JSON lines): follow-ups with vs without history")] = None,
    data_dir: DataDir = None,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help="where BEIR corpora are indexed")] = None,
    as_json: JsonOut = False,
) -> None:
    """Retrieval quality: hit@k/MRR on a question file, nDCG@10/Recall/MRR on a BEIR folder, or follow-up
    answer-hit and hit@5 with vs without history on a conversation file."""
    if sum(x is not None for x in (questions, beir, conversations)) != 1:
        _fail("give exactly one of --questions FILE, --beir DIR or --conversations FILE", ExitCode.BAD_INPUT)
    settings = _settings(data_dir)
    if conversations is not None:
        _eval_conversations(_ready_engine(data_dir), conversations, settings, as_json)
        return
    if questions is not None:
        engine = _ready_engine(data_dir)
        qs = load_questions(questions)
        searcher = engine.searcher()
        out = compare_modes(lambda p: evaluate_questions(searcher, qs, params=p, text_of=_article_text(engine)),
                            engine.search_params)
        if not as_json:
            for mode, r in out.items():
                typer.echo(f"{mode:7s} hit@1 {r['hit@1']:.3f}  hit@5 {r['hit@5']:.3f}  MRR {r['mrr@10']:.3f}  "
                           f"ood recall {r['ood_recall']}  ood precision {r['ood_precision']}  "
                           f"answerable flagged {r['answerable_flagged']}  |  answer-hit {r['answer_hit']:.3f}  "
                           f"answered {r['answered']:.3f}  quotes exact {r['quotes_exact']}  "
                           f"answer chars {r['answer_chars_median']}  |  misses {_causes(r['miss_causes'])}")
            return
        for r in out.values():
            r.pop("per_question", None)
            r.pop("answer_misses", None)
        _print_json({**out["hybrid"], "bm25": out["bm25"], "dense": out["dense"]})
        return
    assert beir is not None
    corpus, queries, qrels = load_beir(beir)
    base = cache_dir or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "articleqa" / "beir"
    folder = base / f"{beir.resolve().name}-{corpus_hash(beir)}"
    engine = build_engine(settings.model_copy(update={"data_dir": folder}))
    bars = _Bars()
    try:
        ingest_beir_corpus(engine, corpus, progress=bars)
    finally:
        bars.close()
    searcher = engine.searcher()
    try:
        gold = load_beir_answers(beir)
    except ValueError as exc:
        _fail(str(exc), ExitCode.BAD_INPUT)

    def run(p: SearchParams) -> dict[str, Any]:
        out = evaluate_beir(searcher, queries, qrels, params=p)
        return {**out, **evaluate_beir_answers(searcher, queries, gold, params=p)} if gold else out

    res = compare_modes(run, engine.search_params)
    if as_json:
        _print_json({**res["hybrid"], "bm25": res["bm25"], "dense": res["dense"], "cache": str(folder)})
    else:
        for mode, r in res.items():
            answers = (f"  |  answer contains {r['answer_contains']:.4f} of top-5 {r['top5_contains']:.4f}  "
                       f"answered {r['answered']:.4f}  |  misses {_causes(r['miss_causes'])}" if gold else "")
            typer.echo(f"{mode:7s} nDCG@10 {r['ndcg@10']:.4f}  Recall@10 {r['recall@10']:.4f}  "
                       f"Recall@100 {r['recall@100']:.4f}  MRR@10 {r['mrr@10']:.4f}  ({r['queries']} queries)"
                       + answers)


def _causes(counts: dict[str, int]) -> str:
    """The misses by cause, as "not covered 1, outside top5 0, …"."""
    return ", ".join(f"{cause.replace('_', ' ')} {n}" for cause, n in counts.items())


def _article_text(engine: Engine) -> Callable[[str], str]:
    """doc_id → the article's cleaned text, for checking that quotes are exact at their offsets."""
    def text_of(doc_id: str) -> str:
        document = engine.document(doc_id)
        return document.text if document is not None else ""
    return text_of


def _eval_conversations(engine: Engine, path: Path, settings: Settings, as_json: bool) -> None:
    try:
        cases = load_conversations(path)
    except (OSError, ValueError) as exc:
        _fail(str(exc), ExitCode.BAD_INPUT)
    runs = {"rule": evaluate_conversations(engine, cases)}
    rewrite = rewrite_from(settings)
    if rewrite is not None:
        runs["llm"] = evaluate_conversations(engine, cases, rewrite=rewrite)
    if as_json:
        _print_json(runs)
        return
    for name, res in runs.items():
        splits = [k for k in res if k not in ("all", "per_turn")]
        for split in [*splits, "all"] if len(splits) > 1 else ["all"]:
            r = res[split]
            typer.echo(f"{name:4s} {split:5s} follow-ups {r['followups']}: answer-hit {r['answer_hit']} "
                       f"(without history {r['answer_hit_without_history']}), hit@5 {r['hit@5']} "
                       f"(without history {r['hit@5_without_history']}), recognised {r['recognised_as_followup']}; "
                       f"switches kept {r['switches_kept']}/{r['switches']}; "
                       f"off-topic unanswerable {r['offtopic_unanswerable']}/{r['offtopic']}; "
                       f"first turns {r['first_turns']}: answer-hit {r['first_answer_hit']}")


@app.command()
def show(
    doc_id: Annotated[str, typer.Argument(help="the document id (see GET /documents)")],
    data_dir: DataDir = None,
    as_json: JsonOut = False,
) -> None:
    """One article: metadata, sections and cleaned text; --json prints the GET /documents/{doc_id} response."""
    engine = build_engine(_settings(data_dir))
    try:
        document = engine.document(doc_id)
    finally:
        engine.close()
    if document is None:
        _fail(f"no document with doc_id {doc_id!r}", ExitCode.BAD_INPUT)
    assert document is not None
    if as_json:
        _print_json(wire(DocumentOut, document))
        return
    typer.secho(document.title, bold=True)
    for key in ("url", "publisher", "published_at", "updated_at"):
        if value := getattr(document, key):
            typer.echo(f"{key}: {value}")
    typer.echo(f"doc_id: {document.doc_id}  ·  {len(document.text)} characters, {len(document.sections)} sections, "
               f"{len(document.passages)} passages")
    typer.echo("")
    typer.echo(document.text)


@app.command()
def migrate(
    to: Annotated[str, typer.Option("--to", help="the backend to fill: milvus or faiss")],
    data_dir: DataDir = None,
    as_json: JsonOut = False,
) -> None:
    """Copy the index into another backend from the store's vectors (nothing is re-embedded).

    Then set ARTICLEQA_BACKEND to that backend; the store stays the source of truth for both."""
    settings = _settings(data_dir)
    if to not in ("milvus", "faiss"):
        _fail(f"--to must be milvus or faiss, got {to!r}", ExitCode.BAD_INPUT)
    engine = build_engine(settings.model_copy(update={"backend": to}))
    documents, passages = engine.store.counts()
    if passages == 0:
        engine.close()
        _fail(f"{engine.data_dir} has no passages to copy: run `articleqa ingest` first", ExitCode.NOT_READY)
    started = time.perf_counter()
    bars = _Bars()
    try:
        manifest = engine.publish(progress=bars, full=True)
    except (LockTimeout, BackendUnavailable) as exc:
        _fail(str(exc), ExitCode.NOT_READY)
    finally:
        bars.close()
        engine.close()
    out = {"backend": to, "index_version": manifest["version"], "documents": documents, "passages": passages,
           "seconds": round(time.perf_counter() - started, 2)}
    if as_json:
        _print_json(out)
    else:
        typer.echo(f"copied {passages} passages of {documents} documents into {to} (index {out['index_version']}, "
                   f"{out['seconds']} s); serve it with ARTICLEQA_BACKEND={to}")


@app.command()
def verify(
    version: Annotated[str | None, typer.Option("--version", help="snapshot to check (default: current)")] = None,
    data_dir: DataDir = None,
    as_json: JsonOut = False,
) -> None:
    """Check a snapshot: checksums, counts, dimension, SQLite integrity, citations against the store."""
    settings = _settings(data_dir)
    engine = build_engine(settings)
    report = engine.backend.verify(engine.store, version)
    engine.close()
    if as_json:
        _print_json(report.to_dict())
    else:
        typer.echo(f"snapshot {report.version or '-'}: {'ok' if report.ok else 'PROBLEMS'} {report.checked}")
        for p in report.problems:
            typer.secho(f"  problem: {p}", fg=typer.colors.RED)
        for w in report.warnings:
            typer.secho(f"  warning: {w}", fg=typer.colors.YELLOW)
    if not report.ok:
        raise typer.Exit(ExitCode.VERIFY_PROBLEMS)


@app.command(name="backup")
def backup_cmd(dest: Annotated[Path, typer.Argument(help="new or empty folder")], data_dir: DataDir = None) -> None:
    """Copy the store and the current snapshot into DEST (consistent: writers wait)."""
    settings = _settings(data_dir)
    try:
        info = backup(settings.data_dir, dest, DB_NAME, lock_timeout=settings.lock_timeout)
    except (FileExistsError, FileNotFoundError, LockTimeout) as exc:
        _fail(str(exc), ExitCode.BAD_INPUT)
    what = f"snapshot {info['version']}" if info["version"] else "the store (no snapshot: the index is rebuilt from it)"
    typer.echo(f"backed up {what} ({info['counts']['documents']} documents) to {dest}")


@app.command(name="restore")
def restore_cmd(src: Annotated[Path, typer.Argument(help="a folder made by `articleqa backup`")],
                data_dir: DataDir = None) -> None:
    """Put a backup back into the data folder (stop the service first)."""
    settings = _settings(data_dir)
    try:
        info = restore(src, settings.data_dir, DB_NAME, lock_timeout=settings.lock_timeout)
    except (FileNotFoundError, LockTimeout) as exc:
        _fail(str(exc), ExitCode.BAD_INPUT)
    if info["restored_as"]:
        typer.echo(f"restored snapshot {info['version']} from {src} as {info['restored_as']}")
    else:
        typer.echo(f"restored the store from {src}; rebuild the index from it with "
                   f"`articleqa migrate --to {settings.backend}` (nothing is re-embedded)")


feedback_app = typer.Typer(help="Feedback people left on answers.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Path | None, typer.Option("--out", help="write JSON lines here (default: stdout)")] = None,
    include_helpful: Annotated[bool, typer.Option("--all", help="also answers marked helpful")] = False,
    data_dir: DataDir = None,
) -> None:
    """Export 'not helpful' feedback as candidate questions (the dev-question format, answers to fill in)."""
    engine = build_engine(_settings(data_dir))
    rows = engine.store.list_feedback(None if include_helpful else False)
    lines = [json.dumps(candidate_question(r), ensure_ascii=False) for r in rows]
    text = "\n".join(lines) + ("\n" if lines else "")
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{len(lines)} candidate questions written to {out}", err=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 8000)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Run the HTTP API with uvicorn."""
    from service.server import serve as run_server

    settings = _settings(data_dir)
    run_server(settings, host=host or settings.host, port=port or settings.port)


@app.command()
def mcp(data_dir: DataDir = None) -> None:
    """Serve the MCP tools (search_articles, ask, list_documents, get_document) over stdio."""
    import anyio

    from service.mcp_server import build_mcp
    from service.rewrite import rewrite_from

    settings = _settings(data_dir)
    engine = build_engine(settings)
    try:
        anyio.run(build_mcp(lambda: engine, rewrite_from(settings)).run_stdio_async)
    finally:
        engine.close()


@app.command()
def ui(port: Annotated[int | None, typer.Option(help="port (default 8501)")] = None) -> None:
    """Run the Streamlit page (it talks to the API at ARTICLEQA_API_URL)."""
    from ui.launch import run as run_ui

    settings = _settings()
    _run_children([lambda: run_ui(port=port or settings.ui_port, api_url=settings.api_url)])


@app.command()
def up(
    data_dir: DataDir = None,
    port: Annotated[int | None, typer.Option(help="API port (default 8000)")] = None,
    ui_port: Annotated[int | None, typer.Option(help="page port (default 8501)")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="the API also watches the corpus folder "
                                                       "(same as ARTICLEQA_WATCH=true)")] = False,
) -> None:
    """Ingest the corpus folder, then run the API and the page together; Ctrl-C, SIGTERM or SIGHUP stops both."""
    from ui.launch import run as run_ui

    settings = _settings(data_dir)
    api_port = port or settings.port
    engine = build_engine(settings)
    report = engine.ingest([settings.corpus_dir], progress=_Bars())
    typer.echo(f"index {report.index_version}: {report.documents} documents, {report.passages} passages")
    engine.close()
    env = {**os.environ, "ARTICLEQA_DATA_DIR": str(settings.data_dir)}
    if watch:
        env["ARTICLEQA_WATCH"] = "true"
    api_url = f"http://{settings.host}:{api_port}"
    page_port = ui_port or settings.ui_port
    _run_children(
        [lambda: subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--host", settings.host,
                                   "--port", str(api_port)], env=env),
         lambda: run_ui(port=page_port, api_url=api_url)],
        banner=f"API on {api_url}/docs, page on http://{settings.host}:{page_port} (Ctrl-C stops)")


class _StopSignal(Exception):
    """SIGTERM or SIGHUP (what docker, supervisord and `kill` send), raised in the main thread."""


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def _raise_stop(signum: int, frame: object) -> None:
    raise _StopSignal(signal.Signals(signum).name)


def _run_children(starters: list[Callable[[], subprocess.Popen[bytes]]], banner: str = "") -> None:
    """Start the children, wait until one exits or a stop signal (SIGINT, SIGTERM, SIGHUP) comes, then stop
    them all: SIGTERM, and SIGKILL after 10 s. A signal while they start stops those already started."""
    previous = {s: signal.signal(s, _raise_stop) for s in _STOP_SIGNALS}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for start in starters:
            procs.append(start())
        if banner:
            typer.echo(banner)
        while all(p.poll() is None for p in procs):
            time.sleep(0.2)
    except (KeyboardInterrupt, _StopSignal):
        pass
    finally:
        for s in _STOP_SIGNALS:  # a second signal must not cut the clean-up short
            signal.signal(s, signal.SIG_IGN)
        _stop_all(procs)
        for s, handler in previous.items():
            signal.signal(s, handler)


def _stop_all(procs: list[subprocess.Popen[bytes]], grace: float = 10.0) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _ready_engine(data_dir: Path | None) -> Engine:
    engine = build_engine(_settings(data_dir))
    try:
        engine.searcher()
    except NotReady as exc:
        _fail(str(exc), ExitCode.NOT_READY)
    except IndexUnusable as exc:
        _fail(str(exc), ExitCode.INDEX_UNUSABLE)
    return engine


def main() -> None:
    try:
        app()
    except ReadOnly as exc:  # any write command run with ARTICLEQA_READ_ONLY=true
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(ExitCode.BAD_INPUT)


if __name__ == "__main__":
    main()
