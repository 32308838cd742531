"""Store every username NFKC-normalised, as sign-up and profile updates now do.

Login looks names up NFKC-normalised, so a name stored in a compatibility form (full-width
letters, say) would otherwise no longer find its account. A name whose normalised form is
already taken (a twin registered before this rule, in any letter case) is left as it is and
reported: an administrator must rename one of the two.
"""

import unicodedata

from django.db import migrations
from django.db.models.functions import Lower


def normalize_usernames(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.only("id", "username").iterator():
        normalized = unicodedata.normalize("NFKC", user.username)
        if normalized == user.username:
            continue
        taken = (
            User.objects.alias(name=Lower("username"))
            .filter(name=normalized.lower())
            .exclude(pk=user.pk)
            .exists()
        )
        if taken:
            print(f"\n  accounts: username {user.username!r} (id {user.pk}) not normalised: "
                  f"{normalized!r} is taken; rename one of them.")
            continue
        User.objects.filter(pk=user.pk).update(username=normalized)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_username_rule_for_every_regex_dialect"),
    ]

    operations = [
        migrations.RunPython(normalize_usernames, migrations.RunPython.noop, elidable=True),
    ]
