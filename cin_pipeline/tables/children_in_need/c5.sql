-- C5 referrals in the year by source of referral, long: year, LA, part, n = referrals counted
-- in their year (facts.referral, as C1 Referrals) with that ReferralSource (from the latest return
-- that holds the referral). A referral with no source recorded (allowed before April 2013 only,
-- rule 8866) counts as Unknown (code 10).
SELECT r.year, r.la, p.part, count(*) AS n
FROM facts.referral r JOIN {{parts}} p ON p.code = coalesce(r.referral_source, '10')
GROUP BY ALL
UNION ALL
SELECT year, la, 'Referrals', count(*)
FROM facts.referral
GROUP BY ALL
