-- A1 referrals (facts.referral, as C1 Referrals) by referral type.
SELECT year, la, referral_type, count(*) AS referrals
FROM facts.referral
GROUP BY ALL
