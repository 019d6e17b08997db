from .celery import app as celery_app

#: Amparo's version (semantic versioning), the one place it is written: pyproject.toml reads it
#: (`[tool.setuptools.dynamic]`), the staff footer, `/metrics` and backup manifests show it.
#: Between releases it stays at the last release; CHANGELOG.md's "Unreleased" says what changed
#: since (docs/deployment.md, "Releases").
__version__ = "0.16.0"

__all__ = ["__version__", "celery_app"]
