"""Title text helpers shared by the importers, the services and search."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_YEAR = re.compile(r"\s*\((\d{4})(?:[-\u2013]\d{0,4})?\)\s*$")
_TRAILING_ARTICLE = re.compile(
    r"^(?P<rest>.+), (?P<article>The|A|An|Les|La|Le|L'|Il|Das|Der|Die|El|Los|Las)"
    r"(?P<tail>\s*\(.*\))?$"
)


def normalize_title(text: str) -> str:
    """Lowercase, accents stripped, whitespace collapsed: 'Amélie ' -> 'amelie'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def movielens_display_title(raw: str) -> str:
    """'Matrix, The (1999)' -> 'The Matrix': drop the year, move a trailing article to the front."""
    title = _YEAR.sub("", raw.strip())
    match = _TRAILING_ARTICLE.match(title)
    if match:
        tail = match.group("tail") or ""
        article = match.group("article")
        sep = "" if article.endswith("'") else " "
        title = f"{article}{sep}{match.group('rest')}{tail}"
    return title.strip() or raw.strip()
