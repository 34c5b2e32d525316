from tests.participation.conftest import file_report  # noqa: F401  (the same fixture for the cases opened by reports)
