-- B2 referrals (facts.referral_child) by the child's gender at 31 March (unborn children their own
-- group, as facts.child_characteristic) and 12-month re-referral.
SELECT year, la,
       gender,
       re_referral,
       count(*) AS referrals
FROM facts.referral_child
GROUP BY ALL
