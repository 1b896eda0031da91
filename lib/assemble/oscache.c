/* The OS layer, remembered in the store: <store>/cache/assemble/<key>
 * holds the layer blob's digest, diff_id, size and media type.  The key is
 * the sha256 of everything the OS root is made from (every .deb's name,
 * version, architecture and sha256 -- an entry is written only after all of
 * them were checked against the .debs themselves --
 * path filters, accounts, suite, layer options, this code's version), so an
 * unchanged spec re-assembles without unpacking or compressing anything; a
 * hit is used only when its blob is still in the store.  Blobs are the
 * store's own (digest-checked when written), so this adds no new trust. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/oci/store_cache.h"
#include "plan_int.h"

/* Bump when what goes into the OS root changes for the same inputs. */
#define OS_LAYER_RECIPE "pyoci-assemble-os-1"

static void add_strv(strbuf_t *sb, const char *what, char *const *v)
{
  strbuf_addf(sb, "%s:", what);
  for (; v && *v; v++)
    strbuf_addf(sb, "%zu:%s,", strlen(*v), *v);
  strbuf_addch(sb, '\n');
}

void pyoci_asm_os_key(const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, const pyoci_lock_t *plan,
                      const pyoci_layer_opts_t *lo, char key[PYOCI_DIGEST_HEX_LEN + 1])
{
  strbuf_t sb = STRBUF_INIT;
  strbuf_addf(&sb, "%s\nsuite:%s\narch:%s\nsde:%lld comp:%d level:%d\n", OS_LAYER_RECIPE, c->suite, c->deb_arch,
              (long long)lo->source_date_epoch, (int)lo->comp, lo->level);
  for (size_t i = 0; i < plan->n_debs; i++)
    strbuf_addf(&sb, "deb:%s %s %s %s\n", plan->debs[i].name, plan->debs[i].version, plan->debs[i].arch,
                plan->debs[i].sha256);
  add_strv(&sb, "exclude", spec->exclude_paths);
  add_strv(&sb, "include", spec->include_paths);
  for (size_t i = 0; i < spec->n_users; i++) {
    const pyoci_spec_account_t *u = &spec->users[i];
    strbuf_addf(&sb, "user:%s:%u:%u:%s:%s\n", u->name, u->id, u->gid, u->home ? u->home : "",
                u->shell ? u->shell : "");
  }
  for (size_t i = 0; i < spec->n_groups; i++)
    strbuf_addf(&sb, "group:%s:%u\n", spec->groups[i].name, spec->groups[i].id);
  char d[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf(sb.buf, sb.len, d);
  memcpy(key, d + 7, PYOCI_DIGEST_HEX_LEN + 1);
  strbuf_release(&sb);
}

static char *entry_path(pyoci_store_t *s, const char *key)
{
  return xasprintf("%s/cache/assemble/%s", pyoci_store_path(s), key);
}

bool pyoci_asm_os_cached(pyoci_store_t *s, const char *key, pyoci_desc_t *desc, char diff_id[PYOCI_DIGEST_LEN])
{
  cleanup_free char *path = entry_path(s, key);
  pyoci_error_t *err = NULL;
  cleanup_json json_t *j = pyoci_json_load_file(path, 4096, &err);
  pyoci_error_free(err);
  err = NULL;
  const char *digest = j ? pyoci_json_str(j, "digest") : NULL, *diff = j ? pyoci_json_str(j, "diffId") : NULL;
  const char *mt = j ? pyoci_json_str(j, "mediaType") : NULL;
  if (!digest || !diff || !mt || !pyoci_digest_valid(digest) || !pyoci_digest_valid(diff))
    return false;
  int fd = -1;
  int64_t size = -1;
  if (pyoci_store_open_blob(s, digest, &fd, &size, &err) < 0) {
    pyoci_error_free(err);
    return false; /* gc took the blob: make the layer again */
  }
  close(fd);
  desc->media_type = xstrdup(mt);
  snprintf(desc->digest, sizeof(desc->digest), "%s", digest);
  desc->size = size;
  snprintf(diff_id, PYOCI_DIGEST_LEN, "%s", diff);
  return true;
}

void pyoci_asm_os_remember(pyoci_store_t *s, const char *key, const pyoci_desc_t *desc, const char *diff_id)
{
  cleanup_free char *dir = xasprintf("%s/cache/assemble", pyoci_store_path(s));
  cleanup_free char *path = entry_path(s, key);
  cleanup_json json_t *j = json_pack("{s:s, s:s, s:s}", "digest", desc->digest, "diffId", diff_id, "mediaType",
                                     desc->media_type);
  cleanup_free char *text = pyoci_json_dump_canonical(j);
  pyoci_error_t *err = NULL;
  /* A cache: failing to write it only costs the next run the work. */
  if (pyoci_mkdir_p(dir, 0755, &err) < 0 || pyoci_write_file_atomic(path, text, strlen(text), 0644, &err) < 0)
    pyoci_error_free(err);
}

int pyoci_assemble_cache_prune(pyoci_store_t *s, pyoci_cache_freed_t *freed, pyoci_error_t **err)
{
  cleanup_free char *dir = xasprintf("%s/cache/assemble", pyoci_store_path(s));
  cleanup_dir DIR *d = opendir(dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : pyoci_error_set(err, errno, "open '%s'", dir);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    pyoci_desc_t desc = {0};
    char diff_id[PYOCI_DIGEST_LEN];
    bool live = strlen(e->d_name) == PYOCI_DIGEST_HEX_LEN && pyoci_asm_os_cached(s, e->d_name, &desc, diff_id);
    free(desc.media_type);
    pyoci_error_t *rm = NULL;
    /* gc took its blob (or it is a torn write): the entry can never hit again. */
    if (!live && pyoci_cache_entry_remove_at(dirfd(d), e->d_name, freed, &rm) < 0) {
      pyoci_log(PYOCI_LOG_WARN, "prune: %s", rm->msg);
      pyoci_error_free(rm);
    }
  }
  return 0;
}
