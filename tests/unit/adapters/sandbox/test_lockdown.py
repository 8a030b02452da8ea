import os

from vibetrading.adapters.sandbox import lockdown


def test_readable_by_others_public_system_directory_is_readable():
    assert lockdown._readable_by_others("/usr/bin")


def test_readable_by_others_private_directory_or_its_content_is_not(tmp_path):
    private = tmp_path / "private"
    private.mkdir()
    (private / "module.py").write_text("x = 1")
    private.chmod(0o700)

    assert not lockdown._readable_by_others(str(private))
    assert not lockdown._readable_by_others(str(private / "module.py"))


def test_install_paths_cover_the_interpreter_and_this_package():
    paths = lockdown._install_paths()

    package = os.path.dirname(os.path.dirname(os.path.dirname(lockdown.__file__)))
    assert package in paths
    assert any(path.endswith("site-packages") for path in paths)


def test_address_space_is_this_process_size_in_bytes():
    size = lockdown._address_space()

    assert size > 10 * 1024 * 1024
