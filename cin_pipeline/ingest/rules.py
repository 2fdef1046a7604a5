"""DfE CIN census validation rules, as set-based SQL over a batch of LA-years' staging tables.

Every rule is declared once, in :data:`RULES`: its DfE code, severity (``error``/``query``, as in
the DfE rules list), the DfE message, a short fix for the LA analyst, the census years it applies
to, and one ``SELECT`` returning the offending records as ``f, child_id, episode_seq, line, detail``
(``detail`` names the offending value(s)). :func:`run_rules` runs them all in the in-memory DuckDB
connection of :func:`cin_pipeline.ingest.staging.ingest_batch` and fills ``validation_finding``.

One connection holds several returns of one census year at once (a batch), so the fixed cost of
running some 120 checks is paid once per batch rather than once per return. Every row of every
table carries ``f``, the number of its return in the batch, and **every rule keys on it**: a
join or correlated subquery on the child also matches ``f``, a ``GROUP BY`` or ``PARTITION BY``
the child starts with ``f``, and an LA-level rule groups by ``f``. ``test_ingest_batch.py``
checks this statically and by ingesting returns that share their child IDs in one batch.

SQL can use the typed staging tables (``child``, ``episode``, ...), the as-sent ``raw_<table>``
tables (same keys and ``line``; used where the finding should quote the value as sent), the
macros of :func:`cin_pipeline.ingest.staging.connect` (``cin_date``, ``cin_bool``, ``cin_in``,
``cin_v``...), ``in_period(d)`` (within the census year) and these ``$placeholders``:

``$year``, ``$ref`` / ``$start`` (DATE literals: 31 March of the year and 1 April before),
``$codes_<Item>`` (SQL list of ``spec.codes(item, year)``), ``$sex_element``/``$sex_codes``
(``Sex`` M/F/U from 2025, ``GenderCurrent`` before), ``$sex_unborn`` (the code for an unborn
child or no sex recorded: ``U`` from 2025, ``0`` before), ``$la_codes_re`` (a regular expression
matching exactly the valid LA codes, for UPN characters 2-4), ``$upn13_class`` (the valid 13th
UPN characters as a regular-expression character class), ``$rule_ctx`` (the table of the batch's
returns, :data:`RULE_CTX`: header line and ``ReferenceDate`` as sent, by ``f``),
``$school_age_dob`` (DATE: children born on or before it are of school age, 8770Q) and the
working-day cut-offs (England and Wales bank holidays, :mod:`cin_pipeline.reference.calendar`)
``$start_minus_1wd``, ``$ref_minus_15wd`` and ``$ref_minus_45wd``.

LA-level rules (2886Q, 2887Q, 2888Q) return one row per return with ``child_id`` and ``line`` NULL.

Structural problems the parser leaves behind (a required item missing, a date or number that
cannot be read) are reported by :data:`STRUCTURAL` checks under the DfE rule they break, or under
``SCHEMA`` when no DfE rule covers them (the XSD would reject the file).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import re
import weakref
from dataclasses import dataclass
from string import Template

import duckdb

from cin_pipeline.census import spec
from cin_pipeline.ingest import parse
from cin_pipeline.reference import calendar
from cin_pipeline.ingest.parse import Header
from cin_pipeline.ingest.schema import RAW_COLUMNS, TABLE_COLUMNS
from cin_pipeline.sqlutil import literal, literal_list

@dataclass(frozen=True)
class Rule:
    """One validation rule: DfE code, severity, DfE message, fix, and its SQL."""

    code: str
    severity: str  # "error" | "query"
    message: str
    fix: str
    sql: str | None
    from_year: int = spec.FIRST_YEAR
    to_year: int = spec.LAST_YEAR

    def applies(self, year: int) -> bool:
        return self.from_year <= spec.layout_year(year) <= self.to_year


E, Q = "error", "query"
CHILD = "NULL::INTEGER AS episode_seq"

KEEP_PREFIX = "_cin_keep_"
"""Tables and views of an ingest connection whose name starts with this survive
:func:`cin_pipeline.ingest.staging.reset`: the per-year rule views and rule texts below."""
RULE_CTX = f"{KEEP_PREFIX}rule_ctx"
"""One row per return of the batch: ``f`` (its number in the batch), ``la``, ``file`` (the name
recorded in its findings), ``header_line`` (the line findings about the header point to) and
``ref_raw`` (``ReferenceDate`` as sent). Rules read it as ``$rule_ctx``."""

RULES: tuple[Rule, ...] = (
    # ------------------------------------------------------------------ header
    Rule("100", E, "Reference Date is incorrect",
         "Set <ReferenceDate> in the header to 31 March of the census year.",
         f"""SELECT h.f, NULL AS child_id, {CHILD}, x.header_line AS line,
             'ReferenceDate ' || coalesce(x.ref_raw, 'missing') || ', expected ' || CAST($ref AS VARCHAR) AS detail
             FROM header h JOIN $rule_ctx x USING (f) WHERE h.reference_date IS DISTINCT FROM $ref"""),
    Rule("SCHEMA", E, "Item missing or not in the format the census schema requires",
         "Send the item in the format of the census specification (dates as YYYY-MM-DD, flags as 1/0 or true/false).",
         None),
    # ------------------------------------------------------------------ child identifiers
    Rule("8500", E, "LA Child ID missing",
         "Give every child a <LAchildID>.",
         f"""SELECT f, child_id, {CHILD}, line, 'LAchildID ' || coalesce('''' || la_child_id_raw || '''', 'missing') AS detail
             FROM raw_child WHERE cin_txt(la_child_id_raw) IS NULL"""),
    Rule("8510", E, "More than one child record with the same LA Child ID",
         "Merge the child's records into one <Child> (with several <CINdetails> episodes) or correct the ID.",
         f"""SELECT c.f, c.child_id, {CHILD}, c.line, 'LAchildID ' || c.child_id || ' appears ' || d.n || ' times' AS detail
             FROM child c JOIN (SELECT f, child_id, count(*) AS n FROM child WHERE child_id IS NOT NULL
                                GROUP BY f, child_id HAVING count(*) > 1) d USING (f, child_id)"""),
    Rule("1510", E, "UPN invalid (wrong check letter at character 1)",
         "Correct the UPN (the first letter is a check letter computed from the other 12 characters).",
         f"""SELECT f, child_id, {CHILD}, line,
             'UPN ' || upn || ' (check letter should be ' || cin_upn_check(substr(upn, 2)) || ')' AS detail
             FROM (SELECT f, child_id, line, upn, CAST(substr(upn, 2, 11) AS BIGINT) AS digits FROM child
                   WHERE upn IS NOT NULL AND regexp_full_match(upn, '[A-Z][0-9]{{11}}$upn13_class'))
             WHERE cin_upn_check_digits(digits, substr(upn, 13, 1)) <> substr(upn, 1, 1)"""),
    Rule("1520", E, "More than one record with the same UPN.",
         "Check the UPNs: each child must have their own UPN.",
         f"""SELECT c.f, c.child_id, {CHILD}, c.line, 'UPN ' || c.upn || ' used by ' || d.n || ' child records' AS detail
             FROM child c JOIN (SELECT f, upn, count(*) AS n FROM child WHERE upn IS NOT NULL
                                GROUP BY f, upn HAVING count(*) > 1) d USING (f, upn)"""),
    Rule("1530", E, "UPN invalid (characters 2-4 not a recognised LA code)",
         "Correct the UPN: characters 2-4 are the code of the LA that issued it.",
         f"""SELECT f, child_id, {CHILD}, line, 'UPN ' || upn AS detail
             FROM child WHERE upn IS NOT NULL AND NOT coalesce(regexp_full_match(substr(upn, 2, 3), $la_codes_re), false)"""),
    Rule("1540", E, "UPN invalid (characters 5-12 not all numeric)",
         "Correct the UPN: 13 characters, characters 5-12 digits.",
         f"""SELECT f, child_id, {CHILD}, line, 'UPN ' || upn AS detail
             FROM child WHERE upn IS NOT NULL
               AND (length(upn) <> 13 OR NOT regexp_full_match(substr(upn, 5, 8), '[0-9]{{8}}'))"""),
    Rule("1550", E, "UPN invalid (character 13 not a recognised value)",
         "Correct the UPN: character 13 is a digit or a letter other than I, O and S.",
         f"""SELECT f, child_id, {CHILD}, line, 'UPN ' || upn AS detail
             FROM child WHERE upn IS NOT NULL AND length(upn) = 13 AND NOT regexp_full_match(substr(upn, 13, 1), '$upn13_class')"""),
    Rule("1570", E, "LA Child ID must not be longer than 20 characters",
         "Shorten the LA child ID to at most 20 characters.",
         f"""SELECT f, child_id, {CHILD}, line, 'LAchildID ' || child_id || ' (' || length(child_id) || ' characters)' AS detail
             FROM child WHERE length(child_id) > 20""", from_year=2025),
    Rule("1580", E, "LA Child ID must not contain any non-alphanumeric characters",
         "Use only letters and digits in the LA child ID.",
         f"""SELECT f, child_id, {CHILD}, line, 'LAchildID ''' || child_id || '''' AS detail
             FROM child WHERE child_id IS NOT NULL AND NOT regexp_full_match(child_id, '[A-Z0-9]+')""",
         from_year=2025),
    Rule("4180", E, "$sex_element must be provided and be one of $sex_codes_text",
         "Send <$sex_element> with one of $sex_codes_text for every child.",
         f"""SELECT f, child_id, {CHILD}, line,
             coalesce(sex_element, 'no Sex/GenderCurrent') || coalesce(' ' || cin_txt(sex_raw), ' (empty)') AS detail
             FROM raw_child WHERE sex_element IS DISTINCT FROM '$sex_element' OR NOT cin_in($sex_codes, cin_code(sex_raw))"""),
    Rule("4220", E, "Ethnicity is missing or invalid (see Ethnicity table)",
         "Send a valid <Ethnicity> code (use NOBT if not yet obtained, REFU if refused).",
         f"""SELECT f, child_id, {CHILD}, line, 'Ethnicity ' || cin_v(ethnicity) AS detail
             FROM child WHERE NOT cin_in($codes_Ethnicity, ethnicity)"""),
    Rule("8520", E, "Date of Birth is after data collection period (must be on or before the end of the census period)",
         "Correct the date of birth; for an unborn child send ExpectedPersonBirthDate instead.",
         f"""SELECT f, child_id, {CHILD}, line, 'PersonBirthDate ' || birth_date AS detail
             FROM child WHERE birth_date > $ref"""),
    Rule("8525Q", Q, "Either Date of Birth or Expected Date of Birth must be provided (but not both)",
         "Send PersonBirthDate for a born child, ExpectedPersonBirthDate for an unborn child, not both.",
         f"""SELECT f, child_id, {CHILD}, line,
             'PersonBirthDate ' || cin_v(birth_date) || ', ExpectedPersonBirthDate ' || cin_v(expected_birth_date) AS detail
             FROM child WHERE (birth_date IS NULL) = (expected_birth_date IS NULL)"""),
    Rule("8545Q", Q, "Please check and either amend data or provide a reason: Child's date of death should be within the census year",
         "Check the date of death.",
         f"""SELECT f, child_id, {CHILD}, line, 'PersonDeathDate ' || death_date AS detail
             FROM child WHERE death_date IS NOT NULL AND NOT in_period(death_date)"""),
    Rule("8750", E, "$sex_element must equal $sex_unborn for an unborn child",
         "Send <$sex_element>$sex_unborn</$sex_element> for a child with an expected date of birth and no date of birth.",
         f"""SELECT f, child_id, {CHILD}, line,
             'ExpectedPersonBirthDate ' || expected_birth_date || ', $sex_element ' || cin_v(sex_raw) AS detail
             FROM child WHERE expected_birth_date IS NOT NULL AND birth_date IS NULL
               AND sex_raw IS DISTINCT FROM '$sex_unborn'"""),
    Rule("8530Q", Q, "Please check and either amend data or provide a reason: Expected Date of Birth is outside the expected range for this census (March to December of the Census Year end)",
         "Check the expected date of birth (30 days before to 9 months after 31 March of the census year).",
         f"""SELECT f, child_id, {CHILD}, line, 'ExpectedPersonBirthDate ' || expected_birth_date AS detail
             FROM child WHERE expected_birth_date < CAST($ref - INTERVAL 30 DAY AS DATE)
               OR expected_birth_date > CAST($ref + INTERVAL 9 MONTH AS DATE)"""),
    Rule("8535Q", Q, "Please check and either amend data or provide a reason: Child\u2019s date of death should not be prior to the date of birth",
         "Check the date of death and the date of birth.",
         f"""SELECT f, child_id, {CHILD}, line, 'PersonDeathDate ' || death_date || ', PersonBirthDate ' || birth_date AS detail
             FROM child WHERE death_date < birth_date"""),
    Rule("1560Q", Q, "Please check and either amend or provide a reason: Former UPN wrongly formatted",
         "Check the former UPN: 13 characters, a letter, 11 digits, then a digit or a letter other than I, O and S.",
         f"""SELECT f, child_id, {CHILD}, line, 'FormerUPN ' || former_upn AS detail
             FROM child WHERE former_upn IS NOT NULL
               AND NOT regexp_full_match(former_upn, '[A-Z][0-9]{{11}}$upn13_class')"""),
    Rule("8770Q", Q, "Please check and either amend data or provide a reason: UPN is missing or reason UPN is missing or is UN1 for a child who is of school age.",
         "Send the child's UPN, or a UPNunknown reason UN2-UN7 (UN1 'not of school age' does not apply).",
         f"""SELECT c.f, c.child_id, {CHILD}, c.line,
             'PersonBirthDate ' || c.birth_date || ', no UPN, UPNunknown ' || cin_v(c.upn_unknown) AS detail
             FROM child c WHERE c.upn IS NULL AND c.birth_date <= $school_age_dob
               AND NOT cin_in(['UN2', 'UN3', 'UN4', 'UN5', 'UN6', 'UN7'], c.upn_unknown)
               AND EXISTS (SELECT 1 FROM episode e WHERE e.f = c.f AND e.child_id = c.child_id AND e.referral_nfa = false)"""),
    Rule("8772", E, "UPN unknown reason is UN7 (Referral with no further action) but at least one CIN details is a referral going on to further action",
         "Use another UPNunknown reason (or send the UPN): the child has a referral that went on to further action.",
         f"""SELECT c.f, c.child_id, {CHILD}, c.line, 'UPNunknown UN7, ' || e.n || ' referral(s) with ReferralNFA false' AS detail
             FROM child c JOIN (SELECT f, child_id, count(*) AS n FROM episode WHERE referral_nfa = false GROUP BY f, child_id) e
               USING (f, child_id)
             WHERE c.upn_unknown = 'UN7'"""),
    Rule("8775Q", Q, "Please check and either amend data or provide a reason: Child is over 25 years old",
         "Check the date of birth (the child is over 25 and has a CIN episode open after their 25th birthday).",
         f"""SELECT c.f, c.child_id, {CHILD}, c.line, 'PersonBirthDate ' || c.birth_date AS detail
             FROM child c WHERE c.birth_date < CAST($ref - INTERVAL 25 YEAR AS DATE)
               AND EXISTS (SELECT 1 FROM episode e WHERE e.f = c.f AND e.child_id = c.child_id
                 AND (e.closure_date IS NULL OR e.closure_date > CAST(c.birth_date + INTERVAL 25 YEAR AS DATE)))"""),
    Rule("2886Q", Q, "Please check and either amend or provide a reason: Percentage of children with no sex recorded is more than 2% (excluding unborns)",
         "Check the <$sex_element> of the children ($sex_unborn or missing is 'no sex recorded').",
         f"""SELECT f, NULL AS child_id, {CHILD}, NULL::INTEGER AS line,
             n || ' of ' || total || ' children (' || round(100.0 * n / total, 1) || '%) with $sex_element $sex_unborn or missing' AS detail
             FROM (SELECT f, count(*) FILTER (WHERE (sex_raw IS NULL OR sex_raw = '$sex_unborn') AND expected_birth_date IS NULL) AS n,
                          count(*) AS total FROM child GROUP BY f)
             WHERE n > 0.02 * total"""),
    # ------------------------------------------------------------------ characteristics
    Rule("8540", E, "Child's disability is missing or invalid (see Disability table)",
         "Record the child's disabilities (NONE if none) using the Disability codes.",
         f"""SELECT f, child_id, {CHILD}, line, 'Disability ' || cin_v(disability) AS detail
             FROM disability WHERE NOT cin_in($codes_Disability, disability)
             UNION ALL
             SELECT c.f, c.child_id, {CHILD}, c.line, 'no Disability recorded' AS detail
             FROM child c
             WHERE c.birth_date IS NOT NULL
               AND EXISTS (SELECT 1 FROM episode e WHERE e.f = c.f AND e.child_id = c.child_id AND e.referral_nfa = false)
               AND NOT EXISTS (SELECT 1 FROM disability d WHERE d.f = c.f AND d.child_id = c.child_id)"""),
    Rule("8790", E, "Disability information includes both None and other values",
         "Remove NONE, or the other disability codes.",
         f"""SELECT f, child_id, {CHILD}, min(line) AS line,
             'Disability ' || string_agg(DISTINCT disability, ', ' ORDER BY disability) AS detail
             FROM disability WHERE child_id IS NOT NULL AND (f, child_id) IN (
                 SELECT f, child_id FROM disability WHERE child_id IS NOT NULL GROUP BY f, child_id
                 HAVING bool_or(disability = 'NONE') AND min(disability) <> max(disability))
             GROUP BY f, child_id"""),
    Rule("8794", E, "Child has two or more disabilities with the same code",
         "Record each disability code once per child.",
         f"""SELECT f, child_id, {CHILD}, min(line) AS line,
             'Disability ' || disability || ' recorded ' || count(*) || ' times' AS detail
             FROM disability WHERE child_id IS NOT NULL AND disability IS NOT NULL
             GROUP BY f, child_id, disability HAVING count(*) > 1"""),
    Rule("2887Q", Q, "Please check and either amend or provide a reason: Less than 8 disability codes have been used in your return",
         "Check the children's disabilities: the return uses fewer than 8 different disability codes.",
         f"""SELECT f, NULL AS child_id, {CHILD}, NULL::INTEGER AS line, n || ' disability codes used: ' || codes AS detail
             FROM (SELECT f, count(DISTINCT disability) AS n, string_agg(DISTINCT disability, ', ' ORDER BY disability) AS codes
                   FROM disability WHERE disability <> 'NONE' AND cin_in($codes_Disability, disability) GROUP BY f)
             WHERE n BETWEEN 1 AND 7"""),
    Rule("2888Q", Q, "Please check and either amend or provide a reason: Only one disability code is recorded per child and multiple disabilities should be recorded where possible.",
         "Record all of a child's disabilities, not only the main one.",
         f"""SELECT f, NULL AS child_id, {CHILD}, NULL::INTEGER AS line, n || ' disabled children, each with one disability code' AS detail
             FROM (SELECT f, count(*) AS n, max(k) AS most FROM (SELECT f, child_id, count(DISTINCT disability) AS k
                   FROM disability WHERE disability <> 'NONE' GROUP BY f, child_id) GROUP BY f)
             WHERE n > 0 AND most = 1"""),
    # ------------------------------------------------------------------ episodes (CINdetails)
    Rule("8590", E, "Child does not have a recorded CIN episode.",
         "Add the child's <CINdetails>, or remove the child from the return.",
         f"""SELECT c.f, c.child_id, {CHILD}, c.line, 'no <CINdetails>' AS detail FROM child c
             WHERE NOT EXISTS (SELECT 1 FROM episode e WHERE e.f = c.f AND e.child_id IS NOT DISTINCT FROM c.child_id)"""),
    Rule("8568", E, "RNFA flag is missing or invalid",
         "Send <ReferralNFA> as 1/0 (or true/false).",
         """SELECT f, child_id, episode_seq, line, 'ReferralNFA ' || coalesce('''' || cin_txt(referral_nfa) || '''', 'missing') AS detail
            FROM raw_episode WHERE cin_bool(referral_nfa) IS NULL"""),
    Rule("8600", E, "Child referral date missing or after data collection period",
         "Send the referral date (YYYY-MM-DD), on or before 31 March of the census year.",
         """SELECT f, child_id, episode_seq, line, 'CINreferralDate ' || coalesce(cin_txt(referral_date), 'missing') AS detail
            FROM raw_episode WHERE cin_date(referral_date) IS NULL OR cin_date(referral_date) > $ref"""),
    Rule("8606", E, "Child referral date is more than 40 weeks before DOB or expected DOB",
         "Check the referral date and the (expected) date of birth.",
         """SELECT e.f, e.child_id, e.episode_seq, e.line,
            'CINreferralDate ' || e.referral_date || ', birth date ' || coalesce(c.birth_date, c.expected_birth_date) AS detail
            FROM episode e JOIN child c ON c.f = e.f AND c.child_id = e.child_id
            WHERE e.referral_date < coalesce(c.birth_date, c.expected_birth_date) - 280"""),
    Rule("8610", E, "Primary Need code is missing for a referral which led to further action.",
         "Send the PrimaryNeedCode for every referral that is not NFA.",
         """SELECT f, child_id, episode_seq, line, 'PrimaryNeedCode missing' AS detail
            FROM episode WHERE referral_nfa = false AND primary_need IS NULL"""),
    Rule("8620", E, "CIN Closure Date present and does not fall within the Census year",
         "Correct the closure date (1 April to 31 March of the census year) or remove it if the case is open.",
         """SELECT f, child_id, episode_seq, line, 'CINclosureDate ' || closure_date AS detail
            FROM episode WHERE closure_date IS NOT NULL AND NOT in_period(closure_date)"""),
    Rule("8630", E, "CIN Closure Date is before CIN Referral Date for the same CIN episode",
         "Correct the referral or closure date.",
         """SELECT f, child_id, episode_seq, line, 'CINreferralDate ' || referral_date || ', CINclosureDate ' || closure_date AS detail
            FROM episode WHERE closure_date < referral_date"""),
    Rule("8640", E, "CIN Reason for closure code invalid (see Reason for Closure table in CIN Census code set)",
         "Use a valid ReasonForClosure code for the census year.",
         """SELECT f, child_id, episode_seq, line, 'ReasonForClosure ' || reason_for_closure AS detail
            FROM episode WHERE reason_for_closure IS NOT NULL AND NOT cin_in($codes_ReasonForClosure, reason_for_closure)"""),
    Rule("8650", E, "Primary Need Code invalid (see Primary Need table in CIN census code set)",
         "Use a valid PrimaryNeedCode (N0-N9).",
         """SELECT f, child_id, episode_seq, line, 'PrimaryNeedCode ' || primary_need AS detail
            FROM episode WHERE primary_need IS NOT NULL AND NOT cin_in($codes_PrimaryNeedCode, primary_need)"""),
    Rule("8805", E, "A CIN case cannot have a CIN closure date without a Reason for Closure",
         "Add the ReasonForClosure, or remove the closure date.",
         """SELECT f, child_id, episode_seq, line, 'CINclosureDate ' || closure_date || ', ReasonForClosure missing' AS detail
            FROM episode WHERE closure_date IS NOT NULL AND reason_for_closure IS NULL"""),
    Rule("8810", E, "A CIN case cannot have a Reason for Closure without a CIN Closure Date",
         "Add the CINclosureDate, or remove the reason for closure.",
         """SELECT f, child_id, episode_seq, line, 'ReasonForClosure ' || reason_for_closure || ', CINclosureDate missing' AS detail
            FROM episode WHERE reason_for_closure IS NOT NULL AND closure_date IS NULL"""),
    Rule("8815", E, "More than one open CIN Details episode (a module with no CIN Closure Date) has been provided for this child and case is not a referral with no further action.",
         "Close all but the child's latest episode.",
         """SELECT f, child_id, episode_seq, line, 'open episode referred ' || cin_v(referral_date) AS detail
            FROM episode WHERE closure_date IS NULL AND referral_nfa = false AND (f, child_id) IN (
              SELECT f, child_id FROM episode WHERE closure_date IS NULL AND referral_nfa = false
              GROUP BY f, child_id HAVING count(*) > 1)"""),
    Rule("8816", E, "An open CIN episode is shown and case is not a referral with no further action, but it is not the latest episode.",
         "Close the earlier episode, or correct the referral dates.",
         """SELECT f, child_id, episode_seq, line, 'open episode referred ' || referral_date || ', latest referral ' || latest AS detail
            FROM (SELECT *, max(referral_date) OVER (PARTITION BY f, child_id) AS latest FROM episode)
            WHERE closure_date IS NULL AND referral_nfa = false AND referral_date < latest"""),
    Rule("8820", E, "The dates on the CIN episodes for this child overlap",
         "Correct the referral/closure dates so the child's episodes do not overlap.",
         """SELECT DISTINCT a.f, a.child_id, a.episode_seq, a.line,
            'CINreferralDate ' || a.referral_date || ' within episode ' || b.episode_seq || ' (' || b.referral_date
              || ' to ' || coalesce(CAST(b.closure_date AS VARCHAR), 'open') || ')' AS detail
            FROM episode a JOIN episode b ON a.f = b.f AND a.child_id = b.child_id AND a.episode_seq <> b.episode_seq
            WHERE a.referral_date >= b.referral_date
              AND ((b.closure_date IS NOT NULL AND a.referral_date < b.closure_date)
                OR (b.closure_date IS NULL AND b.referral_nfa = false AND a.referral_date <= $ref))"""),
    Rule("8831", E, "Activity is recorded against a case marked as a referral with no further action",
         "Remove the activity, or set ReferralNFA to 0.",
         """SELECT e.f, e.child_id, e.episode_seq, e.line, 'ReferralNFA true with ' || concat_ws(', ',
              CASE WHEN EXISTS (SELECT 1 FROM assessment a WHERE a.f = e.f AND a.child_id = e.child_id AND a.episode_seq = e.episode_seq) THEN 'assessment' END,
              CASE WHEN EXISTS (SELECT 1 FROM section47 s WHERE s.f = e.f AND s.child_id = e.child_id AND s.episode_seq = e.episode_seq) THEN 'Section 47' END,
              CASE WHEN e.icpc_date IS NOT NULL THEN 'DateOfInitialCPC' END) AS detail
            FROM episode e WHERE e.referral_nfa = true AND (e.icpc_date IS NOT NULL
              OR EXISTS (SELECT 1 FROM assessment a WHERE a.f = e.f AND a.child_id = e.child_id AND a.episode_seq = e.episode_seq)
              OR EXISTS (SELECT 1 FROM section47 s WHERE s.f = e.f AND s.child_id = e.child_id AND s.episode_seq = e.episode_seq))"""),
    Rule("8832", E, "Child Protection details provided for a referral with no further action.",
         "Remove the child protection plan, or set ReferralNFA to 0.",
         """SELECT e.f, e.child_id, e.episode_seq, e.line, 'ReferralNFA true with a child protection plan' AS detail
            FROM episode e WHERE e.referral_nfa = true
              AND EXISTS (SELECT 1 FROM cpp k WHERE k.f = e.f AND k.child_id = e.child_id AND k.episode_seq = e.episode_seq)"""),
    Rule("8866", E, "Source of Referral is missing or an invalid code",
         "Send a valid ReferralSource code for the census year.",
         """SELECT f, child_id, episode_seq, line, 'ReferralSource ' || cin_v(referral_source) AS detail
            FROM episode WHERE NOT cin_in($codes_ReferralSource, referral_source)
              AND (referral_date IS NULL OR referral_date >= DATE '2013-04-01')"""),
    Rule("2884", E, "An initial child protection conference is recorded at both the S47 and CIN Details level and it should only be recorded in one",
         "Keep the ICPC date on the Section 47 record and remove it from the CIN details.",
         """SELECT e.f, e.child_id, e.episode_seq, e.line, 'CINdetails DateOfInitialCPC ' || e.icpc_date AS detail
            FROM episode e WHERE e.icpc_date IS NOT NULL AND EXISTS (SELECT 1 FROM section47 s
              WHERE s.f = e.f AND s.child_id = e.child_id AND s.episode_seq = e.episode_seq AND s.icpc_date IS NOT NULL)"""),
    Rule("2990", E, "Activity is recorded against a case marked as 'Case closed after assessment, no further action' or 'case closed after assessment, referred to early help'.",
         "Use another reason for closure, or remove the S47/ICPC/child protection activity.",
         """SELECT e.f, e.child_id, e.episode_seq, e.line, 'ReasonForClosure ' || e.reason_for_closure || ' with S47, ICPC or CPP' AS detail
            FROM episode e WHERE e.reason_for_closure IN ('RC8', 'RC9') AND (e.icpc_date IS NOT NULL
              OR EXISTS (SELECT 1 FROM section47 s WHERE s.f = e.f AND s.child_id = e.child_id AND s.episode_seq = e.episode_seq)
              OR EXISTS (SELECT 1 FROM cpp k WHERE k.f = e.f AND k.child_id = e.child_id AND k.episode_seq = e.episode_seq))"""),
    Rule("8555Q", Q, "Child cannot be referred after its recorded date of death",
         "Check the referral date and the date of death.",
         """SELECT e.f, e.child_id, e.episode_seq, e.line, 'CINreferralDate ' || e.referral_date || ', PersonDeathDate ' || c.death_date AS detail
            FROM episode e JOIN child c ON c.f = e.f AND c.child_id = e.child_id WHERE e.referral_date > c.death_date"""),
    Rule("8565", E, "Activity shown after a case has been closed",
         "Correct the closure date or the activity dates (assessment, S47, ICPC, CIN plan, CPP end).",
         """WITH act AS (
              SELECT f, child_id, episode_seq, start_date AS d, 'assessment start' AS what FROM assessment
              UNION ALL SELECT f, child_id, episode_seq, authorisation_date, 'assessment authorisation' FROM assessment
              UNION ALL SELECT f, child_id, episode_seq, start_date, 'S47 start' FROM section47
              UNION ALL SELECT f, child_id, episode_seq, icpc_date, 'ICPC' FROM section47
              UNION ALL SELECT f, child_id, episode_seq, icpc_date, 'ICPC' FROM episode
              UNION ALL SELECT f, child_id, episode_seq, end_date, 'CPP end' FROM cpp
              UNION ALL SELECT f, child_id, episode_seq, start_date, 'CIN plan start' FROM cin_plan
              UNION ALL SELECT f, child_id, episode_seq, end_date, 'CIN plan end' FROM cin_plan),
            latest AS (SELECT f, child_id, episode_seq, arg_max(what, d) AS what, max(d) AS d FROM act
                       WHERE d IS NOT NULL GROUP BY f, child_id, episode_seq)
            SELECT e.f, e.child_id, e.episode_seq, e.line,
              'CINclosureDate ' || e.closure_date || ' before ' || l.what || ' ' || l.d AS detail
            FROM episode e JOIN latest l ON l.f = e.f AND l.child_id = e.child_id AND l.episode_seq = e.episode_seq
            WHERE e.closure_date < l.d"""),
    Rule("8585Q", Q, "Please check and either amend or provide a reason: CIN episode shows Died as the Closure Reason, however child has no recorded Date of Death",
         "Add the date of death, or correct the reason for closure.",
         """SELECT e.f, e.child_id, e.episode_seq, e.line, 'ReasonForClosure RC2, PersonDeathDate missing' AS detail
            FROM episode e JOIN child c ON c.f = e.f AND c.child_id = e.child_id
            WHERE e.reason_for_closure = 'RC2' AND c.death_date IS NULL"""),
    Rule("8825Q", Q, "Please check and either amend data or provide a reason: Reason for Closure code RC8 (case closed after assessment) or RC9 (case closed after assessment, referred to early help) has been returned but there is no assessment present for the episode.",
         "Add the assessment, or use another reason for closure.",
         """SELECT e.f, e.child_id, e.episode_seq, e.line, 'ReasonForClosure ' || e.reason_for_closure || ' without assessment' AS detail
            FROM episode e WHERE e.reason_for_closure IN ('RC8', 'RC9') AND NOT EXISTS (SELECT 1 FROM assessment a
              WHERE a.f = e.f AND a.child_id = e.child_id AND a.episode_seq = e.episode_seq)"""),
    Rule("8569Q", Q, "A case with referral date before one working day prior to the collection start date must not be flagged as a no further action case",
         "Check the referral date and ReferralNFA: a referral before the census year cannot be NFA.",
         """SELECT f, child_id, episode_seq, line,
            'CINreferralDate ' || referral_date || ' before ' || CAST($start_minus_1wd AS VARCHAR) || ', ReferralNFA true' AS detail
            FROM episode WHERE referral_nfa = true AND referral_date < $start_minus_1wd"""),
    Rule("8867", E, "CIN episode is shown as closed, however Assessment is not shown as completed",
         "Add the authorisation date of every assessment of a closed episode (or remove the closure).",
         """SELECT a.f, a.child_id, a.episode_seq, a.line,
            'CINclosureDate ' || e.closure_date || ', assessment started ' || cin_v(a.start_date) || ' has no AssessmentAuthorisationDate' AS detail
            FROM assessment a JOIN episode e USING (f, child_id, episode_seq)
            WHERE e.closure_date IS NOT NULL AND a.authorisation_date IS NULL"""),
    Rule("8868", E, "CIN episode is shown as closed, however Section 47 enquiry is not shown as completed by ICPC date or ICPC not required flag",
         "Add the ICPC date, or set ICPCnotRequired to 1, on every S47 of a closed episode (or remove the closure).",
         """SELECT s.f, s.child_id, s.episode_seq, s.line,
            'CINclosureDate ' || e.closure_date || ', S47 started ' || cin_v(s.start_date) || ' has no DateOfInitialCPC and ICPCnotRequired is not true' AS detail
            FROM section47 s JOIN episode e USING (f, child_id, episode_seq)
            WHERE e.closure_date IS NOT NULL AND s.icpc_date IS NULL AND s.icpc_not_required IS DISTINCT FROM true"""),
    # ------------------------------------------------------------------ assessments
    Rule("1103", E, "The assessment start date cannot be before the referral date",
         "Correct the assessment start date or the referral date.",
         """SELECT a.f, a.child_id, a.episode_seq, a.line, 'AssessmentActualStartDate ' || a.start_date || ', CINreferralDate ' || e.referral_date AS detail
            FROM assessment a JOIN episode e USING (f, child_id, episode_seq) WHERE a.start_date < e.referral_date"""),
    Rule("8608", E, "Assessment Start Date cannot be later than its End Date",
         "Correct the assessment start or authorisation date.",
         """SELECT f, child_id, episode_seq, line, 'AssessmentActualStartDate ' || start_date || ', AssessmentAuthorisationDate ' || authorisation_date AS detail
            FROM assessment WHERE authorisation_date < start_date"""),
    Rule("8614", E, "Parental or child factors at assessment should only be present for a completed assessment.",
         "Remove the factors, or add the assessment authorisation date.",
         """SELECT a.f, a.child_id, a.episode_seq, a.line, 'factors recorded, AssessmentAuthorisationDate missing' AS detail
            FROM assessment a WHERE a.authorisation_date IS NULL AND EXISTS (SELECT 1 FROM assessment_factor f
              WHERE f.f = a.f AND f.child_id = a.child_id AND f.episode_seq = a.episode_seq AND f.assessment_seq = a.assessment_seq)"""),
    Rule("8696", E, "Assessment end date must fall within the census year",
         "Correct the authorisation date (1 April to 31 March of the census year).",
         """SELECT f, child_id, episode_seq, line, 'AssessmentAuthorisationDate ' || authorisation_date AS detail
            FROM assessment WHERE authorisation_date IS NOT NULL AND NOT in_period(authorisation_date)"""),
    Rule("8736", E, "For an Assessment that has not been completed, the start date must fall within the census year",
         "Correct the start date, or add the authorisation date if the assessment was completed.",
         """SELECT f, child_id, episode_seq, line, 'open assessment started ' || start_date AS detail
            FROM assessment WHERE authorisation_date IS NULL AND NOT in_period(start_date)"""),
    Rule("8863Q", Q, "An Assessment is shown as starting when there is another Assessment ongoing.",
         "Check the assessment dates.",
         """SELECT DISTINCT a.f, a.child_id, a.episode_seq, a.line,
            'AssessmentActualStartDate ' || a.start_date || ' during assessment ' || b.assessment_seq AS detail
            FROM assessment a JOIN assessment b ON a.f = b.f AND a.child_id = b.child_id AND a.episode_seq = b.episode_seq
              AND a.assessment_seq <> b.assessment_seq
            WHERE a.start_date >= b.start_date
              AND ((b.authorisation_date IS NOT NULL AND a.start_date <= b.authorisation_date)
                OR (b.authorisation_date IS NULL AND a.start_date <= $ref))"""),
    Rule("8869", E, "The assessment factors code \u201c21\u201d cannot be used in conjunction with any other assessment factors.",
         "Remove factor 21 (no factors identified) or the other factors.",
         """SELECT a.f, a.child_id, a.episode_seq, a.line, 'AssessmentFactors ' || f.codes AS detail
            FROM assessment a JOIN (SELECT f, child_id, episode_seq, assessment_seq,
                string_agg(factor, ', ' ORDER BY factor) AS codes FROM assessment_factor
                GROUP BY ALL HAVING bool_or(factor = '21') AND count(*) > 1) f
              USING (f, child_id, episode_seq, assessment_seq)"""),
    Rule("8896", E, "Within one CINDetails group there are 2 or more open Assessments groups",
         "Add the authorisation date to all but one open assessment of the episode.",
         """SELECT f, child_id, episode_seq, line, 'open assessment started ' || cin_v(start_date) AS detail
            FROM (SELECT *, count(*) FILTER (WHERE authorisation_date IS NULL)
                    OVER (PARTITION BY f, child_id, episode_seq) AS n_open FROM assessment)
            WHERE authorisation_date IS NULL AND n_open > 1"""),
    Rule("8897Q", Q, "Parental or child factors at assessment information is missing from a completed assessment",
         "Record the factors identified at the completed assessment (21 if none), using valid codes.",
         """SELECT a.f, a.child_id, a.episode_seq, a.line, 'no valid AssessmentFactors' AS detail
            FROM assessment a WHERE a.authorisation_date >= $start AND NOT EXISTS (SELECT 1 FROM assessment_factor f
              WHERE f.f = a.f AND f.child_id = a.child_id AND f.episode_seq = a.episode_seq AND f.assessment_seq = a.assessment_seq
                AND cin_in($codes_AssessmentFactors, f.factor))
            UNION ALL
            SELECT f, child_id, episode_seq, line, 'AssessmentFactors ' || cin_v(factor) || ' is not a valid code' AS detail
            FROM assessment_factor WHERE NOT cin_in($codes_AssessmentFactors, factor)"""),
    Rule("8898", E, "The assessment has more than one parental or child factors with the same code",
         "Record each factor code once per assessment.",
         """SELECT f, child_id, episode_seq, min(line) AS line, 'AssessmentFactors ' || factor || ' recorded ' || count(*) || ' times' AS detail
            FROM assessment_factor WHERE factor IS NOT NULL
            GROUP BY f, child_id, episode_seq, assessment_seq, factor HAVING count(*) > 1"""),
    Rule("8670Q", Q, "Please check and either amend data or provide a reason: Assessment started more than 45 working days before the end of the census year. However, there is no Assessment end date.",
         "Check the assessment: add the authorisation date if it was completed.",
         """SELECT f, child_id, episode_seq, line,
            'open assessment started ' || start_date || ', before ' || CAST($ref_minus_45wd AS VARCHAR) AS detail
            FROM assessment WHERE authorisation_date IS NULL AND start_date < $ref_minus_45wd"""),
    Rule("8873Q", Q, "Please check and either amend data or provide a reason: When there is only one assessment on the episode and the factors code \u201c21 No factors identified\u201d has been used for the completed assessment, the reason for closure \u2018RC8\u2019 or 'RC9' should be used.",
         "Check the reason for closure (RC8/RC9) or the assessment factors.",
         """SELECT e.f, e.child_id, e.episode_seq, e.line,
            'only assessment has factor 21, ReasonForClosure ' || cin_v(e.reason_for_closure) AS detail
            FROM episode e JOIN (SELECT f, child_id, episode_seq, min(assessment_seq) AS assessment_seq FROM assessment
                                 GROUP BY f, child_id, episode_seq HAVING count(*) = 1) a USING (f, child_id, episode_seq)
            WHERE NOT cin_in(['RC8', 'RC9'], e.reason_for_closure)
              AND EXISTS (SELECT 1 FROM assessment_factor f WHERE f.f = a.f AND f.child_id = a.child_id AND f.episode_seq = a.episode_seq
                          AND f.assessment_seq = a.assessment_seq AND f.factor = '21')"""),
    Rule("8945Q", Q, "Please check and either amend data or provide a reason: the assessment factors code '18A' should not be used ('18B' or '18C' should be used instead)",
         "Use 18B (child on child) or 18C (adult on child) instead of 18A.",
         """SELECT f, child_id, episode_seq, line, 'AssessmentFactors 18A' AS detail
            FROM assessment_factor WHERE factor = '18A'""", from_year=2025),
    Rule("8950Q", Q, "Please check and either amend data or provide a reason: the assessment factors code '19A' should not be used ('19B' or '19C' should be used instead)",
         "Use 19B (child on child) or 19C (adult on child) instead of 19A.",
         """SELECT f, child_id, episode_seq, line, 'AssessmentFactors 19A' AS detail
            FROM assessment_factor WHERE factor = '19A'""", from_year=2025),
    # ------------------------------------------------------------------ CIN plans (2021-22 onwards)
    Rule("4000", E, "CIN Plan details provided for a referral with no further action",
         "Remove the CIN plan, or set ReferralNFA to 0.",
         """SELECT p.f, p.child_id, p.episode_seq, p.line, 'CIN plan on an NFA referral' AS detail
            FROM cin_plan p JOIN episode e USING (f, child_id, episode_seq) WHERE e.referral_nfa = true""",
         from_year=2022),
    Rule("4001", E, "A CIN Plan cannot run concurrently with a Child Protection Plan",
         "End the CIN plan when the child protection plan starts (or end the CPP).",
         """SELECT p.f, p.child_id, p.episode_seq, p.line, 'open CIN plan from ' || cin_v(p.start_date) || ' with an open CPP' AS detail
            FROM cin_plan p WHERE p.end_date IS NULL AND EXISTS (SELECT 1 FROM cpp k
              WHERE k.f = p.f AND k.child_id = p.child_id AND k.episode_seq = p.episode_seq AND k.end_date IS NULL)""",
         from_year=2022),
    Rule("4003", E, "A CPP review date is shown as being held at the same time as an open CIN Plan.",
         "Check the CIN plan dates and the child protection review dates.",
         """SELECT r.f, r.child_id, r.episode_seq, r.line, 'CPPreviewDate ' || r.review_date || ' during CIN plan from ' || p.start_date AS detail
            FROM cpp_review r
            JOIN cpp k ON k.f = r.f AND k.child_id = r.child_id AND k.episode_seq = r.episode_seq AND k.cpp_seq = r.cpp_seq
            JOIN cin_plan p ON p.f = r.f AND p.child_id = r.child_id AND p.episode_seq = r.episode_seq
            WHERE r.review_date >= p.start_date
              AND ((p.end_date IS NOT NULL AND r.review_date < p.end_date) OR (p.end_date IS NULL AND r.review_date <= $ref))
              AND r.review_date IS DISTINCT FROM k.end_date""", from_year=2022),
    Rule("4004", E, "This child is showing more than one open CIN Plan, i.e. with no End Date",
         "Add end dates to all but one CIN plan.",
         """SELECT f, child_id, episode_seq, line, 'open CIN plan from ' || cin_v(start_date) AS detail
            FROM (SELECT *, count(*) FILTER (WHERE end_date IS NULL) OVER (PARTITION BY f, child_id) AS n_open FROM cin_plan)
            WHERE end_date IS NULL AND n_open > 1""", from_year=2022),
    Rule("4010", E, "CIN Plan start date is missing or out of data collection period",
         "Send the CIN plan start date (YYYY-MM-DD), on or before 31 March of the census year.",
         """SELECT f, child_id, episode_seq, line, 'CINPlanStartDate ' || coalesce(cin_txt(start_date), 'missing') AS detail
            FROM raw_cin_plan WHERE cin_date(start_date) IS NULL OR cin_date(start_date) > $ref""", from_year=2022),
    Rule("4011", E, "CIN Plan End Date earlier than Start Date",
         "Correct the CIN plan start or end date.",
         """SELECT f, child_id, episode_seq, line, 'CINPlanStartDate ' || start_date || ', CINPlanEndDate ' || end_date AS detail
            FROM cin_plan WHERE end_date < start_date""", from_year=2022),
    Rule("4013", E, "CIN Plan end date must fall within the census year",
         "Correct the CIN plan end date (1 April to 31 March of the census year).",
         """SELECT f, child_id, episode_seq, line, 'CINPlanEndDate ' || end_date AS detail
            FROM cin_plan WHERE end_date IS NOT NULL AND NOT in_period(end_date)""", from_year=2022),
    Rule("4014", E, "CIN Plan data contains overlapping dates",
         "Correct the CIN plan dates so the child's plans do not overlap.",
         """SELECT DISTINCT a.f, a.child_id, a.episode_seq, a.line,
            'CINPlanStartDate ' || a.start_date || ' within the plan from ' || b.start_date AS detail
            FROM cin_plan a JOIN cin_plan b ON a.f = b.f AND a.child_id = b.child_id
              AND (a.episode_seq, a.plan_seq) <> (b.episode_seq, b.plan_seq)
            WHERE a.start_date >= b.start_date
              AND ((b.end_date IS NOT NULL AND a.start_date < b.end_date) OR (b.end_date IS NULL AND a.start_date <= $ref))""",
         from_year=2022),
    Rule("4015", E, "The CIN Plan start date cannot be before the referral date",
         "Correct the CIN plan start date or the referral date.",
         """SELECT p.f, p.child_id, p.episode_seq, p.line, 'CINPlanStartDate ' || p.start_date || ', CINreferralDate ' || e.referral_date AS detail
            FROM cin_plan p JOIN episode e USING (f, child_id, episode_seq) WHERE p.start_date < e.referral_date""",
         from_year=2022),
    Rule("4016", E, "A CIN Plan has been reported as open at the same time as a Child Protection Plan.",
         "Start the CIN plan when the child protection plan ends.",
         """SELECT DISTINCT p.f, p.child_id, p.episode_seq, p.line, 'CINPlanStartDate ' || p.start_date || ' during CPP from ' || k.start_date AS detail
            FROM cin_plan p JOIN cpp k ON k.f = p.f AND k.child_id = p.child_id
            WHERE p.start_date >= k.start_date
              AND ((k.end_date IS NOT NULL AND p.start_date < k.end_date) OR (k.end_date IS NULL AND p.start_date <= $ref))""",
         from_year=2022),
    Rule("4017", E, "A CIN Plan has been reported as open at the same time as a Child Protection Plan.",
         "End the CIN plan when the child protection plan starts.",
         """SELECT DISTINCT k.f, k.child_id, k.episode_seq, k.line, 'CPPstartDate ' || k.start_date || ' during CIN plan from ' || p.start_date AS detail
            FROM cpp k JOIN cin_plan p ON p.f = k.f AND p.child_id = k.child_id
            WHERE k.start_date >= p.start_date
              AND ((p.end_date IS NOT NULL AND k.start_date < p.end_date) OR (p.end_date IS NULL AND k.start_date <= $ref))""",
         from_year=2022),
    Rule("4008", E, "CIN Plan shown as starting after the child\u2019s Date of Death.",
         "Correct the CIN plan start date or the date of death.",
         """SELECT p.f, p.child_id, p.episode_seq, p.line, 'CINPlanStartDate ' || p.start_date || ', PersonDeathDate ' || c.death_date AS detail
            FROM cin_plan p JOIN child c USING (f, child_id) WHERE p.start_date > c.death_date""", from_year=2022),
    Rule("4009Q", Q, "CIN Plan cannot end after the child\u2019s Date of Death",
         "Check the CIN plan end date and the date of death.",
         """SELECT p.f, p.child_id, p.episode_seq, p.line, 'CINPlanEndDate ' || p.end_date || ', PersonDeathDate ' || c.death_date AS detail
            FROM cin_plan p JOIN child c USING (f, child_id) WHERE p.end_date > c.death_date""", from_year=2022),
    Rule("4012Q", Q, "Please check and either amend or provide a reason: CIN Plan shown as starting and ending on the same day",
         "Check the CIN plan start and end dates.",
         """SELECT f, child_id, episode_seq, line, 'CINPlanStartDate and CINPlanEndDate ' || start_date AS detail
            FROM cin_plan WHERE end_date = start_date""", from_year=2022),
    # ------------------------------------------------------------------ section 47
    Rule("1104", E, "The date of the initial child protection conference cannot be before the referral date",
         "Correct the ICPC date or the referral date.",
         """SELECT s.f, s.child_id, s.episode_seq, s.line, 'DateOfInitialCPC ' || s.icpc_date || ', CINreferralDate ' || e.referral_date AS detail
            FROM section47 s JOIN episode e USING (f, child_id, episode_seq) WHERE s.icpc_date < e.referral_date
            UNION ALL
            SELECT f, child_id, episode_seq, line, 'DateOfInitialCPC ' || icpc_date || ', CINreferralDate ' || referral_date
            FROM episode WHERE icpc_date < referral_date"""),
    Rule("2889", E, "The S47 start date cannot be before the referral date.",
         "Correct the S47 start date or the referral date.",
         """SELECT s.f, s.child_id, s.episode_seq, s.line, 'S47ActualStartDate ' || s.start_date || ', CINreferralDate ' || e.referral_date AS detail
            FROM section47 s JOIN episode e USING (f, child_id, episode_seq) WHERE s.start_date < e.referral_date"""),
    Rule("8615", E, "Section 47 Enquiry Start Date must be present and cannot be later than the date of the initial Child Protection Conference",
         "Send the S47 start date, on or before the ICPC date.",
         """SELECT f, child_id, episode_seq, line, 'S47ActualStartDate ' || cin_v(start_date) || ', DateOfInitialCPC ' || icpc_date AS detail
            FROM section47 WHERE icpc_date IS NOT NULL AND (start_date IS NULL OR start_date > icpc_date)"""),
    Rule("8715", E, "Date of Initial Child Protection Conference must fall within the census year",
         "Correct the ICPC date (1 April to 31 March of the census year).",
         """SELECT f, child_id, episode_seq, line, 'DateOfInitialCPC ' || icpc_date AS detail
            FROM section47 WHERE icpc_date IS NOT NULL AND NOT in_period(icpc_date)"""),
    Rule("8740", E, "For a Section 47 Enquiry that has not held the Initial Child Protection Conference by the end of the census year, the start date must fall within the census year",
         "Correct the S47 start date, or add the ICPC date / ICPCnotRequired.",
         """SELECT f, child_id, episode_seq, line, 'open S47 started ' || start_date AS detail
            FROM section47 WHERE icpc_date IS NULL AND icpc_not_required = false AND NOT in_period(start_date)"""),
    Rule("8839", E, "Within one CINDetails group there are 2 or more open S47 Assessments",
         "Record the ICPC date or ICPCnotRequired on all but one S47 of the episode.",
         """SELECT f, child_id, episode_seq, line, 'open S47 started ' || cin_v(start_date) AS detail
            FROM (SELECT *, count(*) FILTER (WHERE icpc_date IS NULL AND icpc_not_required IS DISTINCT FROM true)
                    OVER (PARTITION BY f, child_id, episode_seq) AS n_open FROM section47)
            WHERE icpc_date IS NULL AND icpc_not_required IS DISTINCT FROM true AND n_open > 1"""),
    Rule("8870Q", Q, "Please check and either amend or provide a reason: The Target Date for Initial Child Protection Conference should not be a weekend",
         "Check the ICPC target date.",
         """SELECT f, child_id, episode_seq, line, 'InitialCPCtarget ' || icpc_target_date || ' is a ' || dayname(icpc_target_date) AS detail
            FROM section47 WHERE isodow(icpc_target_date) IN (6, 7)"""),
    Rule("8875", E, "The Date of Initial Child Protection Conference cannot be a weekend",
         "Correct the ICPC date.",
         """SELECT f, child_id, episode_seq, line, 'DateOfInitialCPC ' || icpc_date || ' is a ' || dayname(icpc_date) AS detail
            FROM section47 WHERE isodow(icpc_date) IN (6, 7)"""),
    Rule("8675Q", Q, "Please check and either amend data or provide a reason: S47 Enquiry started more than 15 working days before the end of the census year. However, there is no date of Initial Child Protection Conference.",
         "Check the S47: add the ICPC date, or set ICPCnotRequired to 1 if no conference is needed.",
         """SELECT f, child_id, episode_seq, line,
            'open S47 started ' || start_date || ', before ' || CAST($ref_minus_15wd AS VARCHAR) AS detail
            FROM section47 WHERE icpc_date IS NULL AND icpc_not_required = false AND start_date < $ref_minus_15wd"""),
    Rule("8890", E, "A Section 47 enquiry is shown as starting when there is another Section 47 Enquiry ongoing",
         "Correct the S47 dates so the enquiries of an episode do not overlap.",
         """SELECT DISTINCT a.f, a.child_id, a.episode_seq, a.line,
            'S47ActualStartDate ' || a.start_date || ' during S47 ' || b.s47_seq || ' (' || b.start_date
              || ' to ' || coalesce(CAST(b.icpc_date AS VARCHAR), 'open') || ')' AS detail
            FROM section47 a JOIN section47 b ON a.f = b.f AND a.child_id = b.child_id AND a.episode_seq = b.episode_seq
              AND a.s47_seq <> b.s47_seq
            WHERE a.start_date >= b.start_date
              AND ((b.icpc_date IS NOT NULL AND a.start_date <= b.icpc_date)
                OR (b.icpc_date IS NULL AND b.icpc_not_required IS DISTINCT FROM true AND a.start_date <= $ref))"""),
    # ------------------------------------------------------------------ child protection plans
    Rule("1105", E, "The child protection plan start date cannot be before the referral date",
         "Correct the CPP start date or the referral date.",
         """SELECT k.f, k.child_id, k.episode_seq, k.line, 'CPPstartDate ' || k.start_date || ', CINreferralDate ' || e.referral_date AS detail
            FROM cpp k JOIN episode e USING (f, child_id, episode_seq) WHERE k.start_date < e.referral_date"""),
    Rule("2885", E, "Child protection plan shown as starting a different day to the initial child protection conference.",
         "Make the CPP start date equal to the date of the initial child protection conference.",
         """SELECT k.f, k.child_id, k.episode_seq, k.line, 'CPPstartDate ' || k.start_date || ' matches no ICPC date of the episode' AS detail
            FROM cpp k JOIN episode e USING (f, child_id, episode_seq)
            WHERE in_period(k.start_date)
              AND NOT EXISTS (SELECT 1 FROM section47 s WHERE s.f = k.f AND s.child_id = k.child_id
                              AND s.episode_seq = k.episode_seq AND s.icpc_date = k.start_date)
              AND NOT (e.icpc_date IS NOT DISTINCT FROM k.start_date AND NOT EXISTS (SELECT 1 FROM section47 s
                       WHERE s.f = k.f AND s.child_id = k.child_id AND s.episode_seq = k.episode_seq))"""),
    Rule("8720", E, "Child Protection Plan Start Date missing or out of data collection period",
         "Send the CPP start date (YYYY-MM-DD), on or before 31 March of the census year.",
         """SELECT f, child_id, episode_seq, line, 'CPPstartDate ' || coalesce(cin_txt(start_date), 'missing') AS detail
            FROM raw_cpp WHERE cin_date(start_date) IS NULL OR cin_date(start_date) > $ref"""),
    Rule("8730", E, "Total Number of previous Child Protection Plans missing",
         "Send NumberOfPreviousCPP as a whole number (0 or more).",
         """SELECT f, child_id, episode_seq, line, 'NumberOfPreviousCPP ' || coalesce('''' || cin_txt(number_of_previous_cpp) || '''', 'missing') AS detail
            FROM raw_cpp WHERE cin_int(number_of_previous_cpp) IS NULL OR cin_int(number_of_previous_cpp) < 0"""),
    Rule("8840", E, "Child Protection Plan cannot start and end on the same day",
         "Correct the CPP start or end date.",
         """SELECT f, child_id, episode_seq, line, 'CPPstartDate and CPPendDate ' || start_date AS detail
            FROM cpp WHERE end_date = start_date"""),
    Rule("8841", E, "The review date cannot be on the same day or before the Child protection Plan start date.",
         "Correct the review date or the CPP start date.",
         """SELECT r.f, r.child_id, r.episode_seq, r.line, 'CPPreviewDate ' || r.review_date || ', CPPstartDate ' || k.start_date AS detail
            FROM cpp_review r JOIN cpp k USING (f, child_id, episode_seq, cpp_seq) WHERE r.review_date <= k.start_date"""),
    Rule("8842Q", Q, "Please check and either amend or provide a reason: Review Record has a missing date",
         "Add the review date(s) in <Reviews>, or remove the empty group.",
         """SELECT f, child_id, episode_seq, line, 'empty <Reviews> group' AS detail
            FROM raw_cpp WHERE empty_reviews > 0"""),
    Rule("8905", E, "Initial Category of Abuse code missing or invalid (see Category of Abuse table in CIN Census code set)",
         "Send a valid InitialCategoryOfAbuse (NEG, PHY, SAB, EMO or MUL).",
         """SELECT f, child_id, episode_seq, line, 'InitialCategoryOfAbuse ' || cin_v(initial_category) AS detail
            FROM cpp WHERE NOT cin_in($codes_InitialCategoryOfAbuse, initial_category)"""),
    Rule("8910", E, "Latest Category of Abuse code missing or invalid (see Category of Abuse table in CIN Census code set)",
         "Send a valid LatestCategoryOfAbuse (NEG, PHY, SAB, EMO or MUL).",
         """SELECT f, child_id, episode_seq, line, 'LatestCategoryOfAbuse ' || cin_v(latest_category) AS detail
            FROM cpp WHERE NOT cin_in($codes_LatestCategoryOfAbuse, latest_category)"""),
    Rule("8925", E, "Child Protection Plan End Date earlier than Start Date",
         "Correct the CPP start or end date.",
         """SELECT f, child_id, episode_seq, line, 'CPPstartDate ' || start_date || ', CPPendDate ' || end_date AS detail
            FROM cpp WHERE end_date < start_date"""),
    Rule("8930", E, "Child Protection Plan End Date must fall within the census year",
         "Correct the CPP end date (1 April to 31 March of the census year).",
         """SELECT f, child_id, episode_seq, line, 'CPPendDate ' || end_date AS detail
            FROM cpp WHERE end_date IS NOT NULL AND NOT in_period(end_date)"""),
    Rule("8935", E, "This child is showing more than one open Child Protection plan, i.e. with no End Date",
         "Add end dates to all but one child protection plan.",
         """SELECT f, child_id, episode_seq, line, 'open CPP from ' || cin_v(start_date) AS detail
            FROM (SELECT *, count(*) FILTER (WHERE end_date IS NULL) OVER (PARTITION BY f, child_id) AS n_open FROM cpp)
            WHERE end_date IS NULL AND n_open > 1"""),
    Rule("8940", E, "Child Protection Plan data contains overlapping dates",
         "Correct the CPP dates so the child's plans do not overlap.",
         """SELECT DISTINCT a.f, a.child_id, a.episode_seq, a.line, 'CPPstartDate ' || a.start_date || ' within the CPP from ' || b.start_date AS detail
            FROM cpp a JOIN cpp b ON a.f = b.f AND a.child_id = b.child_id AND (a.episode_seq, a.cpp_seq) <> (b.episode_seq, b.cpp_seq)
            WHERE a.start_date >= b.start_date
              AND ((b.end_date IS NOT NULL AND a.start_date < b.end_date) OR (b.end_date IS NULL AND a.start_date <= $ref))"""),
    Rule("8915", E, "Child Protection Plan shown as starting after the child\u2019s Date of Death",
         "Correct the CPP start date or the date of death.",
         """SELECT k.f, k.child_id, k.episode_seq, k.line, 'CPPstartDate ' || k.start_date || ', PersonDeathDate ' || c.death_date AS detail
            FROM cpp k JOIN child c USING (f, child_id) WHERE k.start_date > c.death_date"""),
    Rule("8920", E, "Child Protection Plan cannot end after the child\u2019s Date of Death",
         "Correct the CPP end date or the date of death.",
         """SELECT k.f, k.child_id, k.episode_seq, k.line, 'CPPendDate ' || k.end_date || ', PersonDeathDate ' || c.death_date AS detail
            FROM cpp k JOIN child c USING (f, child_id) WHERE k.end_date > c.death_date"""),
)

_BY_CODE = {r.code: r for r in RULES}
assert len(_BY_CODE) == len(RULES), "duplicate rule code"

# (rule code, raw table, raw column, XML element, check): structural findings from the raw text.
# check "date": present but not a YYYY-MM-DD date; "bool": missing or not 1/0/true/false;
# "required": missing. Reported with the rule's severity and message.
STRUCTURAL: tuple[tuple[str, str, str, str, str], ...] = (
    ("8520", "child", "birth_date", "PersonBirthDate", "date"),
    ("SCHEMA", "child", "expected_birth_date", "ExpectedPersonBirthDate", "date"),
    ("SCHEMA", "child", "death_date", "PersonDeathDate", "date"),
    ("8620", "episode", "closure_date", "CINclosureDate", "date"),
    ("SCHEMA", "episode", "icpc_date", "DateOfInitialCPC", "date"),
    ("SCHEMA", "assessment", "start_date", "AssessmentActualStartDate", "required_date"),
    ("SCHEMA", "assessment", "internal_review_date", "AssessmentInternalReviewDate", "date"),
    ("8696", "assessment", "authorisation_date", "AssessmentAuthorisationDate", "date"),
    ("4013", "cin_plan", "end_date", "CINPlanEndDate", "date"),
    ("SCHEMA", "section47", "start_date", "S47ActualStartDate", "required_date"),
    ("SCHEMA", "section47", "icpc_target_date", "InitialCPCtarget", "date"),
    ("8715", "section47", "icpc_date", "DateOfInitialCPC", "date"),
    ("SCHEMA", "section47", "icpc_not_required", "ICPCnotRequired", "bool"),
    ("8930", "cpp", "end_date", "CPPendDate", "date"),
    ("8842Q", "cpp_review", "review_date", "CPPreviewDate", "date"),
)


def _structural_sql(table: str, col: str, element: str, check: str) -> str:
    ep = "episode_seq" if "episode_seq" in RAW_COLUMNS[table] else "NULL::INTEGER AS episode_seq"
    value = f"coalesce('''' || cin_txt({col}) || '''', 'missing')"
    if check == "date":
        where = f"cin_txt({col}) IS NOT NULL AND cin_date({col}) IS NULL"
        what = "is not a date (YYYY-MM-DD)"
    elif check == "required_date":
        where = f"cin_date({col}) IS NULL"
        what = "is missing or not a date (YYYY-MM-DD)"
    elif check == "bool":
        where = f"cin_bool({col}) IS NULL"
        what = "is missing or not one of 1, 0, true, false"
    else:  # pragma: no cover
        raise ValueError(check)
    return (f"SELECT f, child_id, {ep}, line, '{element} ' || {value} || ' {what}' AS detail "
            f"FROM raw_{table} WHERE {where}")


def rule(code: str) -> Rule:
    """The rule with DfE code ``code`` (e.g. ``"8620"``, ``"8525Q"``, ``"SCHEMA"``)."""
    return _BY_CODE[code]


def rule_codes(year: int | None = None) -> tuple[str, ...]:
    """Codes of the rules that apply in ``year`` (all when ``None``)."""
    return tuple(r.code for r in RULES if year is None or r.applies(year))


def rule_texts(year: int) -> tuple[tuple[str, str, str, str], ...]:
    """``(code, severity, message, fix)`` of every rule applying in ``year``, with the year's
    placeholders filled in exactly as in that year's findings (a finding's ``message`` is this
    message, ``": "`` and the detail). For reports that show a rule's text beside its findings."""
    return _rule_texts(int(year))


@functools.lru_cache(maxsize=32)
def _rule_texts(year: int) -> tuple[tuple[str, str, str, str], ...]:
    subs = placeholders(Header(year=year, la="000"), ())
    return tuple((r.code, r.severity, Template(r.message).safe_substitute(subs).rstrip("."),
                  Template(r.fix).safe_substitute(subs)) for r in RULES if r.applies(year))


def placeholders(header: Header, la_codes=None) -> dict[str, str]:
    """Values of the ``$placeholders`` for the returns of ``header.year`` (the per-return values,
    LA, file name, header line and ``ReferenceDate`` as sent, are in ``$rule_ctx``)."""
    year = header.year
    start, end = spec.census_period(year)
    sex_el = spec.sex_element(year)
    if la_codes is None:
        la_codes = parse.known_la_codes()
    la_codes = sorted(set(la_codes) | {f"{i:03d}" for i in range(1, 6)})
    def date_sql(d: _dt.date) -> str:
        return f"DATE '{d.isoformat()}'"

    values = {
        "year": str(year),
        "ref": date_sql(end),
        "start": date_sql(start),
        "sex_unborn": "U" if sex_el == "Sex" else "0",
        # 2024-25 on: of school age by the September after the census (born on or before
        # 31 August four years before); earlier returns: more than 6 years old at the reference date
        "school_age_dob": date_sql(spec.school_age_dob(year)),
        "start_minus_1wd": date_sql(calendar.working_days_before(start, 1)),
        "ref_minus_15wd": date_sql(calendar.working_days_before(end, 15)),
        "ref_minus_45wd": date_sql(calendar.working_days_before(end, 45)),
        "sex_element": sex_el,
        "sex_codes": literal_list(spec.codes(sex_el, year)),
        "sex_codes_text": ", ".join(spec.codes(sex_el, year)),
        # a regular expression: a list of some 200 codes would be searched one by one
        "la_codes_re": literal("(" + "|".join(re.escape(c) for c in la_codes) + ")"),
        "upn13_class": spec.UPN_THIRTEENTH_CLASS,
        "rule_ctx": RULE_CTX,
    }
    for item in spec.CODE_SETS:
        values[f"codes_{item}"] = literal_list(spec.codes(item, year))
    return values


FINDING_COLUMNS = (("f", "INTEGER"),) + TABLE_COLUMNS["validation_finding"]
"""Columns of ``validation_finding`` in an ingest connection: the staging columns after ``f``, the
number of the return in the batch (dropped when each return's findings are written)."""


def _finding_select(r: Rule, sql: str, subs: dict[str, str]) -> str:
    message = Template(r.message).safe_substitute(subs).rstrip(".").replace("'", "''")
    fix = Template(r.fix).safe_substitute(subs).replace("'", "''")
    body = Template(sql).substitute(subs)
    return (f"SELECT _r.f AS f, {subs['year']}::INTEGER AS year, c.la AS la, '{r.code}' AS rule_code, "
            f"'{r.severity}' AS severity, CAST(_r.child_id AS VARCHAR) AS child_id, "
            f"CAST(_r.episode_seq AS INTEGER) AS episode_seq, c.file AS file, "
            f"CAST(_r.line AS INTEGER) AS line, '{message}: ' || coalesce(_r.detail, '') AS message, "
            f"'{fix}' AS fix FROM ({body}) AS _r JOIN {RULE_CTX} AS c ON c.f = _r.f")


def finding_queries(year: int, la_codes=None) -> list[tuple[str, str]]:
    """``(rule code, SELECT producing validation_finding rows, f first)`` for every check of
    ``year``, one query per check, over every return of the batch (:func:`write_context` first)."""
    subs = placeholders(Header(year=int(year), la="000"), la_codes)
    out = []
    for r in RULES:
        if r.sql and r.applies(year):
            out.append((r.code, _finding_select(r, r.sql, subs)))
    for code, table, col, element, check in STRUCTURAL:
        r = _BY_CODE[code]
        if r.applies(year):
            out.append((code, _finding_select(r, _structural_sql(table, col, element, check), subs)))
    return out


_PREPARED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
"""Connection -> names of the rule views already created in it."""


_CHUNK = 24
"""Checks per rule view. One view per ~24 checks plans fastest with DuckDB 2.0: every statement
has a fixed cost, while decorrelating the subqueries of one huge ``UNION ALL`` grows with its size
(measured: 1 check per statement 285 ms a file, 8: 145, 16-40: 137, all 118 in one: 164)."""


@functools.lru_cache(maxsize=64)
def _year_rules(year: int, la_codes: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], tuple]:
    """``(view names, CREATE VIEW statements, rule texts)`` of every check applying in ``year``.

    Each view is the ``UNION ALL`` of :data:`_CHUNK` checks, joined to the table of their rule
    code, severity, message and fix (so the long texts are not parsed and bound again with every
    batch) and, on ``f``, to :data:`RULE_CTX` for each return's LA and file name. Built once per
    (year, LA list) and created once per connection, so a batch of returns runs every rule with a
    few short ``INSERT ... SELECT`` statements.
    """
    subs = placeholders(Header(year=year, la="000"), la_codes)
    checks: list[tuple[Rule, str]] = [(r, r.sql) for r in RULES if r.sql and r.applies(year)]
    for code, table, col, element, check in STRUCTURAL:
        r = _BY_CODE[code]
        if r.applies(year):
            checks.append((r, _structural_sql(table, col, element, check)))
    texts, branches = [], []
    for k, (r, sql) in enumerate(checks):
        message = Template(r.message).safe_substitute(subs).rstrip(".") + ": "
        fix = Template(r.fix).safe_substitute(subs)
        texts.append((k, r.code, r.severity, message, fix))
        body = Template(sql).substitute(subs)
        branches.append(
            f"SELECT {k} AS k, f, CAST(child_id AS VARCHAR) AS child_id, CAST(episode_seq AS INTEGER) AS episode_seq, "
            f"CAST(line AS INTEGER) AS line, CAST(detail AS VARCHAR) AS detail FROM ({body}) AS _r")
    digest = hashlib.sha1(repr((branches, texts)).encode()).hexdigest()[:12]
    base = f"{KEEP_PREFIX}rules_{year}_{digest}"
    names, views = [], []
    for i in range(0, len(branches), _CHUNK):
        name = f"{base}_{i // _CHUNK}"
        union = "\nUNION ALL\n".join(branches[i:i + _CHUNK])
        names.append(name)
        views.append(
            f"CREATE OR REPLACE VIEW {name} AS SELECT r.f AS f, {int(year)}::INTEGER AS year, c.la AS la, "
            "t.rule_code AS rule_code, t.severity AS severity, r.child_id AS child_id, "
            "r.episode_seq AS episode_seq, c.file AS file, r.line AS line, "
            "t.message || coalesce(r.detail, '') AS message, t.fix AS fix "
            f"FROM ({union}) AS r JOIN {base}_text AS t ON t.k = r.k JOIN {RULE_CTX} AS c ON c.f = r.f")
    return tuple(names), tuple(views), tuple(texts)


def write_context(con, returns) -> None:
    """(Re)create :data:`RULE_CTX` with one row per ``(f, header, file name)`` of ``returns``."""
    con.execute(f"CREATE OR REPLACE TABLE {RULE_CTX} "
                "(f INTEGER, la VARCHAR, file VARCHAR, header_line INTEGER, ref_raw VARCHAR)")
    rows = []
    for f, header, file_name in returns:
        line = header.lines.get("ReferenceDate", header.lines.get("Header", 1)) or None
        rows.append((int(f), header.la, file_name, None if line is None else int(line), header.reference_date))
    if rows:
        con.executemany(f"INSERT INTO {RULE_CTX} VALUES (?, ?, ?, ?, ?)", rows)


def _prepare_rules(con, year: int, la_codes: tuple[str, ...]) -> tuple[str, ...]:
    """Create (once per connection) the rule views of ``year``; returns their names."""
    names, views, texts = _year_rules(year, la_codes)
    done = _PREPARED.setdefault(con, set())
    if names[0] not in done:
        start, end = spec.census_period(year)  # CREATE VIEW binds its query
        con.execute(f"CREATE OR REPLACE MACRO in_period(d) AS d BETWEEN DATE '{start}' AND DATE '{end}'")
        text_table = names[0].rsplit("_", 1)[0] + "_text"
        write_context(con, [])  # the views bind to it
        con.execute(f"CREATE OR REPLACE TABLE {text_table} "
                    "(k INTEGER, rule_code VARCHAR, severity VARCHAR, message VARCHAR, fix VARCHAR)")
        con.executemany(f"INSERT INTO {text_table} VALUES (?, ?, ?, ?, ?)", list(texts))
        for view in views:
            con.execute(view)
        done.add(names[0])
    return names


def run_rules(con, year: int, returns, la_codes=None) -> int:
    """Create and fill ``validation_finding`` (:data:`FINDING_COLUMNS`) in ``con`` for every return
    of the batch; returns the number of findings.

    ``returns`` lists ``(f, header, file name)`` of the returns of census year ``year`` whose rows
    (column ``f``) are in the staging tables of ``con``. Every rule keys on ``f`` as well as on the
    child, so the returns of a batch never see each other's records. The checks of the year run as a
    few ``INSERT ... SELECT`` over the views of :func:`_year_rules` (created once per connection
    and year), all sent in one call. If that fails, the rules are re-run one by one so the error
    names the faulty rule.
    """
    if la_codes is None:
        la_codes = parse.known_la_codes()
    la_codes = tuple(sorted(set(la_codes)))
    year = int(year)
    names = _prepare_rules(con, year, la_codes)
    write_context(con, returns)
    start, end = spec.census_period(year)
    columns = ", ".join(f"{c} {t}" for c, t in FINDING_COLUMNS)
    statements = [
        # the views bind in_period when they run
        f"CREATE OR REPLACE MACRO in_period(d) AS d BETWEEN DATE '{start}' AND DATE '{end}'",
        f"CREATE OR REPLACE TABLE validation_finding ({columns})",
    ] + [f"INSERT INTO validation_finding SELECT * FROM {name}" for name in names]
    try:
        con.execute(";\n".join(statements))
    except duckdb.Error:
        con.execute(f"CREATE OR REPLACE TABLE validation_finding ({columns})")
        for code, q in finding_queries(year, la_codes):  # find the faulty rule
            try:
                con.execute("INSERT INTO validation_finding " + q)
            except duckdb.Error as exc:
                raise RuntimeError(f"validation rule {code} failed: {exc}") from exc
    return con.execute("SELECT count(*) FROM validation_finding").fetchall()[0][0]
