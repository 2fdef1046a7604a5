-- lcd.episode: one row per referral, with its closure as of the latest return it appears in.
-- An episode still open in that return runs to that return's reference date (31 March).
CREATE OR REPLACE TEMP TABLE _lcd_out_episode AS
WITH refdate AS (
    SELECT la, year, max(reference_date) AS reference_date FROM {src}.header GROUP BY ALL
)
SELECT
    r.la, r.child_id, r.referral_date, r.closure_date,
    NOT r.referral_nfa AND NOT r.assessed_not_in_need AS is_episode_of_need,
    r.reason_for_closure, r.primary_need,
    CAST(coalesce(r.closure_date, h.reference_date, make_date(r.last_year, 3, 31)) - r.referral_date AS INTEGER)
        AS duration_days,
    r.first_year, r.last_year
FROM _lcd_ref AS r
LEFT JOIN refdate AS h ON h.la = r.la AND h.year = r.last_year
ORDER BY r.la, r.child_id, r.referral_date;
