"""arXiv's category taxonomy: codes, official names, aliases, and matching what people type.

``CATEGORIES`` holds every current subject class as arXiv's taxonomy page lists it
(https://arxiv.org/category_taxonomy), alias codes included. ``ALIASES`` maps each alias to the code
arXiv treats as canonical. ``ARCHIVES`` holds the archive-level codes (``astro-ph``, ``cs``, ``math``…)
that still name a feed of the whole archive and still appear as categories on older papers.
``NAMES_ZH`` (from ``bot.taxonomy_zh``) holds a Simplified Chinese name for every one of them;
``name_of(code, language)`` gives a name in a chat's language, Traditional Chinese through OpenCC.

Everything here is pure: no I/O, no settings.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import opencc

from bot.errors import BadInput, UnknownCategory, clip
from bot.taxonomy_zh import NAMES_ZH

__all__ = [
    "ALIASES",
    "ARCHIVES",
    "CATEGORIES",
    "MAX_INPUT_LENGTH",
    "NAMES_ZH",
    "POPULAR",
    "name_of",
    "normalize",
    "parse_categories",
    "search",
    "suggest",
]

CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        # Astrophysics
        "astro-ph.CO": "Cosmology and Nongalactic Astrophysics",
        "astro-ph.EP": "Earth and Planetary Astrophysics",
        "astro-ph.GA": "Astrophysics of Galaxies",
        "astro-ph.HE": "High Energy Astrophysical Phenomena",
        "astro-ph.IM": "Instrumentation and Methods for Astrophysics",
        "astro-ph.SR": "Solar and Stellar Astrophysics",
        # Condensed Matter
        "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
        "cond-mat.mes-hall": "Mesoscale and Nanoscale Physics",
        "cond-mat.mtrl-sci": "Materials Science",
        "cond-mat.other": "Other Condensed Matter",
        "cond-mat.quant-gas": "Quantum Gases",
        "cond-mat.soft": "Soft Condensed Matter",
        "cond-mat.stat-mech": "Statistical Mechanics",
        "cond-mat.str-el": "Strongly Correlated Electrons",
        "cond-mat.supr-con": "Superconductivity",
        # Computer Science
        "cs.AI": "Artificial Intelligence",
        "cs.AR": "Hardware Architecture",
        "cs.CC": "Computational Complexity",
        "cs.CE": "Computational Engineering, Finance, and Science",
        "cs.CG": "Computational Geometry",
        "cs.CL": "Computation and Language",
        "cs.CR": "Cryptography and Security",
        "cs.CV": "Computer Vision and Pattern Recognition",
        "cs.CY": "Computers and Society",
        "cs.DB": "Databases",
        "cs.DC": "Distributed, Parallel, and Cluster Computing",
        "cs.DL": "Digital Libraries",
        "cs.DM": "Discrete Mathematics",
        "cs.DS": "Data Structures and Algorithms",
        "cs.ET": "Emerging Technologies",
        "cs.FL": "Formal Languages and Automata Theory",
        "cs.GL": "General Literature",
        "cs.GR": "Graphics",
        "cs.GT": "Computer Science and Game Theory",
        "cs.HC": "Human-Computer Interaction",
        "cs.IR": "Information Retrieval",
        "cs.IT": "Information Theory",
        "cs.LG": "Machine Learning",
        "cs.LO": "Logic in Computer Science",
        "cs.MA": "Multiagent Systems",
        "cs.MM": "Multimedia",
        "cs.MS": "Mathematical Software",
        "cs.NA": "Numerical Analysis",
        "cs.NE": "Neural and Evolutionary Computing",
        "cs.NI": "Networking and Internet Architecture",
        "cs.OH": "Other Computer Science",
        "cs.OS": "Operating Systems",
        "cs.PF": "Performance",
        "cs.PL": "Programming Languages",
        "cs.RO": "Robotics",
        "cs.SC": "Symbolic Computation",
        "cs.SD": "Sound",
        "cs.SE": "Software Engineering",
        "cs.SI": "Social and Information Networks",
        "cs.SY": "Systems and Control",
        # Economics
        "econ.EM": "Econometrics",
        "econ.GN": "General Economics",
        "econ.TH": "Theoretical Economics",
        # Electrical Engineering and Systems Science
        "eess.AS": "Audio and Speech Processing",
        "eess.IV": "Image and Video Processing",
        "eess.SP": "Signal Processing",
        "eess.SY": "Systems and Control",
        # Physics archives without subject classes
        "gr-qc": "General Relativity and Quantum Cosmology",
        "hep-ex": "High Energy Physics - Experiment",
        "hep-lat": "High Energy Physics - Lattice",
        "hep-ph": "High Energy Physics - Phenomenology",
        "hep-th": "High Energy Physics - Theory",
        "math-ph": "Mathematical Physics",
        # Mathematics
        "math.AC": "Commutative Algebra",
        "math.AG": "Algebraic Geometry",
        "math.AP": "Analysis of PDEs",
        "math.AT": "Algebraic Topology",
        "math.CA": "Classical Analysis and ODEs",
        "math.CO": "Combinatorics",
        "math.CT": "Category Theory",
        "math.CV": "Complex Variables",
        "math.DG": "Differential Geometry",
        "math.DS": "Dynamical Systems",
        "math.FA": "Functional Analysis",
        "math.GM": "General Mathematics",
        "math.GN": "General Topology",
        "math.GR": "Group Theory",
        "math.GT": "Geometric Topology",
        "math.HO": "History and Overview",
        "math.IT": "Information Theory",
        "math.KT": "K-Theory and Homology",
        "math.LO": "Logic",
        "math.MG": "Metric Geometry",
        "math.MP": "Mathematical Physics",
        "math.NA": "Numerical Analysis",
        "math.NT": "Number Theory",
        "math.OA": "Operator Algebras",
        "math.OC": "Optimization and Control",
        "math.PR": "Probability",
        "math.QA": "Quantum Algebra",
        "math.RA": "Rings and Algebras",
        "math.RT": "Representation Theory",
        "math.SG": "Symplectic Geometry",
        "math.SP": "Spectral Theory",
        "math.ST": "Statistics Theory",
        # Nonlinear Sciences
        "nlin.AO": "Adaptation and Self-Organizing Systems",
        "nlin.CD": "Chaotic Dynamics",
        "nlin.CG": "Cellular Automata and Lattice Gases",
        "nlin.PS": "Pattern Formation and Solitons",
        "nlin.SI": "Exactly Solvable and Integrable Systems",
        # Nuclear
        "nucl-ex": "Nuclear Experiment",
        "nucl-th": "Nuclear Theory",
        # Physics
        "physics.acc-ph": "Accelerator Physics",
        "physics.ao-ph": "Atmospheric and Oceanic Physics",
        "physics.app-ph": "Applied Physics",
        "physics.atm-clus": "Atomic and Molecular Clusters",
        "physics.atom-ph": "Atomic Physics",
        "physics.bio-ph": "Biological Physics",
        "physics.chem-ph": "Chemical Physics",
        "physics.class-ph": "Classical Physics",
        "physics.comp-ph": "Computational Physics",
        "physics.data-an": "Data Analysis, Statistics and Probability",
        "physics.ed-ph": "Physics Education",
        "physics.flu-dyn": "Fluid Dynamics",
        "physics.gen-ph": "General Physics",
        "physics.geo-ph": "Geophysics",
        "physics.hist-ph": "History and Philosophy of Physics",
        "physics.ins-det": "Instrumentation and Detectors",
        "physics.med-ph": "Medical Physics",
        "physics.optics": "Optics",
        "physics.plasm-ph": "Plasma Physics",
        "physics.pop-ph": "Popular Physics",
        "physics.soc-ph": "Physics and Society",
        "physics.space-ph": "Space Physics",
        # Quantitative Biology
        "q-bio.BM": "Biomolecules",
        "q-bio.CB": "Cell Behavior",
        "q-bio.GN": "Genomics",
        "q-bio.MN": "Molecular Networks",
        "q-bio.NC": "Neurons and Cognition",
        "q-bio.OT": "Other Quantitative Biology",
        "q-bio.PE": "Populations and Evolution",
        "q-bio.QM": "Quantitative Methods",
        "q-bio.SC": "Subcellular Processes",
        "q-bio.TO": "Tissues and Organs",
        # Quantitative Finance
        "q-fin.CP": "Computational Finance",
        "q-fin.EC": "Economics",
        "q-fin.GN": "General Finance",
        "q-fin.MF": "Mathematical Finance",
        "q-fin.PM": "Portfolio Management",
        "q-fin.PR": "Pricing of Securities",
        "q-fin.RM": "Risk Management",
        "q-fin.ST": "Statistical Finance",
        "q-fin.TR": "Trading and Market Microstructure",
        # Quantum Physics
        "quant-ph": "Quantum Physics",
        # Statistics
        "stat.AP": "Applications",
        "stat.CO": "Computation",
        "stat.ME": "Methodology",
        "stat.ML": "Machine Learning",
        "stat.OT": "Other Statistics",
        "stat.TH": "Statistics Theory",
    }
)

# Alias → canonical code, as arXiv's taxonomy page states them ("cs.NA is an alias for math.NA").
ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "cs.NA": "math.NA",
        "cs.SY": "eess.SY",
        "math.IT": "cs.IT",
        "math.MP": "math-ph",
        "q-fin.EC": "econ.GN",
        "stat.TH": "math.ST",
    }
)

# Archive-level codes: a feed of the whole archive, and the category of some older papers.
ARCHIVES: Mapping[str, str] = MappingProxyType(
    {
        "astro-ph": "Astrophysics",
        "cond-mat": "Condensed Matter",
        "cs": "Computer Science",
        "econ": "Economics",
        "eess": "Electrical Engineering and Systems Science",
        "math": "Mathematics",
        "nlin": "Nonlinear Sciences",
        "physics": "Physics",
        "q-bio": "Quantitative Biology",
        "q-fin": "Quantitative Finance",
        "stat": "Statistics",
    }
)

# Shown first by an empty search and preferred among equally good matches.
POPULAR: tuple[str, ...] = (
    "cs.AI",
    "cs.LG",
    "cs.CL",
    "cs.CV",
    "cs.DC",
    "stat.ML",
    "cs.RO",
    "cs.CR",
    "cs.SE",
    "quant-ph",
    "cs.IR",
    "cs.NI",
    "cs.HC",
    "cs.DS",
    "math.OC",
    "math.PR",
    "eess.SP",
    "eess.SY",
    "hep-th",
    "hep-ph",
    "cond-mat.mtrl-sci",
    "astro-ph.GA",
    "physics.optics",
    "econ.EM",
    "q-bio.NC",
)

# Only this many characters of any input take part in matching; longer input cannot be a code.
MAX_INPUT_LENGTH = 64

_SEPARATORS = re.compile(r"[\s,+]+")
_UNKNOWN_KEPT = 20
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_FUZZY_CUTOFF = 0.6

_KNOWN: dict[str, str] = {**CATEGORIES, **ARCHIVES}
_BY_LOWER: dict[str, str] = {code.lower(): code for code in _KNOWN}
_BY_COMPACT: dict[str, str] = {_NON_ALNUM.sub("", code.lower()): code for code in _KNOWN}
_LONGEST_CODE = max(len(code) for code in _KNOWN)
_LONGEST_NAME = max(len(name) for name in _KNOWN.values())
_POPULARITY: dict[str, int] = {code: rank for rank, code in enumerate(POPULAR)}
# Codes a search lists: every canonical category, then the archives.
_LISTED: tuple[str, ...] = tuple(
    sorted((code for code in CATEGORIES if code not in ALIASES), key=str.lower)
) + tuple(sorted(ARCHIVES))
_NAME_WORDS: dict[str, tuple[str, ...]] = {
    code: tuple(word for word in _NON_ALNUM.split(name.lower()) if word) for code, name in _KNOWN.items()
}
# Every spelling of a listed code, lower-cased: the code and its aliases.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    code: (code.lower(), *(alias.lower() for alias, target in ALIASES.items() if target == code))
    for code in _LISTED
}


def _words(text: str) -> list[str]:
    return [word for word in _NON_ALNUM.split(text.lower()) if word]


def _canonical(code: str) -> str:
    return ALIASES.get(code, code)


def _lookup(text: str) -> str | None:
    """The canonical code ``text`` names (case-insensitive), or None."""
    if not text or len(text) > _LONGEST_CODE or not text.isascii():
        return None
    code = _BY_LOWER.get(text.lower())
    return None if code is None else _canonical(code)


def _rank(code: str) -> tuple[int, str]:
    return _POPULARITY.get(_canonical(code), len(POPULAR)), code.lower()


def normalize(code: str) -> str:
    """The canonical form of a category code: ``cs.dc`` → ``cs.DC``, ``math.IT`` → ``cs.IT``.

    Raises UnknownCategory, with suggestions, for anything that is not an arXiv category.
    """
    text = code.strip()
    found = _lookup(text)
    if found is None:
        raise UnknownCategory(clip(text, 100), suggest(text))
    return found


# OpenCC configurations turning Simplified into Traditional characters, character by character
# (no change of vocabulary): Taiwan's standard forms, and Hong Kong's.
_TAIWAN = "s2tw.json"
_HONG_KONG = "s2hk.json"
_TRADITIONAL_BY_REGION: dict[str, str] = {"tw": _TAIWAN, "hk": _HONG_KONG, "mo": _HONG_KONG}
_SIMPLIFIED = ""
_LANGUAGE_SUBTAGS = re.compile(r"[-_]")


def _chinese_form(language: str) -> str | None:
    """How a language tag writes Chinese: None if it is not Chinese, ``_SIMPLIFIED``, or the OpenCC
    configuration that gives its Traditional characters.

    ``zh``, ``zh-CN``, ``zh-SG``, ``zh-Hans``, ``zh-Hans-TW`` → Simplified; ``zh-TW``, ``zh-Hant`` →
    Taiwan's forms; ``zh-HK``, ``zh-MO``, ``zh-Hant-HK`` → Hong Kong's (case and ``_`` do not matter).
    """
    subtags = _LANGUAGE_SUBTAGS.split(language.strip().lower()[:35])
    if subtags[0] != "zh":
        return None
    scripts = [tag for tag in subtags[1:] if len(tag) == 4 and tag.isalpha()]
    regions = [tag for tag in subtags[1:] if len(tag) == 2 and tag.isalpha()]
    region_form = _TRADITIONAL_BY_REGION.get(regions[0]) if regions else None
    if scripts and scripts[0] == "hans":
        return _SIMPLIFIED
    if scripts and scripts[0] == "hant":
        return region_form or _TAIWAN
    return region_form or _SIMPLIFIED


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@functools.cache
def _converted(name: str, config: str) -> str:
    """A name from ``NAMES_ZH`` in other characters (a bounded set, so every result is kept)."""
    return str(_converter(config).convert(name))


def _label(code: str, language: str) -> str:
    """The name of a known code in ``language``."""
    form = _chinese_form(language)
    if form is None:
        return _KNOWN[code]
    name = NAMES_ZH[code]
    return name if form == _SIMPLIFIED else _converted(name, form)


def name_of(code: str, language: str = "en") -> str:
    """The name of a category or archive (any accepted spelling of it) in a language.

    ``language`` is a BCP 47 tag as chats store it (``en``, ``zh``, ``zh-CN``, ``zh-TW``,
    ``zh-Hant``, ``zh_hk``…). Chinese in Simplified script gets ``NAMES_ZH``; Chinese in Traditional
    script gets the same names in Traditional characters (Taiwan's forms, or Hong Kong's for
    ``HK``/``MO``), converted by OpenCC; every other language gets arXiv's English name.
    Raises UnknownCategory for anything that is not an arXiv category.
    """
    return _label(normalize(code), language)


def _chinese_matches(text: str) -> list[str]:
    """Listed codes whose Chinese name contains every whitespace-separated part of ``text``.

    Traditional characters in ``text`` match too (converted to Simplified by OpenCC). Names equal
    to the text come first, then names starting with it, then the rest; popular ones lead in each.
    """
    if text.isascii():
        return []
    text = text.encode("utf-8", "ignore").decode("utf-8")  # drops lone surrogates OpenCC cannot take
    simplified = str(_converter("t2s.json").convert(text))
    spellings = {tuple(text.split()), tuple(simplified.split())} - {()}
    tiers: dict[str, int] = {}
    for code in _LISTED:
        name = NAMES_ZH[code]
        for parts in spellings:
            if all(part in name for part in parts):
                joined = "".join(parts)
                tier = 0 if name == joined else 1 if name.startswith(joined) else 2
                tiers[code] = min(tier, tiers.get(code, tier))
    return sorted(tiers, key=lambda code: (tiers[code], _rank(code)))


def _name_matches(words: list[str], archive: str | None) -> list[str]:
    """Codes whose name has, for every word typed, a word starting with it."""
    if not words or any(len(word) < 3 for word in words):
        return []
    found = []
    for code, name_words in _NAME_WORDS.items():
        if archive is not None and not code.lower().startswith(archive + "."):
            continue
        if all(any(name_word.startswith(word) for name_word in name_words) for word in words):
            found.append(code)
    return sorted(found, key=_rank)


def _fuzzy_matches(text: str, compact: str) -> list[str]:
    """Codes spelled closely to ``text``, best first."""
    scored: list[tuple[float, int, tuple[int, str], str]] = []
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(text)
    compact_matcher = difflib.SequenceMatcher(autojunk=False)
    compact_matcher.set_seq2(compact)
    for lower, code in _BY_LOWER.items():
        matcher.set_seq1(lower)
        score = matcher.ratio()
        if compact:
            compact_matcher.set_seq1(_NON_ALNUM.sub("", lower))
            score = max(score, compact_matcher.ratio())
        if score < _FUZZY_CUTOFF:
            continue
        shared = len(_common_prefix(lower, text))
        scored.append((-score, -shared, _rank(code), code))
    scored.sort()
    return [code for *_, code in scored]


def _common_prefix(a: str, b: str) -> str:
    for index, (left, right) in enumerate(zip(a, b, strict=False)):
        if left != right:
            return a[:index]
    return a if len(a) <= len(b) else b


def suggest(code: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` known codes close to ``code``, best first.

    Tries, in order: the code itself in any case; the same letters with other punctuation
    (``csDC``, ``cs-DC``); codes that start with it (``cs.D``); names with its words
    (``distributed``, ``cs.distributed``); Chinese names containing it (``机器学习``, ``視覺``);
    close spellings (``cs.DCC``).
    """
    if limit <= 0:
        return []
    text = code.strip()[:MAX_INPUT_LENGTH].lower()
    if not text:
        return []
    compact = _NON_ALNUM.sub("", text)

    candidates: list[str] = []
    exact = _BY_LOWER.get(text)
    if exact is not None:
        candidates.append(exact)
    same_letters = _BY_COMPACT.get(compact)
    if same_letters is not None:
        candidates.append(same_letters)
    candidates.extend(sorted((c for lower, c in _BY_LOWER.items() if lower.startswith(text)), key=_rank))

    archive, dot, rest = text.partition(".")
    if dot and archive in ARCHIVES:
        candidates.extend(_name_matches(_words(rest), archive))
    candidates.extend(_name_matches(_words(text), None))
    candidates.extend(_chinese_matches(text))
    candidates.extend(_fuzzy_matches(text, compact))

    chosen: list[str] = []
    seen: set[str] = set()
    for candidate in candidates:
        canonical = _canonical(candidate)
        if canonical in seen:
            continue
        seen.add(canonical)
        chosen.append(candidate)
        if len(chosen) == limit:
            break
    return chosen


def parse_categories(args: Sequence[str]) -> list[str]:
    """Canonical codes from command arguments, in the order given, without repeats.

    Each argument may hold several codes separated by spaces, commas or ``+``. Raises BadInput when
    there is none, and UnknownCategory (naming the first unknown one, with suggestions, and listing
    the others) when any is not an arXiv category.
    """
    found: list[str] = []
    seen: set[str] = set()
    unknown: list[str] = []
    unknown_count = 0
    any_token = False
    for arg in args:
        for token in _SEPARATORS.split(arg):
            if not token:
                continue
            any_token = True
            code = _lookup(token)
            if code is None:
                unknown_count += 1
                if len(unknown) < _UNKNOWN_KEPT:
                    unknown.append(clip(token, 100))
                continue
            if code not in seen:
                seen.add(code)
                found.append(code)
    if not any_token:
        raise BadInput("give at least one category, e.g. cs.DC")
    if unknown:
        first = unknown[0]
        raise UnknownCategory(first, suggest(first), unknown=unknown, unknown_count=unknown_count)
    return found


def _contains_at_boundary(code: str, text: str) -> bool:
    """Whether ``text`` occurs in ``code`` where a part of it begins (after ``.`` or ``-``)."""
    start = code.find(text)
    while start != -1:
        if start == 0 or code[start - 1] in ".-":
            return True
        start = code.find(text, start + 1)
    return False


def search(query: str, limit: int = 25, language: str = "en") -> list[tuple[str, str]]:
    """``(code, name)`` pairs for autocomplete, best first, each name in ``language`` (as ``name_of``).

    Codes starting with the query come first, then codes with a part starting with it (``hall`` →
    ``cond-mat.mes-hall``), then English names containing it (all case-insensitive), then Chinese
    names containing every space-separated part of it, in Simplified or Traditional characters
    (``机器学习`` → cs.LG, stat.ML; ``視覺`` → cs.CV); popular categories lead within each group. An
    empty query lists the popular categories, then every other one.
    """
    if limit <= 0:
        return []
    text = query.strip().lower()
    if not text:
        codes = list(POPULAR[:limit])
        if len(codes) < limit:
            codes.extend(code for code in _LISTED if code not in _POPULARITY)
        return [(code, _label(code, language)) for code in codes[:limit]]
    if len(text) > max(_LONGEST_CODE, _LONGEST_NAME):
        return []

    starts: list[str] = []
    contains: list[str] = []
    names: list[str] = []
    for code in _LISTED:
        spellings = _SPELLINGS[code]
        if any(spelling.startswith(text) for spelling in spellings):
            starts.append(code)
        elif any(_contains_at_boundary(spelling, text) for spelling in spellings):
            contains.append(code)
        elif text in _KNOWN[code].lower():
            names.append(code)
    ordered = [*sorted(starts, key=_rank), *sorted(contains, key=_rank), *sorted(names, key=_rank)]
    ordered.extend(code for code in _chinese_matches(text) if code not in ordered)
    return [(code, _label(code, language)) for code in ordered[:limit]]
