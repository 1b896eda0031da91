/* prune's second half: the store's caches (see store_cache.h).  Runs under
 * the exclusive .lock that gc takes, so no pyoci process is reading or
 * writing a cache entry while we decide it is dead. */
#include "lib/util/alloc.h"
#include "store_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"
#include "store_int.h"

#define MAX_TREE_DEPTH 256

/* ---- apparent size of a tree ---- */

/* Files with several links, counted once each at the end. */
typedef struct {
  struct linked {
    dev_t dev;
    ino_t ino;
    uint64_t size;
  } *v;
  size_t n, cap;
} linked_t;

static void linked_add(linked_t *l, const struct stat *st)
{
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 32;
    l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
  }
  l->v[l->n++] = (struct linked){st->st_dev, st->st_ino, (uint64_t)st->st_size};
}

static int cmp_linked(const void *a, const void *b)
{
  const struct linked *x = a, *y = b;
  if (x->dev != y->dev)
    return x->dev < y->dev ? -1 : 1;
  return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static uint64_t linked_total(linked_t *l)
{
  if (l->n > 1) /* v is NULL when empty, and qsort's may not be */
    qsort(l->v, l->n, sizeof(*l->v), cmp_linked);
  uint64_t sum = 0;
  for (size_t i = 0; i < l->n; i++)
    if (i == 0 || cmp_linked(&l->v[i - 1], &l->v[i]) != 0)
      sum += l->v[i].size;
  return sum;
}

/* Sum st_size of the non-directories under parent_fd/name, staying on its file
 * system (a stale mount inside is not ours).  Unreadable parts count 0. */
static uint64_t tree_size_at(int parent_fd, const char *name, dev_t dev, int depth, linked_t *links)
{
  struct stat st;
  if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
    return 0;
  if (!S_ISDIR(st.st_mode)) {
    if (st.st_nlink > 1) {
      linked_add(links, &st);
      return 0;
    }
    return (uint64_t)st.st_size;
  }
  if (depth > MAX_TREE_DEPTH)
    return 0;
  int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (d == NULL) {
    if (fd >= 0)
      close(fd);
    return 0;
  }
  uint64_t sum = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      sum += tree_size_at(dirfd(d), de->d_name, dev, depth + 1, links);
  return sum;
}

static uint64_t apparent_size_at(int parent_fd, const char *name)
{
  struct stat st;
  if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  linked_t links = {0};
  uint64_t sum = tree_size_at(parent_fd, name, st.st_dev, 0, &links);
  sum += linked_total(&links);
  free(links.v);
  return sum;
}

int pyoci_cache_entry_remove_at(int parent_fd, const char *name, pyoci_cache_freed_t *freed, pyoci_error_t **err)
{
  uint64_t before = apparent_size_at(parent_fd, name);
  int rc = pyoci_rm_rf_at(parent_fd, name, err);
  /* A partial removal still freed something: count what is gone. */
  uint64_t after = rc < 0 ? apparent_size_at(parent_fd, name) : 0;
  freed->bytes += before > after ? before - after : 0;
  if (rc == 0)
    freed->entries++;
  return rc;
}

/* ---- per-layer caches ---- */

typedef struct {
  const pyoci_layer_cache_t *cache;
  pyoci_digest_set_t *live; /* diff_ids of the images in the index */
  const char *dir;          /* for messages */
  int fd;
  pyoci_cache_freed_t *freed;
} sweep_t;

static bool is_live(const sweep_t *w, const char *name)
{
  if (w->cache->whole)
    return false;
  char digest[PYOCI_DIGEST_LEN];
  if (strlen(name) != PYOCI_DIGEST_LEN - 8)
    return false;
  snprintf(digest, sizeof(digest), "sha256:%s", name);
  return pyoci_digest_valid(digest) && pyoci_digest_set_has(w->live, digest);
}

static bool has_suffix(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n > m && strcmp(s + n - m, suffix) == 0;
}

static void remove_entry(const sweep_t *w, const char *name)
{
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_cache_entry_remove_at(w->fd, name, w->freed, &err) < 0)
    pyoci_log(PYOCI_LOG_WARN, "prune: %s/%s: %s", w->dir, name, err->msg);
}

/* Take an entry's lock without waiting; -1 when another process holds it
 * (or it cannot be opened: then we cannot know, so keep the entry). */
static int try_entry_lock(const sweep_t *w, const char *name, const char *lock_name)
{
  int fd = openat(w->fd, lock_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    pyoci_log(PYOCI_LOG_WARN, "prune: open '%s/%s': %s", w->dir, lock_name, strerror(errno));
    return -1;
  }
  while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    if (errno == EINTR)
      continue;
    if (errno == EWOULDBLOCK)
      pyoci_log(PYOCI_LOG_INFO, "prune: keeping '%s/%s': in use by another process", w->dir, name);
    else
      pyoci_log(PYOCI_LOG_WARN, "prune: lock '%s/%s': %s", w->dir, lock_name, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

/* A dead entry of a locked cache, with its lock.  In pyoci only
 * pyoci_unpacked_get takes these locks, always through an open store handle,
 * which holds the store's shared lock for its whole life; a build's
 * prefetcher is forked with its parent's handle and so shares that lock even
 * if the parent is killed.  prune's exclusive lock therefore waits for all of
 * them, and an entry lock still held now belongs to something outside that
 * rule (another tool, or a future user of lower dirs that outlives its
 * handle): leave its entry alone.  The lock file goes last, while we still
 * hold it, so anyone who then takes it finds no entry and unpacks again. */
static void remove_locked_entry(const sweep_t *w, const char *name, bool entry_exists)
{
  cleanup_free char *lock_name = NULL;
  lock_name = xasprintf("%s.lock", name);
  cleanup_close int lock = try_entry_lock(w, name, lock_name);
  if (lock < 0)
    return;
  if (entry_exists)
    remove_entry(w, name);
  if (unlinkat(w->fd, lock_name, 0) < 0 && errno != ENOENT)
    pyoci_log(PYOCI_LOG_WARN, "prune: remove '%s/%s': %s", w->dir, lock_name, strerror(errno));
}

static void sweep_name(const sweep_t *w, const char *name)
{
  if (!w->cache->locked) {
    if (!is_live(w, name))
      remove_entry(w, name);
    return;
  }
  if (!has_suffix(name, ".lock")) {
    if (!is_live(w, name))
      remove_locked_entry(w, name, true);
    return;
  }
  /* A lock whose entry is gone (or never came: a failed unpack). */
  cleanup_free char *base = xstrndup(name, strlen(name) - strlen(".lock"));
  struct stat st;
  if (base == NULL || fstatat(w->fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 || is_live(w, base))
    return; /* handled with its entry, or kept for a live layer */
  remove_locked_entry(w, base, false);
}

/* A directory's names, read before any is removed (scandirat). */
typedef struct {
  struct dirent **v;
  int n;
} names_t;

static int not_dots(const struct dirent *de)
{
  return strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
}

static int names_read(int dir_fd, const char *what, names_t *out, pyoci_error_t **err)
{
  out->n = scandirat(dir_fd, ".", &out->v, not_dots, alphasort);
  if (out->n < 0) {
    out->n = 0;
    out->v = NULL;
    return pyoci_error_set(err, errno, "read '%s'", what);
  }
  return 0;
}

static void names_free(names_t *l)
{
  for (int i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
}
#define cleanup_names __attribute__((cleanup(names_free)))

/* Sweep one directory of entries; a missing one is an empty cache. */
static int sweep_dir(const pyoci_layer_cache_t *cache, pyoci_digest_set_t *live, int parent_fd, const char *dir,
                     const char *name, pyoci_cache_freed_t *freed, pyoci_error_t **err)
{
  cleanup_close int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : pyoci_error_set(err, errno, "open '%s'", dir);
  cleanup_names names_t names = {0};
  if (names_read(fd, dir, &names, err) < 0)
    return -1;
  sweep_t w = {cache, live, dir, fd, freed};
  for (int i = 0; i < names.n; i++)
    sweep_name(&w, names.v[i]->d_name);
  return 0;
}

/* <subdir>/<salt>/<hex>: sweep every salt, and drop the salts left empty
 * (an older pyoci's scan records, once their layers are gone). */
static int sweep_salted(const pyoci_layer_cache_t *cache, pyoci_digest_set_t *live, int top_fd, const char *top,
                        pyoci_cache_freed_t *freed, pyoci_error_t **err)
{
  cleanup_names names_t salts = {0};
  if (names_read(top_fd, top, &salts, err) < 0)
    return -1;
  for (int i = 0; i < salts.n; i++) {
    const char *salt = salts.v[i]->d_name;
    cleanup_free char *dir = pyoci_path_join(top, salt);
    struct stat st;
    if (fstatat(top_fd, salt, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
      sweep_t w = {cache, live, top, top_fd, freed};
      remove_entry(&w, salt); /* no file belongs at this level */
      continue;
    }
    if (sweep_dir(cache, live, top_fd, dir, salt, freed, err) < 0)
      return -1;
    if (unlinkat(top_fd, salt, AT_REMOVEDIR) < 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
      pyoci_log(PYOCI_LOG_WARN, "prune: remove '%s': %s", dir, strerror(errno));
  }
  return 0;
}

static int prune_layer_cache(pyoci_store_t *s, const pyoci_layer_cache_t *cache, pyoci_digest_set_t *live,
                             pyoci_cache_freed_t *freed, pyoci_error_t **err)
{
  cleanup_free char *top = pyoci_path_join(s->path, cache->subdir);
  if (!cache->salted)
    return sweep_dir(cache, live, s->dir_fd, top, cache->subdir, freed, err);
  cleanup_close int fd = openat(s->dir_fd, cache->subdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : pyoci_error_set(err, errno, "open '%s'", top);
  return sweep_salted(cache, live, fd, top, freed, err);
}

static int prune_caches_locked(pyoci_store_t *s, const pyoci_store_caches_t *caches, pyoci_digest_set_t *live,
                               pyoci_cache_freed_t *freed, pyoci_error_t **err)
{
  for (size_t i = 0; i < caches->n_layer_caches; i++)
    if (prune_layer_cache(s, caches->layer_caches[i], live, freed, err) < 0)
      return pyoci_error_prefix(err, "prune caches");
  for (size_t i = 0; i < caches->n_pruners; i++)
    if (caches->pruners[i](s, freed, err) < 0)
      return pyoci_error_prefix(err, "prune caches");
  return 0;
}

int pyoci_store_prune_all(pyoci_store_t *s, const pyoci_store_caches_t *caches, pyoci_prune_stats_t *stats,
                          pyoci_error_t **err)
{
  memset(stats, 0, sizeof(*stats));
  if (pyoci_store_remove_untagged(s, &stats->images, err) < 0)
    return -1;
  if (pyoci_store_lock_exclusive(s, err) < 0)
    return -1;
  pyoci_digest_set_t live = {0};
  int rc = pyoci_store_gc_locked(s, caches ? &live : NULL, &stats->blob_bytes, &stats->blobs, err);
  if (rc == 0 && caches != NULL)
    rc = prune_caches_locked(s, caches, &live, &stats->caches, err);
  if (rc == 0) /* lib/oci's own cache: the stamps of blobs gc removed */
    pyoci_store_prune_stamps(s, &stats->caches);
  pyoci_digest_set_free(&live);
  pyoci_store_lock_shared(s);
  return rc;
}
