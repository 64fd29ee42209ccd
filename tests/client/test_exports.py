"""The public names of the package resolve, and importing it loads only what a call needs."""

from __future__ import annotations

import ast
import subprocess
import sys

import twitter_api
import twitter_api.auth

from tests.conftest import ROOT


def test_every_exported_name_resolves() -> None:
    for module in (twitter_api, twitter_api.auth):
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{module.__name__}.{name}"
    assert twitter_api.StreamStallError.__mro__[1] is twitter_api.APITimeoutError
    assert issubclass(twitter_api.MediaUploadError, twitter_api.APIError)
    assert callable(twitter_api.expand)


def test_import_loads_no_helper_model_or_auth_module() -> None:
    code = (
        "import sys, twitter_api\n"
        "from twitter_api.auth import BearerToken\n"
        "c = twitter_api.Client(auth=BearerToken('t'))\n"
        "print(sorted(m for m in sys.modules if m.startswith('twitter_api.') or m == 'asyncio'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded = ast.literal_eval(result.stdout)
    assert "asyncio" not in loaded
    for lazy in (
        "_streaming",
        "_async_streaming",
        "_sync_streaming",
        "_pagination",
        "_async_pagination",
        "_sync_pagination",
        "_media",
        "_expansions",
        "_config",
        "auth._oauth2_pkce",
        "auth._rfc5849_oauth1",
        "auth._token_store",
        "auth._loopback",
    ):
        assert f"twitter_api.{lazy}" not in loaded, lazy
    assert not [m for m in loaded if m.startswith("twitter_api.models.")]
    assert "twitter_api.auth._bearer" in loaded
