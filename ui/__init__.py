"""Streamlit chat page for articleqa: a client of the HTTP API, never of the core packages."""
