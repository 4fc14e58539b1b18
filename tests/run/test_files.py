"""Which files a folder walk reads."""

from __future__ import annotations

from pathlib import Path

from paramlint.run.files import collect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_a_virtual_environment_under_any_name_is_not_walked(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.yaml").write_text((FIXTURES / "lenet5.yaml").read_text())
    env = tmp_path / ".venv-peers" / "lib" / "site-packages" / "onnx" / "test"
    env.mkdir(parents=True)
    (tmp_path / ".venv-peers" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (env / "model.onnx").write_bytes(b"\x08\x07")
    found = collect([str(tmp_path)])
    assert [Path(p).relative_to(tmp_path).as_posix() for p in found] == ["models/net.yaml"]


def test_a_folder_named_like_an_environment_without_pyvenv_cfg_is_walked(tmp_path):
    (tmp_path / "env-models").mkdir()
    (tmp_path / "env-models" / "net.yaml").write_text((FIXTURES / "lenet5.yaml").read_text())
    assert len(collect([str(tmp_path)])) == 1
