"""Configuration comes from the environment; a bad value stops the start naming the variable."""

import os
import secrets
import subprocess
import sys

import pytest

from meridian.cli import serve_env

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
        ("MERIDIAN_LOGIN_RATE_LIMIT", "lots"),
        ("MERIDIAN_LOGIN_RATE_LIMIT", "10/m/ip,5/5x/key"),
        ("MERIDIAN_LOGIN_RATE_LIMIT", "10/m/everyone"),
        ("MERIDIAN_WORKER_LEASE_SECONDS", "10"),
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


def test_a_well_formed_login_rate_limit_is_accepted(tmp_path):
    result = run_meridian(
        tmp_path, "check", MERIDIAN_LOGIN_RATE_LIMIT="20/m/ip, 3/10m/key,100/1.5h"
    )
    assert result.returncode == 0, result.stderr


def test_deployment_checklist_flags_an_http_base_url_under_https(tmp_path):
    result = run_meridian(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        MERIDIAN_HTTPS="true",
        MERIDIAN_SECRET_KEY=GOOD_KEY,
        MERIDIAN_ALLOWED_HOSTS="meridian.example.com",
        MERIDIAN_BASE_URL="http://meridian.example.com",
        MERIDIAN_EMAIL_URL="submission://meridian:pw@mail.example.com:587",
    )
    assert result.returncode != 0
    assert "meridian.W001" in result.stderr + result.stdout
    assert "MERIDIAN_BASE_URL" in result.stderr + result.stdout


# Builds an invitation in a new (migrated, empty) database and prints the email the worker
# would send.
INVITE_SCRIPT = """
from meridian.accounts.services import user_create
from meridian.workspaces.services import invitation_create, workspace_create
from meridian.workspaces.tasks import invitation_email_send
ada = user_create(email="ada@example.com", password="a long enough password 1")
ws = workspace_create(user=ada, name="Kestrel Labs")
invitation, _ = invitation_create(acting=ws.memberships.get(), email="bo@example.com")
invitation_email_send.call(invitation_id=invitation.pk)
"""


def _invitation_email(tmp_path, **env: str) -> str:
    assert run_meridian(tmp_path, "migrate", "-v", "0", **env).returncode == 0
    result = run_meridian(
        tmp_path, "shell", "-c", INVITE_SCRIPT, MERIDIAN_EMAIL_URL="console:", **env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_invitation_email_links_to_the_port_the_server_runs_on(migrated_data_dir):
    # `meridian serve --port 8101` hands its processes this environment.
    env = serve_env({}, host="127.0.0.1", port=8101)
    del env["DJANGO_SETTINGS_MODULE"]
    mail = _invitation_email(migrated_data_dir, **env)
    assert "Accept the invitation: http://127.0.0.1:8101/invitations/" in mail


def test_an_explicit_base_url_wins_over_the_port(migrated_data_dir):
    mail = _invitation_email(
        migrated_data_dir, MERIDIAN_PORT="8101", MERIDIAN_BASE_URL="https://meridian.example.com/"
    )
    assert "Accept the invitation: https://meridian.example.com/invitations/" in mail
