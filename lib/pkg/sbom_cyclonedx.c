/* CycloneDX 1.5 JSON (https://cyclonedx.org/docs/1.5/json/).
 *   metadata.component  the image (type container) or directory (type file)
 *   components          the OS (type operating-system), then each package
 *                       (type library) with purl and pyoci:* properties
 *   dependencies        image -> OS + language packages, OS -> its packages */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/json.h"
#include "sbom.h"

static void prop(json_t *props, const char *name, const char *value)
{
  if (value == NULL || value[0] == '\0')
    return;
  json_array_append_new(props, json_pack("{s:s, s:s}", "name", name, "value", value));
}

static json_t *package_component(const pyoci_pkg_t *p, char *ref_out, size_t ref_size)
{
  char id[17];
  pyoci_sbom_pkg_id(p, id);
  /* bom-ref: the purl plus a package-id qualifier, unique per occurrence */
  snprintf(ref_out, ref_size, "%s%cpackage-id=%s", p->purl, strchr(p->purl, '?') ? '&' : '?', id);
  json_t *c = json_pack("{s:s, s:s, s:s, s:s}", "bom-ref", ref_out, "type", "library", "name", p->name, "version",
                        p->version);
  if (p->maintainer != NULL && p->maintainer[0] != '\0')
    json_object_set_new(c, "publisher", json_string(p->maintainer));
  if (p->license != NULL && p->license[0] != '\0')
    json_object_set_new(c, "licenses", json_pack("[{s:{s:s}}]", "license", "name", p->license));
  json_object_set_new(c, "purl", json_string(p->purl));
  json_t *props = json_array();
  prop(props, "pyoci:package:type", pyoci_pkg_type_name(p->type));
  prop(props, "pyoci:package:origin", p->origin);
  prop(props, "pyoci:package:owner", p->owner);
  if (p->type != PYOCI_PKG_PYTHON) {
    prop(props, "pyoci:package:source-name", p->source_name);
    prop(props, "pyoci:package:source-version", p->source_version);
    prop(props, "pyoci:package:arch", p->arch);
  }
  if (p->layer_index >= 0) {
    char idx[16];
    snprintf(idx, sizeof(idx), "%d", p->layer_index);
    prop(props, "pyoci:layer:index", idx);
    prop(props, "pyoci:layer:digest", p->layer_digest);
  }
  json_object_set_new(c, "properties", props);
  return c;
}

/* The OS package that installed p (a Python distribution), else -1. */
static long owner_index(const pyoci_catalog_result_t *r, const pyoci_pkg_t *p)
{
  if (p->owner == NULL)
    return -1;
  for (size_t i = 0; i < r->n_packages; i++)
    if (r->packages[i].type == p->owner_type && strcmp(r->packages[i].name, p->owner) == 0)
      return (long)i;
  return -1;
}

/* Every package as a component.  A Python distribution installed by an OS
 * package is nested in that package's component (CycloneDX's "included
 * in the parent") and is a dependency of it. */
static void add_packages(const pyoci_catalog_result_t *r, json_t *components, json_t *root_deps, json_t *os_deps,
                         json_t *deps)
{
  json_t **comp = xcalloc(r->n_packages + 1, sizeof(json_t *));
  json_t **owned = xcalloc(r->n_packages + 1, sizeof(json_t *));
  char ref[4096];
  for (size_t i = 0; i < r->n_packages; i++)
    comp[i] = package_component(&r->packages[i], ref, sizeof(ref));
  for (size_t i = 0; i < r->n_packages; i++) {
    const pyoci_pkg_t *p = &r->packages[i];
    const char *my_ref = json_string_value(json_object_get(comp[i], "bom-ref"));
    long o = owner_index(r, p);
    if (o >= 0) {
      json_t *nested = json_object_get(comp[o], "components");
      if (nested == NULL)
        json_object_set_new(comp[o], "components", nested = json_array());
      json_array_append(nested, comp[i]);
      if (owned[o] == NULL)
        owned[o] = json_array();
      json_array_append_new(owned[o], json_string(my_ref));
      continue;
    }
    json_array_append(components, comp[i]);
    bool os_pkg = p->type != PYOCI_PKG_PYTHON && os_deps != NULL;
    json_array_append_new(os_pkg ? os_deps : root_deps, json_string(my_ref));
  }
  for (size_t i = 0; i < r->n_packages; i++) {
    if (owned[i] != NULL)
      json_array_append_new(deps, json_pack("{s:O, s:o}", "ref", json_object_get(comp[i], "bom-ref"), "dependsOn",
                                            owned[i]));
    json_decref(comp[i]);
  }
  free(comp);
  free(owned);
}

char *pyoci_sbom_cyclonedx(const pyoci_catalog_result_t *r, const pyoci_sbom_subject_t *s)
{
  char *seed = pyoci_sbom_seed(r, s);
  char uuid[37], ts[32], serial[64];
  pyoci_sbom_uuid(seed, uuid);
  free(seed);
  snprintf(serial, sizeof(serial), "urn:uuid:%s", uuid);
  pyoci_sbom_time(s->created, ts);

  json_t *root = json_pack("{s:s, s:s, s:s, s:s, s:s}", "bom-ref", "pyoci:subject", "type",
                           s->digest ? "container" : "file", "name", s->name, "version",
                           s->digest ? s->digest : "", "description",
                           s->digest ? "container image" : "root file system directory");
  if (s->digest == NULL)
    json_object_del(root, "version");
  json_t *tools = json_pack("{s:[{s:s, s:s, s:s}]}", "components", "type", "application", "name", "pyoci", "version",
                            PYOCI_SBOM_TOOL_VERSION);
  json_t *doc = json_pack("{s:s, s:s, s:s, s:i, s:{s:s, s:o, s:o}}", "bomFormat", "CycloneDX", "specVersion", "1.5",
                          "serialNumber", serial, "version", 1, "metadata", "timestamp", ts, "tools", tools,
                          "component", root);
  json_t *components = json_array();
  json_t *root_deps = json_array();
  json_t *os_deps = NULL;
  const char *os_ref = NULL;
  char os_ref_buf[300];
  if (r->os.family != NULL) {
    snprintf(os_ref_buf, sizeof(os_ref_buf), "pyoci:os:%s@%s", r->os.family, r->os.version ? r->os.version : "");
    os_ref = os_ref_buf;
    json_t *os = json_pack("{s:s, s:s, s:s}", "bom-ref", os_ref, "type", "operating-system", "name", r->os.family);
    if (r->os.version != NULL)
      json_object_set_new(os, "version", json_string(r->os.version));
    if (r->os.pretty_name != NULL)
      json_object_set_new(os, "description", json_string(r->os.pretty_name));
    json_array_append_new(components, os);
    json_array_append_new(root_deps, json_string(os_ref));
    os_deps = json_array();
  }
  json_t *deps = json_array();
  add_packages(r, components, root_deps, os_deps, deps);
  json_object_set_new(doc, "components", components);
  json_array_insert_new(deps, 0, json_pack("{s:s, s:o}", "ref", "pyoci:subject", "dependsOn", root_deps));
  if (os_deps != NULL)
    json_array_insert_new(deps, 1, json_pack("{s:s, s:o}", "ref", os_ref, "dependsOn", os_deps));
  json_object_set_new(doc, "dependencies", deps);
  char *out = pyoci_sbom_dump(doc);
  json_decref(doc);
  return out;
}
