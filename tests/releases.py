"""Amparo's releases as recorded in docs/releases.json, and the commit of each (decision 0038).

A release is found by its tag (`v0.15.0`) when the clone has it, else by the commit recorded in
docs/releases.json: a CI clone may carry no tags, but a full clone of `main` has every commit.
A tag that points elsewhere than the record is an error, not a choice.

    .venv/bin/python -m tests.releases                # every release and its commit
    .venv/bin/python -m tests.releases 0.15.0         # the commit of one release
    .venv/bin/python -m tests.releases previous       # the newest recorded release
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RECORD = REPO / "docs" / "releases.json"
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


class ReleaseError(Exception):
    pass


@dataclass(frozen=True)
class Release:
    version: str
    date: str
    commit: str
    tag: str | None

    @property
    def key(self) -> tuple[int, int, int]:
        major, minor, patch = (int(part) for part in self.version.split("."))
        return major, minor, patch


def recorded(path: Path = RECORD) -> list[Release]:
    """Every recorded release, oldest first."""
    releases = [Release(**entry) for entry in json.loads(path.read_text())["releases"]]
    for release in releases:
        if not SEMVER.match(release.version):
            raise ReleaseError(f"{release.version} in {path.name} is not a version MAJOR.MINOR.PATCH")
        if not re.fullmatch(r"[0-9a-f]{40}", release.commit):
            raise ReleaseError(f"{release.version} in {path.name}: the commit must be a full 40-digit hash")
    return sorted(releases, key=lambda release: release.key)


def previous(path: Path = RECORD) -> Release:
    """The newest recorded release: the code in the checkout is that release or comes after it
    (a release is recorded in the commit after its tag, so it never lists itself)."""
    return recorded(path)[-1]


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False)


def commit_of(release: Release) -> str:
    """The release's commit, by its tag when present, else by the record; checked to exist."""
    if release.tag:
        tagged = _git("rev-parse", "--verify", "--quiet", f"refs/tags/{release.tag}^{{commit}}")
        if tagged.returncode == 0 and tagged.stdout.strip() != release.commit:
            raise ReleaseError(
                f"The tag {release.tag} points at {tagged.stdout.strip()[:12]}, but docs/releases.json records "
                f"{release.commit[:12]} for {release.version}: one of them is wrong; fix it before releasing."
            )
    if _git("cat-file", "-e", f"{release.commit}^{{commit}}").returncode != 0:
        shallow = _git("rev-parse", "--is-shallow-repository").stdout.strip() == "true"
        raise ReleaseError(
            f"The commit of release {release.version} ({release.commit[:12]}) is not in this clone"
            + (
                " because it is a shallow clone: run `git fetch --unshallow --tags` (CI must clone the full history)."
                if shallow
                else ": fetch the full history of main (`git fetch origin main --tags`)."
            )
        )
    return release.commit


def main(argv: list[str]) -> int:
    try:
        if len(argv) < 2:
            for release in recorded():
                print(release.version, release.date, commit_of(release), release.tag or "")
            return 0
        wanted = previous() if argv[1] == "previous" else next((r for r in recorded() if r.version == argv[1]), None)
        if wanted is None:
            print(f"No release {argv[1]} in docs/releases.json.", file=sys.stderr)
            return 1
        print(commit_of(wanted))
        return 0
    except ReleaseError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
