"""The benchmark (issue 9): `make bench` generates a large data set on PostgreSQL
(`python -m bench.generate`) and measures the pages, the API, the dashboards and the sweep on it
(`python -m bench.measure`). Not part of the application: nothing here is imported by it."""
