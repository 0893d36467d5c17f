"""`articleqa verify` on Milvus: the collection's rows and citations against the store."""

from __future__ import annotations

from index.backend import VerifyReport
from index.milvus.client import row_key
from index.milvus.reader import MilvusIndex
from index.store import Store


def verify_collection(index: MilvusIndex, store: Store, embedder_id: str, report: VerifyReport) -> VerifyReport:
    """The row count against the store, every passage's text and citation against the store, and the
    store's SQLite integrity; adds to `report` (the manifest was checked when `index` was opened)."""
    if (res := store.integrity_check()) != "ok":
        report.problems.append(f"store integrity_check: {res}")
    c = index.client()
    rows = int(c.get_collection_stats(index.collection).get("row_count", -1))
    docs, passages = store.counts()
    report.checked.update({"collection": index.collection, "rows": rows,
                           "store": {"documents": docs, "passages": passages}})
    current = index.manifest.get("store_generation") == store.generation()
    if not current:
        report.warnings.append("the store has changes that are not published yet (run `articleqa ingest`)")
    missing = differing = 0
    texts: dict[str, str] = {}
    for batch in store.iter_records(embedder_id):
        found = {r.passage_id: r for r in index.rows([row_key(p.passage_id) for p, _ in batch])}
        for p, _ in batch:
            got = found.get(p.passage_id)
            if got is None:
                missing += 1
                continue
            if p.doc_id not in texts:
                article = store.get_article(p.doc_id)
                texts[p.doc_id] = article.text if article else ""
            if (got.text, got.char_start, got.char_end) != (p.text, p.char_start, p.char_end) or \
                    texts[p.doc_id][got.char_start : got.char_end] != got.text:
                differing += 1
    report.checked["citations"] = passages - missing
    if current and (missing or differing or rows != passages):
        report.problems.append(f"Milvus holds {rows} rows for the store's {passages} passages: {missing} missing, "
                               f"{differing} with another text or offsets; `articleqa migrate --to milvus` "
                               "rebuilds the collection from the store")
    listed = len(index.side.list_articles())  # what replicas list and show, without the store
    report.checked["side_articles"] = listed
    if current and listed != docs:
        report.problems.append(f"Milvus side collection {index.side.articles} lists {listed} articles for the store's "
                               f"{docs}; `articleqa migrate --to milvus` rebuilds it")
    return report
