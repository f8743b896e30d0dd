#!/usr/bin/env python3
"""Checks the workspace's `rust-version` against what it is built with.

The floor a user reads in Cargo.toml must be one the locked dependencies allow: every
package the workspace members resolve to in Cargo.lock (normal, dev and build dependencies,
transitively, for every target) declares its own `rust-version`, and none may need more than
the workspace declares. The floor must also cover the code's own needs: the runtime uses
`std::task::Waker::noop` (Rust 1.85), so no floor below 1.85 is true.

Reads `cargo metadata --format-version 1 --locked` (the lock file must be up to date), and
exits 1 naming the crates that need more than the declared floor, with the path from a
workspace member to each. Python 3 standard library only.
"""

import json
import subprocess
import sys
from collections import deque

# What the code itself needs: `std::task::Waker::noop` is stable since 1.85 (associated type
# bounds in supertraits since 1.79, async fn in traits since 1.75).
CODE_FLOOR = (1, 85, 0)
CODE_NEEDS = "std::task::Waker::noop"

# Every kind of dependency a workspace member builds with: normal (null), dev and build.
KINDS = {None, "dev", "build"}


def parse(version):
    """`1.88` or `1.88.0` as a comparable (1, 88, 0)."""
    parts = [int(part) for part in version.strip().split(".")]
    return tuple((parts + [0, 0, 0])[:3])


def show(version):
    major, minor, patch = version
    return f"{major}.{minor}" if patch == 0 else f"{major}.{minor}.{patch}"


def metadata():
    try:
        out = subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            check=True,
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        ).stdout
    except subprocess.CalledProcessError as error:
        sys.exit(f"msrv: `cargo metadata --locked` failed (exit {error.returncode}): is Cargo.lock up to date?")
    return json.loads(out)


def closure(member, nodes):
    """Every package `member` resolves to, with the package that pulled each one in."""
    parent = {member: None}
    queue = deque([member])
    while queue:
        package = queue.popleft()
        for dep in nodes[package]["deps"]:
            kinds = {kind["kind"] for kind in dep.get("dep_kinds", [])} or {None}
            if not kinds & KINDS or dep["pkg"] in parent:
                continue
            parent[dep["pkg"]] = package
            queue.append(dep["pkg"])
    return parent


def chain(package, parent, packages):
    names = []
    while package is not None:
        names.append(f"{packages[package]['name']} {packages[package]['version']}")
        package = parent[package]
    return " <- ".join(names)


def main():
    meta = metadata()
    packages = {package["id"]: package for package in meta["packages"]}
    nodes = {node["id"]: node for node in meta["resolve"]["nodes"]}
    members = sorted(meta["workspace_members"], key=lambda id: packages[id]["name"])

    failures = []  # members that declare no floor, or one below the code's need
    too_new = {}  # package id -> (rust-version, [members], a chain from a member)
    highest = None  # (rust-version, package id) of the most demanding dependency
    floors = {}
    for member in members:
        name = packages[member]["name"]
        declared = packages[member].get("rust_version")
        if not declared:
            failures.append(f"{name} declares no rust-version (inherit the workspace's: `rust-version.workspace = true`)")
            continue
        declared = parse(declared)
        floors.setdefault(declared, []).append(name)
        if declared < CODE_FLOOR:
            failures.append(
                f"{name} declares rust-version {show(declared)}, below {show(CODE_FLOOR)}, "
                f"which the code needs ({CODE_NEEDS})"
            )
        parent = closure(member, nodes)
        for package in parent:
            if package in meta["workspace_members"]:
                continue
            needed = packages[package].get("rust_version")
            if not needed:
                continue
            needed = parse(needed)
            if highest is None or needed > highest[0]:
                highest = (needed, package)
            if needed > declared:
                entry = too_new.setdefault(package, (needed, [], chain(package, parent, packages)))
                entry[1].append(f"{name} ({show(declared)})")

    for package, (needed, names, path) in sorted(
        too_new.items(), key=lambda item: (tuple(-part for part in item[1][0]), packages[item[0]]["name"])
    ):
        failures.append(
            f"{packages[package]['name']} {packages[package]['version']} needs Rust {show(needed)}, "
            f"above the rust-version of {', '.join(names)}; via {path}"
        )

    for floor, names in sorted(floors.items()):
        print(f"declared rust-version {show(floor)}: {', '.join(names)}")
    if highest is not None:
        needed, package = highest
        print(
            f"highest rust-version among the locked dependencies: {show(needed)} "
            f"({packages[package]['name']} {packages[package]['version']})"
        )
    print(f"the code's own need: {show(CODE_FLOOR)} ({CODE_NEEDS})")

    if failures:
        sys.stdout.flush()
        print(f"\nrust-version floor check failed ({len(failures)}):", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        print(
            "\nRaise `rust-version` in Cargo.toml's [workspace.package], or lock an older "
            "version of the crate: `cargo update -p <crate> --precise <version>`.",
            file=sys.stderr,
        )
        return 1
    print("rust-version floor: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
