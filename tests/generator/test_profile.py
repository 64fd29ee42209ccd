"""The generator reads the auth profile's flow and scopes only, and checks them against the spec."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.conftest import FEATURES_SPEC, ROOT, run_sdkgen

PROFILE = """\
[twitter_api]
default_profile = "bot"

[twitter_api.profiles.bot]
flow = "pkce"
client_id = "abc"
client_secret = "literal-secret-never-read"
redirect_uri = "http://127.0.0.1:8976/callback"
scopes = [
    "item.read",
    "{scope}",
]
"""


def _generate(tmp_path: Path, scope: str) -> tuple[int, str, str, Path]:
    config = tmp_path / "Config.toml"
    config.write_text(PROFILE.format(scope=scope))
    out = tmp_path / "out"
    result = run_sdkgen(
        "generate", "--spec", str(FEATURES_SPEC), "--output", str(out), "--config", str(config)
    )
    return result.returncode, result.stdout, result.stderr, out


def test_unknown_scope_is_refused_with_its_position(tmp_path: Path) -> None:
    code, _, err, out = _generate(tmp_path, "item.raed")
    assert code == 2
    config = tmp_path / "Config.toml"
    assert err.strip() == (
        f"sdkgen: error: {config}:11:5: profile 'bot': unknown scope 'item.raed' "
        "(the spec defines: item.read, item.write, offline.access)"
    )
    assert not out.exists()


def test_scopes_missing_for_operations_are_reported(tmp_path: Path) -> None:
    code, stdout, err, out = _generate(tmp_path, "offline.access")
    assert code == 0, err
    assert "lacks scopes for 3 operation(s), e.g. createItem, deleteItem, uploadItemMedia" in err
    assert "user-context scopes these operations need: item.read item.write" in stdout
    example = tomllib.loads((out / "Config.example.toml").read_text())
    user = example["twitter_api"]["profiles"]["user"]
    assert user["scopes"] == ["item.read", "item.write", "offline.access"]
    # The literal secret of the profile never reaches the output.
    for path in out.rglob("*"):
        if path.is_file():
            assert b"literal-secret-never-read" not in path.read_bytes(), path


def test_example_config_documents_every_runtime_key() -> None:
    import twitter_api._config as config

    text = (ROOT / "generated" / "Config.example.toml").read_text()
    example = tomllib.loads(text)
    documented = set(example["twitter_api"])
    for profile in example["twitter_api"]["profiles"].values():
        documented |= set(profile)
    # Optional URL overrides are shown commented out.
    documented |= {k for k in ("authorize_url", "token_url", "revoke_url") if f"# {k} =" in text}
    assert set(config.MODULE_KEYS) <= documented
    assert set(config.PROFILE_KEYS) <= documented
    flows = {p["flow"] for p in example["twitter_api"]["profiles"].values()}
    assert flows == set(config.FLOWS)
