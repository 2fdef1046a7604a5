-- A3 referrals in the year (facts.referral, as C1) and those that were re-referrals within 12
-- months, 3 years and 5 years (lcd.referral rereferral_12m, rereferral_3y, rereferral_5y: the
-- child's previous referral in the same LA on or after the date 12 months, 3 or 5 calendar
-- years before), one row per window; children referred and children with such a re-referral
-- (facts.child_year, each child once).
WITH referrals AS (
    SELECT year, la,
           count(*)                                AS referrals,
           count(*) FILTER (WHERE rereferral_12m)  AS r12,
           count(*) FILTER (WHERE rereferral_3y)   AS r3,
           count(*) FILTER (WHERE rereferral_5y)   AS r5
    FROM facts.referral
    GROUP BY ALL
),
children AS (
    SELECT year, la,
           count(*)                                AS children_referred,
           count(*) FILTER (WHERE rereferred_12m)  AS c12,
           count(*) FILTER (WHERE rereferred_3y)   AS c3,
           count(*) FILTER (WHERE rereferred_5y)   AS c5
    FROM facts.child_year WHERE referred
    GROUP BY ALL
),
counts AS (
    SELECT * FROM referrals JOIN children USING (year, la)
)
SELECT year, la, 'Within 12 months' AS re_referral_window, referrals, r12 AS re_referrals,
       children_referred, c12 AS children_re_referred FROM counts
UNION ALL SELECT year, la, 'Within 3 years', referrals, r3, children_referred, c3 FROM counts
UNION ALL SELECT year, la, 'Within 5 years', referrals, r5, children_referred, c5 FROM counts
