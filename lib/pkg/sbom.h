/* Software bills of materials from a catalog result: CycloneDX 1.5 JSON and
 * SPDX 2.3 JSON.  Output is deterministic: the serial number / document
 * namespace is a name-based UUID (v5 layout, SHA-256) of the image digest
 * (or, for a directory, of its name and package list), and the timestamp is
 * SOURCE_DATE_EPOCH when set. */
#ifndef PYOCI_PKG_SBOM_H
#define PYOCI_PKG_SBOM_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/util/version.h"
#include "catalog.h"

/* Same as cli/main.c's PYOCI_VERSION (the library has no other copy). */
#define PYOCI_SBOM_TOOL_VERSION PYOCI_VERSION

typedef struct {
  const char *name;   /* what was cataloged: "app:latest", or a directory path */
  const char *digest; /* image manifest digest; NULL for a directory */
  int64_t created;    /* seconds since the epoch */
} pyoci_sbom_subject_t;

/* SOURCE_DATE_EPOCH when set and valid, else the current time. */
int64_t pyoci_sbom_now(void);

/* Both return a NUL-terminated JSON document (2-space indent, trailing
 * newline) that the caller frees. */
char *pyoci_sbom_cyclonedx(const pyoci_catalog_result_t *r, const pyoci_sbom_subject_t *s);
char *pyoci_sbom_spdx(const pyoci_catalog_result_t *r, const pyoci_sbom_subject_t *s);

/* ---- shared by the two writers (sbom.c) ---- */
/* "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx" from sha256(seed). */
void pyoci_sbom_uuid(const char *seed, char out[37]);
/* The seed for a document: the digest, or name + every package. */
char *pyoci_sbom_seed(const pyoci_catalog_result_t *r, const pyoci_sbom_subject_t *s);
/* RFC 3339 UTC: "2024-01-02T03:04:05Z". */
void pyoci_sbom_time(int64_t t, char out[32]);
/* 16 hex digits that tell packages with the same purl apart (origin, layer). */
void pyoci_sbom_pkg_id(const pyoci_pkg_t *p, char out[17]);
/* Serialise (preserving insertion order) with a trailing newline. */
char *pyoci_sbom_dump(json_t *doc);

#endif
