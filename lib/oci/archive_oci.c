/* oci-archive: an OCI image layout in a tar (what skopeo/podman/buildah call
 * oci-archive, and what Docker 25+ puts under its manifest.json).
 *
 *   oci-layout      {"imageLayoutVersion":"1.0.0"}
 *   index.json      manifests annotated with the image name
 *   blobs/sha256/<hex>   manifests, configs, layers as stored
 *
 * Names: containerd's io.containerd.image.name holds a full reference;
 * org.opencontainers.image.ref.name holds either a full reference (skopeo,
 * pyoci) or just a tag (umoci, buildah, Docker 25), which alone names no
 * repository. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"
#include "archive_int.h"
#include "ref.h"

#define CONTAINERD_NAME_ANNOTATION "io.containerd.image.name"

void pyoci_oci_index_free(pyoci_oci_index_entry_t *e, size_t n)
{
  if (e == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    free(e[i].media_type);
    free(e[i].name);
    free(e[i].bare_tag);
    free(e[i].os);
    free(e[i].arch);
    free(e[i].variant);
  }
  free(e);
}

static char *opt_strdup(const char *s)
{
  return s ? xstrdup(s) : NULL;
}

/* A name annotation's value (NULL when absent).  index.json is parsed with
 * NUL bytes allowed, so "a:1\u0000b" must be refused here, not read as the
 * name a:1 (issue 9 item 7, as docker-archive's RepoTags). */
static int name_annotation(const json_t *ann, const char *key, const char *what, const char *where,
                           const char **out, pyoci_error_t **err)
{
  json_t *v = json_object_get(ann, key);
  *out = json_is_string(v) ? json_string_value(v) : NULL;
  if (*out != NULL && strlen(*out) != json_string_length(v))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: annotation %s contains a NUL byte", what,
                                where, key);
  return 0;
}

/* Parse one descriptor (digest, size, mediaType) with its name annotations. */
static int parse_desc(const json_t *j, const char *what, const char *where, pyoci_oci_index_entry_t *e,
                      pyoci_error_t **err)
{
  if (!json_is_object(j))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: not an object", what, where);
  const char *mt = pyoci_json_str(j, "mediaType");
  const char *digest = pyoci_json_str(j, "digest");
  json_t *size = json_object_get(j, "size");
  if (mt == NULL)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: missing mediaType", what, where);
  if (digest == NULL || !pyoci_digest_valid(digest))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: missing or unsupported digest", what,
                                where);
  if (!json_is_integer(size) || json_integer_value(size) < 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: missing or negative size", what, where);
  e->media_type = xstrdup(mt);
  snprintf(e->digest, sizeof(e->digest), "%s", digest);
  e->size = json_integer_value(size);

  json_t *plat = json_object_get(j, "platform");
  if (json_is_object(plat)) {
    e->os = opt_strdup(pyoci_json_str(plat, "os"));
    e->arch = opt_strdup(pyoci_json_str(plat, "architecture"));
    e->variant = opt_strdup(pyoci_json_str(plat, "variant"));
  }
  json_t *ann = json_object_get(j, "annotations");
  if (ann == NULL)
    return 0;
  if (!json_is_object(ann))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: annotations is not an object", what,
                                where);
  const char *full = NULL, *ref = NULL;
  if (name_annotation(ann, CONTAINERD_NAME_ANNOTATION, what, where, &full, err) < 0 ||
      name_annotation(ann, PYOCI_REF_NAME_ANNOTATION, what, where, &ref, err) < 0)
    return -1;
  if (full == NULL && ref != NULL && (strchr(ref, '/') != NULL || strchr(ref, ':') != NULL))
    full = ref;
  if (full != NULL) {
    if (strchr(full, '@') != NULL)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: name '%s' is a digest reference", what,
                                  where, full);
    e->name = pyoci_ref_normalize(full, err);
    if (e->name == NULL)
      return pyoci_error_prefix(err, "load '%s': %s", what, where);
  } else if (ref != NULL) {
    e->bare_tag = xstrdup(ref);
  }
  return 0;
}

int pyoci_oci_index_parse(const char *buf, size_t len, const char *what, pyoci_oci_index_entry_t **out,
                          size_t *n, pyoci_error_t **err)
{
  *out = NULL;
  *n = 0;
  if (len > PYOCI_ARCHIVE_MAX_JSON)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': index.json: %zu bytes is over the limit of %u",
                                what, len, PYOCI_ARCHIVE_MAX_JSON);
  cleanup_json json_t *j = pyoci_json_parse_object(buf, len, "index.json", err);
  if (j == NULL)
    return pyoci_error_prefix(err, "load '%s'", what);
  json_t *sv = json_object_get(j, "schemaVersion");
  if (sv != NULL && (!json_is_integer(sv) || json_integer_value(sv) != 2))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': index.json: schemaVersion is not 2", what);
  json_t *manifests = json_object_get(j, "manifests");
  if (!json_is_array(manifests))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': index.json: missing \"manifests\" list", what);
  size_t count = json_array_size(manifests);
  if (count > PYOCI_ARCHIVE_MAX_IMAGES)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': index.json: %zu manifests is over the limit of %u",
                                what, count, PYOCI_ARCHIVE_MAX_IMAGES);
  pyoci_oci_index_entry_t *v = xcalloc(count + 1, sizeof(*v));
  for (size_t i = 0; i < count; i++) {
    char where[64];
    snprintf(where, sizeof(where), "index.json manifests[%zu]", i);
    if (parse_desc(json_array_get(manifests, i), what, where, &v[i], err) < 0) {
      pyoci_oci_index_free(v, count);
      return -1;
    }
  }
  *out = v;
  *n = count;
  return 0;
}

/* ---- load ---- */

static bool is_manifest_type(const char *mt)
{
  return strcmp(mt, PYOCI_MT_OCI_MANIFEST) == 0 || strcmp(mt, PYOCI_MT_DOCKER_MANIFEST) == 0;
}

static bool is_index_type(const char *mt)
{
  return strcmp(mt, PYOCI_MT_OCI_INDEX) == 0 || strcmp(mt, PYOCI_MT_DOCKER_LIST) == 0;
}

/* Read a JSON blob that the archive holds (manifest or nested index). */
static json_t *read_json_blob(pyoci_store_t *s, pyoci_members_t *m, const char *digest, int64_t size,
                              pyoci_error_t **err)
{
  const pyoci_member_t *mm = pyoci_members_find_blob(m, digest, err);
  if (mm == NULL)
    return NULL;
  if (mm->size != size) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': blob %s: size %lld does not match descriptor size %lld",
                         m->what, digest, (long long)mm->size, (long long)size);
    return NULL;
  }
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_store_read_blob(s, digest, PYOCI_MAX_MANIFEST_SIZE, &buf, &len, err) < 0) {
    pyoci_error_prefix(err, "load '%s'", m->what);
    return NULL;
  }
  json_t *j = pyoci_json_parse_object(buf, len, mm->path, err);
  if (j == NULL)
    pyoci_error_prefix(err, "load '%s'", m->what);
  return j;
}

/* Pick the manifest for this host out of an image index: the first whose
 * platform matches and whose blob the archive holds, else the first held. */
static int pick_from_index(pyoci_store_t *s, pyoci_members_t *m, pyoci_oci_index_entry_t *e,
                           pyoci_error_t **err)
{
  cleanup_json json_t *idx = read_json_blob(s, m, e->digest, e->size, err);
  if (idx == NULL)
    return -1;
  json_t *list = json_object_get(idx, "manifests");
  if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > PYOCI_ARCHIVE_MAX_IMAGES)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': image index %s: bad \"manifests\" list",
                                m->what, e->digest);
  int best = -1;
  size_t i;
  json_t *d;
  json_array_foreach (list, i, d) {
    const char *digest = pyoci_json_str(d, "digest");
    const char *mt = pyoci_json_str(d, "mediaType");
    if (digest == NULL || mt == NULL || !pyoci_digest_valid(digest) || !is_manifest_type(mt))
      continue;
    pyoci_error_t *ignored = NULL;
    if (pyoci_members_find_blob(m, digest, &ignored) == NULL) {
      pyoci_error_free(ignored);
      continue;
    }
    json_t *plat = json_object_get(d, "platform");
    const char *os = pyoci_json_str(plat, "os"), *arch = pyoci_json_str(plat, "architecture");
    bool match = os && arch && strcmp(os, "linux") == 0 && strcmp(arch, pyoci_host_arch()) == 0;
    if (best < 0 || match) {
      best = (int)i;
      if (match)
        break;
    }
  }
  if (best < 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                                "load '%s': image index %s: the archive holds none of its manifests", m->what,
                                e->digest);
  d = json_array_get(list, (size_t)best);
  free(e->media_type);
  e->media_type = xstrdup(pyoci_json_str(d, "mediaType"));
  snprintf(e->digest, sizeof(e->digest), "%s", pyoci_json_str(d, "digest"));
  e->size = pyoci_json_int(d, "size", -1);
  return 0;
}

/* One descriptor inside a manifest: valid, held by the archive, right size. */
static int check_desc(pyoci_members_t *m, const char *manifest, const char *where, const json_t *d,
                      pyoci_desc_t *out, pyoci_error_t **err)
{
  const char *digest = pyoci_json_str(d, "digest");
  const char *mt = pyoci_json_str(d, "mediaType");
  json_int_t size = pyoci_json_int(d, "size", -1);
  if (digest == NULL || !pyoci_digest_valid(digest) || mt == NULL || size < 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': manifest %s: %s: bad descriptor", m->what,
                                manifest, where);
  const pyoci_member_t *mm = pyoci_members_find_blob(m, digest, err);
  if (mm == NULL)
    return pyoci_error_prefix(err, "manifest %s: %s", manifest, where);
  if (mm->size != size)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                                "load '%s': manifest %s: %s: blob size %lld does not match descriptor size %lld",
                                m->what, manifest, where, (long long)mm->size, (long long)size);
  out->media_type = xstrdup(mt);
  snprintf(out->digest, sizeof(out->digest), "%s", digest);
  out->size = size;
  return 0;
}

static int plan_manifest(pyoci_store_t *s, pyoci_members_t *m, const pyoci_oci_index_entry_t *e,
                         pyoci_pending_image_t *p, pyoci_error_t **err)
{
  cleanup_json json_t *man = read_json_blob(s, m, e->digest, e->size, err);
  if (man == NULL)
    return -1;
  const char *mt = pyoci_json_str(man, "mediaType");
  if (mt != NULL && !is_manifest_type(mt))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': manifest %s: unexpected mediaType '%s'",
                                m->what, e->digest, mt);
  pyoci_desc_t cfg = {0};
  if (check_desc(m, e->digest, "config", json_object_get(man, "config"), &cfg, err) < 0)
    return -1;
  free(cfg.media_type);
  snprintf(p->config_digest, sizeof(p->config_digest), "%s", cfg.digest);
  json_t *layers = json_object_get(man, "layers");
  if (!json_is_array(layers) || json_array_size(layers) > PYOCI_MAX_LAYERS)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': manifest %s: bad \"layers\" list", m->what,
                                e->digest);
  const pyoci_member_t *cm = pyoci_members_find_blob(m, cfg.digest, err);
  char(*diff_ids)[PYOCI_DIGEST_LEN] = NULL;
  size_t n_diff = 0;
  if (cm == NULL || pyoci_archive_read_config(s, m->what, cm->path, cfg.digest, &diff_ids, &n_diff, err) < 0)
    return -1;
  int rc = -1;
  if (n_diff != json_array_size(layers)) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': manifest %s: %zu layers but the config has %zu diff_ids",
                         m->what, e->digest, json_array_size(layers), n_diff);
    goto out;
  }
  p->n_layers = n_diff;
  p->layers = xcalloc(n_diff + 1, sizeof(*p->layers));
  for (size_t i = 0; i < n_diff; i++) {
    char where[48];
    snprintf(where, sizeof(where), "layers[%zu]", i);
    pyoci_desc_t *d = &p->layers[i];
    if (check_desc(m, e->digest, where, json_array_get(layers, i), d, err) < 0)
      goto out;
    int comp = pyoci_layer_media_compression(d->media_type);
    if (comp < 0) {
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': manifest %s: %s: unsupported media type '%s'",
                           m->what, e->digest, where, d->media_type);
      goto out;
    }
    if (comp == 0 && strcmp(d->digest, diff_ids[i]) != 0) {
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': layer 'blobs/sha256/%s': digest %s does not match diff_id %s",
                           m->what, d->digest + 7, d->digest, diff_ids[i]);
      goto out;
    }
  }
  snprintf(p->manifest_digest, sizeof(p->manifest_digest), "%s", e->digest);
  p->manifest_media_type = xstrdup(mt ? mt : e->media_type);
  p->manifest_size = e->size;
  rc = 0;
out:
  free(diff_ids);
  return rc;
}

static void add_name(pyoci_pending_image_t *p, const char *name)
{
  if (name == NULL)
    return;
  for (size_t i = 0; i < p->n_names; i++)
    if (strcmp(p->names[i], name) == 0)
      return;
  p->names = xrealloc(p->names, (p->n_names + 2) * sizeof(char *));
  p->names[p->n_names++] = xstrdup(name);
  p->names[p->n_names] = NULL;
}

int pyoci_oci_archive_plan(pyoci_store_t *s, pyoci_members_t *m, pyoci_pending_image_t **out, size_t *n,
                           pyoci_error_t **err)
{
  pyoci_oci_index_entry_t *entries = NULL;
  size_t count = 0;
  if (pyoci_oci_index_parse(m->index_json, m->index_json_len, m->what, &entries, &count, err) < 0)
    return -1;
  pyoci_pending_image_t *v = xcalloc(count + 1, sizeof(*v));
  size_t nv = 0;
  int rc = -1;
  if (count == 0) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': index.json lists no images", m->what);
    goto out;
  }
  for (size_t i = 0; i < count; i++) {
    pyoci_oci_index_entry_t *e = &entries[i];
    if (is_index_type(e->media_type) && pick_from_index(s, m, e, err) < 0)
      goto out;
    if (!is_manifest_type(e->media_type)) {
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': index.json manifests[%zu]: unsupported mediaType '%s'",
                           m->what, i, e->media_type);
      goto out;
    }
    if (e->bare_tag != NULL)
      pyoci_log(PYOCI_LOG_WARN, "load '%s': tag '%s' names no repository; loading %s untagged", m->what,
                e->bare_tag, e->digest);
    /* Several index entries (one per tag) may share a manifest. */
    size_t j;
    for (j = 0; j < nv; j++)
      if (strcmp(v[j].manifest_digest, e->digest) == 0)
        break;
    if (j == nv) {
      if (plan_manifest(s, m, e, &v[nv], err) < 0)
        goto out;
      nv++;
    }
    add_name(&v[j], e->name);
  }
  *out = steal_pointer(&v);
  *n = nv;
  rc = 0;
out:
  pyoci_pending_images_free(v, count); /* NULL once handed out */
  pyoci_oci_index_free(entries, count);
  return rc;
}

/* ---- save ---- */

typedef struct {
  char name[100];
  const char *digest; /* blob, or NULL for a directory / in-memory file */
  int64_t size;
  char *bytes;
  size_t len;
  bool dir;
  int64_t mtime;
} oci_member_t;

typedef struct {
  oci_member_t *v;
  size_t n, cap;
} oci_list_t;

static oci_member_t *add(oci_list_t *l, const char *name, int64_t mtime)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i].name, name) == 0)
      return NULL;
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 32;
    l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
  }
  oci_member_t *o = &l->v[l->n++];
  memset(o, 0, sizeof(*o));
  snprintf(o->name, sizeof(o->name), "%s", name);
  o->mtime = mtime;
  return o;
}

static void add_blob(oci_list_t *l, const char *digest, int64_t size, int64_t mtime)
{
  char name[100];
  snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
  oci_member_t *o = add(l, name, mtime);
  if (o) {
    o->digest = digest;
    o->size = size;
  }
}

static int cmp_oci(const void *a, const void *b)
{
  return strcmp(((const oci_member_t *)a)->name, ((const oci_member_t *)b)->name);
}

static json_t *index_entry(const pyoci_export_manifest_t *m, const char *name)
{
  json_t *d = json_object();
  json_object_set_new(d, "mediaType", json_string(m->media_type));
  json_object_set_new(d, "digest", json_string(m->digest));
  json_object_set_new(d, "size", json_integer(m->size));
  if (name != NULL) {
    json_t *ann = json_object();
    pyoci_ref_t r;
    pyoci_error_t *ignored = NULL;
    if (pyoci_ref_parse(name, &r, &ignored) == 0) {
      cleanup_free char *full = pyoci_ref_full(&r);
      json_object_set_new(ann, CONTAINERD_NAME_ANNOTATION, json_string(full));
      pyoci_ref_free(&r);
    }
    pyoci_error_free(ignored);
    json_object_set_new(ann, PYOCI_REF_NAME_ANNOTATION, json_string(name));
    json_object_set_new(d, "annotations", ann);
  }
  return d;
}

/* The manifest and layers to write for img: as stored, or converted. */
static int export_manifest(pyoci_store_t *s, const pyoci_image_t *img, const pyoci_variant_spec_t *spec,
                           size_t *done, size_t total, pyoci_export_manifest_t *m, pyoci_error_t **err)
{
  if (spec != NULL)
    return pyoci_export_manifest(s, img, spec, done, total, m, err);
  memset(m, 0, sizeof(*m));
  snprintf(m->digest, sizeof(m->digest), "%s", img->manifest_digest);
  m->media_type = img->manifest_media_type;
  m->size = img->manifest_size;
  m->layers = xcalloc(img->n_layers + 1, sizeof(*m->layers));
  for (size_t k = 0; k < img->n_layers; k++) {
    m->layers[k] = img->layers[k];
    m->layers[k].media_type = NULL; /* borrowed descs; the writer needs no type */
  }
  m->n_layers = img->n_layers;
  return 0;
}

int pyoci_oci_archive_write(pyoci_store_t *s, pyoci_save_item_t *items, size_t n, const pyoci_variant_spec_t *spec,
                            pyoci_tarw_t *w, pyoci_error_t **err)
{
  oci_list_t l = {0};
  int rc = -1;
  /* Every layer is converted before the first byte goes out: the index
   * names the converted manifests, and a layer that fails its diff_id check
   * must leave no archive. */
  pyoci_export_manifest_t *ms = xcalloc(n + 1, sizeof(*ms));
  size_t total = 0, done = 0;
  for (size_t i = 0; i < n; i++)
    total += items[i].img->n_layers;
  cleanup_json json_t *index = json_object();
  json_t *manifests = json_array();
  json_object_set_new(index, "schemaVersion", json_integer(2));
  json_object_set_new(index, "mediaType", json_string(PYOCI_MT_OCI_INDEX));
  json_object_set_new(index, "manifests", manifests);
  int64_t newest = 0;
  for (size_t i = 0; i < n; i++) {
    pyoci_image_t *img = items[i].img;
    int64_t t = items[i].mtime;
    if (t > newest)
      newest = t;
    pyoci_export_manifest_t *m = &ms[i];
    if (export_manifest(s, img, spec, &done, total, m, err) < 0)
      goto out;
    if (m->bytes == NULL) {
      add_blob(&l, m->digest, m->size, t);
    } else {
      char name[100];
      snprintf(name, sizeof(name), "blobs/sha256/%s", m->digest + 7);
      oci_member_t *o = add(&l, name, t);
      if (o != NULL) {
        o->bytes = xstrdup(m->bytes);
        o->len = m->len;
      }
    }
    const json_t *cfg = json_object_get(img->manifest, "config");
    add_blob(&l, img->config_digest, pyoci_json_int(cfg, "size", 0), t);
    for (size_t k = 0; k < m->n_layers; k++)
      add_blob(&l, m->layers[k].digest, m->layers[k].size, t);
    if (items[i].n_names == 0)
      json_array_append_new(manifests, index_entry(m, NULL));
    for (size_t k = 0; k < items[i].n_names; k++)
      json_array_append_new(manifests, index_entry(m, items[i].names[k]));
  }
  if (spec != NULL)
    pyoci_progress("Compressing layers", total, total, 1);
  add(&l, "blobs", newest)->dir = true;
  add(&l, "blobs/sha256", newest)->dir = true;
  oci_member_t *o = add(&l, "oci-layout", newest);
  o->bytes = xstrdup("{\"imageLayoutVersion\":\"1.0.0\"}");
  o->len = strlen(o->bytes);
  o = add(&l, "index.json", newest);
  o->bytes = json_dumps(index, JSON_COMPACT);
  o->len = strlen(o->bytes);
  qsort(l.v, l.n, sizeof(*l.v), cmp_oci);

  for (size_t i = 0; i < l.n; i++) {
    o = &l.v[i];
    pyoci_progress("Saving", i, l.n, 0);
    if (o->dir) {
      if (pyoci_tarw_dir(w, o->name, o->mtime, err) < 0)
        goto out;
    } else if (o->bytes) {
      if (pyoci_tarw_file(w, o->name, o->bytes, o->len, o->mtime, err) < 0)
        goto out;
    } else if (pyoci_tarw_begin(w, o->name, o->size, o->mtime, err) < 0 ||
               pyoci_blob_copy_to_tar(s, o->digest, o->size, o->digest, w, err) < 0 || pyoci_tarw_end(w, err) < 0) {
      pyoci_error_prefix(err, "save blob %s", o->digest);
      goto out;
    }
  }
  pyoci_progress("Saving", l.n, l.n, 1);
  rc = 0;
out:
  for (size_t i = 0; i < l.n; i++)
    free(l.v[i].bytes);
  free(l.v);
  for (size_t i = 0; i < n; i++)
    if (spec != NULL)
      pyoci_export_manifest_free(&ms[i]);
    else
      free(ms[i].layers);
  free(ms);
  return rc;
}
