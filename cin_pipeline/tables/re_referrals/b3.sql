-- B3 referrals (facts.referral_child) by the child's age band at 31 March (facts.child) and
-- 12-month re-referral.
SELECT year, la,
       age_group AS age_band,
       re_referral,
       count(*) AS referrals
FROM facts.referral_child
GROUP BY ALL
