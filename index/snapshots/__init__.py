"""The default backend: FAISS + bm25s snapshot folders in the data folder; imports nothing of index/milvus."""
