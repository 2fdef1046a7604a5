-- A4 duration of episodes: episodes of need (lcd.episode.is_episode_of_need) by the year of the
-- referral that opened them (facts.referral), length band and re-referral. Length =
-- duration_days (closure - referral); an episode still open is measured to the latest 31 March
-- in the data. Bands: <= 3 months (91 days), <= 6 months (182), < 1 year (365), < 2 years (730).
WITH last31 AS (SELECT make_date(max(year), 3, 31) AS d FROM lcd.referral),
e AS (
    SELECT r.year, r.la,
           coalesce(e.duration_days, date_diff('day', e.referral_date, (SELECT d FROM last31))) AS days,
           r.re_referral
    FROM lcd.episode e
    JOIN facts.referral r USING (la, child_id, referral_date)
    WHERE e.is_episode_of_need
)
SELECT year, la,
       CASE WHEN days <= 91 THEN '3 months or less'
            WHEN days <= 182 THEN 'More than 3 months but less than or equal to 6 months'
            WHEN days < 365 THEN 'More than 6 months but less than 1 year'
            WHEN days < 730 THEN '1 year but less than 2 years'
            ELSE '2 years and over' END AS reflencat,
       re_referral,
       count(*) AS referrals
FROM e GROUP BY ALL
