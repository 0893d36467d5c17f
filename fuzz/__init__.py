"""Fuzz targets (atheris); see docs/operations.md."""
