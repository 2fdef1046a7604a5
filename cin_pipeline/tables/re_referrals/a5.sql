-- A5 referrals (facts.referral, as C1 and C5) by source of referral (facts.referral_source_group,
-- C5's groups of the census codes; no source recorded counts as Unknown, code 10, as in C5) and
-- 12-month re-referral.
SELECT r.year, r.la, g.source_group AS referral_source,
       r.re_referral,
       count(*) AS referrals
FROM facts.referral r
JOIN facts.referral_source_group g ON g.referral_source = coalesce(r.referral_source, '10')
GROUP BY ALL
