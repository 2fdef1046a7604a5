-- A3 referrals in the year (facts.referral, as C1) and those that were re-referrals within 12
-- months, 3 years and 5 years (lcd.referral rereferral_12m, rereferral_3y, rereferral_5y: the
-- child's previous referral in the same LA on or after the date 12 months, 3 or 5 calendar
-- years before), one row per window; children referred and children with such a re-referral.
WITH w AS (
    SELECT * FROM (VALUES ('Within 12 months'), ('Within 3 years'), ('Within 5 years')) AS t(re_referral_window)
),
flagged AS (
    SELECT r.year, r.la, r.child_id, w.re_referral_window,
           CASE w.re_referral_window WHEN 'Within 12 months' THEN r.rereferral_12m
                                     WHEN 'Within 3 years' THEN r.rereferral_3y
                                     ELSE r.rereferral_5y END AS re_referral
    FROM facts.referral r CROSS JOIN w
)
SELECT year, la, re_referral_window,
       count(*) AS referrals,
       count(*) FILTER (WHERE re_referral) AS re_referrals,
       count(DISTINCT child_id) AS children_referred,
       count(DISTINCT child_id) FILTER (WHERE re_referral) AS children_re_referred
FROM flagged
GROUP BY ALL
