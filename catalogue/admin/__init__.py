"""The editors' admin for case studies: declarations in case_studies.py, the rest in small modules.

- forms.py: the change form (workflow and edit-conflict rules) and the import forms
- history_views.py: history, one version against another, restore
- import_views.py: the spreadsheet import (upload, dry run, confirm)
- parts.py: outcomes and sources, inline and on their own pages, kept off published case studies
- revision_views.py: a published case study's pending changes (start, compare, publish, discard)
- workflow_actions.py: submit, publish, unpublish, archive, mark checked
"""

from . import case_studies  # noqa: F401  (registers the model admins)
