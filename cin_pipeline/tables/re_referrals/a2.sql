-- A2 children referred in the year (facts.referral, as C1 Referrals_child: per LA), by the number
-- of their referrals in the year (5 or more together) and whether any was a 12-month re-referral
-- (as C1 Re_referrals_child), with those referrals.
WITH child AS (
    SELECT year, la, child_id, count(*) AS n, bool_or(rereferral_12m) AS re_referred
    FROM facts.referral
    GROUP BY ALL
)
SELECT year, la,
       CASE WHEN n >= 5 THEN '5 or more' ELSE CAST(n AS VARCHAR) END AS number_of_referrals,
       CASE WHEN re_referred THEN 'Child re-referred' ELSE 'Child not re-referred' END AS re_referred,
       count(*) AS children, sum(n) AS referrals
FROM child
GROUP BY ALL
