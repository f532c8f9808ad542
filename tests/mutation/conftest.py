"""Registers the ``mutation`` marker (deselect the TF mutation suite with ``-m "not mutation"``)."""


def pytest_configure(config):  # type: ignore[no-untyped-def]
    config.addinivalue_line(
        "markers",
        "mutation: the TF-confirmed mutation suite (slow on a cold cache; deselect with -m 'not mutation')",
    )
