"""Operations around the Dagster definitions: the ``demo``, ``ui`` and ``bench`` sub-commands and
the plain-Python helpers the census_extract asset and the landing sensor share (``landing``)."""
