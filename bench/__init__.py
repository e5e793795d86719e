"""``make bench``: casework at scale on PostgreSQL (issue 16).

Not an app and never imported by ``casework``: a generator that fills a PostgreSQL
database in bulk (``bench.generate``), the measurements (``bench.pages``, ``bench.writes``,
``bench.serve``), the run that prints the table and writes its JSON (``bench.run``), and
the side-by-side comparison of two runs (``bench.compare``).
"""
