-- A6 referrals (facts.referral, as C1) by primary need (lcd.referral primary_need, from the
-- latest return that holds the referral; none recorded, as after no further action: N0) and
-- 12-month re-referral. Labels "N0 - Not stated" ... as DfE publishes them.
WITH need(code, primaryneed) AS (
    VALUES ('N0', 'N0 - Not stated'), ('N1', 'N1 - Abuse or neglect'),
           ('N2', 'N2 - Child''s disability or illness'), ('N3', 'N3 - Parent''s disability or illness'),
           ('N4', 'N4 - Family in acute stress'), ('N5', 'N5 - Family dysfunction'),
           ('N6', 'N6 - Socially unacceptable behaviour'), ('N7', 'N7 - Low income'),
           ('N8', 'N8 - Absent parenting'), ('N9', 'N9 - Cases other than children in need')
)
SELECT r.year, r.la, n.primaryneed,
       r.re_referral,
       count(*) AS referrals
FROM facts.referral r JOIN need n ON n.code = coalesce(r.primary_need, 'N0')
GROUP BY ALL
