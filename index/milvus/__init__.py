"""The Milvus backend: a collection (server, cluster or Lite) behind an alias; imports nothing of index/snapshots."""
