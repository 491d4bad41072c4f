"""Configuration comes from the environment; a bad value stops the start naming the variable."""

import os
import secrets
import subprocess
import sys

import pytest

GOOD_KEY = secrets.token_urlsafe(64)


def run_meridian(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        # The suite's own switches (e.g. DJANGO_ALLOW_ASYNC_UNSAFE for Playwright) are not
        # part of a deployment's environment.
        if not k.startswith(("MERIDIAN_", "DJANGO_"))
    }
    base["MERIDIAN_DATA_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "meridian.cli", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MERIDIAN_DEBUG", "maybe"),
        ("MERIDIAN_DATABASE_URL", "mysql://nobody@127.0.0.1/meridian"),
        ("MERIDIAN_REDIS_URL", "http://127.0.0.1:6379"),
        ("MERIDIAN_SECRET_KEY", "too-short"),
        ("MERIDIAN_EMAIL_URL", "carrier-pigeon://loft"),
        ("MERIDIAN_MAX_REQUEST_BYTES", "lots"),
        ("MERIDIAN_BASE_URL", "ftp://example.com"),
    ],
)
def test_bad_value_fails_at_start_naming_the_variable(tmp_path, variable, value):
    result = run_meridian(tmp_path, "check", **{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_secret_key_is_generated_into_the_data_dir_once_and_kept(tmp_path):
    assert run_meridian(tmp_path, "check").returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert run_meridian(tmp_path, "check").returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_production_mode_passes_the_deployment_checklist(tmp_path):
    result = run_meridian(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        MERIDIAN_HTTPS="true",
        MERIDIAN_SECRET_KEY=GOOD_KEY,
        MERIDIAN_ALLOWED_HOSTS="meridian.example.com",
        MERIDIAN_BASE_URL="https://meridian.example.com",
        MERIDIAN_EMAIL_URL="submission://meridian:pw@mail.example.com:587",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_mode_is_flagged_by_the_deployment_checklist(tmp_path):
    result = run_meridian(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS" in result.stderr + result.stdout
