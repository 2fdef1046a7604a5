-- The referrals the annual tables count: each lcd.referral row (one per referral, outcome and
-- 12-month look-back from every linked return) that appears in its LA's return for its own
-- reporting year. A referral is counted in year Y only when a year-Y return holds it, so referrals
-- first seen in a later return as open episodes (dated before the LA's first staged return, or
-- before a successor LA existed) are not counted for earlier years. A return never holds a
-- referral dated after its year, so "its own year's return holds it" is exactly "the first return
-- it appears in (lcd.episode.first_year) is its own year": the LCD build has already worked that
-- out, and the child-level returns are not scanned again here.
-- Included by c1 / rr_* as the CTE body `ref`; the result has the columns of lcd.referral.
SELECT r.*
FROM lcd.referral AS r
SEMI JOIN lcd.episode AS e
    ON e.la = r.la AND e.child_id = r.child_id AND e.referral_date = r.referral_date
   AND e.first_year = r.year
