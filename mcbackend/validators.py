"""Input validators shared by the apps' serializers."""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

# For trimmed text inputs: whitespace alone is blank (DRF says so first). The OpenAPI schema
# gets the same rule as the field's `pattern`, so generated clients and the fuzzer know it; the
# class names what is space in Python (str.strip) and in ECMAScript regexes alike.
NOT_BLANK = RegexValidator(r"[^\s\x1c-\x1f\x85\ufeff]", "This field may not be blank.")

# The same rule for the schema, with DRF's ban on NUL folded in: no NUL anywhere and at least one
# character that is neither space nor NUL. (JSON Schema takes one `pattern` per string.)
NOT_BLANK_SCHEMA_PATTERN = "^[^\\u0000]*[^\\s\\u001c-\\u001f\\u0085\\ufeff\\u0000][^\\u0000]*$"


# Unicode categories that show nothing by themselves: marks, format characters (zero-width,
# direction controls, byte order mark), separators and controls.
_INVISIBLE_CATEGORIES = frozenset({"Mn", "Mc", "Me", "Cf", "Zs", "Zl", "Zp", "Cc"})


def has_visible_character(value: str) -> None:
    """Search terms need one character that is not a mark, space or invisible (after NFKC).

    Search ignores accents, so a term of combining marks alone (`?title=%CC%81`) matched every
    title; one of invisible format characters or variation selectors matched nothing useful.
    """
    normalized = unicodedata.normalize("NFKC", value)
    if all(unicodedata.category(c) in _INVISIBLE_CATEGORIES for c in normalized):
        raise ValidationError(
            "Must contain more than accents, spaces or invisible characters.",
            code="no_visible_character",
        )
