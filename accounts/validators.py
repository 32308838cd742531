"""The username rule, stated once for the server and the OpenAPI schema alike.

Django's `^[\\w.@+-]+\\Z` means Unicode letters and digits in Python but ASCII only in JavaScript,
so a client validating with the schema's pattern refused real names. This rule is written as a
class of excluded characters, all literal (no `\\w`, `\\s` or `\\p{...}` shorthands, no `\\u`
escapes): ECMAScript with or without the `u` flag, Python, PCRE, Java and .NET read it alike.
It admits every name the old rule admitted.
"""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible

# Inclusive code point ranges a username may not contain: ASCII other than letters, digits and
# `_.@+-`; control characters; and the spaces and invisible format characters of the BMP (no
# astral ones: JavaScript without the `u` flag sees those as surrogate halves, so excluding them
# would not mean the same there). Hangul fillers stay allowed: they are letters to Python's `\w`.
EXCLUDED = [
    (0x00, 0x2A),  # controls, space, !"#$%&'()*
    (0x2C, 0x2C),  # ,
    (0x2F, 0x2F),  # /
    (0x3A, 0x3F),  # :;<=>?
    (0x5B, 0x5E),  # [\]^
    (0x60, 0x60),  # `
    (0x7B, 0xA0),  # {|}~, DEL, C1 controls, no-break space
    (0xAD, 0xAD),  # soft hyphen
    (0x34F, 0x34F),  # combining grapheme joiner
    (0x61C, 0x61C),  # Arabic letter mark
    (0x1680, 0x1680),  # Ogham space
    (0x180B, 0x180F),  # Mongolian variation selectors, vowel separator
    (0x2000, 0x200F),  # spaces, zero-width characters, direction marks
    (0x2028, 0x202F),  # line and paragraph separators, direction embeddings, narrow space
    (0x205F, 0x206F),  # medium space, word joiner, invisible operators, direction isolates
    (0x3000, 0x3000),  # ideographic space
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # byte order mark
    (0xFFF0, 0xFFFF),  # specials
]
_SPECIAL = {"\\", "]", "^", "-", "["}


def _char(code: int) -> str:
    char = chr(code)
    return "\\" + char if char in _SPECIAL else char


USERNAME_PATTERN = (
    "^[^" + "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in EXCLUDED) + "]+$"
)
USERNAME_RULE = (
    "150 characters or fewer: letters and digits of any script, and `_ . @ + -` (no spaces, "
    "other ASCII punctuation, control or invisible characters)."
)


@deconstructible
class UsernameValidator(RegexValidator):
    regex = USERNAME_PATTERN.removesuffix("$") + r"\Z"
    schema_pattern = USERNAME_PATTERN  # mcbackend.openapi puts it in the schema as written
    message = "Enter a valid username: " + USERNAME_RULE
    flags = 0

    def __call__(self, value: object) -> None:
        super().__call__(value)
        if isinstance(value, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ValidationError(self.message, code=self.code)  # not well-formed Unicode
