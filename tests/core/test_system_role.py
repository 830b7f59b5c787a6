"""The system prompt's role: validated in the parameters and the config, sent first, and stored with them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from toki_tui.core.api.params import ChatParams, ParameterError
from toki_tui.core.config.config_file import load_config, parameters_for_endpoint, with_endpoint
from toki_tui.core.config.in_place_save import save_config
from toki_tui.core.errors import ConfigError


def test_the_role_is_validated_stored_and_never_a_body_field() -> None:
    params = ChatParams.create(system_role="Developer")
    assert params.system_role == "developer"
    assert params.to_record() == {"system_role": "developer"}
    assert ChatParams.from_record(params.to_record()) == params
    assert "system_role" not in params.to_wire()
    with pytest.raises(ParameterError, match="system or developer"):
        ChatParams.create(system_role="admin")


def test_the_config_takes_a_role_per_endpoint_and_names_a_bad_one(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[endpoints.work]\nbase_url = "https://api.example.com/v1"\nsystem_role = "developer"\n')
    config = load_config(path)
    assert parameters_for_endpoint(config, "work").system_role == "developer"
    assert parameters_for_endpoint(config, "toki").system_role == "system"
    path.write_text('[endpoints.work]\nbase_url = "https://api.example.com/v1"\nsystem_role = "admin"\n')
    with pytest.raises(ConfigError, match=r"endpoints\.work\.system_role.*developer"):
        load_config(path)


def test_saving_the_config_keeps_and_writes_an_endpoints_role(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[endpoints.work]\nbase_url = "https://api.example.com/v1"\nsystem_role = "developer"\n')
    config = load_config(path)
    save_config(with_endpoint(config, dataclasses.replace(config.endpoints["work"], models=("m",))), path)
    assert load_config(path).endpoints["work"].system_role == "developer"
    config = load_config(path)
    save_config(with_endpoint(config, dataclasses.replace(config.endpoints["work"], system_role="system")), path)
    assert load_config(path).endpoints["work"].system_role == "system"
