"""Published tables: declarations (:mod:`registry`, :mod:`children_in_need`, :mod:`re_referrals`)
and their DuckDB queries (``sql/*.sql``)."""
