-- C6 referrals in the year by month of referral, long: year, LA, part, n = referrals counted in
-- their year (facts.referral, as C1 Referrals) by the month of the referral date.
SELECT r.year, r.la, p.part, count(*) AS n
FROM facts.referral r JOIN {{parts}} p ON p.code = CAST(month(r.referral_date) AS VARCHAR)
GROUP BY ALL
UNION ALL
SELECT year, la, 'Referrals', count(*)
FROM facts.referral
GROUP BY ALL
