"""Views of the caseworker workspace, one module per kind of record."""
