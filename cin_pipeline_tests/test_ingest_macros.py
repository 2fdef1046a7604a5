"""The ingest's SQL helpers give exactly what their plain definitions give: ``cin_txt`` (the
fast path for values with nothing to trim) and ``cin_upn_check`` (the DfE check letter in SQL)."""

from __future__ import annotations

import random

from cin_pipeline.census import spec
from cin_pipeline.ingest import staging


def test_cin_txt_trims_xml_whitespace_exactly_as_trim_does():
    con = staging.connect()
    values = [None, "", " ", "\t", "\n\r", "  \t\n", "2024-01-01", " 2024-01-01", "2024-01-01 ",
              "\n  2024-01-01\n  ", "a", " a", "a ", "a\r", "\ta", "é", "é ", " é", "aé", "éa", "a b",
              "\x0b", "a\x0b", "\x0ba", "\u00a0a", "a\u00a0", "0", "x" * 300 + " "]
    for v in values:
        got, want = con.execute("SELECT cin_txt($v), nullif(trim($v, ' \t\n\r'), '')", {"v": v}).fetchone()
        assert got == want, repr(v)
    assert con.execute("SELECT cin_date(' 2024-02-29\n'), cin_code(' gbr '), cin_int('\t7 ')").fetchone() == (
        __import__("datetime").date(2024, 2, 29), "GBR", 7)


def test_cin_upn_check_is_the_dfe_check_letter():
    con = staging.connect()
    rng = random.Random(3)
    bodies = ["".join(rng.choice("0123456789") for _ in range(11)) + rng.choice(spec.UPN_THIRTEENTH)
              for _ in range(2000)]
    got = dict(con.execute("SELECT b, cin_upn_check(b) FROM unnest($b) AS t(b)", {"b": bodies}).fetchall())
    assert all(got[b] == spec.upn_check_letter(b) for b in bodies)
    assert len(set(got.values())) == 23  # every letter comes up
    # a character that is neither a digit nor a check letter, or a body of another length: NULL
    assert con.execute("SELECT cin_upn_check('12345678901I'), cin_upn_check('1234567890a1'), "
                       "cin_upn_check('12345')").fetchone() == (None, None, None)
