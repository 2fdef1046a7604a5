"""EES formatting: a declared table's unrounded counts -> the exact published rows and meta.

Runs before the checks and the release writer (:mod:`cin_pipeline.publish`). Modules:
:mod:`.numbers` (rounding, the one implementation), :mod:`.suppression` (``c``), :mod:`.rows`
(skeleton, aggregation, symbols), :mod:`.meta` (``.meta.csv``), :mod:`.store` (the formatted
tables in the warehouse).
"""
