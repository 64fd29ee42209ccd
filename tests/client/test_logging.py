"""TWITTER_API_LOG turns on logging under the package name; secrets never reach the output."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from twitter_api._logging import redact

from tests.conftest import ROOT
from tests.loopback import Loopback, scripted

SECRET = "AAAAsecret-bearer-value-1234"


def test_env_var_enables_debug_logs_without_secrets() -> None:
    code = textwrap.dedent(
        f"""
        import logging, sys, twitter_api
        from twitter_api.auth import BearerToken
        client = twitter_api.Client(auth=BearerToken({SECRET!r}), base_url=sys.argv[1])
        client.get_posts_by_id("20")
        logging.getLogger("twitter_api").debug(
            "echo Authorization: Bearer {SECRET} and access_token={SECRET}&x=1")
        """
    )
    steps = (
        lambda ex: ex.respond(503, {"title": "x"}, {"retry-after": "0"}),
        lambda ex: ex.respond(200, {"data": {}}),
    )
    with Loopback(scripted(*steps)) as server:
        result = subprocess.run(
            [sys.executable, "-c", code, server.url],
            env={**os.environ, "TWITTER_API_LOG": "debug"},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    err = result.stderr
    assert "twitter_api DEBUG GET /2/tweets/20 -> 503" in err
    assert "twitter_api INFO retrying GET /2/tweets/20 in 0.00s after status 503" in err
    assert "Bearer [redacted]" in err and "access_token=[redacted]&x=1" in err
    assert SECRET not in err and SECRET not in result.stdout


def test_logging_stays_off_without_the_env_var() -> None:
    code = "import logging, twitter_api; print(logging.getLogger('twitter_api').handlers)"
    env = {k: v for k, v in os.environ.items() if k != "TWITTER_API_LOG"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "[]"


def test_redact_covers_oauth_parameters_and_headers() -> None:
    text = (
        "code=abc123&state=s1 code_verifier=v-v_v client_secret=cs refresh_token=rt "
        '{"access_token": "at", "token_type": "bearer"} Authorization: Basic dXNlcjpwYXNz '
        'OAuth oauth_signature="sig%3D", oauth_token="tok"'
    )
    cleaned = redact(text)
    for secret in ("abc123", "v-v_v", "=cs", "=rt", '"at"', "dXNlcjpwYXNz", "sig%3D", '"tok"'):
        assert secret not in cleaned, secret
    assert "state=s1" in cleaned and '"token_type": "bearer"' in cleaned
