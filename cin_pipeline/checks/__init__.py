"""Checks that gate publication.

* :mod:`~cin_pipeline.checks.screener`: a Python re-implementation of the EES screener
  (``eesyscreener``) checks, with the same check names and stage order.
* :mod:`~cin_pipeline.checks.suites`: Great Expectations suites generated from a ``TableSpec``.
* :mod:`~cin_pipeline.checks.cross`: cross-table and within-table arithmetic checks.
* :mod:`~cin_pipeline.checks.disclosure`: small-number and child-level-identifier checks.
* :mod:`~cin_pipeline.checks.deviations`: the ONE list of accepted screener deviations and of
  deviations from the published files' cells.
* :mod:`~cin_pipeline.checks.data_docs`: GX Data Docs HTML from stored validation results.

No Dagster imports here; ``cin_pipeline.defs.checks`` wraps these in blocking asset checks.
"""
