-- B1 children referred in the year (facts.referral, per LA, as C1 Referrals_child), whether any
-- of their referrals in the year was a 12-month re-referral (as C1 Re_referrals_child), and their
-- referrals.
WITH child AS (
    SELECT year, la, child_id, count(*) AS n, bool_or(rereferral_12m) AS re_referred
    FROM facts.referral
    GROUP BY ALL
)
SELECT year, la,
       CASE WHEN re_referred THEN 'Child re-referred' ELSE 'Child not re-referred' END AS re_referred,
       count(*) AS children, sum(n) AS referrals
FROM child
GROUP BY ALL
