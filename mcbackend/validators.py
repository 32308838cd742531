"""Input validators shared by the apps' serializers."""

from django.core.validators import RegexValidator

# For trimmed text inputs: whitespace alone is blank (DRF says so first). The OpenAPI schema
# gets the same rule as the field's `pattern`, so generated clients and the fuzzer know it; the
# class names what is space in Python (str.strip) and in ECMAScript regexes alike.
NOT_BLANK = RegexValidator(r"[^\s\x1c-\x1f\x85\ufeff]", "This field may not be blank.")
