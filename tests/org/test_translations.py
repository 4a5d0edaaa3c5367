"""The Japanese catalogue: every string a person reads, in the code and the templates, has a Japanese
translation that Django uses (not missing, not empty, not fuzzy, which gettext ignores)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

SOURCES = ("config", "org", "leads", "activities", "handoffs", "opportunities", "dashboards", "templates", "locale")
CATALOGUE = Path("locale") / "ja" / "LC_MESSAGES" / "django.po"


def untranslated(catalogue: str) -> list[str]:
    problems = []
    for block in catalogue.split("\n\n")[1:]:
        msgid = re.search(r'^msgid "(.*)"', block, re.M)
        if re.search(r"^#,.*\bfuzzy\b", block, re.M):
            problems.append(f"fuzzy: {block}")
        elif re.search(r'^msgstr(\[0\])? ""\Z', block.strip(), re.M) and msgid:
            problems.append(f"empty: {block}")
    return problems


def test_the_catalogue_holds_every_message_translated(tmp_path):
    """Extracts the messages again, into a copy of the project, as ``make messages`` would."""
    base = Path(settings.BASE_DIR)
    shutil.copy(base / "manage.py", tmp_path)
    for name in SOURCES:
        shutil.copytree(base / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ja", "--no-obsolete"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )

    assert untranslated((tmp_path / CATALOGUE).read_text(encoding="utf-8")) == []
