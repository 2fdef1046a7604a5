-- B5 referrals (facts.referral_child) by whether a disability is recorded for the child in the
-- year's return (facts.child.disabled) and 12-month re-referral.
SELECT year, la,
       CASE WHEN disabled THEN 'Disabled' ELSE 'Not disabled' END AS disability,
       re_referral,
       count(*) AS referrals
FROM facts.referral_child
GROUP BY ALL
