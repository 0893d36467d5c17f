"""HTTP routes, one module per area: health, search, documents, reindex, feedback."""
