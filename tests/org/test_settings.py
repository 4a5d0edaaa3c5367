"""Settings read the environment once, default to a Japanese company, and are fit to deploy."""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BASE_SETTINGS = PROJECT_ROOT / "config" / "settings" / "base.py"


def base_settings(monkeypatch, **env) -> dict:
    """config/settings/base.py evaluated afresh under ``env`` (the settings in use stay untouched)."""
    for name in ("LANGUAGE_CODE", "TIME_ZONE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_SETTINGS))


def test_a_japanese_company_by_default(monkeypatch):
    settings = base_settings(monkeypatch)

    assert (settings["LANGUAGE_CODE"], settings["TIME_ZONE"]) == ("ja", "Asia/Tokyo")
    assert [code for code, _name in settings["LANGUAGES"]] == ["ja", "en"]
    assert (settings["USE_I18N"], settings["USE_TZ"], settings["FIRST_DAY_OF_WEEK"]) == (True, True, 1)


def test_language_and_time_zone_come_from_the_environment(monkeypatch):
    settings = base_settings(monkeypatch, LANGUAGE_CODE="en", TIME_ZONE="UTC")

    assert (settings["LANGUAGE_CODE"], settings["TIME_ZONE"], settings["CELERY_TIMEZONE"]) == ("en", "UTC", "UTC")


def production_env(tmp_path, **env) -> dict[str, str]:
    """Only what production is given: nothing leaks in from the test run (e.g. the browser tests'
    DJANGO_ALLOW_ASYNC_UNSAFE)."""
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "ALLOWED_HOSTS": "example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
        **env,
    }


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_ROOT,
        env=production_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(45)),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT_ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_static_files_collect_with_the_production_storage(tmp_path):
    """What a deployment runs first (the Dockerfile's collectstatic): the manifest storage follows every
    url() and sourceMappingURL in the files, and one pointing at a file that is not there stops it."""
    (tmp_path / "collect_settings.py").write_text(
        "from config.settings.production import *  # noqa: F403\n"
        f"STATIC_ROOT = {str(tmp_path / 'static')!r}\n"
        # The manifest pass is what breaks on a missing reference; compressing every file is not needed for it.
        'STORAGES = {**STORAGES, "staticfiles": {"BACKEND": '
        '"django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}\n'
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=PROJECT_ROOT,
        env={
            **production_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(45)),
            "DJANGO_SETTINGS_MODULE": "collect_settings",
            "PYTHONPATH": f"{tmp_path}{os.pathsep}{PROJECT_ROOT}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "vendor/chartjs/chart-4.6.1.umd.min.js" in manifest
