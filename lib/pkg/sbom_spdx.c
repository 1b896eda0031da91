/* SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/).
 *   packages       the image (or directory), the OS, then each package with
 *                  a purl external reference (category PACKAGE-MANAGER)
 *   relationships  DOCUMENT DESCRIBES subject; subject CONTAINS each one
 * Licenses are NOASSERTION: what package databases record is free text,
 * not always an SPDX expression, so it goes to licenseComments instead. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "sbom.h"

/* SPDX ids allow only [A-Za-z0-9.-]. */
static void add_idsafe(strbuf_t *sb, const char *s)
{
  for (; *s; s++)
    strbuf_addch(sb, (isalnum((unsigned char)*s) || *s == '.' || *s == '-') ? *s : '-');
}

static json_t *base_package(const char *spdxid, const char *name, const char *version)
{
  json_t *p = json_pack("{s:s, s:s}", "name", name, "SPDXID", spdxid);
  if (version != NULL)
    json_object_set_new(p, "versionInfo", json_string(version));
  json_object_set_new(p, "downloadLocation", json_string("NOASSERTION"));
  json_object_set_new(p, "filesAnalyzed", json_false());
  json_object_set_new(p, "licenseConcluded", json_string("NOASSERTION"));
  json_object_set_new(p, "licenseDeclared", json_string("NOASSERTION"));
  json_object_set_new(p, "copyrightText", json_string("NOASSERTION"));
  return p;
}

static json_t *package(const pyoci_pkg_t *p, char **spdxid_out)
{
  strbuf_t id = STRBUF_INIT;
  char pid[17];
  pyoci_sbom_pkg_id(p, pid);
  strbuf_addf(&id, "SPDXRef-Package-%s-", pyoci_pkg_type_name(p->type));
  add_idsafe(&id, p->name);
  strbuf_addf(&id, "-%s", pid);
  json_t *j = base_package(id.buf, p->name, p->version);
  if (p->maintainer != NULL && p->maintainer[0] != '\0') {
    char *sup = NULL;
    sup = xasprintf("Person: %s", p->maintainer);
    json_object_set_new(j, "supplier", json_string(sup));
    free(sup);
  }
  if (p->license != NULL && p->license[0] != '\0')
    json_object_set_new(j, "licenseComments", json_string(p->license));
  cleanup_strbuf strbuf_t info = STRBUF_INIT;
  strbuf_addf(&info, "%s package recorded in %s", pyoci_pkg_type_name(p->type), p->origin);
  if (p->owner != NULL)
    strbuf_addf(&info, ", installed by the %s package %s", pyoci_pkg_type_name(p->owner_type), p->owner);
  if (p->layer_index >= 0)
    strbuf_addf(&info, " (layer %d%s%s)", p->layer_index, p->layer_digest ? " " : "",
                p->layer_digest ? p->layer_digest : "");
  json_object_set_new(j, "sourceInfo", json_string(info.buf));
  json_object_set_new(j, "primaryPackagePurpose", json_string("LIBRARY"));
  json_object_set_new(j, "externalRefs", json_pack("[{s:s, s:s, s:s}]", "referenceCategory", "PACKAGE-MANAGER",
                                                   "referenceType", "purl", "referenceLocator", p->purl));
  *spdxid_out = strbuf_detach(&id);
  return j;
}

static json_t *relationship(const char *a, const char *type, const char *b)
{
  return json_pack("{s:s, s:s, s:s}", "spdxElementId", a, "relationshipType", type, "relatedSpdxElement", b);
}

char *pyoci_sbom_spdx(const pyoci_catalog_result_t *r, const pyoci_sbom_subject_t *s)
{
  char *seed = pyoci_sbom_seed(r, s);
  char uuid[37], ts[32];
  pyoci_sbom_uuid(seed, uuid);
  free(seed);
  pyoci_sbom_time(s->created, ts);
  cleanup_strbuf strbuf_t ns = STRBUF_INIT;
  strbuf_addstr(&ns, "https://spdx.org/spdxdocs/pyoci-");
  add_idsafe(&ns, s->name);
  strbuf_addf(&ns, "-%s", uuid);

  json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:[s]}}", "spdxVersion", "SPDX-2.3", "dataLicense",
                          "CC0-1.0", "SPDXID", "SPDXRef-DOCUMENT", "name", s->name, "documentNamespace", ns.buf,
                          "creationInfo", "created", ts, "creators", "Tool: pyoci-" PYOCI_SBOM_TOOL_VERSION);
  json_t *packages = json_array();
  json_t *rels = json_array();
  const char *subject_id = s->digest ? "SPDXRef-Image" : "SPDXRef-Directory";
  json_t *subject = base_package(subject_id, s->name, s->digest);
  if (s->digest != NULL && strncmp(s->digest, "sha256:", 7) == 0)
    json_object_set_new(subject, "checksums",
                        json_pack("[{s:s, s:s}]", "algorithm", "SHA256", "checksumValue", s->digest + 7));
  json_object_set_new(subject, "primaryPackagePurpose", json_string(s->digest ? "CONTAINER" : "SOURCE"));
  json_array_append_new(packages, subject);
  json_array_append_new(rels, relationship("SPDXRef-DOCUMENT", "DESCRIBES", subject_id));
  if (r->os.family != NULL) {
    json_t *os = base_package("SPDXRef-OperatingSystem", r->os.family, r->os.version);
    if (r->os.pretty_name != NULL)
      json_object_set_new(os, "description", json_string(r->os.pretty_name));
    json_object_set_new(os, "primaryPackagePurpose", json_string("OPERATING_SYSTEM"));
    json_array_append_new(packages, os);
    json_array_append_new(rels, relationship(subject_id, "CONTAINS", "SPDXRef-OperatingSystem"));
  }
  char **ids = xcalloc(r->n_packages + 1, sizeof(char *));
  for (size_t i = 0; i < r->n_packages; i++)
    json_array_append_new(packages, package(&r->packages[i], &ids[i]));
  for (size_t i = 0; i < r->n_packages; i++) {
    /* A Python distribution an OS package installed is contained in it. */
    const char *parent = subject_id;
    const pyoci_pkg_t *p = &r->packages[i];
    for (size_t j = 0; p->owner != NULL && j < r->n_packages; j++)
      if (r->packages[j].type == p->owner_type && strcmp(r->packages[j].name, p->owner) == 0)
        parent = ids[j];
    json_array_append_new(rels, relationship(parent, "CONTAINS", ids[i]));
  }
  for (size_t i = 0; i < r->n_packages; i++)
    free(ids[i]);
  free(ids);
  json_object_set_new(doc, "packages", packages);
  json_object_set_new(doc, "relationships", rels);
  char *out = pyoci_sbom_dump(doc);
  json_decref(doc);
  return out;
}
