-- Facts from the Longitudinal CIN Dataset (lcd.*): definitions that span returns.

-- Referrals counted in the annual tables: each lcd.referral (one per referral, with its outcome
-- and 12-month look-back from every linked return) that appears in its LA's return for its own
-- reporting year. A return never holds a referral dated after its year, so "its own year's
-- return holds it" is exactly "the first return it appears in (lcd.episode.first_year) is its
-- own year". Referrals first seen in a later return as open episodes (dated before the LA's
-- first staged return, or before a successor LA existed) are not counted for earlier years.
CREATE OR REPLACE VIEW facts.referral AS
SELECT r.*,
       -- the re-referrals release's split of referrals (its filter re_referral)
       CASE WHEN r.rereferral_12m THEN 'Re-referral' ELSE 'Not a re-referral' END AS re_referral
FROM lcd.referral AS r
SEMI JOIN lcd.episode AS e
    ON e.la = r.la AND e.child_id = r.child_id AND e.referral_date = r.referral_date
   AND e.first_year = r.year;

-- Referrals by assessment factor group recorded at the assessment that followed them (one row
-- per referral and group). first_group: the referral's first group in name order, so that the
-- rows with it count the referrals with any group once each.
CREATE OR REPLACE VIEW facts.referral_factor_group AS
WITH grouped AS (
    SELECT DISTINCT f.la, f.child_id, f.referral_date, g.factor_group
    FROM lcd.referral_factor f
    JOIN facts.factor_group g ON g.factor = f.factor
),
ranked AS (
    SELECT *, factor_group = min(factor_group) OVER (PARTITION BY la, child_id, referral_date) AS first_group
    FROM grouped
)
SELECT r.year, r.la, r.child_id, r.referral_date, r.referral_type, r.rereferral_12m, r.re_referral,
       k.factor_group, k.first_group
FROM facts.referral r
JOIN ranked k USING (la, child_id, referral_date);

-- Each referral's assessments across the LA's returns: the earliest assessment start in any
-- staged return (an assessment completed in an earlier year is only in that year's return), and
-- whether the staged returns cover the referral's whole life: referred on or after 1 April of
-- the year before the LA's first staged census year (an episode open from before then is taken
-- to have been assessed in a return that is not staged).
CREATE OR REPLACE VIEW facts.referral_assessment AS
SELECT r.la, r.child_id, r.referral_date, r.first_assessment_start,
       r.referral_date >= h.history_from AS history_complete
FROM lcd.referral AS r
JOIN facts.la_history AS h USING (la);

-- One row per year, LA and child with an episode of need or a counted referral in the year:
-- the children the tables count, each flag decided once here rather than as a distinct count of
-- children in each table. of_need: an episode of need in the year's return
-- (facts.episode_of_need); in_need_anypoint, started_need, ended_need, in_need_at31: such an
-- episode at any point in the year, starting, ending, open at 31 March; awaiting_assessment: in
-- need at 31 March with an open episode whose referral had no assessment started by then, in
-- this or any earlier return (facts.referral_assessment; a referral from before the LA's staged
-- returns is taken to have been assessed); referred: a counted referral in the year
-- (facts.referral); rereferred_12m, _3y, _5y: one that was a re-referral within 12 months, 3 or
-- 5 years.
CREATE OR REPLACE VIEW facts.child_year AS
WITH unassessed AS (   -- referrals with no assessment started by the 31 March of their own year
    SELECT la, child_id, referral_date, first_assessment_start FROM facts.referral_assessment
    WHERE history_complete
      AND coalesce(first_assessment_start > make_date(year(referral_date), 3, 31), true)
),
flagged AS (
    -- one pass over the episodes of need; an episode open at 31 March awaits assessment when its
    -- referral had none started by then (31 March of the referral's calendar year is on or
    -- before the episode's 31 March, so the filter above only narrows the join)
    SELECT e.year, e.la, e.child_id, true AS of_need, e.anypoint, e.started, e.ended, e.open_at31,
           e.open_at31 AND u.la IS NOT NULL AND coalesce(u.first_assessment_start > e.year_end, true)
               AS awaiting,
           false AS referred, false AS r12, false AS r3, false AS r5
    FROM facts.episode e
    LEFT JOIN unassessed u USING (la, child_id, referral_date)
    WHERE e.of_need
    UNION ALL
    SELECT year, la, child_id, false, false, false, false, false, false, true,
           rereferral_12m, rereferral_3y, rereferral_5y
    FROM facts.referral
)
SELECT year, la, child_id,
       coalesce(bool_or(of_need), false)    AS of_need,
       coalesce(bool_or(anypoint), false)   AS in_need_anypoint,
       coalesce(bool_or(started), false)    AS started_need,
       coalesce(bool_or(ended), false)      AS ended_need,
       coalesce(bool_or(open_at31), false)  AS in_need_at31,
       coalesce(bool_or(awaiting), false)   AS awaiting_assessment,
       coalesce(bool_or(referred), false)   AS referred,
       coalesce(bool_or(r12), false)        AS rereferred_12m,
       coalesce(bool_or(r3), false)         AS rereferred_3y,
       coalesce(bool_or(r5), false)         AS rereferred_5y
FROM flagged
GROUP BY year, la, child_id;

-- Each counted referral (facts.referral) with its child's characteristics at 31 March of the
-- referral's year, as that year's return records them (facts.child: the referral is in its own
-- year's return, so its child is too): sex, age band, major ethnic group, disability. The
-- re-referrals release's B2-B5 split referrals by them.
CREATE OR REPLACE VIEW facts.referral_child AS
SELECT r.year, r.la, r.child_id, r.referral_date, r.referral_type, r.rereferral_12m, r.re_referral,
       c.sex, c.age_band, c.gender, c.age_group, c.ethnic_group, c.disabled
FROM facts.referral r
JOIN facts.child c USING (year, la, child_id);

-- Each counted referral (facts.referral) with its child's UPN as the referral year's return
-- records it (clean.child): what links a referral to the school census.
CREATE OR REPLACE VIEW facts.referral_upn AS
SELECT r.year, r.la, r.child_id, r.referral_date, r.referral_type, r.rereferral_12m, r.re_referral, c.upn
FROM facts.referral r
JOIN clean.child c USING (year, la, child_id);

-- Each counted referral (facts.referral_upn) linked by its child's UPN to the school census of
-- the same year (staging.school_census, the staged source extract: one row per UPN and year):
-- free-school-meal eligibility and SEN provision; 'Not matched' when the child has no UPN or the
-- UPN is not in that year's school census. The re-referrals release's C1 and C2 split referrals
-- by them.
CREATE OR REPLACE VIEW facts.referral_school_census AS
SELECT r.year, r.la, r.child_id, r.referral_date, r.referral_type, r.rereferral_12m, r.re_referral, r.upn,
       s.upn IS NOT NULL AS matched,
       CASE WHEN s.upn IS NULL THEN 'Not matched'
            WHEN s.fsm_eligible THEN 'Eligible for FSM' ELSE 'Not eligible for FSM' END AS fsm,
       CASE WHEN s.upn IS NULL THEN 'Not matched'
            WHEN s.sen_provision = 'None' THEN 'No SEN provision'
            ELSE s.sen_provision END AS sen_provision
FROM facts.referral_upn r
LEFT JOIN staging.school_census s ON s.year = r.year AND s.upn = r.upn;

-- Ofsted's judgements of LA children's services (staging.ofsted_judgement, the staged source
-- extract): one row per LA and reporting year of the inspection (year ending 31 March), the
-- latest judgement of that year (the latest file's, if two files hold the same inspection).
CREATE OR REPLACE VIEW facts.ofsted_judgement AS
SELECT la, year, inspection_date, judgement
FROM staging.ofsted_judgement
QUALIFY row_number() OVER (PARTITION BY la, year
                           ORDER BY inspection_date DESC, ingested_at DESC, source_file DESC) = 1;

-- Referrals and 12-month re-referrals of each LA and year (facts.referral, as Children in need C1
-- and re-referrals F1): the LA re-referral rates of F2.
CREATE OR REPLACE VIEW facts.la_rereferral AS
SELECT year, la, count(*) AS referrals, count(*) FILTER (WHERE rereferral_12m) AS re_referrals
FROM facts.referral
GROUP BY ALL;
