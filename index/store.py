"""SQLite source of truth: articles, their passages, passage vectors per embedder, and feedback."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.clock import now_iso
from index.errors import IndexUnusable
from index.types import PassageRow
from ingest.latent_terms import LatentTerms
from ingest.types import Article, Passage, Section, passage_context

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    publisher TEXT NOT NULL DEFAULT '',
    published_at TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    sections TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL,
    simhash TEXT NOT NULL DEFAULT '',
    generation INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
CREATE INDEX IF NOT EXISTS articles_origin ON articles(origin);
CREATE TABLE IF NOT EXISTS passages (
    passage_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES articles(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    section TEXT NOT NULL,
    paragraph INTEGER NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    text TEXT NOT NULL,
    tokens TEXT NOT NULL,
    UNIQUE (doc_id, ordinal)
);
CREATE TABLE IF NOT EXISTS vectors (
    passage_id TEXT NOT NULL REFERENCES passages(passage_id) ON DELETE CASCADE,
    embedder TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (passage_id, embedder)
);
CREATE TABLE IF NOT EXISTS tombstones (doc_id TEXT PRIMARY KEY, generation INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS terms (
    id INTEGER PRIMARY KEY,
    term TEXT NOT NULL UNIQUE,
    df INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    helpful INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    passage_ids TEXT NOT NULL DEFAULT '[]',
    index_version TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class StoredArticle:
    """An article row without its text: what listings and incremental ingest need."""

    doc_id: str
    title: str
    url: str
    origin: str
    source: str
    content_hash: str
    passages: int
    updated_at: str


# A passage as a backend indexes it, with its vector for one embedder (None when it has none yet).
# Here `PassageRow.row` is the store's row id: stable until the article changes; used for paging.
PassageRecord = tuple[PassageRow, bytes | None]


def _enable_wal(conn: sqlite3.Connection, path: Path, timeout: float) -> None:
    """Switch to WAL, waiting while another process is creating the same file: this pragma does not
    go through SQLite's busy handler, so "database is locked" here only means "try again"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise sqlite3.OperationalError(f"{path}: cannot switch to WAL mode ({exc})") from exc
            time.sleep(0.02)


def _bump_generation(c: sqlite3.Connection) -> int:
    c.execute(
        "INSERT INTO meta VALUES ('generation', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
    )
    return int(c.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])


def _count_terms(c: sqlite3.Connection, doc_id: str, sign: int) -> None:
    """Add (+1) or remove (-1) one article's passages to the term document frequencies and totals."""
    token_lists = [str(r[0]).split() for r in c.execute("SELECT tokens FROM passages WHERE doc_id=?", (doc_id,))]
    if not token_lists:
        return
    df: Counter[str] = Counter()
    for tokens in token_lists:
        df.update(set(tokens))
    c.executemany("INSERT INTO terms (term, df) VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
                  [(t, sign * n) for t, n in df.items()])
    _add_meta(c, "kw_passages", sign * len(token_lists))
    _add_meta(c, "kw_tokens", sign * sum(len(t) for t in token_lists))


def _recount_terms(c: sqlite3.Connection) -> None:
    """Recompute every document frequency from the passages (term ids are kept)."""
    c.execute("UPDATE terms SET df = 0")
    c.execute("INSERT OR REPLACE INTO meta VALUES ('kw_passages', '0'), ('kw_tokens', '0')")
    for (doc_id,) in c.execute("SELECT doc_id FROM articles").fetchall():
        _count_terms(c, doc_id, +1)
    c.execute("INSERT OR REPLACE INTO meta VALUES ('term_stats', '1')")


def _add_meta(c: sqlite3.Connection, key: str, delta: int) -> None:
    c.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
              "value = CAST(CAST(value AS INTEGER) + ? AS TEXT)", (key, str(delta), delta))


class Store:
    """One SQLite file (WAL mode); safe to share between threads, writes serialised by a lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        _enable_wal(self._conn, self.path, timeout=30.0)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._lock = threading.RLock()
        self._conn.executescript(_SCHEMA)  # IF NOT EXISTS throughout: safe to run in several processes at once
        # The checks and upgrades in one write transaction: processes opening a new or old store at the
        # same moment (two ingests, an ingest and the service) take turns instead of racing.
        with self.transaction() as c:
            row = c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is not None and int(row[0]) != SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path}: database schema version {row[0]}, this articleqa expects {SCHEMA_VERSION}"
                )
            if row is None:
                c.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            columns = {r[1] for r in c.execute("PRAGMA table_info(articles)")}
            if "simhash" not in columns:  # databases from before near-duplicate detection
                c.execute("ALTER TABLE articles ADD COLUMN simhash TEXT NOT NULL DEFAULT ''")
            if "generation" not in columns:  # databases from before delta snapshots
                c.execute("ALTER TABLE articles ADD COLUMN generation INTEGER NOT NULL DEFAULT 0")
            if (c.execute("SELECT value FROM meta WHERE key='term_stats'").fetchone() or [""])[0] != "1":
                _recount_terms(c)  # databases from before keyword statistics

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error: a killed writer leaves no half article."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- articles -------------------------------------------------------------------------------

    def put_article(
        self,
        article: Article,
        passages: Sequence[Passage],
        tokens: Sequence[Sequence[str]],
        vectors: np.ndarray,
        embedder_id: str,
        origin: str,
        fingerprint: int = 0,
    ) -> None:
        """Replace an article with its passages, tokens and vectors in one transaction."""
        if not (len(passages) == len(tokens) == len(vectors)):
            raise ValueError(
                f"{article.doc_id}: {len(passages)} passages, {len(tokens)} token lists and "
                f"{len(vectors)} vectors must be as many"
            )
        sections = json.dumps(
            [[s.title, s.start, s.end, s.kind] for s in article.sections], ensure_ascii=False
        )
        with self.transaction() as c:
            generation = _bump_generation(c)
            _count_terms(c, article.doc_id, -1)
            c.execute("DELETE FROM tombstones WHERE doc_id=?", (article.doc_id,))
            c.execute("DELETE FROM articles WHERE doc_id=?", (article.doc_id,))
            c.execute(
                "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    article.doc_id, article.title, article.url, article.publisher, article.published_at,
                    article.source, origin, article.content_hash, article.text, sections,
                    json.dumps(article.metadata, ensure_ascii=False), now_iso(), f"{fingerprint:016x}", generation,
                ),
            )
            c.executemany(
                "INSERT INTO passages VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (p.passage_id, p.doc_id, p.ordinal, p.section, p.paragraph, p.char_start, p.char_end,
                     p.text, " ".join(t))
                    for p, t in zip(passages, tokens, strict=True)
                ],
            )
            vecs = np.ascontiguousarray(vectors, dtype=np.float32)
            c.executemany(
                "INSERT INTO vectors VALUES (?,?,?)",
                [(p.passage_id, embedder_id, vecs[i].tobytes()) for i, p in enumerate(passages)],
            )
            _count_terms(c, article.doc_id, +1)

    def delete_article(self, doc_id: str) -> bool:
        with self.transaction() as c:
            _count_terms(c, doc_id, -1)
            cur = c.execute("DELETE FROM articles WHERE doc_id=?", (doc_id,))
            if cur.rowcount > 0:
                # A backend updated in place (Milvus) learns of deletions from the tombstones.
                c.execute("INSERT OR REPLACE INTO tombstones VALUES (?, ?)", (doc_id, _bump_generation(c)))
            return cur.rowcount > 0

    def get_article(self, doc_id: str) -> Article | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc_id, title, text, sections, url, publisher, published_at, source, metadata "
                "FROM articles WHERE doc_id=?",
                (doc_id,),
            ).fetchone()
        if row is None:
            return None
        sections = tuple(Section(t, s, e, k) for t, s, e, k in json.loads(row[3]))
        return Article(row[0], row[1], row[2], sections, url=row[4], publisher=row[5], published_at=row[6],
                       source=row[7], metadata=json.loads(row[8]))

    def list_articles(self, origin: str | None = None) -> list[StoredArticle]:
        sql = (
            "SELECT a.doc_id, a.title, a.url, a.origin, a.source, a.content_hash, "
            "(SELECT COUNT(*) FROM passages p WHERE p.doc_id=a.doc_id), a.updated_at FROM articles a"
        )
        args: tuple[str, ...] = ()
        if origin is not None:
            sql += " WHERE a.origin=?"
            args = (origin,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY a.doc_id", args).fetchall()
        return [StoredArticle(*r) for r in rows]

    def article_state(self, doc_id: str) -> tuple[str, int] | None:
        """(content hash, passage count) of one article, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT a.content_hash, (SELECT COUNT(*) FROM passages p WHERE p.doc_id=a.doc_id) "
                "FROM articles a WHERE a.doc_id=?", (doc_id,)).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    def fingerprints(self) -> dict[str, int]:
        """doc_id → SimHash of every article that has one."""
        with self._lock:
            rows = self._conn.execute("SELECT doc_id, simhash FROM articles WHERE simhash != ''").fetchall()
        return {d: int(h, 16) for d, h in rows}

    def find_by_hash(self, content_hash: str) -> list[str]:
        with self._lock:
            rows = self._conn.execute("SELECT doc_id FROM articles WHERE content_hash=?", (content_hash,))
            return [r[0] for r in rows.fetchall()]

    def counts(self) -> tuple[int, int]:
        with self._lock:
            docs = self._conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            passages = self._conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        return int(docs), int(passages)

    # -- what a snapshot is built from ----------------------------------------------------------

    def iter_index_rows(self, embedder_id: str, doc_ids: Sequence[str] | None = None) -> Iterator[
            tuple[str, str, int, str, int, int, int, str, str, bytes | None]]:
        """Passages (all, or of `doc_ids`) in a stable order, with tokens and the vector for `embedder_id`."""
        sql = ("SELECT p.passage_id, p.doc_id, p.ordinal, p.section, p.paragraph, p.char_start, p.char_end, "
               "p.text, p.tokens, v.vector FROM passages p "
               "LEFT JOIN vectors v ON v.passage_id=p.passage_id AND v.embedder=?")
        with self._lock:
            if doc_ids is None:
                rows = self._conn.execute(sql + " ORDER BY p.doc_id, p.ordinal", (embedder_id,)).fetchall()
            else:
                rows = []
                wanted = sorted(doc_ids)
                for i in range(0, len(wanted), 500):
                    part = wanted[i : i + 500]
                    rows += self._conn.execute(
                        sql + f" WHERE p.doc_id IN ({','.join('?' * len(part))}) ORDER BY p.doc_id, p.ordinal",
                        [embedder_id, *part]).fetchall()
        yield from rows

    def passage_spans(self, doc_id: str) -> list[tuple[str, str, int, int, int, str]]:
        """One article's passages in text order: (passage_id, section, paragraph, char_start, char_end, text),
        without tokens or vectors (a follow-up reads them on the request path)."""
        with self._lock:
            rows = self._conn.execute("SELECT passage_id, section, paragraph, char_start, char_end, text "
                                      "FROM passages WHERE doc_id=? ORDER BY ordinal", (doc_id,)).fetchall()
        return [tuple(r) for r in rows]

    def changed_since(self, generation: int) -> list[str]:
        """Articles written after the store reached `generation`."""
        with self._lock:
            rows = self._conn.execute("SELECT doc_id FROM articles WHERE generation > ? ORDER BY doc_id",
                                      (generation,)).fetchall()
        return [r[0] for r in rows]

    def deleted_since(self, generation: int) -> list[str]:
        """Articles deleted after the store reached `generation` (and not written again since)."""
        with self._lock:
            rows = self._conn.execute("SELECT doc_id FROM tombstones WHERE generation > ? ORDER BY doc_id",
                                      (generation,)).fetchall()
        return [r[0] for r in rows]

    def iter_records(self, embedder_id: str, doc_ids: Sequence[str] | None = None,
                     batch: int = 2000) -> Iterator[list[PassageRecord]]:
        """Passages (all, or of `doc_ids`) with their store row id, article title and URL and the vector
        for `embedder_id`, in batches by row id (the lock is not held between batches)."""
        sql = ("SELECT p.rowid, p.passage_id, p.doc_id, p.section, p.paragraph, p.char_start, p.char_end, p.text,"
               " p.tokens, a.title, a.url, v.vector FROM passages p JOIN articles a ON a.doc_id=p.doc_id"
               " LEFT JOIN vectors v ON v.passage_id=p.passage_id AND v.embedder=? WHERE p.rowid > ?")
        if doc_ids is not None:
            wanted = sorted(set(doc_ids))
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                with self._lock:
                    rows = self._conn.execute(sql + f" AND p.doc_id IN ({','.join('?' * len(part))})"
                                              " ORDER BY p.rowid", [embedder_id, -1, *part]).fetchall()
                for j in range(0, len(rows), batch):
                    yield [(PassageRow(*r[:11]), r[11]) for r in rows[j : j + batch]]
            return
        last = -1
        while True:
            with self._lock:
                rows = self._conn.execute(sql + " ORDER BY p.rowid LIMIT ?", (embedder_id, last, batch)).fetchall()
            if not rows:
                return
            last = int(rows[-1][0])
            yield [(PassageRow(*r[:11]), r[11]) for r in rows]

    def existing(self, doc_ids: Sequence[str]) -> list[str]:
        """Those of `doc_ids` the store has, sorted."""
        wanted = sorted(set(doc_ids))
        found: list[str] = []
        with self._lock:
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                found += [r[0] for r in self._conn.execute(
                    f"SELECT doc_id FROM articles WHERE doc_id IN ({','.join('?' * len(part))})", part)]
        return sorted(found)

    def doc_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._conn.execute("SELECT doc_id FROM articles")}

    def vectors_by_context(self, doc_ids: Sequence[str], embedder_id: str) -> dict[str, bytes]:
        """Stored vectors of these articles' passages keyed by the text that was embedded, so that
        re-chunking or editing an article re-embeds only passages whose text changed."""
        out: dict[str, bytes] = {}
        with self._lock:
            for i in range(0, len(doc_ids), 500):
                part = list(doc_ids[i : i + 500])
                rows = self._conn.execute(
                    "SELECT p.section, p.text, v.vector FROM passages p JOIN vectors v "
                    f"ON v.passage_id=p.passage_id AND v.embedder=? WHERE p.doc_id IN ({','.join('?' * len(part))})",
                    [embedder_id, *part],
                ).fetchall()
                for section, text, vector in rows:
                    out[passage_context(section, text)] = vector
        return out

    def documents_table(self, doc_ids: Sequence[str] | None = None) -> list[tuple[str, str, str, str, str, str]]:
        sql = "SELECT doc_id, title, url, publisher, published_at, updated_at FROM articles"
        with self._lock:
            if doc_ids is None:
                return self._conn.execute(sql + " ORDER BY doc_id").fetchall()
            wanted = set(doc_ids)
            return [r for r in self._conn.execute(sql + " ORDER BY doc_id").fetchall() if r[0] in wanted]

    def listing(self, doc_ids: Sequence[str]) -> dict[str, tuple[StoredArticle, str, str]]:
        """doc_id → (the article without its text, publisher, published_at) for those of `doc_ids` it has."""
        sql = ("SELECT a.doc_id, a.title, a.url, a.origin, a.source, a.content_hash, "
               "(SELECT COUNT(*) FROM passages p WHERE p.doc_id=a.doc_id), a.updated_at, a.publisher, a.published_at "
               "FROM articles a WHERE a.doc_id IN ")
        wanted = sorted(set(doc_ids))
        out: dict[str, tuple[StoredArticle, str, str]] = {}
        with self._lock:
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                for r in self._conn.execute(sql + f"({','.join('?' * len(part))})", part):
                    out[r[0]] = (StoredArticle(*r[:8]), r[8] or "", r[9] or "")
        return out

    def put_vectors(self, embedder_id: str, items: Sequence[tuple[str, np.ndarray]]) -> None:
        with self.transaction() as c:
            c.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?,?,?)",
                [(pid, embedder_id, np.asarray(v, dtype=np.float32).tobytes()) for pid, v in items],
            )

    def put_vector_blobs(self, key: str, items: Sequence[tuple[str, bytes]]) -> None:
        """Stored vectors of another kind than dense (the latent terms, under their encoder's id), as given."""
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO vectors VALUES (?,?,?)", [(pid, key, blob) for pid, blob in items])

    def vector_blobs(self, key: str, passage_ids: Sequence[str]) -> dict[str, bytes]:
        """passage_id → the vector stored under `key`, for those of `passage_ids` that have one."""
        out: dict[str, bytes] = {}
        with self._lock:
            for i in range(0, len(passage_ids), 500):
                part = list(passage_ids[i : i + 500])
                rows = self._conn.execute(
                    f"SELECT passage_id, vector FROM vectors WHERE embedder=? AND passage_id IN "
                    f"({','.join('?' * len(part))})", [key, *part]).fetchall()
                out.update({str(pid): bytes(blob) for pid, blob in rows})
        return out

    def latent_terms(self, key: str, passage_ids: Sequence[str]) -> dict[str, LatentTerms]:
        """passage_id → its latent terms stored under `key`, for a publish: IndexUnusable when one has none
        (the indexer encodes them before it publishes)."""
        blobs = self.vector_blobs(key, passage_ids)
        missing = [pid for pid in passage_ids if pid not in blobs]
        if missing:
            raise IndexUnusable(f"{len(missing)} passages have no latent terms of {key!r} (first: {missing[0]}); "
                                "the indexer encodes them before publishing")
        return {pid: LatentTerms.from_bytes(blob) for pid, blob in blobs.items()}

    def generation(self) -> int:
        """Counts every change to articles: a snapshot built from generation N is stale after N."""
        return int(self.get_meta("generation") or 0)

    def put_tokens(self, items: Sequence[tuple[str, Sequence[str]]]) -> None:
        with self.transaction() as c:
            c.executemany("UPDATE passages SET tokens=? WHERE passage_id=?",
                          [(" ".join(t), pid) for pid, t in items])
            _recount_terms(c)

    # -- keyword statistics (kept in step with the passages, in the same transactions) ----------

    def term_stats(self, terms: Sequence[str]) -> dict[str, tuple[int, int]]:
        """term → (stable term id, number of passages containing it) for the terms the store knows."""
        wanted = sorted(set(terms))
        out: dict[str, tuple[int, int]] = {}
        with self._lock:
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                rows = self._conn.execute(
                    f"SELECT term, id, df FROM terms WHERE term IN ({','.join('?' * len(part))})", part).fetchall()
                out.update({t: (int(tid), int(df)) for t, tid, df in rows})
        return out

    def keyword_totals(self) -> tuple[int, int]:
        """(passages, tokens over all passages): BM25's N and average length."""
        return int(self.get_meta("kw_passages") or 0), int(self.get_meta("kw_tokens") or 0)

    def passages_without_vector(self, embedder_id: str) -> list[tuple[str, str, str]]:
        """(passage_id, section, text) of passages with no vector of this embedder."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT p.passage_id, p.section, p.text FROM passages p LEFT JOIN vectors v "
                "ON v.passage_id=p.passage_id AND v.embedder=? WHERE v.passage_id IS NULL "
                "ORDER BY p.doc_id, p.ordinal", (embedder_id,)).fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))

    # -- feedback -------------------------------------------------------------------------------

    def add_feedback(self, question: str, answer: str, helpful: bool, comment: str,
                     passage_ids: Sequence[str], index_version: str) -> int:
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO feedback (question, answer, helpful, comment, passage_ids, index_version, created_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (question, answer, int(helpful), comment, json.dumps(list(passage_ids), ensure_ascii=False),
                 index_version, now_iso()),
            )
            return int(cur.lastrowid or 0)

    def list_feedback(self, helpful: bool | None = None) -> list[dict[str, object]]:
        sql = "SELECT id, question, answer, helpful, comment, passage_ids, index_version, created_at FROM feedback"
        args: tuple[int, ...] = ()
        if helpful is not None:
            sql += " WHERE helpful=?"
            args = (int(helpful),)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        keys = ("id", "question", "answer", "helpful", "comment", "passage_ids", "index_version", "created_at")
        out = []
        for r in rows:
            d = dict(zip(keys, r, strict=True))
            d["helpful"] = bool(d["helpful"])
            d["passage_ids"] = json.loads(str(d["passage_ids"]))
            out.append(d)
        return out

    def integrity_check(self) -> str:
        with self._lock:
            return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])
