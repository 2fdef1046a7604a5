-- Facts from each year's own census return (clean.*): the definitions many tables share, one
-- view each. Census year Y runs from 1 April Y-1 to 31 March Y; every view carries year, la.
-- docs/DEFINITIONS.md names each view once.

CREATE SCHEMA IF NOT EXISTS facts;

-- Working days: Monday to Friday, not an England and Wales bank holiday (facts.bank_holiday, from
-- data/reference/bank_holidays_england.csv, 2011 to 2027; outside those years no bank holiday is
-- known and only weekends are skipped). facts.working_day_number numbers every day from 1990 to
-- 2040 by the working days up to and including it, so the working days elapsed from a to b (the
-- working days in (a, b], 0 when b = a) are one lookup each: a set-based join, not a loop.
CREATE OR REPLACE VIEW facts.working_day_number AS
SELECT d.day,
       sum(CASE WHEN isodow(d.day) < 6 AND h.day IS NULL THEN 1 ELSE 0 END) OVER (ORDER BY d.day) AS n
FROM (SELECT unnest(generate_series(DATE '1990-01-01', DATE '2040-12-31', INTERVAL 1 DAY))::DATE AS day) d
LEFT JOIN facts.bank_holiday h USING (day);
CREATE OR REPLACE MACRO facts.working_days(a, b) AS
    (SELECT n FROM facts.working_day_number WHERE day = b)
    - (SELECT n FROM facts.working_day_number WHERE day = a);

-- Duration band of something that began on ``since_day``, at ``on_day``, in calendar months back from
-- ``on_day``: 1 = 3 months or less; 2 = more than 3 and up to 6 months; 3 = more than 6 months and
-- less than 1 year; 4 = 1 year and less than 2 years; 5 = 2 years or more (B4, B5, D5).
CREATE OR REPLACE MACRO facts.duration_band(since_day, on_day) AS CASE
    WHEN since_day >= on_day - INTERVAL 3 MONTH THEN 1
    WHEN since_day >= on_day - INTERVAL 6 MONTH THEN 2
    WHEN since_day >  on_day - INTERVAL 1 YEAR  THEN 3
    WHEN since_day >  on_day - INTERVAL 2 YEAR  THEN 4
    ELSE 5 END;

-- The LAs with a staged return, per year: the skeleton the EES formatter zero-fills.
CREATE OR REPLACE VIEW facts.la_year AS
SELECT DISTINCT year, la FROM clean.header;

-- Per LA, the date from which its staged returns hold every referral's whole history: 1 April of
-- the year before its first staged census year (that return holds the referrals of the year and
-- the episodes still open). Before it, an episode's earlier returns are not staged.
CREATE OR REPLACE VIEW facts.la_history AS
SELECT la, make_date(min(year) - 1, 4, 1) AS history_from FROM clean.header GROUP BY la;

-- Every CINdetails episode of the return with a referral date, and what the returns show of it.
-- not_in_need: closed RC8/RC9 after an assessment, with no CIN plan, section 47 or plan; the
-- assessment and the activity are looked for in every return the referral appears in (an
-- assessment completed in March is in that year's return only, its closure in April in the next);
-- an episode begun before the LA's staged returns (facts.la_history) is taken to have been assessed.
-- closed_after_assessment_rc8_rc9: closed RC8/RC9 after an assessment, by 31 March, and not a
-- referral with no further action (C1's "assessed not in need", whatever followed).
-- An episode of need is one that is neither a referral with no further action nor not in need.
CREATE OR REPLACE VIEW facts.episode AS
WITH ep_key AS (   -- a referral is the same in every return it appears in: (la, child_id, referral_date)
    SELECT year, la, child_id, episode_seq, referral_date FROM clean.episode
    WHERE referral_date IS NOT NULL
),
assessed AS (      -- assessed in any return (an assessment is only in the returns of its own years)
    SELECT DISTINCT k.la, k.child_id, k.referral_date
    FROM ep_key k SEMI JOIN clean.assessment a USING (year, la, child_id, episode_seq)
),
beyond AS (        -- a CIN plan, section 47 or child protection plan in any return
    SELECT DISTINCT k.la, k.child_id, k.referral_date
    FROM ep_key k SEMI JOIN (
        SELECT year, la, child_id, episode_seq FROM clean.cin_plan
        UNION ALL SELECT year, la, child_id, episode_seq FROM clean.section47
        UNION ALL SELECT year, la, child_id, episode_seq FROM clean.cpp) x
        USING (year, la, child_id, episode_seq)
),
ep AS (
    SELECT e.year, e.la, e.child_id, e.episode_seq, e.referral_date, e.closure_date,
           e.reason_for_closure, e.referral_source, e.primary_need,
           make_date(e.year - 1, 4, 1) AS year_start, make_date(e.year, 3, 31) AS year_end,
           coalesce(e.referral_nfa, false) AS nfa,
           (e.referral_nfa = false AND a.child_id IS NOT NULL AND e.closure_date IS NOT NULL
            AND e.reason_for_closure IN ('RC8', 'RC9')) AS closed_after_assessment_rc8_rc9,
           (coalesce(e.reason_for_closure, '') IN ('RC8', 'RC9')
            AND (a.child_id IS NOT NULL OR e.referral_date < h.history_from)
            AND b.child_id IS NULL) AS not_in_need
    FROM clean.episode e
    LEFT JOIN assessed a USING (la, child_id, referral_date)
    LEFT JOIN beyond b USING (la, child_id, referral_date)
    LEFT JOIN facts.la_history h USING (la)
    WHERE e.referral_date IS NOT NULL
)
SELECT *,
       NOT nfa AND NOT not_in_need AS of_need,
       referral_date <= year_end AND (closure_date IS NULL OR closure_date >= year_start) AS anypoint,
       referral_date BETWEEN year_start AND year_end AS started,
       coalesce(closure_date BETWEEN year_start AND year_end, false) AND referral_date <= year_end AS ended,
       referral_date <= year_end AND (closure_date IS NULL OR closure_date > year_end) AS open_at31
FROM ep;

-- Episodes of need only.
CREATE OR REPLACE VIEW facts.episode_of_need AS
SELECT * FROM facts.episode WHERE of_need;

-- Every assessment of the return: started by 31 March, and completed (authorised) in the year.
CREATE OR REPLACE VIEW facts.assessment AS
SELECT a.year, a.la, a.child_id, a.episode_seq, a.assessment_seq, a.start_date, a.authorisation_date,
       a.start_date IS NOT NULL AND a.start_date <= make_date(a.year, 3, 31) AS started_by_31march,
       coalesce(a.authorisation_date BETWEEN make_date(a.year - 1, 4, 1) AND make_date(a.year, 3, 31), false)
           AS completed_in_year,
       CASE WHEN a.authorisation_date >= a.start_date
            THEN facts.working_days(a.start_date, a.authorisation_date) END AS working_days
FROM clean.assessment a;

-- Factors identified at the end of assessments completed in the year, one row per episode and
-- factor (an episode counts once per factor however many of its assessments record it). Factor
-- 21 (no factors identified) is left out.
CREATE OR REPLACE VIEW facts.assessment_factor AS
SELECT DISTINCT a.year, a.la, a.child_id, a.episode_seq, f.factor
FROM facts.assessment a
JOIN clean.assessment_factor f USING (year, la, child_id, episode_seq, assessment_seq)
WHERE a.completed_in_year AND f.factor <> '21';

-- Section 47 enquiries of the return: started in the year, and with an ICPC held in the year.
CREATE OR REPLACE VIEW facts.section47 AS
SELECT year, la, child_id, episode_seq, s47_seq, start_date, icpc_date,
       coalesce(start_date BETWEEN make_date(year - 1, 4, 1) AND make_date(year, 3, 31), false) AS started_in_year,
       coalesce(icpc_date BETWEEN make_date(year - 1, 4, 1) AND make_date(year, 3, 31), false) AS icpc_in_year
FROM clean.section47;

-- Initial child protection conferences held in the year (recorded on a section 47), with the
-- working days from the start of the section 47 (NULL when it is not known or after the ICPC).
CREATE OR REPLACE VIEW facts.icpc AS
SELECT year, la, child_id, episode_seq, s47_seq, start_date, icpc_date,
       CASE WHEN start_date IS NOT NULL AND icpc_date >= start_date
            THEN facts.working_days(start_date, icpc_date) END AS working_days
FROM facts.section47
WHERE icpc_in_year;

-- Child protection plans of the return: starting, ending and open at 31 March, with the
-- categories of abuse at the start and latest, how long the plan had lasted (calendar days from
-- its start to its end, or to 31 March when open) and its reviews in the return.
CREATE OR REPLACE VIEW facts.cpp AS
WITH reviews AS (
    SELECT year, la, child_id, episode_seq, cpp_seq, count(*) AS reviews
    FROM clean.cpp_review GROUP BY ALL
)
SELECT c.year, c.la, c.child_id, c.episode_seq, c.cpp_seq, c.start_date, c.end_date,
       c.initial_category, c.latest_category, coalesce(c.number_of_previous_cpp, 0) AS previous_plans,
       make_date(c.year, 3, 31) AS year_end,
       coalesce(c.start_date BETWEEN make_date(c.year - 1, 4, 1) AND make_date(c.year, 3, 31), false) AS started_in_year,
       coalesce(c.end_date BETWEEN make_date(c.year - 1, 4, 1) AND make_date(c.year, 3, 31), false) AS ended_in_year,
       c.start_date <= make_date(c.year, 3, 31)
           AND (c.end_date IS NULL OR c.end_date > make_date(c.year, 3, 31)) AS open_at31,
       CASE WHEN c.end_date <= make_date(c.year, 3, 31) THEN c.end_date - c.start_date
            ELSE make_date(c.year, 3, 31) - c.start_date END AS days_open,
       coalesce(r.reviews, 0) AS reviews
FROM clean.cpp c
LEFT JOIN reviews r USING (year, la, child_id, episode_seq, cpp_seq);

-- Child in need plans of the return (CINPlanDates, collected from the 2022 census, 2021-22):
-- starting in the year, ending in the year and open at 31 March (started on or before 31 March
-- and not ended by then). Earlier returns have no CIN plans.
CREATE OR REPLACE VIEW facts.cin_plan AS
SELECT p.year, p.la, p.child_id, p.episode_seq, p.plan_seq, p.start_date, p.end_date,
       coalesce(p.start_date BETWEEN make_date(p.year - 1, 4, 1) AND make_date(p.year, 3, 31), false) AS started_in_year,
       coalesce(p.end_date BETWEEN make_date(p.year - 1, 4, 1) AND make_date(p.year, 3, 31), false) AS ended_in_year,
       coalesce(p.start_date <= make_date(p.year, 3, 31)
                AND (p.end_date IS NULL OR p.end_date > make_date(p.year, 3, 31)), false) AS open_at31
FROM clean.cin_plan p;

-- Reviews of child protection plans, each with the date it follows (the plan's start for the
-- first review, else the previous review): the basis of review timeliness.
CREATE OR REPLACE VIEW facts.cpp_review AS
SELECT r.year, r.la, r.child_id, r.episode_seq, r.cpp_seq, r.review_seq, r.review_date,
       coalesce(lag(r.review_date) OVER w, c.start_date) AS follows_date,
       row_number() OVER w = 1 AS first_review
FROM clean.cpp_review r
JOIN clean.cpp c USING (year, la, child_id, episode_seq, cpp_seq)
WINDOW w AS (PARTITION BY r.year, r.la, r.child_id, r.episode_seq, r.cpp_seq ORDER BY r.review_date, r.review_seq);

-- Plans open at 31 March that had lasted 3 calendar months or more (the D6 base), each with
-- whether it was reviewed within the statutory timescales up to that 31 March: the first review
-- within 3 calendar months of the start, every later one within 6 calendar months of the one
-- before, and none overdue at 31 March (31 March no later than 3 months after the start when
-- there has been no review, else 6 months after the last review). A return records the reviews
-- of its own year, so a plan's reviews are gathered from every return of the LA up to that year
-- (the plan matched by child and start date). For a plan begun before the LA's staged returns
-- (facts.la_history) the review before its first known one is not seen: the first known review
-- must then be within 6 months of the start of the staged history (the unseen one was before it).
CREATE OR REPLACE VIEW facts.cpp_review_timeliness AS
WITH base AS (
    SELECT c.year, c.la, c.child_id, c.episode_seq, c.cpp_seq, c.start_date, c.year_end,
           h.history_from, c.start_date < h.history_from AS begun_before_history
    FROM facts.cpp c JOIN facts.la_history h USING (la)
    WHERE c.open_at31 AND c.start_date <= c.year_end - INTERVAL 3 MONTH
),
review AS (
    SELECT DISTINCT b.year, b.la, b.child_id, b.start_date, r.review_date
    FROM base b
    JOIN clean.cpp p ON p.la = b.la AND p.child_id = b.child_id AND p.start_date = b.start_date
                    AND p.year <= b.year
    JOIN clean.cpp_review r ON r.year = p.year AND r.la = p.la AND r.child_id = p.child_id
                           AND r.episode_seq = p.episode_seq AND r.cpp_seq = p.cpp_seq
    WHERE r.review_date > b.start_date AND r.review_date <= b.year_end
),
interval_ AS (
    SELECT year, la, child_id, start_date, review_date,
           lag(review_date) OVER (PARTITION BY year, la, child_id, start_date ORDER BY review_date) AS previous
    FROM review
),
judged AS (
    SELECT i.year, i.la, i.child_id, i.start_date, max(i.review_date) AS last_review,
           bool_or(CASE WHEN i.previous IS NOT NULL THEN i.review_date > i.previous + INTERVAL 6 MONTH
                        WHEN b.begun_before_history THEN i.review_date > b.history_from + INTERVAL 6 MONTH
                        ELSE i.review_date > i.start_date + INTERVAL 3 MONTH END) AS late
    FROM interval_ i JOIN base b USING (year, la, child_id, start_date)
    GROUP BY ALL
)
SELECT b.year, b.la, b.child_id, b.episode_seq, b.cpp_seq, b.start_date, j.last_review,
       NOT coalesce(j.late, false)
       AND b.year_end <= CASE WHEN j.last_review IS NULL THEN b.start_date + INTERVAL 3 MONTH
                              ELSE j.last_review + INTERVAL 6 MONTH END AS reviewed_in_time
FROM base b LEFT JOIN judged j USING (year, la, child_id, start_date);

-- Each child of the return and their characteristics at 31 March: sex (M/F/U), age in whole
-- years and age band (unborn: no date of birth and an expected one, or born after 31 March),
-- ethnicity and its major and minor groups (facts.ethnic_group, facts.ethnic_minor_group; every
-- clean child has a valid code, rule 4220), and whether any disability is recorded.
CREATE OR REPLACE VIEW facts.child AS
WITH disabled AS (
    SELECT DISTINCT year, la, child_id FROM clean.disability
    WHERE disability IS NOT NULL AND disability <> 'NONE'
),
aged AS (
    SELECT c.year, c.la, c.child_id, c.sex, c.ethnicity, c.birth_date, c.expected_birth_date,
           make_date(c.year, 3, 31) AS year_end,
           CASE WHEN c.birth_date IS NOT NULL AND c.birth_date <= make_date(c.year, 3, 31)
                THEN c.year - year(c.birth_date)
                     - CASE WHEN month(c.birth_date) > 3 THEN 1 ELSE 0 END END AS age
    FROM clean.child c
),
banded AS (
SELECT a.year, a.la, a.child_id, coalesce(a.sex, 'U') AS sex, a.age,
       CASE WHEN a.age IS NULL AND (a.expected_birth_date IS NOT NULL OR a.birth_date > a.year_end)
                THEN 'Unborn'
            WHEN a.age IS NULL THEN 'Unknown'
            WHEN a.age < 1 THEN 'Under 1'
            WHEN a.age <= 4 THEN '1 to 4'
            WHEN a.age <= 9 THEN '5 to 9'
            WHEN a.age <= 15 THEN '10 to 15'
            ELSE '16 and over' END AS age_band,
       a.ethnicity, coalesce(g.ethnic_group, 'Unknown') AS ethnic_group, m.ethnic_minor_group,
       d.child_id IS NOT NULL AS disabled
FROM aged a
LEFT JOIN facts.ethnic_group g USING (ethnicity)
LEFT JOIN facts.ethnic_minor_group m USING (ethnicity)
LEFT JOIN disabled d USING (year, la, child_id)
)
-- gender and age group as the A tables and re-referrals B2, B3 publish them: an unborn child is
-- "Unborn" (in no gender or age row); no date of birth nor expected one is "Age unknown"
SELECT *,
       CASE WHEN age_band = 'Unborn' THEN 'Unborn' WHEN sex = 'F' THEN 'Female' WHEN sex = 'M' THEN 'Male'
            ELSE 'Unknown/Indeterminate gender' END AS gender,
       CASE WHEN age_band = 'Unknown' THEN 'Age unknown' ELSE age_band END AS age_group
FROM banded;

-- Each child of the return once per group of characteristics the national A tables publish
-- (cin_pipeline.facts.CHARACTERISTICS): Gender/Total (every child); Gender/Female, Male or
-- Unknown/Indeterminate gender (sex U), or Unborn/Unborn; Age/<age band> (not unborn; "Age
-- unknown": neither date of birth nor expected one); Ethnicity major/<major group>; Ethnicity
-- minor/<minor group>. ethnic_group: the child's major ethnic group, for the cross-tabulations
-- of a characteristic by ethnic group (A4).
CREATE OR REPLACE VIEW facts.child_characteristic AS
SELECT year, la, child_id, g.characteristic, g.characteristic_type, ethnic_group
FROM (
    SELECT year, la, child_id, ethnic_group, unnest([  -- one pass over facts.child; a NULL entry is no row
        {'characteristic': 'Gender', 'characteristic_type': 'Total'},
        {'characteristic': CASE WHEN gender = 'Unborn' THEN 'Unborn' ELSE 'Gender' END,
         'characteristic_type': gender},
        CASE WHEN age_band <> 'Unborn' THEN {'characteristic': 'Age', 'characteristic_type': age_group} END,
        {'characteristic': 'Ethnicity major', 'characteristic_type': ethnic_group},
        {'characteristic': 'Ethnicity minor', 'characteristic_type': coalesce(ethnic_minor_group, 'Unknown')}
    ]) AS g
    FROM facts.child
)
WHERE g IS NOT NULL;

-- Each disability recorded for a child of the return (NONE left out).
CREATE OR REPLACE VIEW facts.child_disability AS
SELECT DISTINCT year, la, child_id, disability FROM clean.disability
WHERE disability IS NOT NULL AND disability <> 'NONE';
