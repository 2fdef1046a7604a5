-- B4 referrals (facts.referral_child) by the child's major ethnic group (facts.child) and
-- 12-month re-referral.
SELECT year, la, ethnic_group AS ethnicity,
       re_referral,
       count(*) AS referrals
FROM facts.referral_child
GROUP BY ALL
