"""Benchmarks of every stage, apart from the stages themselves.

* :mod:`cin_pipeline.bench.run`     ``cin-pipeline bench`` (``make bench``): the whole table
* :mod:`cin_pipeline.bench.synth`   the synthetic return generator
* :mod:`cin_pipeline.bench.ingest`  ``ingest_batch`` versus a bare lxml pass over the same returns
* :mod:`cin_pipeline.bench.publish` staged data of a national year -> finished publication
* :mod:`cin_pipeline.bench.memory`  peak memory of this process and its descendants (Linux /proc)
"""
