-- D6 children on a child protection plan at 31 March for 3 months or more, and how many of those
-- plans were reviewed within the required timescales (facts.cpp_review_timeliness, which holds the
-- definition). Each plan is counted.
SELECT year, la,
       count(*)                                  AS CPP_At31_3_months_or_more,
       count(*) FILTER (WHERE reviewed_in_time)  AS Reviewed_within_timescales
FROM facts.cpp_review_timeliness
GROUP BY ALL
