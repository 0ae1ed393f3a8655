"""Cases the fuzz harness (tests/fuzz) found ending in an internal error (exit 4), now exit 3."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import cli, init_repo, write_files


def test_a_name_too_long_for_a_file_system_is_a_config_error(tmp_path: Path) -> None:
    # config-0-995: a guideline named with ~5,000 characters hit OSError ENAMETOOLONG.
    root = init_repo(tmp_path / "proj", git=False)
    manifest = (root / "datasets/example/dataset.yaml").read_text(encoding="utf-8")
    long_name = "g" * 5000
    write_files(
        root,
        {
            "datasets/example/dataset.yaml": manifest.replace(
                "guideline: review_sentiment", f"guideline: {long_name}"
            )
        },
    )
    done = cli("check", str(root))
    assert done.returncode == 3, done.stderr
    assert "5000 characters long; a name has at most 128" in done.stderr


def test_run_with_a_pipeline_file_gone_is_a_config_error(tmp_path: Path) -> None:
    # config-0-4849: `labelgate run` with pipelines/default.yaml deleted raised FileNotFoundError.
    root = init_repo(tmp_path / "proj", git=False)
    (root / "pipelines/default.yaml").unlink()
    done = cli("run", "-C", str(root))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "internal error" not in done.stderr
    assert "pipelines/default.yaml" in done.stderr
