"""Packages of the wheel (the rest of the build configuration is in pyproject.toml)."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["survey_app*", "scoring*", "forms*"]),
        "survey_app.migrations",
        "survey_app.migrations.versions",
    ],
    package_dir={"survey_app.migrations": "migrations"},
)
