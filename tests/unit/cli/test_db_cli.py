from typer.testing import CliRunner

from vibetrading.adapters.store.db import head_revision
from vibetrading.cli.main import app

runner = CliRunner()


def test_db_current_then_upgrade_then_current(isolated_home):
    before = runner.invoke(app, ["db", "current"], catch_exceptions=False)
    upgraded = runner.invoke(app, ["db", "upgrade"], catch_exceptions=False)
    after = runner.invoke(app, ["db", "current"], catch_exceptions=False)

    assert before.exit_code == 0
    assert "revision (none)" in before.output
    assert "vibetrading db upgrade" in before.output
    assert f"revision {head_revision()}" in upgraded.output
    assert str(isolated_home) in upgraded.output
    assert "up to date" in after.output


def test_db_upgrade_masks_the_password(monkeypatch):
    monkeypatch.setenv("VIBETRADING_DATABASE_URL", "mysql://u:s3cret@h/db")
    from vibetrading.settings import get_settings

    get_settings.cache_clear()

    result = runner.invoke(app, ["db", "upgrade"])

    assert result.exit_code != 0
    assert "s3cret" not in result.output
