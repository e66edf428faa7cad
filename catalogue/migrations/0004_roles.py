"""The two editorial roles as groups with exact permissions.

The lists are frozen here, as a migration must be; tests/editorial/test_roles.py holds the
database to them. To change a role later, add a migration.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR = {
    "catalogue": {
        "casestudy": ["add", "change", "view", "submit"],
        "outcome": ["add", "change", "delete", "view"],
        "source": ["add", "change", "delete", "view"],
        "servicearea": ["view"],
    },
    "partnerships": {
        "council": ["add", "change", "view"],
        "organisation": ["add", "change", "view"],
        "partnership": ["add", "change", "view"],
        "membership": ["add", "change", "delete", "view"],
    },
}
PUBLISHER_EXTRA = {"catalogue": {"casestudy": ["publish", "unpublish", "archive"]}}


def codenames(spec):
    return [
        (app_label, f"{action}_{model}")
        for app_label, models in spec.items()
        for model, actions in models.items()
        for action in actions
    ]


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    assign_roles(apps, schema_editor)


def assign_roles(apps, schema_editor):
    """The groups and their permissions (which must exist already)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(pairs):
        return [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in pairs
        ]

    editor, _ = Group.objects.get_or_create(name="Editor")
    editor.permissions.set(permissions(codenames(EDITOR)))
    publisher, _ = Group.objects.get_or_create(name="Publisher")
    publisher.permissions.set(permissions(codenames(EDITOR) + codenames(PUBLISHER_EXTRA)))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editor", "Publisher"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("partnerships", "0001_initial"),
        ("catalogue", "0003_workflow"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
