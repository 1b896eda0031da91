#!/usr/bin/env python3
"""Validate an SBOM against the official JSON schema kept in tests/data/schemas.

usage: validate_sbom.py cyclonedx|spdx FILE
Exit 0 when valid; 1 with one line per error otherwise; 3 when the python
jsonschema/referencing modules are missing (callers skip with that reason).
`format` is enforced (FORMAT_CHECKER, plus a strict "uri" check since
python-jsonschema only checks it when optional modules are installed)."""
import json
import os
import re
import sys

try:
    from jsonschema.validators import validator_for
    from referencing import Registry, Resource
except ImportError as e:  # pragma: no cover
    print(f"python jsonschema/referencing not available: {e}")
    sys.exit(3)

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "..", "data", "schemas")


def load(*parts):
    with open(os.path.join(SCHEMAS, *parts), encoding="utf-8") as f:
        return json.load(f)


URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")


def checker(cls):
    fc = cls.FORMAT_CHECKER
    if "uri" not in fc.checkers:
        fc.checks("uri")(lambda v: not isinstance(v, str) or bool(URI.match(v)))
    return fc


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if kind == "cyclonedx":
        bom = load("cyclonedx", "bom-1.5.schema.json")
        reg = Registry().with_resources(
            (s["$id"], Resource.from_contents(s))
            for s in (bom, load("cyclonedx", "spdx.schema.json"), load("cyclonedx", "jsf-0.82.schema.json")))
        cls = validator_for(bom)
        v = cls(bom, registry=reg, format_checker=checker(cls))
    elif kind == "spdx":
        schema = load("spdx", "spdx-schema.json")
        cls = validator_for(schema)
        v = cls(schema, format_checker=checker(cls))
    else:
        print(f"unknown kind {kind}")
        return 2
    errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors[:20]:
        print(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
