"""The CIN census return, as code.

This module is the single specification of the Children in Need census XML return that the
synthetic generator writes, the ingest parser reads and the validation rules check. It holds:

* the code sets (with the census years in which each code is valid),
* the element order of every block of the return (the XSD ``xs:sequence`` order),
* every per-year change between the 2012-13 and 2025-26 returns.

Years are *reporting years*: the calendar year in which the census year ends on 31 March, so
``2024`` is the 2023-24 census (1 April 2023 to 31 March 2024) and the XSD file
``CIN_schema_2024.xsd``. No XSD survives for returns before 2016-17; those years use the
2016-17 structure, which is what local authorities sent from 2013-14 onwards.

The published series starts with 2013 (:data:`FIRST_YEAR`), but its 2013 re-referrals look back
12 months into the 2011-12 census. That return (:data:`LOOKBACK_YEAR`, 2012) is accepted as a
look-back year only: it is read and validated in the 2012-13 layout (:func:`layout_year`), staged
and linked into the Longitudinal CIN Dataset, and never published.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

FIRST_YEAR = 2013
"""First reporting year of the published series (and of the return layout this spec describes)."""
LOOKBACK_YEAR = 2012
"""First census year accepted: the 2011-12 return, staged only as the 12-month look-back of 2013."""
LAST_YEAR = 2026
YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
CENSUS_YEARS = tuple(range(LOOKBACK_YEAR, LAST_YEAR + 1))


def layout_year(year: int) -> int:
    """The census year whose layout and code sets a ``year`` return follows (2012 -> 2013)."""
    return max(int(year), FIRST_YEAR)


def census_period(year: int) -> tuple[_dt.date, _dt.date]:
    """First and last day (inclusive) of the census year ending 31 March ``year``."""
    return _dt.date(year - 1, 4, 1), _dt.date(year, 3, 31)


def reference_date(year: int) -> _dt.date:
    return _dt.date(year, 3, 31)


def school_age_dob(year: int) -> _dt.date:
    """Children born on or before this date are of school age in the ``year`` return (rule 8770Q:
    a UPN, or a reason it is unknown, is expected for them).

    From the 2024-25 return: of school age by the September after the census (born on or before
    31 August four years before the census year end); earlier returns: more than 6 years old at
    the reference date.
    """
    return _dt.date(year - 4, 8, 31) if year >= 2025 else _dt.date(year - 6, 3, 31)


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    first_year: int = FIRST_YEAR
    last_year: int = LAST_YEAR
    deprecated_from: int | None = None  # still accepted, but raises a query from this year

    def valid_in(self, year: int) -> bool:
        return self.first_year <= layout_year(year) <= self.last_year


def _codes(*rows) -> tuple[Code, ...]:
    return tuple(Code(*r) if isinstance(r, tuple) else r for r in rows)


# ---------------------------------------------------------------- code sets
SEX = _codes(("M", "Male", 2025), ("F", "Female", 2025), ("U", "Unknown or unborn", 2025))
GENDER_CURRENT = _codes(
    ("1", "Male", FIRST_YEAR, 2024),
    ("2", "Female", FIRST_YEAR, 2024),
    ("0", "Not recorded or unborn", FIRST_YEAR, 2024),
    ("9", "Indeterminate", FIRST_YEAR, 2024),
)
ETHNICITY = _codes(
    ("WBRI", "White British"), ("WIRI", "White Irish"), ("WIRT", "Traveller of Irish heritage"),
    ("WOTH", "Any other White background"), ("WROM", "Gypsy/Roma"),
    ("MWBC", "White and Black Caribbean"), ("MWBA", "White and Black African"),
    ("MWAS", "White and Asian"), ("MOTH", "Any other mixed background"),
    ("AIND", "Indian"), ("APKN", "Pakistani"), ("ABAN", "Bangladeshi"),
    ("AOTH", "Any other Asian background"), ("BCRB", "Caribbean"), ("BAFR", "African"),
    ("BOTH", "Any other Black background"), ("CHNE", "Chinese"), ("OOTH", "Any other ethnic group"),
    ("REFU", "Refused"), ("NOBT", "Information not yet obtained"),
)
# Ethnicity as DfE publishes it: the major groups of the census codes, in the census order (the
# tables' facts.child.ethnic_group, the generator's shares). Refused and information not yet
# obtained make up the major group "Unknown"; the minor groups are the codes themselves.
ETHNIC_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("White", ("WBRI", "WIRI", "WIRT", "WOTH", "WROM")),
    ("Mixed", ("MWBC", "MWBA", "MWAS", "MOTH")),
    ("Asian or Asian British", ("AIND", "APKN", "ABAN", "AOTH")),
    ("Black or Black British", ("BCRB", "BAFR", "BOTH")),
    ("Other ethnic groups", ("CHNE", "OOTH")),
    ("Unknown", ("REFU", "NOBT")),
)
ETHNICITIES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = tuple(
    (group, tuple((c.code, c.label) for c in ETHNICITY if c.code in codes)) for group, codes in ETHNIC_GROUPS)
"""Major groups with their minor groups: (group, ((census code, the code's label), ...))."""
DISABILITY = _codes(
    ("NONE", "No disability"), ("MOB", "Mobility"), ("HAND", "Hand function"),
    ("PC", "Personal care"), ("INC", "Incontinence"), ("COMM", "Communication"),
    ("LD", "Learning"), ("HEAR", "Hearing"), ("VIS", "Vision"), ("BEH", "Behaviour"),
    ("CON", "Consciousness"), ("AUT", "Autism"), ("DDA", "Other disability"),
)
UPN_UNKNOWN = _codes(
    ("UN1", "Child not of school age"),
    ("UN2", "Never attended a state school in England"),
    ("UN3", "Educated outside England"),
    ("UN4", "Newly arrived, UPN not yet obtained"),
    ("UN5", "Sources collating UPNs reflect a discrepancy"),
    ("UN6", "Other reason"),
    ("UN7", "Referral with no further action"),
)
REFERRAL_SOURCE = _codes(
    ("1A", "Individual - family member, relative or carer"),
    ("1B", "Individual - acquaintance"),
    ("1C", "Individual - self"),
    ("1D", "Individual - other"),
    ("2A", "Schools"),
    ("2B", "Education services"),
    ("3A", "Health services - GP"),
    ("3B", "Health services - health visitor"),
    ("3C", "Health services - school nurse"),
    ("3D", "Health services - other primary health services"),
    ("3E", "Health services - A&E"),
    ("3F", "Health services - other"),
    ("4", "Housing"),
    ("5A", "LA services - social care"),
    ("5B", "LA services - other internal"),
    ("5C", "LA services - external"),
    ("5D", "LA services - early help", 2023),
    ("6", "Police"),
    ("7", "Other legal agency"),
    ("8", "Other"),
    ("9", "Anonymous"),
    ("10", "Unknown"),
)
PRIMARY_NEED = _codes(
    ("N0", "Not stated"),
    ("N1", "Abuse or neglect"),
    ("N2", "Child's disability or illness"),
    ("N3", "Parent's disability or illness"),
    ("N4", "Family in acute stress"),
    ("N5", "Family dysfunction"),
    ("N6", "Socially unacceptable behaviour"),
    ("N7", "Low income"),
    ("N8", "Absent parenting"),
    ("N9", "Cases other than children in need"),
)
REASON_FOR_CLOSURE = _codes(
    ("RC1", "Adopted"),
    ("RC2", "Died"),
    ("RC3", "Child arrangements order"),
    ("RC4", "Special guardianship order"),
    ("RC5", "Transferred to services of another local authority"),
    ("RC6", "Transferred to adult social care services"),
    ("RC7", "Services ceased for any other reason, including child no longer in need"),
    ("RC8", "Case closed after assessment, no further action"),
    ("RC9", "Case closed after assessment, referred to early help", 2023),
)
CATEGORY_OF_ABUSE = _codes(
    ("NEG", "Neglect"), ("PHY", "Physical abuse"), ("SAB", "Sexual abuse"),
    ("EMO", "Emotional abuse"), ("MUL", "Multiple"),
)
ASSESSMENT_FACTORS = _codes(
    ("1A", "Alcohol misuse - child"), ("1B", "Alcohol misuse - parent/carer"),
    ("1C", "Alcohol misuse - other person"),
    ("2A", "Drug misuse - child"), ("2B", "Drug misuse - parent/carer"), ("2C", "Drug misuse - other person"),
    ("3A", "Domestic abuse - child"), ("3B", "Domestic abuse - parent/carer"),
    ("3C", "Domestic abuse - other person"),
    ("4A", "Mental health - child"), ("4B", "Mental health - parent/carer"),
    ("4C", "Mental health - other person"),
    ("5A", "Learning disability - child"), ("5B", "Learning disability - parent/carer"),
    ("5C", "Learning disability - other person"),
    ("6A", "Physical disability or illness - child"), ("6B", "Physical disability or illness - parent/carer"),
    ("6C", "Physical disability or illness - other person"),
    ("7A", "Young carer"),
    ("8B", "Privately fostered - overseas, intend to return"),
    ("8C", "Privately fostered - overseas, intend to stay"),
    ("8D", "Privately fostered - UK, educational placement"),
    ("8E", "Privately fostered - UK, alternative family arrangement"),
    ("8F", "Privately fostered - other"),
    ("9A", "Unaccompanied asylum-seeking child"),
    ("10A", "Going or being missing"),
    ("11A", "Child sexual exploitation"),
    ("12A", "Trafficking"),
    ("13A", "Gangs"),
    ("14A", "Socially unacceptable behaviour"),
    ("15A", "Self-harm"),
    ("16A", "Neglect"),
    ("17A", "Emotional abuse"),
    Code("18A", "Physical abuse", deprecated_from=2021),
    ("18B", "Physical abuse - child on child", 2021),
    ("18C", "Physical abuse - adult on child", 2021),
    Code("19A", "Sexual abuse", deprecated_from=2021),
    ("19B", "Sexual abuse - child on child", 2021),
    ("19C", "Sexual abuse - adult on child", 2021),
    ("20", "Other"),
    ("21", "No factors identified"),
    ("22A", "Female genital mutilation"),
    ("23A", "Abuse linked to faith or belief"),
    ("24A", "Child criminal exploitation", 2022),
)
BOOLEAN_TRUE = frozenset({"1", "true"})
BOOLEAN_FALSE = frozenset({"0", "false"})
"""Accepted spellings of a census boolean (compared case-insensitively, DfE rule 8568).
Generated returns always write ``0``/``1``, the only spelling every schema accepts."""

CODE_SETS: dict[str, tuple[Code, ...]] = {
    "Sex": SEX,
    "GenderCurrent": GENDER_CURRENT,
    "Ethnicity": ETHNICITY,
    "Disability": DISABILITY,
    "UPNunknown": UPN_UNKNOWN,
    "ReferralSource": REFERRAL_SOURCE,
    "PrimaryNeedCode": PRIMARY_NEED,
    "ReasonForClosure": REASON_FOR_CLOSURE,
    "InitialCategoryOfAbuse": CATEGORY_OF_ABUSE,
    "LatestCategoryOfAbuse": CATEGORY_OF_ABUSE,
    "AssessmentFactors": ASSESSMENT_FACTORS,
}


def codes(item: str, year: int) -> tuple[str, ...]:
    """Codes valid for data item ``item`` in census ``year`` (in code-set order)."""
    return tuple(c.code for c in CODE_SETS[item] if c.valid_in(year))


def labels(item: str) -> dict[str, str]:
    return {c.code: c.label for c in CODE_SETS[item]}


# ---------------------------------------------------------------- per-year structure
def sex_element(year: int) -> str:
    """``Sex`` (M/F/U) replaced ``GenderCurrent`` (1/2/0/9) in the 2024-25 return."""
    return "Sex" if year >= 2025 else "GenderCurrent"


def has_cin_plan_dates(year: int) -> bool:
    """``CINPlanDates`` blocks were added in the 2021-22 return."""
    return year >= 2022


def xsd_year(year: int) -> int:
    """The XSD (by file year) that describes the ``year`` return; 2016-17 for older years."""
    return max(year, 2017)


@dataclass(frozen=True)
class Item:
    name: str
    kind: str  # "text", "date", "datetime", "code", "bool", "int", "group"
    required: bool = False
    repeat: bool = False
    from_year: int = FIRST_YEAR
    to_year: int = LAST_YEAR

    def in_year(self, year: int) -> bool:
        return self.from_year <= layout_year(year) <= self.to_year


# Element order of each block (xs:sequence order in the schemas).
HEADER_COLLECTION = (
    Item("Collection", "text"), Item("Year", "int"), Item("ReferenceDate", "date"),
)
HEADER_SOURCE = (
    Item("SourceLevel", "text"), Item("LEA", "text", True), Item("SoftwareCode", "text"),
    Item("Release", "text"), Item("SerialNo", "text"), Item("DateTime", "datetime"),
)
CHILD_IDENTIFIERS = (
    Item("LAchildID", "text", True),
    Item("UPN", "text"),
    Item("FormerUPN", "text"),
    Item("UPNunknown", "code"),
    Item("PersonBirthDate", "date"),
    Item("ExpectedPersonBirthDate", "date"),
    Item("GenderCurrent", "code", True, to_year=2024),
    Item("Sex", "code", True, from_year=2025),
    Item("PersonDeathDate", "date"),
)
CHILD_CHARACTERISTICS = (
    Item("Ethnicity", "code", True),
    Item("Disabilities", "group"),  # holds 1..n Disability
)
CIN_DETAILS = (
    Item("CINreferralDate", "date", True),
    Item("ReferralSource", "code", True),
    Item("PrimaryNeedCode", "code"),
    Item("CINclosureDate", "date"),
    Item("ReasonForClosure", "code"),
    Item("DateOfInitialCPC", "date"),
    Item("Assessments", "group", repeat=True),
    Item("CINPlanDates", "group", repeat=True, from_year=2022),
    Item("Section47", "group", repeat=True),
    Item("ReferralNFA", "bool", True),
    Item("ChildProtectionPlans", "group", repeat=True),
)
ASSESSMENT = (
    Item("AssessmentActualStartDate", "date", True),
    Item("AssessmentInternalReviewDate", "date"),
    Item("AssessmentAuthorisationDate", "date"),
    Item("FactorsIdentifiedAtAssessment", "group"),  # holds 1..n AssessmentFactors
)
CIN_PLAN = (Item("CINPlanStartDate", "date", True), Item("CINPlanEndDate", "date"))
SECTION47 = (
    Item("S47ActualStartDate", "date", True),
    Item("InitialCPCtarget", "date"),
    Item("DateOfInitialCPC", "date"),
    Item("ICPCnotRequired", "bool", True),
)
CHILD_PROTECTION_PLAN = (
    Item("CPPstartDate", "date", True),
    Item("CPPendDate", "date"),
    Item("InitialCategoryOfAbuse", "code", True),
    Item("LatestCategoryOfAbuse", "code", True),
    Item("NumberOfPreviousCPP", "int", True),
    Item("Reviews", "group"),  # holds 1..n CPPreviewDate
)

BLOCKS = {
    "CollectionDetails": HEADER_COLLECTION,
    "Source": HEADER_SOURCE,
    "ChildIdentifiers": CHILD_IDENTIFIERS,
    "ChildCharacteristics": CHILD_CHARACTERISTICS,
    "CINdetails": CIN_DETAILS,
    "Assessments": ASSESSMENT,
    "CINPlanDates": CIN_PLAN,
    "Section47": SECTION47,
    "ChildProtectionPlans": CHILD_PROTECTION_PLAN,
}


def block_items(block: str, year: int) -> tuple[Item, ...]:
    """Items of ``block`` in schema order, as they stand in the ``year`` return."""
    return tuple(i for i in BLOCKS[block] if i.in_year(year))


# Per-year changes, for documentation and the data guidance (year = first return affected).
YEAR_CHANGES: tuple[tuple[int, str], ...] = (
    (2021, "Assessment factors 18A/19A split into 18B/18C (physical abuse child-on-child / adult-on-child) "
           "and 19B/19C (sexual abuse); 18A/19A stay valid but are queried from 2024-25"),
    (2022, "CINPlanDates (CIN plan start and end dates) added to each episode"),
    (2022, "Assessment factor 24A child criminal exploitation added"),
    (2023, "Referral source 5D (LA services - early help) and closure reason RC9 "
           "(closed after assessment, referred to early help) added"),
    (2025, "Sex (M/F/U) replaces GenderCurrent (1/2/0/9); LAchildID at most 20 alphanumeric characters"),
    (2026, "Primary need N1 relabelled 'Abuse, neglect and exploitation'"),
)

# ---------------------------------------------------------------- UPN check letter
UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
"""The 23 letters of a UPN check letter (no I, O, S), in the order of their value."""
UPN_THIRTEENTH = "0123456789" + "".join(c for c in "ABCDEFGHJKLMNPQRTUVWXYZ")  # no I, O, S
UPN_THIRTEENTH_CLASS = f"[{UPN_THIRTEENTH}]"
"""The valid 13th characters as a regular-expression character class (none is special in one)."""


def upn_check_letter(body12: str) -> str:
    """Check letter for a UPN whose characters 2-13 are ``body12`` (DfE algorithm):
    weights 2..13 on characters 2..13, sum mod 23 indexes ``ABCDEFGHJKLMNPQRTUVWXYZ``.
    A letter in character 13 counts as its position in that alphabet."""
    total = 0
    for weight, ch in enumerate(body12, start=2):
        value = int(ch) if ch.isdigit() else UPN_CHECK_LETTERS.index(ch)
        total += weight * value
    return UPN_CHECK_LETTERS[total % 23]


def upn_is_valid(upn: str, la_codes: set[str] | frozenset[str] | None = None) -> bool:
    if len(upn) != 13 or not upn[1:12].isdigit():
        return False
    if upn[12] not in UPN_THIRTEENTH:
        return False
    if la_codes is not None and upn[1:4] not in la_codes:
        return False
    return upn[0] == upn_check_letter(upn[1:])
