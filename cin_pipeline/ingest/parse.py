"""Safe, streaming reader of CIN census XML returns.

Two entry points:

* :func:`read_header` reads only the ``<Header>`` (it stops at ``</Header>``), checks the things
  that decide whether and where a file can be ingested (XML at all, root element, DOCTYPE/entity
  declarations, year, LA), and returns a :class:`Header`. The landing sensor uses it to route a
  file, so it costs a few kilobytes of reading whatever the size of the file.
* :func:`iter_batches` streams the ``<Child>`` records with ``lxml.etree.iterparse`` and yields
  them in batches of raw (untyped, as-sent) rows per staging table. Each ``<Child>`` element is
  cleared and dropped from the tree as soon as it has been read, so memory does not grow with
  the file. Typing (dates, booleans, codes) is done afterwards in DuckDB by
  :mod:`cin_pipeline.ingest.staging`, in one vectorised step.

:func:`cin_pipeline.ingest.staging.parse_return` combines both with the typing step and returns the
typed tables as pandas DataFrames, with the columns of ``docs/ARCHITECTURE.md``. The row layout
both sides share is :data:`cin_pipeline.ingest.schema.RAW_COLUMNS`.

Anything that makes a file unusable as a whole raises :class:`CensusFileError`, whose
``reason_code`` says which of the known failure classes it is and whose message tells the LA
analyst what to fix. Problems with individual records are *not* raised: they become rows of
``validation_finding`` (see :mod:`cin_pipeline.ingest.rules`).

Security: the parser never loads a DTD, never resolves entities, never touches the network and
keeps libxml2's size limits (``huge_tree=False``). On top of that any ``<!DOCTYPE`` or
``<!ENTITY`` declaration is rejected outright (a census return never needs one; they are how
"billion laughs" entity-expansion and XXE attacks are delivered).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from lxml import etree

from cin_pipeline import reference
from cin_pipeline.census import spec
from cin_pipeline.ingest.schema import RAW_COLUMNS, RawBatch

DEFAULT_MAX_BYTES = 2 * 1024**3
"""Largest return accepted (2 GiB); override with ``CIN_MAX_RETURN_BYTES`` or ``max_bytes=``."""

DEFAULT_BATCH_CHILDREN = 20_000
"""Children per batch yielded by :func:`iter_batches` (bounds the Python-side memory)."""

_SAFE_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)

_PROLOG_SCAN_BYTES = 1024 * 1024

# ------------------------------------------------------------------ reason codes
EMPTY_FILE = "empty_file"
NOT_XML = "not_xml"
MALFORMED_XML = "malformed_xml"
WRONG_ROOT = "wrong_root"
MISSING_HEADER = "missing_header"
MISSING_LEA = "missing_lea"
MISSING_YEAR = "missing_year"
INVALID_YEAR = "invalid_year"
YEAR_OUT_OF_RANGE = "year_out_of_range"
YEAR_MISMATCH = "year_mismatch"
UNKNOWN_LA = "unknown_la"
LA_MISMATCH = "la_mismatch"
DOCTYPE_FORBIDDEN = "doctype_forbidden"
ENTITY_FORBIDDEN = "entity_forbidden"
FILE_TOO_LARGE = "file_too_large"
FILE_NOT_FOUND = "file_not_found"
REFERENCE_DATE_MISMATCH = "reference_date_mismatch"
FOLDER_YEAR_MISMATCH = "folder_year_mismatch"
FILE_NAME_LA_MISMATCH = "file_name_la_mismatch"
RESOURCE_LIMIT = "resource_limit"

REASON_CODES = (
    EMPTY_FILE, NOT_XML, MALFORMED_XML, WRONG_ROOT, MISSING_HEADER, MISSING_LEA, MISSING_YEAR,
    INVALID_YEAR, YEAR_OUT_OF_RANGE, YEAR_MISMATCH, UNKNOWN_LA, LA_MISMATCH, DOCTYPE_FORBIDDEN,
    ENTITY_FORBIDDEN, FILE_TOO_LARGE, FILE_NOT_FOUND, REFERENCE_DATE_MISMATCH, FOLDER_YEAR_MISMATCH,
    FILE_NAME_LA_MISMATCH, RESOURCE_LIMIT,
)
"""Every ``CensusFileError.reason_code`` this module can raise."""


class CensusFileError(Exception):
    """A return that cannot be ingested at all (as opposed to record-level validation findings).

    ``reason_code`` is one of :data:`REASON_CODES`; ``message`` is written for the LA analyst
    (what is wrong and what to fix); ``line`` is the line of the file where the problem was
    found, when known.
    """

    def __init__(self, reason_code: str, message: str, line: int | None = None):
        self.reason_code = reason_code
        self.message = message
        self.line = line
        where = f" (line {line})" if line else ""
        super().__init__(f"[{reason_code}]{where} {message}")


# ------------------------------------------------------------------ LA codes hook
def known_la_codes() -> frozenset[str]:
    """Every valid 3-digit LA code, from :func:`cin_pipeline.reference.all_la_codes`.

    Computed once per process. Tests replace this function to stub the list.
    """
    global _LA_CODES
    if _LA_CODES is None or _LA_CODES[0] is not reference.all_la_codes:
        _LA_CODES = (reference.all_la_codes, frozenset(str(c).zfill(3) for c in reference.all_la_codes()))
    return _LA_CODES[1]


_LA_CODES: tuple | None = None


# ------------------------------------------------------------------ header
@dataclass(frozen=True)
class Header:
    """The ``<Header>`` of a return, as sent (strings trimmed) plus the parsed year and LA."""

    year: int
    la: str
    collection: str | None = None
    reference_date: str | None = None
    source_level: str | None = None
    software_code: str | None = None
    release: str | None = None
    serial_no: str | None = None
    generated_at: str | None = None
    lea_raw: str | None = None
    lines: dict[str, int] = field(default_factory=dict, compare=False)
    """Source line of each header element (``"Header"``, ``"ReferenceDate"``, ``"LEA"``, ...)."""

    @property
    def reference_date_parsed(self) -> _dt.date | None:
        """``ReferenceDate`` as a date, or ``None`` when missing or not ``YYYY-MM-DD``."""
        try:
            return _dt.date.fromisoformat(self.reference_date) if self.reference_date else None
        except ValueError:
            return None

    @property
    def generated_at_parsed(self) -> _dt.datetime | None:
        """``DateTime`` (when the return was generated) as a naive UTC datetime, or ``None`` when
        missing or not an ISO date-time."""
        try:
            stamp = _dt.datetime.fromisoformat(self.generated_at) if self.generated_at else None
        except ValueError:
            return None
        if stamp is not None and stamp.tzinfo is not None:
            stamp = stamp.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return stamp


@dataclass(frozen=True)
class PathClaims:
    """What the place a return was put says about it (``None``: says nothing); checked against the
    header by :func:`check_header`. Made by :func:`cin_pipeline.ingest.landing.path_claims`."""

    year: int | None = None
    """The census year of the folder the file is in, when that folder is named as a year."""
    la: str | None = None
    """The LA of the file name, when the name is a 3-digit LA code (``330.xml``)."""


def _max_bytes(max_bytes: int | None) -> int:
    if max_bytes is not None:
        return max_bytes
    return int(os.environ.get("CIN_MAX_RETURN_BYTES", DEFAULT_MAX_BYTES))


_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_ROOT_START = re.compile(rb"<[A-Za-z_:]")


def _precheck(path: Path, max_bytes: int | None) -> None:
    """Cheap checks on the bytes before any XML parser sees the file."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise CensusFileError(FILE_NOT_FOUND, f"The file {path.name} does not exist (any more).")
    limit = _max_bytes(max_bytes)
    if size > limit:
        raise CensusFileError(
            FILE_TOO_LARGE,
            f"The file is {size:,} bytes, more than the {limit:,} bytes accepted for one return. "
            "Check that this is a single LA's CIN census XML return and not an archive or an "
            "export of several returns.",
        )
    with path.open("rb") as fh:
        head = fh.read(_PROLOG_SCAN_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore").encode("utf-8")
    else:
        text = head[3:] if head.startswith(_BOMS[0]) else head
    stripped = text.lstrip()
    if not stripped:
        raise CensusFileError(
            EMPTY_FILE,
            "The file is empty (0 bytes or only blank space). Export the CIN census return "
            "again from your case management system and resubmit it.",
        )
    if not stripped.startswith(b"<") or b"\x00" in stripped[:4096]:
        raise CensusFileError(
            NOT_XML,
            "The file is not XML: it does not start with '<'. The CIN census must be submitted "
            "as the XML return (not a spreadsheet, CSV, PDF or zip file).",
            1,
        )
    m = _ROOT_START.search(text)
    prolog = text[: m.start()] if m else text
    upper = prolog.upper()
    if b"<!ENTITY" in upper or (m is None and b"<!ENTITY" in text.upper()):
        raise CensusFileError(
            ENTITY_FORBIDDEN,
            "The file declares XML entities (<!ENTITY ...>). Census returns must not contain a "
            "DOCTYPE or entity declarations; they are refused because they can be used to attack "
            "the system (entity expansion / external entities). Remove the <!DOCTYPE ...> block "
            "and resubmit.",
            prolog.count(b"\n") + 1,
        )
    if b"<!DOCTYPE" in upper:
        raise CensusFileError(
            DOCTYPE_FORBIDDEN,
            "The file contains a <!DOCTYPE ...> declaration. Census returns must not contain "
            "one; remove it and resubmit the file.",
            upper[: upper.index(b"<!DOCTYPE")].count(b"\n") + 1,
        )


_DEPTH_LIMIT = re.compile(r"excessive depth in document: (\d+)", re.IGNORECASE)
_SIZE_LIMIT = re.compile(
    r"XML_PARSE_HUGE|resource limit exceeded|huge (text node|input lookup)|too (long|big)", re.IGNORECASE)
"""libxml2's messages for its safety limits (``huge_tree=False``): elements nested deeper than 256,
or one text, attribute value, CDATA section, comment or name longer than it accepts (10 MB for
text; 50,000 characters for a name). The wording varies between libxml2 versions."""


def _resource_limit_error(msg: str, line: int | None) -> CensusFileError | None:
    """The plain-words error for a libxml2 resource-limit message, or ``None`` if ``msg`` is not one."""
    depth = _DEPTH_LIMIT.search(msg)
    if depth:
        return CensusFileError(
            RESOURCE_LIMIT,
            f"The XML nests elements more than {depth.group(1)} levels deep; a CIN census return "
            "never nests them more than ten deep, so the file is damaged or is not a CIN return. "
            "Export the return again and resubmit it.",
            line,
        )
    if _SIZE_LIMIT.search(msg):
        return CensusFileError(
            RESOURCE_LIMIT,
            "The XML holds a single value (a text, an attribute, a comment or an element name) "
            "far longer than any CIN census return has (over 10 MB of text, or a name over "
            "50,000 characters), so the file is damaged or is not a CIN return. Export the "
            "return again and resubmit it.",
            line,
        )
    return None


def _syntax_error(exc: etree.XMLSyntaxError) -> CensusFileError:
    line = exc.lineno if getattr(exc, "lineno", None) else None
    msg = (exc.msg or str(exc)).strip()
    limit = _resource_limit_error(msg, line)
    if limit:
        return limit
    if "entity" in msg.lower() and ("declar" in msg.lower() or "undefined" in msg.lower()):
        return CensusFileError(
            ENTITY_FORBIDDEN,
            f"The file uses an XML entity that is not allowed ({msg}). Replace entity references "
            "such as &name; with the plain text and resubmit.",
            line,
        )
    return CensusFileError(
        MALFORMED_XML,
        f"The XML is not well formed: {msg}. This usually means the file was cut short "
        "(truncated upload or export) or edited by hand; export the return again and resubmit.",
        line,
    )


def _check_root(el, path: Path) -> None:
    docinfo = el.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        dtd = docinfo.internalDTD
        if dtd is not None and list(dtd.iterentities()):
            raise CensusFileError(
                ENTITY_FORBIDDEN,
                "The file declares XML entities. Remove the <!DOCTYPE ...> block and resubmit.",
                1,
            )
        raise CensusFileError(
            DOCTYPE_FORBIDDEN,
            "The file contains a <!DOCTYPE ...> declaration. Remove it and resubmit.",
            1,
        )
    if el.tag != "Message":
        raise CensusFileError(
            WRONG_ROOT,
            f"The top-level element is <{el.tag}> but a CIN census return starts with <Message> "
            "(no namespace). Check that this is the CIN census XML return and not another "
            "collection's file.",
            el.sourceline,
        )


def _text(el) -> str | None:
    t = el.text
    if t is None:
        return None
    t = t.strip()
    return t or None


def read_header(
    path: str | os.PathLike,
    expected_year: int | None = None,
    expected_la: str | None = None,
    *,
    claims: PathClaims = PathClaims(),
    max_bytes: int | None = None,
) -> Header:
    """Read and check the ``<Header>`` of a return, stopping after ``</Header>``.

    Raises :class:`CensusFileError` when the file is empty, not XML, malformed before the end of
    the header, beyond libxml2's size or depth limits, has the wrong root, a DOCTYPE or entity
    declaration, no header, no ``LEA`` or ``Year``, or when :func:`check_header` refuses the
    header (with ``expected_year``/``expected_la``, the LA-year it is ingested for, and ``claims``,
    what its folder and file name say).
    """
    path = Path(path)
    _precheck(path, max_bytes)
    depth = 0
    header_el = None
    context = _events_before_error(path)
    try:
        for event, el in context:
            if event == "start":
                depth += 1
                if depth == 1:
                    _check_root(el, path)
                elif depth == 2 and el.tag != "Header":
                    raise CensusFileError(
                        MISSING_HEADER,
                        f"The return has no <Header> before <{el.tag}>. The first element inside "
                        "<Message> must be the <Header> with <CollectionDetails> (Year, "
                        "ReferenceDate) and <Source> (LEA).",
                        el.sourceline,
                    )
            else:
                depth -= 1
                if depth == 1 and el.tag == "Header":
                    header_el = el
                    break
                if depth == 0:
                    raise CensusFileError(
                        MISSING_HEADER,
                        "The return has no <Header>. Add the <Header> with <CollectionDetails> "
                        "(Year, ReferenceDate) and <Source> (LEA) and resubmit.",
                        el.sourceline,
                    )
        if header_el is None:
            raise CensusFileError(MISSING_HEADER, "The return has no <Header>.", None)
        header = _header_from(header_el)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from None
    finally:
        context.close()
    check_header(header, expected_year, expected_la, claims)
    return header


_HEADER_CHUNK = 8 * 1024
"""Bytes fed to the header's parser at a time. A header fits in the first two or three kilobytes;
each chunk is parsed whole (an event and an element object for everything in it), so reading
64 KB at a time cost 3.4 ms a national return of 2024 against 0.5 ms at 8 KB."""


def _events_before_error(path: Path) -> Iterator[tuple[str, etree._Element]]:
    """The ("start"/"end", element) events of ``path`` in document order, fed to the parser
    :data:`_HEADER_CHUNK` bytes at a time. A syntax error is raised once every event parsed
    before it has been yielded: lxml 6.2's ``iterparse`` raises as soon as it reads the chunk that
    holds the error, before that chunk's earlier events, so a small return with a good header and
    a broken body lost its header. The events that closing the parser makes at the end of a
    cut-short file are not the file's, so none is yielded when closing raises. Closing the
    iterator closes the file."""
    parser = etree.XMLPullParser(events=("start", "end"), **_SAFE_PARSER_OPTIONS)
    with open(path, "rb") as fh:
        while chunk := fh.read(_HEADER_CHUNK):
            error = None
            try:
                parser.feed(chunk)
            except etree.XMLSyntaxError as exc:
                error = exc
            yield from parser.read_events()
            if error is not None:
                raise error
    # at the end of a cut-short file, close() raises after ending the open elements: those
    # events are not the file's
    parser.close()
    yield from parser.read_events()


def _header_from(el) -> Header:
    values: dict[str, str | None] = {}
    lines: dict[str, int] = {"Header": el.sourceline}
    for sub in el.iter():
        if sub is el or not isinstance(sub.tag, str):
            continue
        if len(sub) == 0:
            values.setdefault(sub.tag, _text(sub))
            lines.setdefault(sub.tag, sub.sourceline)
    header_line = el.sourceline
    lea_raw = values.get("LEA")
    if not lea_raw:
        raise CensusFileError(
            MISSING_LEA,
            "The header has no <LEA> (your 3-digit DfE local authority code, e.g. 330) in "
            "<Header><Source>. Add it and resubmit.",
            lines.get("LEA", header_line),
        )
    year_raw = values.get("Year")
    if not year_raw:
        raise CensusFileError(
            MISSING_YEAR,
            "The header has no <Year> in <Header><CollectionDetails>. Add the census year (the "
            "year in which the census ends on 31 March, e.g. 2025 for 2024-25) and resubmit.",
            lines.get("Year", header_line),
        )
    try:
        year = int(year_raw)
    except ValueError:
        raise CensusFileError(
            INVALID_YEAR,
            f"The header <Year> is '{year_raw}', which is not a year. Use the 4-digit year in "
            "which the census ends (e.g. 2025 for 2024-25).",
            lines.get("Year"),
        ) from None
    return Header(
        year=year,
        la=lea_raw.strip().upper(),
        collection=values.get("Collection"),
        reference_date=values.get("ReferenceDate"),
        source_level=values.get("SourceLevel"),
        software_code=values.get("SoftwareCode"),
        release=values.get("Release"),
        serial_no=values.get("SerialNo"),
        generated_at=values.get("DateTime"),
        lea_raw=lea_raw,
        lines=lines,
    )


def check_header(header: Header, expected_year: int | None = None, expected_la: str | None = None,
                 claims: PathClaims = PathClaims()) -> None:
    """Raise :class:`CensusFileError` if the header's year or LA cannot be accepted, checking in
    this order: a year outside ``spec.LOOKBACK_YEAR..spec.LAST_YEAR``; a ``ReferenceDate`` in
    another year than ``Year`` (a wrong day or month in the right year is rule 100's finding, not
    a refusal); an LEA that is not a DfE LA code; a year or LA that disagrees with what the
    file's folder or name ``claims``; a year or LA other than ``expected_year``/``expected_la``."""
    line_year = header.lines.get("Year")
    line_lea = header.lines.get("LEA")
    if not spec.LOOKBACK_YEAR <= header.year <= spec.LAST_YEAR:
        raise CensusFileError(
            YEAR_OUT_OF_RANGE,
            f"The header <Year> is {header.year}; this pipeline accepts census years "
            f"{spec.LOOKBACK_YEAR} to {spec.LAST_YEAR} (the year in which the census ends on 31 March; "
            f"{spec.LOOKBACK_YEAR} only as the look-back for {spec.FIRST_YEAR} re-referrals). "
            "Correct the year and resubmit.",
            line_year,
        )
    _check_reference_date(header)
    if not re.fullmatch(r"\d{3}", header.la):
        raise CensusFileError(
            UNKNOWN_LA,
            f"The header <LEA> is '{header.lea_raw}'; it must be your 3-digit DfE local "
            "authority code (e.g. 330).",
            line_lea,
        )
    if header.la not in known_la_codes():
        raise CensusFileError(
            UNKNOWN_LA,
            f"The header <LEA> is '{header.la}', which is not a DfE local authority code. "
            "Put your own 3-digit LA code in <Header><Source><LEA> and resubmit.",
            line_lea,
        )
    _check_claims(header, claims)
    if expected_year is not None and header.year != int(expected_year):
        raise CensusFileError(
            YEAR_MISMATCH,
            f"The header <Year> is {header.year} but the file was submitted for census year "
            f"{expected_year}. Submit it for the right year, or correct the header.",
            line_year,
        )
    if expected_la is not None and header.la != str(expected_la).strip().zfill(3):
        raise CensusFileError(
            LA_MISMATCH,
            f"The header <LEA> is {header.la} but the file was submitted for LA {expected_la}. "
            "Submit it under the right LA, or correct the header.",
            line_lea,
        )


def _check_reference_date(header: Header) -> None:
    """A ``ReferenceDate`` in another year than ``Year`` leaves the year of the return in doubt:
    refuse it rather than guess (a wrong day or month in the right year is rule 100's finding)."""
    ref = header.reference_date_parsed
    if ref is None or ref.year == header.year:
        return
    raise CensusFileError(
        REFERENCE_DATE_MISMATCH,
        f"The header <Year> is {header.year} but <ReferenceDate> is {header.reference_date}, a date "
        f"in {ref.year}; the reference date of census year {header.year} is "
        f"{spec.reference_date(header.year).isoformat()}. The header names two different years, so "
        "the return cannot be filed under either.",
        header.lines.get("ReferenceDate"),
    )


def _check_claims(header: Header, claims: PathClaims) -> None:
    """The header must agree with the year folder and the LA file name the return was put under."""
    if claims.year is not None and claims.year != header.year:
        raise CensusFileError(
            FOLDER_YEAR_MISMATCH,
            f"The header <Year> is {header.year} but the file was put in the folder for census "
            f"year {claims.year}. It is not loaded under either year.",
            header.lines.get("Year"),
        )
    if claims.la is not None and claims.la != header.la:
        raise CensusFileError(
            FILE_NAME_LA_MISMATCH,
            f"The header <LEA> is {header.la} but the file is named after LA {claims.la}. It is "
            "not loaded under either LA.",
            header.lines.get("LEA"),
        )


# ------------------------------------------------------------------ records
def _new_batch() -> RawBatch:
    return {t: [] for t in RAW_COLUMNS}


def iter_batches(
    path: str | os.PathLike, batch_children: int = DEFAULT_BATCH_CHILDREN
) -> Iterator[RawBatch]:
    """Stream the ``<Child>`` records of a return as batches of raw rows (see :data:`RAW_COLUMNS`).

    Call :func:`read_header` first: this function assumes the prolog/root checks passed. Each
    ``<Child>`` is dropped from the tree once read, so memory stays flat whatever the file size.
    Episodes are numbered 1.. within each ``<Child>`` element; assessments, CIN plans, S47s and
    CPPs 1.. within their episode, reviews 1.. within their CPP.

    Raises :class:`CensusFileError` (``malformed_xml``, with the line) when the XML breaks.
    """
    batch = _new_batch()
    n = 0
    context = etree.iterparse(str(path), events=("end",), tag="Child", **_SAFE_PARSER_OPTIONS)
    try:
        for _event, ch in context:
            _read_child(ch, batch)
            n += 1
            ch.clear()
            parent = ch.getparent()
            if parent is not None:
                while ch.getprevious() is not None:
                    del parent[0]
            if n >= batch_children:
                yield batch
                batch = _new_batch()
                n = 0
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from None
    finally:
        del context
    if n or not any(batch.values()):
        yield batch


def _read_child(ch, batch: RawBatch) -> None:
    """Append the rows of one ``<Child>`` element to ``batch``."""
    ids = chars = None
    episodes = []
    for blk in ch:
        t = blk.tag
        if t == "ChildIdentifiers":
            ids = blk
        elif t == "ChildCharacteristics":
            chars = blk
        elif t == "CINdetails":
            episodes.append(blk)
    idv = {e.tag: e.text for e in ids} if ids is not None else {}
    raw_id = idv.get("LAchildID")
    cid = raw_id.strip().upper() if raw_id is not None else None
    if not cid:
        cid = None
    if "Sex" in idv:
        sex_el = "Sex"
    elif "GenderCurrent" in idv:
        sex_el = "GenderCurrent"
    else:
        sex_el = None
    ethnicity = None
    if chars is not None:
        dis_rows = batch["disability"]
        for e in chars:
            t = e.tag
            if t == "Ethnicity":
                ethnicity = e.text
            elif t == "Disabilities":
                for d in e:
                    if d.tag == "Disability":
                        dis_rows.append((cid, d.text, d.sourceline))
    g = idv.get
    batch["child"].append((
        cid, raw_id, g("UPN"), g("FormerUPN"), g("UPNunknown"), g("PersonBirthDate"),
        g("ExpectedPersonBirthDate"), sex_el, g(sex_el) if sex_el else None, g("PersonDeathDate"),
        ethnicity, 0 if ids is None else 1, ch.sourceline,
    ))
    if not episodes:
        return
    ep_rows = batch["episode"]
    as_rows = batch["assessment"]
    af_rows = batch["assessment_factor"]
    pl_rows = batch["cin_plan"]
    s47_rows = batch["section47"]
    cpp_rows = batch["cpp"]
    rv_rows = batch["cpp_review"]
    for seq, ep in enumerate(episodes, 1):
        d = {}
        a_seq = p_seq = s_seq = k_seq = 0
        for e in ep:
            t = e.tag
            if t == "Assessments":
                a_seq += 1
                av = {}
                for x in e:
                    if x.tag == "FactorsIdentifiedAtAssessment":
                        for f in x:
                            if f.tag == "AssessmentFactors":
                                af_rows.append((cid, seq, a_seq, f.text, f.sourceline))
                    else:
                        av[x.tag] = x.text
                as_rows.append((cid, seq, a_seq, av.get("AssessmentActualStartDate"),
                                av.get("AssessmentInternalReviewDate"),
                                av.get("AssessmentAuthorisationDate"), e.sourceline))
            elif t == "CINPlanDates":
                p_seq += 1
                pv = {x.tag: x.text for x in e}
                pl_rows.append((cid, seq, p_seq, pv.get("CINPlanStartDate"),
                                pv.get("CINPlanEndDate"), e.sourceline))
            elif t == "Section47":
                s_seq += 1
                sv = {x.tag: x.text for x in e}
                s47_rows.append((cid, seq, s_seq, sv.get("S47ActualStartDate"),
                                 sv.get("InitialCPCtarget"), sv.get("DateOfInitialCPC"),
                                 sv.get("ICPCnotRequired"), e.sourceline))
            elif t == "ChildProtectionPlans":
                k_seq += 1
                kv = {}
                empty_reviews = 0
                for x in e:
                    if x.tag == "Reviews":
                        r_seq = 0
                        for r in x:
                            if r.tag == "CPPreviewDate":
                                r_seq += 1
                                rv_rows.append((cid, seq, k_seq, r_seq, r.text, r.sourceline))
                        if r_seq == 0:
                            empty_reviews += 1
                    else:
                        kv[x.tag] = x.text
                cpp_rows.append((cid, seq, k_seq, kv.get("CPPstartDate"), kv.get("CPPendDate"),
                                 kv.get("InitialCategoryOfAbuse"), kv.get("LatestCategoryOfAbuse"),
                                 kv.get("NumberOfPreviousCPP"), empty_reviews, e.sourceline))
            else:
                d[t] = e.text
        ep_rows.append((cid, seq, d.get("CINreferralDate"), d.get("ReferralSource"),
                        d.get("PrimaryNeedCode"), d.get("CINclosureDate"),
                        d.get("ReasonForClosure"), d.get("DateOfInitialCPC"),
                        d.get("ReferralNFA"), ep.sourceline))
