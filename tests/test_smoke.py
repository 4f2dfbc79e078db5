import btvq


def test_version():
    assert btvq.__version__.count(".") == 2
