"""HTTP routes, one module per area: health, search, documents, reindex, feedback, openai_compat, dify."""
