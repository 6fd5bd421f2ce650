#!/usr/bin/env python3
"""Checks of the deployment files that need no Docker engine: docker-compose.yml, Dockerfile,
.env.example and the ignore files. Run by .ci/run; exits non-zero naming every problem."""

import re
import sys
from pathlib import Path

import yaml

root = Path(__file__).resolve().parent.parent
problems = []


def check(ok, message):
    if not ok:
        problems.append(message)


def pinned(image):
    """An image pinned to a release: a tag with at least major.minor, never latest."""
    if "@sha256:" in image:
        return True
    name, _, tag = image.rpartition(":")
    return bool(name) and re.match(r"^\d+\.\d+", tag) is not None


readme = (root / "README.md").read_text()
settings = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", readme, re.M))
check("BINOME_BASE_URL" in settings, "README: no Settings table found")

# docker-compose.yml
compose = yaml.safe_load((root / "docker-compose.yml").read_text())
services = compose.get("services", {})
check({"db", "binome"} <= set(services), "compose: services db and binome expected")
for name, svc in services.items():
    image = svc.get("image", "")
    if name != "binome":
        check(pinned(image), f"compose: {name}'s image {image!r} is not pinned to a release")
    hc = svc.get("healthcheck", {}).get("test", [])
    flat = " ".join(hc) if isinstance(hc, list) else str(hc)
    check("/dev/tcp" not in flat, f"compose: {name}'s healthcheck uses bash's /dev/tcp")
    for port in svc.get("ports", []):
        published = str(port).rsplit(":", 1)[0]
        check(
            published.startswith("127.0.0.1:") or ":-127.0.0.1:" in published,
            f"compose: {name} publishes {port!r} on every interface by default",
        )
    env = svc.get("environment", {}) or {}
    items = env.items() if isinstance(env, dict) else (e.split("=", 1) for e in env)
    for key, value in items:
        value = str(value)
        if "PASSWORD" in key or "://" in value and "@" in value:
            check("${" in value, f"compose: {name}.{key} holds a secret written in the file")
binome = services.get("binome", {})
check(binome.get("healthcheck", {}).get("test") == ["CMD", "binome", "health"],
      "compose: binome's healthcheck must be [CMD, binome, health]")
env_files = binome.get("env_file", [])
env_files = [env_files] if isinstance(env_files, (str, dict)) else env_files
check(any((e if isinstance(e, str) else e.get("path")) == ".env" for e in env_files),
      "compose: binome must read its settings and secrets from env_file .env")
check(any(str(v).endswith(":/var/lib/binome/data") for v in binome.get("volumes", [])),
      "compose: binome's data folder needs a volume")

# .env.example: every BINOME_* it names is a setting (an unknown one stops Binôme).
example = (root / ".env.example").read_text()
for var in set(re.findall(r"\b(BINOME_[A-Z0-9_]+)=", example)):
    check(var in settings, f".env.example: {var} is not a setting (Binôme would refuse to start)")
check("POSTGRES_PASSWORD=" in example, ".env.example: POSTGRES_PASSWORD expected")
for ignore in [".gitignore", ".dockerignore"]:
    lines = (root / ignore).read_text().split()
    check(".env" in lines, f"{ignore}: .env must be ignored")

# Dockerfile
docker = (root / "Dockerfile").read_text()
for image in re.findall(r"^FROM\s+(\S+)", docker, re.M):
    check(pinned(image), f"Dockerfile: {image!r} is not pinned to a release")
builds = re.findall(r"cargo build[^\n;&]*", docker)
check(builds and all("--locked" in b for b in builds), "Dockerfile: every cargo build needs --locked")
check(len(builds) >= 2, "Dockerfile: a dependency layer (a first build on the manifests) is expected")
check(re.search(r"^HEALTHCHECK .*binome.*health", docker, re.M) is not None,
      "Dockerfile: HEALTHCHECK with binome health expected")
check(re.search(r"^VOLUME .*/var/lib/binome/data", docker, re.M) is not None,
      "Dockerfile: the data folder needs a VOLUME")
# The dependency layer's stand-ins cover every target Cargo.toml declares.
manifest = (root / "Cargo.toml").read_text()
for path in re.findall(r'^path = "([^"]+)"', manifest, re.M):
    stem = Path(path).stem
    check(path in docker or (path.startswith("benches/") and stem in docker),
          f"Dockerfile: the dependency layer lacks a stand-in for {path}")

if problems:
    for p in problems:
        print(f"deploy lint: {p}", file=sys.stderr)
    sys.exit(1)
print("deploy lint: docker-compose.yml, Dockerfile, .env.example ok")
