"""The edges: settings, the FastAPI service and the `articleqa` command line."""
