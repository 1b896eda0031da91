#!/usr/bin/env python3
"""OSV records for the scan tests, written by the tests themselves.

  osv_records.py DIR           write every record below into DIR/<id>.json
                               and validate each against the OSV schema
                               (/work/shared/schemas/osv/schema.json, else
                               tests/data/schemas/osv-schema.json); exit 3
                               when python jsonschema is missing

The records copy the shapes of real ones (ids, ranges, aliases) that the
issue names; their text is made up.
"""
import json
import os
import sys

M = "2024-06-01T00:00:00Z"


def rng(*events):
    return [{"type": "ECOSYSTEM", "events": [dict([e]) for e in events]}]


def pkg(name, ranges, **extra):
    a = {"package": {"ecosystem": "PyPI", "name": name, "purl": "pkg:pypi/" + name.lower()}, "ranges": ranges}
    a.update(extra)
    return a


def rec(id_, affected, aliases=(), severity=None, label=None, summary=None):
    r = {"schema_version": "1.6.0", "id": id_, "modified": M, "published": M, "aliases": list(aliases),
         "affected": affected}
    if summary:
        r["summary"] = summary
    if severity:
        r["severity"] = severity
    if label:
        r["database_specific"] = {"severity": label}
    return r


V3 = lambda v: [{"type": "CVSS_V3", "score": v}]
V4 = lambda v: [{"type": "CVSS_V4", "score": v}]

RECORDS = [
    # CVE-2023-46136 (werkzeug): the GHSA knows both release lines, the PYSEC only one.
    rec("GHSA-hrfv-mqp8-q5rw", [pkg("werkzeug", rng(("introduced", "0"), ("fixed", "2.3.8")) +
                                    rng(("introduced", "3.0.0"), ("fixed", "3.0.1")))],
        aliases=["CVE-2023-46136"], label="MODERATE", summary="Werkzeug multipart DoS"),
    rec("PYSEC-2023-221", [pkg("werkzeug", rng(("introduced", "0"), ("fixed", "3.0.1")))],
        aliases=["CVE-2023-46136", "GHSA-hrfv-mqp8-q5rw"]),
    # CVE-2023-5752 (pip): GHSA MEDIUM by label, PYSEC LOW by a vector.
    rec("GHSA-mq26-g339-26xf", [pkg("pip", rng(("introduced", "0"), ("fixed", "23.3")))],
        aliases=["CVE-2023-5752"], label="MODERATE", summary="pip Mercurial configuration injection"),
    rec("PYSEC-2023-228", [pkg("pip", rng(("introduced", "0"), ("fixed", "23.3")))],
        aliases=["CVE-2023-5752"], severity=V3("CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:N/I:L/A:N")),
    # CVE-2023-30861 (flask): GHSA HIGH, PYSEC without severity.
    rec("GHSA-m2qf-hxjv-5gpq", [pkg("flask", rng(("introduced", "0"), ("fixed", "2.2.5"), ("introduced", "2.3.0"),
                                                 ("fixed", "2.3.2")))],
        aliases=["CVE-2023-30861", "PYSEC-2023-62"], severity=V3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
        label="HIGH", summary="Flask session cookie disclosure"),
    rec("PYSEC-2023-62", [pkg("flask", rng(("introduced", "0"), ("fixed", "2.2.5"), ("introduced", "2.3.0"),
                                           ("fixed", "2.3.2")))],
        aliases=["CVE-2023-30861", "GHSA-m2qf-hxjv-5gpq"]),
    # Transitive: a PYSEC naming only the GHSA, which names the CVE.
    rec("GHSA-aaaa-bbbb-cccc", [pkg("jinja2", rng(("introduced", "0"), ("fixed", "3.1.3")))],
        aliases=["CVE-2024-22195"], label="MODERATE"),
    rec("PYSEC-2024-9999", [pkg("jinja2", rng(("introduced", "0"), ("fixed", "3.1.3")))],
        aliases=["GHSA-aaaa-bbbb-cccc"]),
    # Two unrelated records of one package stay two rows.
    rec("GHSA-h5c8-rqwp-cp95", [pkg("jinja2", rng(("introduced", "0"), ("fixed", "3.1.3")))],
        aliases=["CVE-2024-99999"], label="LOW"),
    # PYSEC-2024-258 (scrapy): fixed and introduced at 2.0.0.
    rec("PYSEC-2024-258", [pkg("scrapy", rng(("introduced", "0"), ("fixed", "2.0.0"), ("introduced", "2.0.0"),
                                             ("fixed", "2.11.2")))], aliases=["CVE-2024-1892"]),
    # PYSEC-2023-72 (pyspark) shape: a tie in the middle of two lines.
    rec("PYSEC-2023-72", [pkg("pyspark", rng(("introduced", "0"), ("fixed", "3.3.3"), ("introduced", "3.3.3"),
                                             ("fixed", "3.4.0")))], aliases=["CVE-2023-22946"]),
    # Bounds PEP 440 cannot read: a build label after the release (read
    # leniently as the release) and one that means nothing.
    rec("GHSA-torch-0001-cu12", [pkg("torch", rng(("introduced", "0"), ("fixed", "2.6.0-cu124")))],
        aliases=["CVE-2025-32434"], label="CRITICAL"),
    rec("GHSA-torch-0002-na00", [pkg("torch", rng(("introduced", "1.5.0-NA"), ("fixed", "1.8.0_rocm4")))],
        label="HIGH"),
    rec("PYSEC-2099-1", [pkg("torch", rng(("introduced", "0"), ("fixed", "one.two")))]),
]


def schema_path():
    here = os.path.dirname(os.path.abspath(__file__))
    for p in ("/work/shared/schemas/osv/schema.json", os.path.join(here, "..", "data", "schemas", "osv-schema.json")):
        if os.path.exists(p):
            return p
    return None


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for r in RECORDS:
        with open(os.path.join(out, r["id"] + ".json"), "w") as f:
            json.dump(r, f, indent=1)
    try:
        import jsonschema
    except ImportError as e:
        print(f"python jsonschema not available: {e}")
        return 3
    schema = json.load(open(schema_path()))
    for r in RECORDS:
        jsonschema.validate(r, schema)
    return 0


if __name__ == "__main__":
    sys.exit(main())
