-- B3 referrals (facts.referral_child) by the child's age band at 31 March (facts.child) and
-- 12-month re-referral.
SELECT year, la,
       CASE WHEN age_band = 'Unknown' THEN 'Age unknown' ELSE age_band END AS age_band,
       CASE WHEN rereferral_12m THEN 'Re-referral' ELSE 'Not a re-referral' END AS re_referral,
       count(*) AS referrals
FROM facts.referral_child
GROUP BY ALL
