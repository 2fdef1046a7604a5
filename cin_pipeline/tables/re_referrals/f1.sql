-- F1 referrals and 12-month re-referrals per year and LA (facts.referral, as C1).
SELECT year, la, count(*) AS referrals, count(*) FILTER (WHERE rereferral_12m) AS re_referrals
FROM facts.referral
GROUP BY ALL
