-- F2 each LA's Ofsted inspection (facts.ofsted_judgement: the LA's latest judgement of each
-- reporting year) with the LA's referrals and 12-month re-referrals (facts.la_rereferral, as C1)
-- in each year from 3 years before to 2 years after the inspection year. The formatter keeps the
-- latest inspection up to the release year and turns the counts into rates.
SELECT o.year, o.la, o.judgement AS ofsted,
       sum(r.re_referrals) FILTER (WHERE r.year = o.year - 3) AS re_referrals_pre3_n,
       sum(r.referrals) FILTER (WHERE r.year = o.year - 3) AS referrals_pre3_n,
       sum(r.re_referrals) FILTER (WHERE r.year = o.year - 2) AS re_referrals_pre2_n,
       sum(r.referrals) FILTER (WHERE r.year = o.year - 2) AS referrals_pre2_n,
       sum(r.re_referrals) FILTER (WHERE r.year = o.year - 1) AS re_referrals_pre1_n,
       sum(r.referrals) FILTER (WHERE r.year = o.year - 1) AS referrals_pre1_n,
       sum(r.re_referrals) FILTER (WHERE r.year = o.year) AS re_referrals_ofstedyear_n,
       sum(r.referrals) FILTER (WHERE r.year = o.year) AS referrals_ofstedyear_n,
       sum(r.re_referrals) FILTER (WHERE r.year = o.year + 1) AS re_referrals_post1_n,
       sum(r.referrals) FILTER (WHERE r.year = o.year + 1) AS referrals_post1_n,
       sum(r.re_referrals) FILTER (WHERE r.year = o.year + 2) AS re_referrals_post2_n,
       sum(r.referrals) FILTER (WHERE r.year = o.year + 2) AS referrals_post2_n
FROM facts.ofsted_judgement o
LEFT JOIN facts.la_rereferral r ON r.la = o.la AND r.year BETWEEN o.year - 3 AND o.year + 2
GROUP BY ALL
