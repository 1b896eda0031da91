/* Blobs already hashed and found right, remembered by their file's stat.
 *
 * `pyoci save` hashes every blob it copies, so a damaged store cannot yield
 * an archive that looks valid.  For a warm build + save of the article's
 * image that is 128 MB of SHA-256 on every save, repeated for files that
 * have not changed since the last time they were hashed.  Like git's index,
 * a stamp records what stat says of a blob that hashed right:
 *   <store>/cache/verified/<hex>: "dev ino size mtime.ns ctime.ns\n"
 * and a later read whose fstat matches it field for field skips the hash.
 * Any write to the file through the file system changes its ctime (which
 * no user can set back), and a replaced file has another inode, so a stamp
 * vouches only for the bytes that were hashed.  What a stamp cannot see is
 * damage below the file system (a bad disk): `pyoci fsck` hashes every blob
 * and ignores stamps.
 *
 * The racy case (git's "racy clean"): a file changed within the same clock
 * tick as it was stamped keeps its ctime.  So a reader that hashed a file
 * stamps it only when its ctime is at least RACY_SECS old.  The blob writer
 * stamps what it has just written and linked at once: it hashed those very
 * bytes, and nobody else had the file before.
 *
 * Stamps are best effort: one that cannot be written (a read-only store) or
 * read means hashing, never an error.  prune removes the stamps of blobs gc
 * removed (a stale one is harmless meanwhile: a new file with that name
 * has another inode or ctime). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/cleanup.h"
#include "store_cache.h"
#include "store_int.h"

#define STAMP_DIR "cache/verified"
#define RACY_SECS 2

static int stamp_text(const struct stat *st, char *buf, size_t len)
{
  return snprintf(buf, len, "%llu %llu %lld %lld.%09ld %lld.%09ld\n", (unsigned long long)st->st_dev,
                  (unsigned long long)st->st_ino, (long long)st->st_size, (long long)st->st_mtim.tv_sec,
                  st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

static int stamp_dir(pyoci_store_t *s, bool create)
{
  int fd = openat(s->dir_fd, STAMP_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create && !s->read_only) {
    (void)mkdirat(s->dir_fd, "cache", 0755);
    (void)mkdirat(s->dir_fd, STAMP_DIR, 0755);
    fd = openat(s->dir_fd, STAMP_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  return fd;
}

bool pyoci_store_blob_known_good(pyoci_store_t *s, const char *digest, int fd)
{
  struct stat st;
  char want[160], got[160];
  if (!pyoci_digest_valid(digest) || fstat(fd, &st) < 0)
    return false;
  cleanup_close int dfd = stamp_dir(s, false);
  cleanup_close int sfd = dfd < 0 ? -1 : openat(dfd, digest + 7, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (sfd < 0)
    return false;
  ssize_t n = read(sfd, got, sizeof(got) - 1);
  if (n <= 0)
    return false;
  got[n] = '\0';
  int wn = stamp_text(&st, want, sizeof(want));
  return wn > 0 && (size_t)wn < sizeof(want) && strcmp(got, want) == 0;
}

static void write_stamp(pyoci_store_t *s, const char *digest, const struct stat *st)
{
  char text[160], tmp[PYOCI_DIGEST_LEN + 32];
  int len = stamp_text(st, text, sizeof(text));
  cleanup_close int dfd = stamp_dir(s, true);
  if (dfd < 0 || len <= 0 || (size_t)len >= sizeof(text))
    return;
  /* Written in tmp/ under a name with our pid, renamed into place: a
   * killed writer's leftover is swept with the other dead-pid temp files. */
  snprintf(tmp, sizeof(tmp), "stamp-%d-%.16s", (int)getpid(), digest + 7);
  cleanup_close int tfd = openat(s->tmp_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (tfd < 0)
    return;
  if (write(tfd, text, (size_t)len) != len || renameat(s->tmp_fd, tmp, dfd, digest + 7) < 0)
    (void)unlinkat(s->tmp_fd, tmp, 0);
}

void pyoci_store_blob_note_good(pyoci_store_t *s, const char *digest, int fd)
{
  struct stat st;
  struct timespec now;
  if (s->read_only || !pyoci_digest_valid(digest) || fstat(fd, &st) < 0 ||
      clock_gettime(CLOCK_REALTIME, &now) < 0 || now.tv_sec - st.st_ctim.tv_sec < RACY_SECS)
    return;
  write_stamp(s, digest, &st);
}

/* The blob writer has just hashed every byte it wrote and linked the file
 * into blobs/: no one else has had the file, so there is no racy window
 * to wait out, and the save right after a build copies its new layers
 * without hashing them again. */
void pyoci_store_blob_note_written(pyoci_store_t *s, const char *digest, int fd)
{
  struct stat st;
  if (!s->read_only && pyoci_digest_valid(digest) && fstat(fd, &st) == 0)
    write_stamp(s, digest, &st);
}

void pyoci_store_prune_stamps(pyoci_store_t *s, pyoci_cache_freed_t *freed)
{
  int fd = stamp_dir(s, false);
  cleanup_dir DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (d == NULL) {
    if (fd >= 0)
      close(fd);
    return;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    struct stat st, blob;
    if (de->d_name[0] == '.' || fstatat(s->blobs_fd, de->d_name, &blob, AT_SYMLINK_NOFOLLOW) == 0)
      continue;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && unlinkat(dirfd(d), de->d_name, 0) == 0) {
      freed->entries++;
      freed->bytes += (uint64_t)st.st_size;
    }
  }
}
