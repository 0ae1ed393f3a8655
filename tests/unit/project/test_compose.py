"""`conf/` composed by Hydra, validated by pydantic, written byte-stable to params.yaml."""

from __future__ import annotations

import pytest

from labelgate.errors import ConfigError
from labelgate.project.compose import compose_conf, params_text, stale_params, write_params
from tests.conftest import ProjectFactory


def test_overrides_are_applied_and_validated(make_project: ProjectFactory) -> None:
    root = make_project()
    params = compose_conf(root, ["datasets=[example,other]"])
    assert params.datasets == ["example", "other"]
    with pytest.raises(
        ConfigError,
        match=r"conf/config.yaml:12:1: datasets: List should have at least 1 item after validation, not 0",
    ):
        compose_conf(root, ["datasets=[]"])


def test_unknown_key_via_override_is_refused(make_project: ProjectFactory) -> None:
    root = make_project()
    with pytest.raises(ConfigError, match=r"Hydra could not compose the configuration: .*datasts"):
        compose_conf(root, ["datasts=[x]"])
    with pytest.raises(ConfigError, match=r"unknown key 'datasts'. Did you mean 'datasets'\?"):
        compose_conf(root, ["+datasts=[x]"])


def test_knobs_nothing_reads_are_gone(make_project: ProjectFactory) -> None:
    # A top-level `workers` was accepted but read by no stage: refused. (engine.chunk_rows,
    # once refused for the same reason, is now read by ingest.)
    root = make_project()
    with pytest.raises(ConfigError, match=r"unknown key 'workers'"):
        compose_conf(root, ["+workers=2"])
    with pytest.raises(ConfigError, match=r"engine.chunk_size: unknown key 'chunk_size'"):
        compose_conf(root, ["+engine.chunk_size=5000"])
    engine = compose_conf(root).engine
    assert (engine.name, engine.partition_rows, engine.chunk_rows) == (
        "local",
        2_000_000,
        1_000_000,
    )


def test_engine_group_switches_to_dask_with_the_same_partitions(
    make_project: ProjectFactory,
) -> None:
    root = make_project()
    engine = compose_conf(root, ["engine=dask"]).engine
    assert (engine.name, engine.address, engine.partition_rows) == ("dask", None, 2_000_000)
    with pytest.raises(ConfigError, match=r"engine\.name"):
        compose_conf(root, ["engine.name=spark"])


def test_local_overrides_are_optional_and_merge_globally(make_project: ProjectFactory) -> None:
    root = make_project(
        {"conf/local/default.yaml": "# @package _global_\ndatasets: [example, other]\n"}
    )
    assert compose_conf(root).datasets == ["example", "other"]


def test_render_is_deterministic_and_check_detects_staleness(make_project: ProjectFactory) -> None:
    root = make_project()
    assert stale_params(root) is None  # init composed it
    text = (root / "params.yaml").read_text(encoding="utf-8")
    assert params_text(root) == text
    assert "dataset_files:\n  example:\n    dir: datasets/example\n" in text
    path, changed = write_params(root)
    assert not changed
    assert path.read_text(encoding="utf-8") == text
    problem = stale_params(root, ["datasets=[example,other]"])
    assert problem is not None
    assert "params.yaml is stale" in problem.render()


def test_bad_group_choice(make_project: ProjectFactory) -> None:
    root = make_project()
    with pytest.raises(ConfigError, match=r"Hydra could not compose.*engine"):
        compose_conf(root, ["engine=spark"])


def test_duplicate_keys_in_conf_are_found_before_hydra(make_project: ProjectFactory) -> None:
    root = make_project({"conf/config.yaml": "defaults: []\nkind: conf\nkind: conf\n"})
    with pytest.raises(ConfigError, match=r"conf/config.yaml:3:1: kind: duplicate key 'kind'"):
        compose_conf(root)


def test_group_files_get_the_safe_loaders_limits_before_hydra(make_project: ProjectFactory) -> None:
    # Hydra reads conf/ groups itself; a NUL or an alias bomb there must be exit 3, not a crash.
    root = make_project({"conf/engine/local.yaml": "name: lo\x00cal\n"})
    with pytest.raises(
        ConfigError, match=r"conf/engine/local.yaml:1:9: U\+0000 \(NUL\) is not allowed"
    ):
        compose_conf(root)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    root = make_project({"conf/engine/local.yaml": bomb}, name="bomb")
    with pytest.raises(ConfigError, match=r"conf/engine/local.yaml:\d+:\d+: .*alias"):
        compose_conf(root)


def test_a_group_file_that_is_not_a_mapping_is_a_config_error(make_project: ProjectFactory) -> None:
    root = make_project({"conf/engine/local.yaml": "- name\n- local\n"})
    with pytest.raises(ConfigError, match=r"engine: Input should be a valid dictionary"):
        compose_conf(root)


def test_conf_files_larger_than_run_settings_need_are_refused_before_hydra(
    make_project: ProjectFactory,
) -> None:
    # Hydra and OmegaConf reread conf/ in pure Python: 256 KiB took them 8 s; 32 KiB is refused.
    from labelgate.config.yaml_loader import MAX_CONF_BYTES

    padding = "".join(f"# {i:08d} padding\n" for i in range(MAX_CONF_BYTES // 18 + 1))
    root = make_project({"conf/engine/local.yaml": "name: local\n" + padding})
    with pytest.raises(
        ConfigError, match=r"conf/engine/local.yaml: the file is too large .* is 32,768 bytes"
    ):
        compose_conf(root)
