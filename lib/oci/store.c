/* The store directory itself: opening (and creating) the OCI layout, the
 * lifetime lock, scratch space under tmp/, and blobs — read, verified, and
 * written through a streaming writer that makes a blob visible under
 * blobs/sha256/ only once it is complete, verified and fsynced.
 * index.json lives in store_index.c, gc in store_gc.c, fsck in store_fsck.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/settings.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/util/walk.h"
#include "store_int.h"

#define OCI_LAYOUT_JSON "{\"imageLayoutVersion\":\"1.0.0\"}"

const char *pyoci_store_path(const pyoci_store_t *s)
{
  return s->path;
}

#define EMPTY_INDEX_JSON                                                                                    \
  "{\"manifests\":[],\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"schemaVersion\":2}"

/* A new store's two files are written without fsync: a store that holds
 * nothing has nothing to lose in a crash, and the four fsyncs of making
 * them durable (file and directory, each) cost 100 ms of a first pull on a
 * disk with slow flushes.  A crash can leave either file empty; the next
 * open writes it again (index.json only while there is no blob: an empty
 * index.json beside blobs lost its tags and is fsck --repair's business).
 * The first image rewrites index.json durably. */
static int write_new_file(pyoci_store_t *s, const char *name, const char *text, pyoci_error_t **err)
{
  cleanup_free char *p = pyoci_path_join(s->path, name);
  return pyoci_write_file_atomic_nosync(p, text, strlen(text), 0644, err);
}

static int write_layout_file(pyoci_store_t *s, pyoci_error_t **err)
{
  return write_new_file(s, "oci-layout", OCI_LAYOUT_JSON, err);
}

/* index.json is there, and not an empty file beside an empty blobs/ (what a
 * crash right after the store was made leaves). */
static bool index_present(pyoci_store_t *s)
{
  struct stat st;
  if (fstatat(s->dir_fd, "index.json", &st, 0) < 0)
    return false;
  if (st.st_size > 0)
    return true;
  cleanup_free char *blobs = pyoci_path_join(s->path, "blobs/sha256");
  return !pyoci_dir_is_empty(blobs, false);
}

static int ensure_index(pyoci_store_t *s, pyoci_error_t **err)
{
  if (s->read_only || index_present(s))
    return 0; /* a missing index reads as an empty one */
  cleanup_close int lock = pyoci_store_lock_index(s, err);
  if (lock < 0)
    return -1;
  if (index_present(s))
    return 0;
  return write_new_file(s, "index.json", EMPTY_INDEX_JSON, err);
}

static int check_layout_file(pyoci_store_t *s, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  cleanup_error pyoci_error_t *rerr = NULL;
  if (pyoci_read_file_at(s->dir_fd, "oci-layout", 4096, &buf, &len, &rerr) < 0) {
    if (rerr->code != PYOCI_E_NOT_FOUND)
      return pyoci_error_set_code(err, rerr->code, 0, "store '%s': %s", s->path, rerr->msg);
    return write_layout_file(s, err);
  }
  if (len == 0 && !s->read_only) /* a crash right after the store was made */
    return write_layout_file(s, err);
  cleanup_free char *what = pyoci_path_join(s->path, "oci-layout");
  cleanup_json json_t *j = pyoci_json_parse_object(buf, len, what, err);
  if (j == NULL)
    return -1;
  const char *v = pyoci_json_str(j, "imageLayoutVersion");
  if (v == NULL || strncmp(v, "1.", 2) != 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': not an OCI image layout version 1 (imageLayoutVersion %s)",
                                what, v ? v : "missing");
  return 0;
}

int pyoci_store_lock_index(pyoci_store_t *s, pyoci_error_t **err)
{
  int fd = openat(s->dir_fd, "index.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s/index.lock'", s->path);
  while (flock(fd, LOCK_EX) < 0) {
    if (errno == EINTR)
      continue;
    int e = errno;
    close(fd);
    return pyoci_error_set(err, e, "lock '%s/index.lock'", s->path);
  }
  return fd;
}

static int open_dir_at(int dirfd, const char *name, const char *store, pyoci_error_t **err)
{
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s/%s'", store, name);
  return fd;
}

static bool read_only_errno(const pyoci_error_t *e)
{
  return e->errno_value == EROFS || e->errno_value == EACCES || e->errno_value == EPERM;
}

/* .lock, to be held shared for the handle's life.  On a store this process
 * cannot write (a read-only mount, a CI cache owned by someone else) a
 * read-only fd takes the shared flock just as well, so readers still wait
 * for a gc running elsewhere; with no .lock at all nobody ever wrote there
 * through pyoci, and there is nothing to wait for. */
static int open_lock(pyoci_store_t *s, pyoci_error_t **err)
{
  s->lock_fd = openat(s->dir_fd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (s->lock_fd >= 0)
    return 0;
  if (errno != EROFS && errno != EACCES && errno != EPERM)
    return pyoci_error_set(err, errno, "open '%s/.lock'", s->path);
  s->read_only = true;
  s->lock_fd = openat(s->dir_fd, ".lock", O_RDONLY | O_CLOEXEC);
  if (s->lock_fd < 0 && errno != ENOENT)
    return pyoci_error_set(err, errno, "open '%s/.lock'", s->path);
  pyoci_log(PYOCI_LOG_DEBUG, "store '%s' is read-only", s->path);
  return 0;
}

int pyoci_store_open(const char *path, pyoci_store_t **out, pyoci_error_t **err)
{
  if (path == NULL || *path == '\0')
    return pyoci_error_set(err, 0, "cannot determine the store path (set PYOCI_STORE or HOME)");
  cleanup_free char *p = xstrdup(path);
  cleanup_free char *blobs = pyoci_path_join(p, "blobs/sha256");
  cleanup_free char *tmp = pyoci_path_join(p, "tmp");
  cleanup_error pyoci_error_t *mkerr = NULL, *tmperr = NULL;
  if ((pyoci_mkdir_p(blobs, 0755, &mkerr) < 0 || pyoci_mkdir_p(tmp, 0755, &mkerr) < 0) && !read_only_errno(mkerr)) {
    pyoci_error_propagate(err, &mkerr);
    return pyoci_error_prefix(err, "open store '%s'", p);
  }

  pyoci_store_t *s = xcalloc(1, sizeof(*s));
  s->path = steal_pointer(&p);
  s->lock_fd = s->tmp_fd = s->blobs_fd = -1;
  s->dir_fd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dir_fd < 0) {
    pyoci_error_set(err, errno, "open store '%s'", s->path);
    goto fail;
  }
  if ((s->blobs_fd = open_dir_at(s->dir_fd, "blobs/sha256", s->path, err)) < 0 || open_lock(s, err) < 0)
    goto fail;
  /* A read-only layout may come without tmp/: only writers need it. */
  if ((s->tmp_fd = open_dir_at(s->dir_fd, "tmp", s->path, &tmperr)) < 0 && !s->read_only) {
    pyoci_error_propagate(err, &tmperr);
    goto fail;
  }
  if (s->lock_fd >= 0 && flock(s->lock_fd, LOCK_SH | LOCK_NB) < 0) {
    /* Someone is collecting garbage; wait for them. */
    pyoci_log(PYOCI_LOG_INFO, "waiting for another pyoci process to finish with the store");
    while (flock(s->lock_fd, LOCK_SH) < 0) {
      if (errno != EINTR) {
        pyoci_error_set(err, errno, "lock '%s/.lock'", s->path);
        goto fail;
      }
    }
  }
  if (check_layout_file(s, err) < 0 || ensure_index(s, err) < 0)
    goto fail;
  if (!s->read_only)
    pyoci_store_sweep_dead(s);
  *out = s;
  return 0;
fail:
  pyoci_store_close(s);
  return -1;
}

void pyoci_store_close(pyoci_store_t *s)
{
  if (s == NULL)
    return;
  if (s->lock_fd >= 0)
    close(s->lock_fd);
  if (s->tmp_fd >= 0)
    close(s->tmp_fd);
  if (s->blobs_fd >= 0)
    close(s->blobs_fd);
  if (s->dir_fd >= 0)
    close(s->dir_fd);
  for (size_t i = 0; i < s->n_tmp_in_use; i++)
    free(s->tmp_in_use[i]);
  free(s->tmp_in_use);
  free(s->path);
  free(s);
}

/* ---- tmp/ bookkeeping ---- */

void pyoci_store_tmp_claim(pyoci_store_t *s, const char *name)
{
  char **v = xrealloc(s->tmp_in_use, (s->n_tmp_in_use + 1) * sizeof(*v));
  s->tmp_in_use = v;
  v[s->n_tmp_in_use] = xstrdup(name);
  s->n_tmp_in_use++;
}

void pyoci_store_tmp_release(pyoci_store_t *s, const char *name)
{
  for (size_t i = 0; i < s->n_tmp_in_use; i++) {
    if (strcmp(s->tmp_in_use[i], name) != 0)
      continue;
    free(s->tmp_in_use[i]);
    s->tmp_in_use[i] = s->tmp_in_use[--s->n_tmp_in_use];
    return;
  }
}

bool pyoci_store_tmp_claimed(const pyoci_store_t *s, const char *name)
{
  for (size_t i = 0; i < s->n_tmp_in_use; i++)
    if (strcmp(s->tmp_in_use[i], name) == 0)
      return true;
  return false;
}

int pyoci_store_mkdtemp(pyoci_store_t *s, const char *prefix, char **out, pyoci_error_t **err)
{
  cleanup_free char *tmp = pyoci_path_join(s->path, "tmp");
  char *dir = NULL;
  /* "<prefix><pid>-XXXXXX": once that process is gone, the next store
   * open knows the directory is a killed process's leftover */
  char pre[64];
  snprintf(pre, sizeof(pre), "%s%d-", prefix ? prefix : "work-", (int)getpid());
  if (pyoci_mkdtemp(tmp, pre, &dir, err) < 0)
    return -1;
  const char *base = strrchr(dir, '/');
  pyoci_store_tmp_claim(s, base ? base + 1 : dir);
  *out = dir;
  return 0;
}

/* ---- blobs ---- */

char *pyoci_store_blob_path(pyoci_store_t *s, const char *digest)
{
  if (!pyoci_digest_valid(digest))
    return NULL; /* never build a path from an unchecked string */
  char *p = NULL;
  p = xasprintf("%s/blobs/sha256/%s", s->path, digest + 7);
  return p;
}

/* blobs/sha256/<hex> is a regular file of that size: a blob with that
 * digest was stored whole (and synced when it was written). */
static bool blob_stored(pyoci_store_t *s, const char *hex, int64_t size)
{
  struct stat st;
  return fstatat(s->blobs_fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_size == size;
}

bool pyoci_store_has_blob(pyoci_store_t *s, const char *digest)
{
  struct stat st;
  return pyoci_digest_valid(digest) && fstatat(s->blobs_fd, digest + 7, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISREG(st.st_mode);
}

int pyoci_store_open_blob(pyoci_store_t *s, const char *digest, int *fd_out, int64_t *size_out,
                          pyoci_error_t **err)
{
  if (!pyoci_digest_valid(digest))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid digest '%s'", digest ? digest : "");
  cleanup_close int fd = openat(s->blobs_fd, digest + 7, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return pyoci_error_set_code(err, errno == ENOENT ? PYOCI_E_NOT_FOUND : 0, errno, "open blob %s in '%s'",
                                digest, s->path);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return pyoci_error_set(err, errno, "stat blob %s", digest);
  if (!S_ISREG(st.st_mode))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "blob %s in '%s' is not a regular file", digest, s->path);
  if (size_out)
    *size_out = st.st_size;
  *fd_out = steal_fd(&fd);
  return 0;
}

int pyoci_store_read_blob(pyoci_store_t *s, const char *digest, size_t max, char **buf, size_t *len,
                          pyoci_error_t **err)
{
  cleanup_close int fd = -1;
  int64_t size = 0;
  if (pyoci_store_open_blob(s, digest, &fd, &size, err) < 0)
    return -1;
  if ((uint64_t)size > max)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "blob %s: %lld bytes is over the limit of %zu", digest,
                                (long long)size, max);
  cleanup_free char *data = NULL;
  size_t n = 0;
  if (pyoci_read_fd(fd, digest, max, &data, &n, err) < 0)
    return -1;
  char actual[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf(data, n, actual);
  if (strcmp(actual, digest) != 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "blob %s in '%s' is corrupt: its content hashes to %s",
                                digest, s->path, actual);
  *buf = steal_pointer(&data);
  if (len)
    *len = n;
  return 0;
}

struct pyoci_blob_writer {
  pyoci_store_t *s;
  int fd;
  char name[64]; /* name under tmp/, "" for an O_TMPFILE file */
  pyoci_sha256_t *h;          /* NULL once verified */
  char digest[PYOCI_DIGEST_LEN]; /* set by pyoci_blob_writer_verify */
  int64_t size;
  int64_t flushed; /* bytes handed to writeback so far */
  bool synced;     /* fsynced since the last write (pyoci_blob_writer_sync) */
};

/* Start writeback of every 8 MiB as it is written, so the fsync at commit
 * finds little left to do and the disk works while the data still flows. */
#define WRITER_FLUSH_STEP (8 << 20)

static unsigned writer_counter;

static int writer_open_named(pyoci_blob_writer_t *w, pyoci_error_t **err)
{
  for (int attempt = 0; attempt < 100; attempt++) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(w->name, sizeof(w->name), "blob-%d-%u-%lx", (int)getpid(), __atomic_add_fetch(&writer_counter, 1, __ATOMIC_RELAXED),
             (unsigned long)ts.tv_nsec);
    w->fd = openat(w->s->tmp_fd, w->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd >= 0) {
      pyoci_store_tmp_claim(w->s, w->name);
      return 0;
    }
    if (errno != EEXIST)
      return pyoci_error_set(err, errno, "create '%s/tmp/%s'", w->s->path, w->name);
  }
  return pyoci_error_set(err, EEXIST, "create a temporary blob in '%s/tmp'", w->s->path);
}

int pyoci_blob_writer_new(pyoci_store_t *s, pyoci_blob_writer_t **out, pyoci_error_t **err)
{
  pyoci_blob_writer_t *w = xcalloc(1, sizeof(*w));
  w->s = s;
  /* An unnamed file vanishes by itself if we are killed; it needs /proc to
   * be given a name later. */
  w->fd = -1;
  /* settings' named_tmp: tests exercise the named-file path with it. */
  if (access("/proc/self/fd", F_OK) == 0 && !pyoci_settings()->named_tmp)
    w->fd = openat(s->tmp_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (w->fd < 0 && writer_open_named(w, err) < 0) {
    free(w);
    return -1;
  }
  w->h = pyoci_sha256_new();
  *out = w;
  return 0;
}

int pyoci_blob_writer_write(pyoci_blob_writer_t *w, const void *buf, size_t len, pyoci_error_t **err)
{
  pyoci_error_t *werr = NULL;
  if (pyoci_write_all(w->fd, buf, len, "blob", &werr) < 0) {
    /* say where: the file may have no name yet (O_TMPFILE) */
    int e = werr->errno_value;
    pyoci_error_free(werr);
    if (w->name[0] != '\0')
      return pyoci_error_set(err, e, "write '%s/tmp/%s'", w->s->path, w->name);
    return pyoci_error_set(err, e, "write a new blob in '%s/tmp'", w->s->path);
  }
  pyoci_sha256_update(w->h, buf, len);
  w->size += (int64_t)len;
  w->synced = false;
  if (w->size - w->flushed >= WRITER_FLUSH_STEP) {
    sync_file_range(w->fd, w->flushed, w->size - w->flushed, SYNC_FILE_RANGE_WRITE);
    w->flushed = w->size;
  }
  return 0;
}

int pyoci_blob_writer_sink(void *w, const void *buf, size_t len, pyoci_error_t **err)
{
  return pyoci_blob_writer_write(w, buf, len, err);
}

void pyoci_blob_writer_abort(pyoci_blob_writer_t *w)
{
  if (w == NULL)
    return;
  if (w->fd >= 0)
    close(w->fd);
  if (w->name[0] != '\0') {
    unlinkat(w->s->tmp_fd, w->name, 0);
    pyoci_store_tmp_release(w->s, w->name);
  }
  pyoci_sha256_free(w->h);
  free(w);
}

/* Put the finished file in place as blobs/sha256/<hex>. */
static int writer_publish(pyoci_blob_writer_t *w, const char *hex, pyoci_error_t **err)
{
  if (w->name[0] == '\0') {
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
    if (linkat(AT_FDCWD, proc, w->s->blobs_fd, hex, AT_SYMLINK_FOLLOW) == 0)
      return 0;
    if (errno != EEXIST)
      return pyoci_error_set(err, errno, "link blob sha256:%s into '%s'", hex, w->s->path);
    /* A damaged copy is in the way: give ours a name, then replace it. */
    for (int attempt = 0; attempt < 100; attempt++) {
      snprintf(w->name, sizeof(w->name), "blob-%d-%u", (int)getpid(), __atomic_add_fetch(&writer_counter, 1, __ATOMIC_RELAXED));
      if (linkat(AT_FDCWD, proc, w->s->tmp_fd, w->name, AT_SYMLINK_FOLLOW) == 0)
        break;
      w->name[0] = '\0';
      if (errno != EEXIST)
        return pyoci_error_set(err, errno, "link blob sha256:%s into '%s/tmp'", hex, w->s->path);
    }
    if (w->name[0] == '\0')
      return pyoci_error_set(err, EEXIST, "link blob sha256:%s into '%s/tmp'", hex, w->s->path);
    pyoci_store_tmp_claim(w->s, w->name);
  }
  if (renameat(w->s->tmp_fd, w->name, w->s->blobs_fd, hex) < 0)
    return pyoci_error_set(err, errno, "rename blob sha256:%s into '%s'", hex, w->s->path);
  pyoci_store_tmp_release(w->s, w->name);
  w->name[0] = '\0';
  return 0;
}

int pyoci_blob_writer_verify(pyoci_blob_writer_t *w, const char *expected_digest, pyoci_error_t **err)
{
  if (w->h != NULL) {
    pyoci_sha256_final(w->h, w->digest);
    w->h = NULL;
  }
  if (expected_digest != NULL && strcmp(expected_digest, w->digest) != 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "digest mismatch: expected %s, got %s (%lld bytes)",
                                expected_digest, w->digest, (long long)w->size);
  return 0;
}

int pyoci_blob_writer_sync(pyoci_blob_writer_t *w, pyoci_error_t **err)
{
  if (fsync(w->fd) < 0)
    return pyoci_error_set(err, errno, "fsync a blob in '%s/tmp'", w->s->path);
  w->synced = true;
  return 0;
}

/* Verify, fsync and link into blobs/; the directory itself is synced by
 * the caller (once for many blobs).  Returns 1 when the blob was there
 * already: whoever linked it synced the directory before any index could
 * name it, so there is nothing to sync. */
static int writer_finish(pyoci_blob_writer_t *w, const char *expected_digest, pyoci_error_t **err)
{
  if (pyoci_blob_writer_verify(w, expected_digest, err) < 0)
    return -1;
  if (blob_stored(w->s, w->digest + 7, w->size))
    return 1; /* already there */
  /* A pull's workers sync each blob as its download ends; a second fsync
   * of the clean file still costs a device flush (13-30 ms each, serially,
   * at the end of a pull). */
  if (!w->synced && fsync(w->fd) < 0)
    return pyoci_error_set(err, errno, "fsync blob %s", w->digest);
  if (writer_publish(w, w->digest + 7, err) < 0)
    return -1;
  pyoci_store_blob_note_written(w->s, w->digest, w->fd);
  return 0;
}

int pyoci_store_sync_blobs(pyoci_store_t *s, pyoci_error_t **err)
{
  if (fsync(s->blobs_fd) < 0 && errno != EINVAL)
    return pyoci_error_set(err, errno, "fsync '%s/blobs/sha256'", s->path);
  return 0;
}

int pyoci_blob_writer_publish(pyoci_blob_writer_t *w, const char *expected_digest, pyoci_error_t **err)
{
  int ret = writer_finish(w, expected_digest, err);
  pyoci_blob_writer_abort(w);
  return ret < 0 ? -1 : 0;
}

int pyoci_blob_writer_commit(pyoci_blob_writer_t *w, const char *expected_digest,
                             char digest_out[PYOCI_DIGEST_LEN], int64_t *size_out, pyoci_error_t **err)
{
  int ret = writer_finish(w, expected_digest, err);
  if (ret == 0)
    ret = pyoci_store_sync_blobs(w->s, err);
  if (ret >= 0) {
    ret = 0;
    if (digest_out)
      memcpy(digest_out, w->digest, PYOCI_DIGEST_LEN);
    if (size_out)
      *size_out = w->size;
  }
  pyoci_blob_writer_abort(w);
  return ret;
}

int pyoci_store_put_blob(pyoci_store_t *s, const void *buf, size_t len, char digest_out[PYOCI_DIGEST_LEN],
                         pyoci_error_t **err)
{
  /* A rebuild writes the same config and manifest again: when the blob is
   * there, not even a temp file is made (its inode would dirty the journal
   * and make the next fsync a full commit). */
  char digest[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf(buf, len, digest);
  if (blob_stored(s, digest + 7, (int64_t)len)) {
    if (digest_out)
      memcpy(digest_out, digest, PYOCI_DIGEST_LEN);
    return 0;
  }
  pyoci_blob_writer_t *w = NULL;
  if (pyoci_blob_writer_new(s, &w, err) < 0)
    return -1;
  if (pyoci_blob_writer_write(w, buf, len, err) < 0) {
    pyoci_blob_writer_abort(w);
    return -1;
  }
  return pyoci_blob_writer_commit(w, NULL, digest_out, NULL, err);
}

/* ---- digest sets ---- */

void pyoci_digest_set_add(pyoci_digest_set_t *set, const char *d)
{
  if (set->n == set->cap) {
    set->cap = set->cap ? set->cap * 2 : 64;
    char **v = xrealloc(set->v, set->cap * sizeof(*v));
    set->v = v;
  }
  bool added = false;
  pyoci_strmap_insert(&set->index, d, &added);
  if (!added)
    return;
  set->v[set->n++] = xstrdup(d);
}

bool pyoci_digest_set_has(pyoci_digest_set_t *set, const char *d)
{
  return set->n > 0 && pyoci_strmap_find(&set->index, d) != NULL;
}

void pyoci_digest_set_free(pyoci_digest_set_t *set)
{
  for (size_t i = 0; i < set->n; i++)
    free(set->v[i]);
  free(set->v);
  pyoci_strmap_clear(&set->index, NULL);
  memset(set, 0, sizeof(*set));
}
