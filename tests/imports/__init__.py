"""Import tests, one module per format (a package, so their names cannot clash)."""
