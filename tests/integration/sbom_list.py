#!/usr/bin/env python3
"""Print what an SBOM lists, one package a line, sorted, for comparisons in
shell tests.  usage: sbom_list.py cyclonedx|spdx FILE TYPE
TYPE deb|apk|python: "name version[ arch]"; os: "family version";
purls: every package purl."""
import json
import sys

kind, path, what = sys.argv[1:4]
with open(path, encoding="utf-8") as f:
    doc = json.load(f)
lines = []
def walk(components):
    # A Python distribution an OS package installed is nested in it.
    for c in components:
        yield c
        yield from walk(c.get("components", []))


if kind == "cyclonedx":
    for c in walk(doc.get("components", [])):
        props = {p["name"]: p["value"] for p in c.get("properties", [])}
        if what == "os" and c["type"] == "operating-system":
            lines.append(f'{c["name"]} {c.get("version", "")}')
        elif what == "purls" and "purl" in c:
            lines.append(c["purl"])
        elif props.get("pyoci:package:type") == what:
            arch = props.get("pyoci:package:arch")
            lines.append(" ".join([c["name"], c["version"]] + ([arch] if arch else [])))
else:
    for p in doc.get("packages", []):
        purl = next((r["referenceLocator"] for r in p.get("externalRefs", []) if r["referenceType"] == "purl"), None)
        if what == "os" and p.get("primaryPackagePurpose") == "OPERATING_SYSTEM":
            lines.append(f'{p["name"]} {p.get("versionInfo", "")}')
        elif what == "purls" and purl:
            lines.append(purl)
        elif purl and what in ("deb", "apk", "python") and p["SPDXID"].startswith(f"SPDXRef-Package-{what}-"):
            lines.append(f'{p["name"]} {p["versionInfo"]}')
print("\n".join(sorted(lines)))
