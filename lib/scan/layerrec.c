/* Layer records: one pass over a layer tar for the catalog and the secret
 * scanner, and their cache (see layerrec.h). */
#include "layerrec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/secret/scan.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/hash.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"

#define CACHE_MAGIC "PYOSCAN1"
#define CACHE_END "END!"
#define NO_STR 0xffffffffu

void pyoci_lrec_free(pyoci_layer_record_t *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n_entries; i++) {
    free(r->entries[i].path);
    free(r->entries[i].link);
    free(r->entries[i].content);
  }
  free(r->entries);
  for (size_t i = 0; i < r->n_secrets; i++) {
    free(r->secrets[i].rule_id);
    free(r->secrets[i].path);
    free(r->secrets[i].match);
    free(r->secrets[i].code);
  }
  free(r->secrets);
  free(r);
}

static pyoci_lrec_entry_t *add_entry(pyoci_layer_record_t *r)
{
  if (r->n_entries == r->cap_entries) {
    r->cap_entries = r->cap_entries ? r->cap_entries * 2 : 1024;
    r->entries = xrealloc(r->entries, r->cap_entries * sizeof(*r->entries));
  }
  pyoci_lrec_entry_t *e = &r->entries[r->n_entries++];
  memset(e, 0, sizeof(*e));
  return e;
}

static pyoci_lrec_secret_t *add_secret(pyoci_layer_record_t *r)
{
  if (r->n_secrets == r->cap_secrets) {
    r->cap_secrets = r->cap_secrets ? r->cap_secrets * 2 : 16;
    r->secrets = xrealloc(r->secrets, r->cap_secrets * sizeof(*r->secrets));
  }
  pyoci_lrec_secret_t *s = &r->secrets[r->n_secrets++];
  memset(s, 0, sizeof(*s));
  return s;
}

bool pyoci_lrec_interesting(const char *path)
{
  if (pyoci_os_probe(path) || pyoci_owner_probe(path))
    return true;
  for (const pyoci_cataloger_t *const *c = pyoci_catalogers(); *c != NULL; c++)
    if ((*c)->probe(path))
      return true;
  return false;
}


static int collect_secret(const pyoci_secret_finding_t *f, void *ctx, pyoci_error_t **err)
{
  (void)err;
  pyoci_lrec_secret_t *s = add_secret(ctx);
  s->rule_id = xstrdup_or_null(f->rule_id);
  s->path = xstrdup_or_null(f->path);
  s->line = f->line;
  s->end_line = f->end_line;
  s->match = xstrdup_or_null(f->match ? f->match : "");
  s->code = xstrdup_or_null(f->code ? f->code : "");
  return 0;
}

int pyoci_lrec_read(pyoci_tar_reader_t *r, const char *what, bool scan_secrets, pyoci_layer_record_t **out,
                    pyoci_error_t **err)
{
  cleanup_lrec pyoci_layer_record_t *rec = xcalloc(1, sizeof(*rec));
  rec->secrets_scanned = scan_secrets;
  pyoci_tar_entry_t te;
  int rc;
  while ((rc = pyoci_tar_reader_next(r, &te, err)) > 0) {
    if (te.path[0] == '\0')
      continue;
    if (rec->n_entries >= PYOCI_LREC_MAX_ENTRIES)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "layer %s: more than %u entries", what,
                                  PYOCI_LREC_MAX_ENTRIES);
    pyoci_lrec_entry_t *e = add_entry(rec);
    e->path = xstrdup_or_null(te.path);
    e->type = pyoci_cat_type_of(te.type);
    e->size = te.type == PYOCI_TAR_FILE ? te.size : 0;
    e->link = (te.type == PYOCI_TAR_SYMLINK || te.type == PYOCI_TAR_HARDLINK) ? xstrdup_or_null(te.link) : NULL;
    if (te.type != PYOCI_TAR_FILE || te.size <= 0)
      continue;
    bool whiteout = pyoci_is_whiteout(te.path, NULL) || pyoci_is_opaque_whiteout(te.path);
    bool want_cat = !whiteout && te.size <= (int64_t)PYOCI_PKG_MAX_FILE && pyoci_lrec_interesting(te.path);
    bool want_secret = scan_secrets && !whiteout && te.size <= (int64_t)PYOCI_SECRET_MAX_FILE &&
                       !pyoci_secret_path_allowed(te.path);
    if (!want_cat && !want_secret)
      continue;
    cleanup_free char *buf = NULL;
    size_t len = 0;
    if (pyoci_tar_reader_read_all(r, (size_t)te.size, &buf, &len, err) < 0) {
      pyoci_error_prefix(err, "read '%s'", e->path);
      return pyoci_error_prefix(err, "layer %s", what);
    }
    if (want_secret && pyoci_secret_scan_buffer(e->path, buf, len, collect_secret, rec, err) < 0)
      return pyoci_error_prefix(err, "secret scan of layer %s", what);
    if (want_cat) {
      pyoci_owner_trim(e->path, buf, &len);
      e->content = steal_pointer(&buf);
      e->content_len = len;
    }
  }
  if (rc < 0)
    return pyoci_error_prefix(err, "layer %s", what);
  *out = steal_pointer(&rec);
  return 0;
}

/* ---- replay into a catalog ---- */

typedef struct {
  const char *p;
  size_t left;
} memread_t;

static ssize_t memread(void *ctx, void *buf, size_t len, pyoci_error_t **err)
{
  (void)err;
  memread_t *m = ctx;
  size_t n = len < m->left ? len : m->left;
  memcpy(buf, m->p, n);
  m->p += n;
  m->left -= n;
  return (ssize_t)n;
}

int pyoci_lrec_feed_catalog(const pyoci_layer_record_t *rec, pyoci_catalog_t *cat, int layer, const char *digest,
                            pyoci_error_t **err)
{
  pyoci_catalog_set_layer_digest(cat, layer, digest);
  for (size_t i = 0; i < rec->n_entries; i++) {
    const pyoci_lrec_entry_t *e = &rec->entries[i];
    memread_t m = {e->content ? e->content : "", e->content ? e->content_len : 0};
    /* A file the catalog wants but whose bytes were not kept (over the
     * limit) keeps its real size, so the catalog reports it as it would. */
    if (pyoci_catalog_feed_entry(cat, layer, e->path, (pyoci_cat_type_t)e->type, e->size, e->link, memread, &m,
                                 err) < 0)
      return pyoci_error_prefix(err, "layer %d (%s)", layer, digest ? digest : "?");
  }
  return 0;
}

/* ---- serialisation ---- */

static void put_u32(strbuf_t *sb, uint32_t v)
{
  strbuf_add(sb, &v, sizeof(v));
}

static void put_str(strbuf_t *sb, const char *s, size_t len)
{
  if (s == NULL) {
    put_u32(sb, NO_STR);
    return;
  }
  put_u32(sb, (uint32_t)len);
  strbuf_add(sb, s, len);
}

static void put_cstr(strbuf_t *sb, const char *s)
{
  put_str(sb, s, s ? strlen(s) : 0);
}

char *pyoci_lrec_serialize(const pyoci_layer_record_t *r, const char *blob_digest, size_t *len)
{
  strbuf_t sb = STRBUF_INIT;
  strbuf_add(&sb, CACHE_MAGIC, 8);
  put_cstr(&sb, blob_digest ? blob_digest : "");
  put_u32(&sb, r->secrets_scanned ? 1 : 0);
  put_u32(&sb, (uint32_t)r->n_entries);
  for (size_t i = 0; i < r->n_entries; i++) {
    const pyoci_lrec_entry_t *e = &r->entries[i];
    strbuf_add(&sb, &e->type, 1);
    strbuf_add(&sb, &e->size, sizeof(e->size));
    put_cstr(&sb, e->path);
    put_cstr(&sb, e->link);
    put_str(&sb, e->content, e->content_len);
  }
  put_u32(&sb, (uint32_t)r->n_secrets);
  for (size_t i = 0; i < r->n_secrets; i++) {
    const pyoci_lrec_secret_t *s = &r->secrets[i];
    put_cstr(&sb, s->rule_id);
    put_cstr(&sb, s->path);
    put_u32(&sb, (uint32_t)s->line);
    put_u32(&sb, (uint32_t)s->end_line);
    put_cstr(&sb, s->match);
    put_cstr(&sb, s->code);
  }
  strbuf_add(&sb, CACHE_END, 4);
  *len = sb.len;
  return strbuf_detach(&sb);
}

typedef struct {
  const char *p, *end;
  bool bad;
} rd_t;

static uint32_t get_u32(rd_t *r)
{
  uint32_t v = 0;
  if ((size_t)(r->end - r->p) < sizeof(v)) {
    r->bad = true;
    return 0;
  }
  memcpy(&v, r->p, sizeof(v));
  r->p += sizeof(v);
  return v;
}

/* A string (NUL-terminated copy) or NULL; *len gets its length.  Only
 * file contents (len_out given) may hold NUL bytes. */
static char *get_str(rd_t *r, size_t *len_out, bool allow_null)
{
  uint32_t n = get_u32(r);
  if (r->bad)
    return NULL;
  if (n == NO_STR) {
    if (!allow_null)
      r->bad = true;
    return NULL;
  }
  if ((size_t)(r->end - r->p) < n || (len_out == NULL && memchr(r->p, '\0', n) != NULL)) {
    r->bad = true;
    return NULL;
  }
  char *s = xmalloc((size_t)n + 1);
  memcpy(s, r->p, n);
  s[n] = '\0';
  r->p += n;
  if (len_out)
    *len_out = n;
  return s;
}

int pyoci_lrec_parse(const char *buf, size_t len, const char *blob_digest, const char *what,
                     pyoci_layer_record_t **out, pyoci_error_t **err)
{
  rd_t r = {buf, buf + len, false};
  if (len < 12 || memcmp(buf, CACHE_MAGIC, 8) != 0 || memcmp(buf + len - 4, CACHE_END, 4) != 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': not a scan cache file (or truncated)", what);
  r.p += 8;
  r.end -= 4;
  cleanup_free char *digest = get_str(&r, NULL, false);
  if (r.bad)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': truncated", what);
  if (blob_digest != NULL && strcmp(digest, blob_digest) != 0)
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "'%s': made from another layer blob (%s)", what, digest);
  cleanup_lrec pyoci_layer_record_t *rec = xcalloc(1, sizeof(*rec));
  uint32_t scanned = get_u32(&r);
  rec->secrets_scanned = scanned == 1;
  uint32_t n = get_u32(&r);
  if (scanned > 1)
    r.bad = true;
  /* Each entry takes at least 21 bytes: bound the count before allocating. */
  if (r.bad || n > PYOCI_LREC_MAX_ENTRIES || (size_t)n > (size_t)(r.end - r.p) / 21)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': bad entry count", what);
  for (uint32_t i = 0; i < n && !r.bad; i++) {
    pyoci_lrec_entry_t *e = add_entry(rec);
    if ((size_t)(r.end - r.p) < 1 + sizeof(int64_t)) {
      r.bad = true;
      break;
    }
    e->type = (uint8_t)*r.p++;
    memcpy(&e->size, r.p, sizeof(e->size));
    r.p += sizeof(e->size);
    e->path = get_str(&r, NULL, false);
    e->link = get_str(&r, NULL, true);
    e->content = get_str(&r, &e->content_len, true);
    if (e->type > PYOCI_CAT_OTHER || e->size < 0)
      r.bad = true;
  }
  uint32_t ns = get_u32(&r);
  if (r.bad || ns > (size_t)(r.end - r.p) / 24)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': damaged entries", what);
  for (uint32_t i = 0; i < ns && !r.bad; i++) {
    pyoci_lrec_secret_t *s = add_secret(rec);
    s->rule_id = get_str(&r, NULL, false);
    s->path = get_str(&r, NULL, false);
    s->line = (int)get_u32(&r);
    s->end_line = (int)get_u32(&r);
    s->match = get_str(&r, NULL, false);
    s->code = get_str(&r, NULL, false);
  }
  if (r.bad || r.p != r.end)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': damaged secrets section", what);
  *out = steal_pointer(&rec);
  return 0;
}

/* ---- the store cache ---- */

const pyoci_layer_cache_t pyoci_lrec_cache = {.subdir = "cache/scan", .salted = true};

/* Changes when the secret rules or the record format change. */
static const char *cache_salt(void)
{
  static char salt[17];
  if (salt[0] != '\0')
    return salt;
  pyoci_sha256_t *h = pyoci_sha256_new();
  /* 2: dpkg file lists; 3: only layers that hash to their diff_id (records
   * written before may come from an image that lied about it) */
  static const char fmt[] = "pyoci-scan-cache-3";
  pyoci_sha256_update(h, fmt, sizeof(fmt));
  size_t n = 0;
  const pyoci_secret_rule_t *rules = pyoci_secret_rules(&n);
  for (size_t i = 0; i < n; i++) {
    pyoci_sha256_update(h, rules[i].id, strlen(rules[i].id) + 1);
    pyoci_sha256_update(h, rules[i].regex, strlen(rules[i].regex) + 1);
    for (size_t k = 0; k < PYOCI_SECRET_MAX_KEYWORDS && rules[i].keywords[k]; k++)
      pyoci_sha256_update(h, rules[i].keywords[k], strlen(rules[i].keywords[k]) + 1);
    pyoci_sha256_update(h, &rules[i].flags, sizeof(rules[i].flags));
  }
  char d[PYOCI_DIGEST_LEN];
  pyoci_sha256_final(h, d); /* frees h */
  memcpy(salt, d + 7, 16);
  salt[16] = '\0';
  return salt;
}

static char *cache_path(pyoci_store_t *s, const char *diff_id)
{
  if (diff_id == NULL || !pyoci_digest_valid(diff_id))
    return NULL;
  char *p = NULL;
  p = xasprintf("%s/%s/%s/%s", pyoci_store_path(s), pyoci_lrec_cache.subdir, cache_salt(), diff_id + 7);
  return p;
}

pyoci_layer_record_t *pyoci_lrec_cache_get(pyoci_store_t *s, const char *diff_id, const char *blob_digest,
                                           bool need_secrets)
{
  cleanup_free char *p = cache_path(s, diff_id);
  if (p == NULL || !pyoci_path_exists(p))
    return NULL;
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *buf = NULL;
  size_t len = 0;
  pyoci_layer_record_t *rec = NULL;
  if (pyoci_read_file(p, PYOCI_LREC_MAX_CACHE, &buf, &len, &err) < 0 ||
      pyoci_lrec_parse(buf, len, blob_digest, p, &rec, &err) < 0) {
    pyoci_log(PYOCI_LOG_DEBUG, "scan cache miss: %s", err ? err->msg : p);
    return NULL;
  }
  if (need_secrets && !rec->secrets_scanned) {
    pyoci_lrec_free(rec);
    return NULL;
  }
  return rec;
}

void pyoci_lrec_cache_put(pyoci_store_t *s, const char *diff_id, const char *blob_digest,
                          const pyoci_layer_record_t *r)
{
  cleanup_free char *p = cache_path(s, diff_id);
  if (p == NULL)
    return;
  cleanup_free char *dir = xstrdup_or_null(p);
  *strrchr(dir, '/') = '\0';
  cleanup_error pyoci_error_t *err = NULL;
  size_t len = 0;
  cleanup_free char *buf = pyoci_lrec_serialize(r, blob_digest, &len);
  if (pyoci_mkdir_p(dir, 0755, &err) < 0 || pyoci_write_file_atomic(p, buf, len, 0644, &err) < 0)
    pyoci_log(PYOCI_LOG_DEBUG, "scan cache not written: %s", err ? err->msg : p);
}

int pyoci_lrec_for_layer(pyoci_store_t *s, const pyoci_desc_t *desc, const char *diff_id, bool scan_secrets,
                         bool use_cache, pyoci_layer_record_t **out, bool *hit, pyoci_error_t **err)
{
  *hit = false;
  if (use_cache && (*out = pyoci_lrec_cache_get(s, diff_id, desc->digest, scan_secrets)) != NULL) {
    *hit = true;
    return 0;
  }
  cleanup_close int fd = -1;
  int64_t size = 0;
  if (pyoci_store_open_blob(s, desc->digest, &fd, &size, err) < 0)
    return -1;
  /* Checked against its diff_id even with the cache off: what a scan
   * reports is what the config says the image holds. */
  pyoci_tar_reader_t *r = NULL;
  if (pyoci_tar_reader_open_verified(fd, desc->digest, pyoci_digest_valid(diff_id) ? diff_id : NULL, &r, err) < 0)
    return -1;
  int rc = pyoci_lrec_read(r, desc->digest, scan_secrets, out, err);
  pyoci_tar_reader_free(r);
  if (rc < 0)
    return -1;
  if (use_cache)
    pyoci_lrec_cache_put(s, diff_id, desc->digest, *out);
  return 0;
}
