/* docker-archive: manifest.json parsing, verifying the images of a spooled
 * archive, and writing the legacy layout every Docker since 1.10 loads:
 *
 *   manifest.json   [{"Config":"<hex>.json","RepoTags":[..],"Layers":[..]}]
 *   <hex>.json      the config, bytes verbatim (its digest is the image ID)
 *   <diffid>/layer.tar, VERSION, json    one directory per layer
 *   repositories    {"app":{"1":"<top layer id>"}}
 *
 * Layers go out uncompressed (that is what Docker hashes into diff_ids);
 * compressed blobs are decompressed on the fly and checked against the
 * config's diff_id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/layer/codec.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"
#include "archive_int.h"
#include "ref.h"

void pyoci_docker_manifest_free(pyoci_docker_manifest_entry_t *e, size_t n)
{
  if (e == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    free(e[i].config);
    for (size_t j = 0; j < e[i].n_repo_tags; j++)
      free(e[i].repo_tags[j]);
    free(e[i].repo_tags);
    for (size_t j = 0; j < e[i].n_layers; j++)
      free(e[i].layers[j]);
    free(e[i].layers);
  }
  free(e);
}

/* A tag from an archive: a plain name[:tag], never a digest reference. */
static char *normalize_tag(const char *what, const char *where, const char *tag, pyoci_error_t **err)
{
  if (strchr(tag, '@') != NULL) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: tag '%s' is a digest reference", what, where,
                         tag);
    return NULL;
  }
  char *n = pyoci_ref_normalize(tag, err);
  if (n == NULL)
    pyoci_error_prefix(err, "load '%s': %s", what, where);
  return n;
}

/* Element i of the list field of an entry: its string, or NULL and an error
 * naming the element when it is not one. */
static const char *list_string(const json_t *v, const char *what, const char *where, const char *field, size_t i,
                               pyoci_error_t **err)
{
  if (!json_is_string(v)) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: %s[%zu] is not a string", what, where, field, i);
    return NULL;
  }
  return json_string_value(v);
}

static int parse_entry(const json_t *j, size_t idx, const char *what, pyoci_docker_manifest_entry_t *e,
                       pyoci_error_t **err)
{
  char where[64];
  snprintf(where, sizeof(where), "manifest.json entry %zu", idx);
  if (!json_is_object(j))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: not an object", what, where);
  const char *config = pyoci_json_str(j, "Config");
  if (config == NULL)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: missing \"Config\"", what, where);
  e->config = pyoci_archive_clean_path(config, err);
  if (e->config == NULL)
    return pyoci_error_prefix(err, "load '%s': %s: Config", what, where);

  json_t *tags = json_object_get(j, "RepoTags");
  if (tags != NULL && !json_is_null(tags)) {
    if (!json_is_array(tags) || json_array_size(tags) > PYOCI_ARCHIVE_MAX_TAGS)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: \"RepoTags\" is not a list of at most %u tags",
                                  what, where, PYOCI_ARCHIVE_MAX_TAGS);
    e->repo_tags = xcalloc(json_array_size(tags) + 1, sizeof(char *));
    size_t i;
    json_t *t;
    json_array_foreach (tags, i, t) {
      const char *tag = list_string(t, what, where, "RepoTags", i, err);
      if (tag == NULL)
        return -1;
      /* JSON_ALLOW_NUL: "a:1\u0000b" would otherwise load as the tag a:1 */
      if (strlen(tag) != json_string_length(t))
        return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: RepoTags[%zu] contains a NUL byte",
                                    what, where, i);
      char *n = normalize_tag(what, where, tag, err);
      if (n == NULL)
        return -1;
      e->repo_tags[e->n_repo_tags++] = n;
    }
  }

  json_t *layers = json_object_get(j, "Layers");
  if (!json_is_array(layers))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: missing \"Layers\" list", what, where);
  if (json_array_size(layers) > PYOCI_MAX_LAYERS)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: %zu layers is over the limit of %d", what,
                                where, json_array_size(layers), PYOCI_MAX_LAYERS);
  e->layers = xcalloc(json_array_size(layers) + 1, sizeof(char *));
  size_t i;
  json_t *l;
  json_array_foreach (layers, i, l) {
    const char *layer = list_string(l, what, where, "Layers", i, err);
    if (layer == NULL)
      return -1;
    char *p = pyoci_archive_clean_path(layer, err);
    if (p == NULL)
      return pyoci_error_prefix(err, "load '%s': %s: Layers[%zu]", what, where, i);
    e->layers[e->n_layers++] = p;
  }
  return 0;
}

int pyoci_docker_manifest_parse(const char *buf, size_t len, const char *what,
                                pyoci_docker_manifest_entry_t **out, size_t *n, pyoci_error_t **err)
{
  *out = NULL;
  *n = 0;
  if (len > PYOCI_ARCHIVE_MAX_JSON)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': manifest.json: %zu bytes is over the limit of %u",
                                what, len, PYOCI_ARCHIVE_MAX_JSON);
  cleanup_json json_t *j = pyoci_json_parse(buf, len, "manifest.json", err);
  if (j == NULL)
    return pyoci_error_prefix(err, "load '%s'", what);
  if (!json_is_array(j))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': manifest.json: expected a list", what);
  size_t count = json_array_size(j);
  if (count == 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': manifest.json: no images", what);
  if (count > PYOCI_ARCHIVE_MAX_IMAGES)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': manifest.json: %zu images is over the limit of %u",
                                what, count, PYOCI_ARCHIVE_MAX_IMAGES);
  pyoci_docker_manifest_entry_t *v = xcalloc(count, sizeof(*v));
  for (size_t i = 0; i < count; i++) {
    if (parse_entry(json_array_get(j, i), i, what, &v[i], err) < 0) {
      pyoci_docker_manifest_free(v, count);
      return -1;
    }
  }
  *out = v;
  *n = count;
  return 0;
}

/* ---- load: verify the images manifest.json describes ---- */

/* Legacy configs are named "<hex>.json": the name is a digest claim. */
static int check_config_name(const char *what, const char *path, const char *digest, pyoci_error_t **err)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  if (n != PYOCI_DIGEST_HEX_LEN + 5 || strcmp(base + PYOCI_DIGEST_HEX_LEN, ".json") != 0)
    return 0;
  char claimed[PYOCI_DIGEST_LEN];
  snprintf(claimed, sizeof(claimed), "sha256:%.*s", PYOCI_DIGEST_HEX_LEN, base);
  if (!pyoci_digest_valid(claimed) || strcmp(claimed, digest) == 0)
    return 0;
  return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': config '%s': digest %s does not match its name",
                              what, path, digest);
}

static int plan_layer(pyoci_store_t *s, pyoci_members_t *m, const char *path, const char *diff_id,
                      pyoci_desc_t *d, pyoci_error_t **err)
{
  const pyoci_member_t *lm = pyoci_members_find(m, path, err);
  if (lm == NULL)
    return -1;
  snprintf(d->digest, sizeof(d->digest), "%s", lm->digest);
  d->size = lm->size;
  switch (lm->comp) {
  case PYOCI_COMP_NONE:
    if (strcmp(lm->digest, diff_id) != 0)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                                  "load '%s': layer '%s': digest %s does not match diff_id %s", m->what, path,
                                  lm->digest, diff_id);
    d->media_type = xstrdup(PYOCI_MT_OCI_LAYER);
    return 0;
  case PYOCI_COMP_GZIP:
  case PYOCI_COMP_ZSTD: {
    /* Docker also accepts compressed layer.tar; keep it as stored and
     * check what it decompresses to. */
    char got[PYOCI_DIGEST_LEN];
    if (pyoci_blob_stream_uncompressed(s, lm->digest, lm->comp, NULL, NULL, got, NULL, err) < 0)
      return pyoci_error_prefix(err, "load '%s': layer '%s'", m->what, path);
    if (strcmp(got, diff_id) != 0)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                                  "load '%s': layer '%s': uncompressed digest %s does not match diff_id %s",
                                  m->what, path, got, diff_id);
    d->media_type = xstrdup(pyoci_codec_get((pyoci_comp_t)lm->comp)->media_type);
    return 0;
  }
  default:
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                                "load '%s': layer '%s': compression not supported (only none, gzip, zstd)",
                                m->what, path);
  }
}

static int plan_entry(pyoci_store_t *s, pyoci_members_t *m, pyoci_docker_manifest_entry_t *e,
                      pyoci_pending_image_t *p, pyoci_error_t **err)
{
  const pyoci_member_t *cm = pyoci_members_find(m, e->config, err);
  if (cm == NULL)
    return -1;
  if (check_config_name(m->what, e->config, cm->digest, err) < 0)
    return -1;
  snprintf(p->config_digest, sizeof(p->config_digest), "%s", cm->digest);
  char(*diff_ids)[PYOCI_DIGEST_LEN] = NULL;
  size_t n_diff = 0;
  if (pyoci_archive_read_config(s, m->what, e->config, cm->digest, &diff_ids, &n_diff, err) < 0)
    return -1;
  int rc = -1;
  if (n_diff != e->n_layers) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                         "load '%s': config '%s': %zu diff_ids but manifest.json lists %zu layers", m->what,
                         e->config, n_diff, e->n_layers);
    goto out;
  }
  p->layers = xcalloc(e->n_layers + 1, sizeof(*p->layers));
  p->n_layers = e->n_layers;
  for (size_t i = 0; i < e->n_layers; i++)
    if (plan_layer(s, m, e->layers[i], diff_ids[i], &p->layers[i], err) < 0)
      goto out;
  p->names = steal_pointer(&e->repo_tags);
  p->n_names = e->n_repo_tags;
  e->n_repo_tags = 0;
  rc = 0;
out:
  free(diff_ids);
  return rc;
}

int pyoci_docker_archive_plan(pyoci_store_t *s, pyoci_members_t *m, pyoci_pending_image_t **out, size_t *n,
                              pyoci_error_t **err)
{
  pyoci_docker_manifest_entry_t *entries = NULL;
  size_t count = 0;
  if (pyoci_docker_manifest_parse(m->manifest_json, m->manifest_json_len, m->what, &entries, &count, err) < 0)
    return -1;
  pyoci_pending_image_t *v = xcalloc(count, sizeof(*v));
  for (size_t i = 0; i < count; i++) {
    if (plan_entry(s, m, &entries[i], &v[i], err) < 0) {
      pyoci_docker_manifest_free(entries, count);
      pyoci_pending_images_free(v, count);
      return -1;
    }
  }
  pyoci_docker_manifest_free(entries, count);
  *out = v;
  *n = count;
  return 0;
}

/* ---- save: the legacy layout ---- */

enum { M_DIR, M_BYTES, M_CONFIG, M_LAYER };

typedef struct {
  char name[100];
  int kind;
  int64_t mtime;
  char *bytes; /* M_BYTES */
  size_t len;
  const pyoci_desc_t *layer; /* M_LAYER */
  const char *digest;        /* M_CONFIG: config digest; M_LAYER: diff_id */
  int64_t size;              /* M_LAYER: uncompressed size */
} out_member_t;

typedef struct {
  out_member_t *v;
  size_t n, cap;
} out_list_t;

static out_member_t *add_member(out_list_t *l, const char *name, int kind, int64_t mtime)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i].name, name) == 0)
      return NULL; /* already there (a layer or config shared by two images) */
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 32;
    l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
  }
  out_member_t *o = &l->v[l->n++];
  memset(o, 0, sizeof(*o));
  snprintf(o->name, sizeof(o->name), "%s", name);
  o->kind = kind;
  o->mtime = mtime;
  return o;
}

static int cmp_member(const void *a, const void *b)
{
  return strcmp(((const out_member_t *)a)->name, ((const out_member_t *)b)->name);
}

static void out_list_free(out_list_t *l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i].bytes);
  free(l->v);
}

/* A v1 "json" like the one docker writes beside each layer.tar; docker
 * load only reads it for archives without manifest.json. */
static char *v1_json(const char *id, const char *parent, const char *created)
{
  cleanup_json json_t *j = json_object();
  json_object_set_new(j, "id", json_string(id));
  if (parent)
    json_object_set_new(j, "parent", json_string(parent));
  json_object_set_new(j, "created", json_string(created ? created : "1970-01-01T00:00:00Z"));
  json_object_set_new(j, "os", json_string("linux"));
  return pyoci_json_dump_canonical(j);
}

static int plan_image(pyoci_store_t *s, pyoci_save_item_t *it, out_list_t *l, json_t *manifest, json_t *repos,
                      pyoci_error_t **err)
{
  pyoci_image_t *img = it->img;
  const char *cfg_hex = img->config_digest + 7;
  char name[100];
  snprintf(name, sizeof(name), "%s.json", cfg_hex);
  out_member_t *o = add_member(l, name, M_CONFIG, it->mtime);
  if (o)
    o->digest = img->config_digest;
  json_t *entry = json_object();
  json_array_append_new(manifest, entry);
  json_object_set_new(entry, "Config", json_string(name));
  json_t *tags = it->n_names ? json_array() : json_null();
  json_object_set_new(entry, "RepoTags", tags);
  json_t *layers = json_array();
  json_object_set_new(entry, "Layers", layers);
  const char *created = pyoci_json_str(img->config, "created");
  const char *parent = NULL;
  for (size_t i = 0; i < img->n_layers; i++) {
    const char *dhex = img->diff_ids[i] + 7;
    snprintf(name, sizeof(name), "%s/layer.tar", dhex);
    json_array_append_new(layers, json_string(name));
    if ((o = add_member(l, dhex, M_DIR, it->mtime)) != NULL) {
      int comp = pyoci_layer_media_compression(img->layers[i].media_type);
      int64_t usize = img->layers[i].size;
      if (comp != 0) {
        /* The tar header needs the uncompressed size up front: measure (and
         * verify) before a byte of this image is written. */
        char got[PYOCI_DIGEST_LEN];
        if (pyoci_blob_stream_uncompressed(s, img->layers[i].digest, comp, NULL, NULL, got, &usize, err) < 0)
          return pyoci_error_prefix(err, "save layer %s", img->layers[i].digest);
        if (strcmp(got, img->diff_ids[i]) != 0)
          return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                                      "save layer %s: uncompressed digest %s does not match diff_id %s",
                                      img->layers[i].digest, got, img->diff_ids[i]);
      }
      snprintf(name, sizeof(name), "%s/VERSION", dhex);
      o = add_member(l, name, M_BYTES, it->mtime);
      o->bytes = xstrdup("1.0");
      o->len = 3;
      snprintf(name, sizeof(name), "%s/json", dhex);
      o = add_member(l, name, M_BYTES, it->mtime);
      o->bytes = v1_json(dhex, parent, created);
      o->len = strlen(o->bytes);
      snprintf(name, sizeof(name), "%s/layer.tar", dhex);
      o = add_member(l, name, M_LAYER, it->mtime);
      o->layer = &img->layers[i];
      o->digest = img->diff_ids[i];
      o->size = usize;
    }
    parent = dhex;
  }
  for (size_t t = 0; t < it->n_names; t++) {
    json_array_append_new(tags, json_string(it->names[t]));
    /* repositories: {"repo": {"tag": "<top layer id>"}} */
    const char *colon = strrchr(it->names[t], ':');
    if (colon == NULL || strchr(colon, '/') != NULL || parent == NULL)
      continue;
    cleanup_free char *repo = xstrndup(it->names[t], (size_t)(colon - it->names[t]));
    json_t *r = json_object_get(repos, repo);
    if (r == NULL) {
      r = json_object();
      json_object_set_new(repos, repo, r);
    }
    json_object_set_new(r, colon + 1, json_string(parent));
  }
  return 0;
}

static int write_member(pyoci_store_t *s, pyoci_tarw_t *w, out_member_t *o, pyoci_error_t **err)
{
  switch (o->kind) {
  case M_DIR:
    return pyoci_tarw_dir(w, o->name, o->mtime, err);
  case M_BYTES:
    return pyoci_tarw_file(w, o->name, o->bytes, o->len, o->mtime, err);
  case M_CONFIG: {
    cleanup_free char *buf = NULL;
    size_t len = 0;
    if (pyoci_store_read_blob(s, o->digest, PYOCI_MAX_CONFIG_SIZE, &buf, &len, err) < 0)
      return -1;
    return pyoci_tarw_file(w, o->name, buf, len, o->mtime, err);
  }
  default: {
    int comp = pyoci_layer_media_compression(o->layer->media_type);
    char got[PYOCI_DIGEST_LEN];
    int64_t got_size = 0;
    if (comp == 0) {
      /* Stored as plain tar: the blob is the member, byte for byte. */
      if (pyoci_tarw_begin(w, o->name, o->size, o->mtime, err) < 0 ||
          pyoci_blob_copy_to_tar(s, o->layer->digest, o->size, o->digest, w, err) < 0)
        return pyoci_error_prefix(err, "save layer %s", o->layer->digest);
      return pyoci_tarw_end(w, err);
    }
    if (pyoci_tarw_begin(w, o->name, o->size, o->mtime, err) < 0 ||
        pyoci_blob_stream_uncompressed(s, o->layer->digest, comp, pyoci_tarw_sink, w, got, &got_size, err) < 0)
      return pyoci_error_prefix(err, "save layer %s", o->layer->digest);
    if (strcmp(got, o->digest) != 0)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "save layer %s: content %s does not match diff_id %s",
                                  o->layer->digest, got, o->digest);
    return pyoci_tarw_end(w, err);
  }
  }
}

int pyoci_docker_archive_write(pyoci_store_t *s, pyoci_save_item_t *items, size_t n, pyoci_tarw_t *w,
                               pyoci_error_t **err)
{
  out_list_t l = {0};
  cleanup_json json_t *manifest = json_array();
  cleanup_json json_t *repos = json_object();
  int64_t newest = 0;
  int rc = -1;
  for (size_t i = 0; i < n; i++) {
    if (plan_image(s, &items[i], &l, manifest, repos, err) < 0)
      goto out;
    if (items[i].mtime > newest)
      newest = items[i].mtime;
  }
  out_member_t *o = add_member(&l, "manifest.json", M_BYTES, newest);
  o->bytes = json_dumps(manifest, JSON_COMPACT);
  o->len = strlen(o->bytes);
  o = add_member(&l, "repositories", M_BYTES, newest);
  o->bytes = json_dumps(repos, JSON_COMPACT | JSON_SORT_KEYS);
  o->len = strlen(o->bytes);
  qsort(l.v, l.n, sizeof(*l.v), cmp_member);
  for (size_t i = 0; i < l.n; i++) {
    pyoci_progress("Saving", i, l.n, 0);
    if (write_member(s, w, &l.v[i], err) < 0)
      goto out;
  }
  pyoci_progress("Saving", l.n, l.n, 1);
  rc = 0;
out:
  out_list_free(&l);
  return rc;
}
