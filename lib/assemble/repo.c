/* The Debian repository client: InRelease -> gpgv -> the signed Release
 * text -> Packages indexes checked by the hashes it lists -> the index.
 *
 * Why gpgv and not GPGME: gpgv is what apt itself runs (apt-key's and
 * apt's gpgv method), it verifies against a keyring *file* (apt's
 * Signed-By) without a GNUPGHOME, an agent or a trust database, and it
 * writes out exactly the bytes that were signed, which is all we parse.
 * GPGME would need a keyring imported into a home directory first and a
 * long-lived gpg process; it buys nothing here. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/http.h"
#include "lib/util/log.h"
#include "lib/pkg/stanza.h"
#include "asm_int.h"

extern char **environ;

static int memfd(const char *name, pyoci_error_t **err)
{
  int fd = memfd_create(name, 0); /* no CLOEXEC: gpgv reads it as /proc/self/fd/N */
  if (fd < 0)
    return pyoci_error_set(err, errno, "memfd_create");
  return fd;
}

static int read_back(int fd, const char *what, size_t max, char **buf, size_t *len, pyoci_error_t **err)
{
  if (lseek(fd, 0, SEEK_SET) < 0)
    return pyoci_error_set(err, errno, "seek '%s'", what);
  return pyoci_read_fd(fd, what, max, buf, len, err);
}

/* Run gpgv on in_fd, writing the signed text to out_fd; the status lines
 * must say VALIDSIG. */
static int run_gpgv(const char *url, const char *keyring, const char *home, int in_fd, int out_fd,
                    pyoci_error_t **err)
{
  cleanup_close int status_fd = memfd("gpgv-status", err);
  if (status_fd < 0)
    return -1;
  char in[64], out[64], st[16];
  snprintf(in, sizeof(in), "/proc/self/fd/%d", in_fd);
  snprintf(out, sizeof(out), "/proc/self/fd/%d", out_fd);
  snprintf(st, sizeof(st), "%d", status_fd);
  char *argv[] = {"gpgv", "--homedir", (char *)home, "--quiet", "--status-fd", st, "--keyring", (char *)keyring,
                  "--output", out, in, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, "gpgv", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return pyoci_error_set(err, rc, "'%s': cannot run gpgv to check its signature", url);
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
    ;
  cleanup_free char *status = NULL;
  size_t slen = 0;
  if (read_back(status_fd, "gpgv status", 1u << 20, &status, &slen, err) < 0)
    return -1;
  if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || strstr(status, "[GNUPG:] VALIDSIG ") == NULL ||
      strstr(status, "[GNUPG:] BADSIG ") != NULL) {
    const char *why = strstr(status, "[GNUPG:] NO_PUBKEY") ? "signed by a key not in the keyring"
                      : strstr(status, "[GNUPG:] BADSIG")  ? "bad signature"
                      : strstr(status, "NODATA")           ? "not signed"
                                                           : "signature not valid";
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': %s (keyring %s)", url, why, keyring);
  }
  return 0;
}

/* Parse the SHA256 section: " <hex> <size> <path>" lines. */
int pyoci_release_parse(const char *what, const char *buf, size_t len, pyoci_release_fn fn, void *ctx,
                        pyoci_error_t **err)
{
  pyoci_stanza_reader_t r;
  pyoci_stanza_init(&r, what, buf, len, true);
  int rc = pyoci_stanza_next(&r, err);
  if (rc <= 0) {
    pyoci_stanza_release(&r);
    return rc < 0 ? -1 : pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: empty Release file", what);
  }
  const pyoci_field_t *f = pyoci_stanza_get(&r, "SHA256");
  if (f == NULL) {
    pyoci_stanza_release(&r);
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: no SHA256 field", what);
  }
  cleanup_free char *text = xstrndup(f->full, f->full_len);
  pyoci_stanza_release(&r);
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char hex[129], path[1025];
    unsigned long long size;
    if (strspn(line, " \t\r") == strlen(line))
      continue;
    if (sscanf(line, " %128s %llu %1024s", hex, &size, path) != 3 || strlen(hex) != 64)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: bad SHA256 line '%.80s'", what, line);
    if (fn(ctx, hex, size, path, err) < 0)
      return -1;
  }
  return 0;
}

/* The stanza's Suite or Codename must be the suite asked for, and
 * Valid-Until (when present) in the future: a replayed or other suite's
 * Release is refused like apt does. */
static int check_release_fields(const char *url, const char *suite, const char *buf, size_t len,
                                pyoci_error_t **err)
{
  pyoci_stanza_reader_t r;
  pyoci_stanza_init(&r, url, buf, len, true);
  int rc = pyoci_stanza_next(&r, err);
  if (rc <= 0) {
    pyoci_stanza_release(&r);
    return rc < 0 ? -1 : pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': empty", url);
  }
  cleanup_free char *s = pyoci_stanza_dup(&r, "Suite");
  cleanup_free char *c = pyoci_stanza_dup(&r, "Codename");
  cleanup_free char *vu = pyoci_stanza_dup(&r, "Valid-Until");
  pyoci_stanza_release(&r);
  if ((s == NULL || strcmp(s, suite) != 0) && (c == NULL || strcmp(c, suite) != 0))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': Release is for suite '%s' (codename '%s'), not '%s'",
                                url, s ? s : "", c ? c : "", suite);
  if (vu != NULL) {
    struct tm tm = {0};
    const char *end = strptime(vu, "%a, %d %b %Y %H:%M:%S", &tm);
    if (end == NULL)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': bad Valid-Until '%s'", url, vu);
    if (timegm(&tm) < time(NULL))
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': Release expired (Valid-Until %s)", url, vu);
  }
  return 0;
}

/* Download InRelease, check it, return the signed text. */
static int fetch_release(const pyoci_source_t *src, const pyoci_repo_opts_t *o, char **text, size_t *len,
                         pyoci_error_t **err)
{
  cleanup_free char *url = NULL, *home = NULL;
  url = xasprintf("%s/dists/%s/InRelease", src->uri, src->suite);
  cleanup_close int in = memfd("InRelease", err);
  cleanup_close int out = in < 0 ? -1 : memfd("Release", err);
  if (out < 0)
    return -1;
  pyoci_http_opts_t ho = {.max_bytes = ASM_MAX_RELEASE, .allow_http = true, .label = "InRelease"};
  if (pyoci_http_download(url, in, &ho, NULL, err) < 0)
    return -1;
  /* An empty home: gpgv must trust only the keyring named, never ~/.gnupg. */
  if (pyoci_mkdir_p(o->cache_dir, 0755, err) < 0 || pyoci_mkdtemp(o->cache_dir, "gpgv-", &home, err) < 0)
    return -1;
  const char *keyring = src->keyring ? src->keyring : o->default_keyring;
  int rc = run_gpgv(url, keyring, home, in, out, err);
  pyoci_error_t *rm = NULL;
  if (pyoci_rm_rf(home, &rm) < 0)
    pyoci_error_free(rm);
  if (rc < 0 || read_back(out, url, ASM_MAX_RELEASE, text, len, err) < 0)
    return -1;
  if (check_release_fields(url, src->suite, *text, *len, err) < 0) {
    free(*text);
    *text = NULL;
    return -1;
  }
  return 0;
}

typedef struct {
  const char *want; /* "main/binary-amd64/Packages" */
  char hex[3][65];  /* .xz, .gz, plain */
  uint64_t size[3];
  bool have[3];
} want_t;

static int on_release_line(void *ctx, const char *sha256, uint64_t size, const char *path, pyoci_error_t **err)
{
  want_t *w = ctx;
  static const char *const exts[] = {".xz", ".gz", ""};
  size_t n = strlen(w->want);
  for (int i = 0; i < 3; i++)
    if (strncmp(path, w->want, n) == 0 && strcmp(path + n, exts[i]) == 0) {
      snprintf(w->hex[i], sizeof(w->hex[i]), "%s", sha256);
      w->size[i] = size;
      w->have[i] = true;
    }
  return 0;
}

/* Decompress (xz, gzip or none, by content) a verified index file. */
static int read_index_file(const char *path, const char *what, char **buf, size_t *len, pyoci_error_t **err)
{
  struct archive *a = archive_read_new();
  /* Only what the index names (.xz, .gz, plain): never filter_all, which
   * runs external programs on formats it does not know. */
  archive_read_support_filter_xz(a);
  archive_read_support_filter_gzip(a);
  archive_read_support_format_raw(a);
  struct archive_entry *e;
  strbuf_t sb = STRBUF_INIT;
  int rc = -1;
  if (archive_read_open_filename(a, path, 1u << 16) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: %s", what, archive_error_string(a));
    goto out;
  }
  char chunk[1u << 16];
  for (;;) {
    la_ssize_t r = archive_read_data(a, chunk, sizeof(chunk));
    if (r < 0) {
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: %s", what, archive_error_string(a));
      goto out;
    }
    if (r == 0)
      break;
    if (sb.len + (size_t)r > ASM_MAX_PACKAGES_FILE) {
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: larger than %llu bytes", what, ASM_MAX_PACKAGES_FILE);
      goto out;
    }
    strbuf_add(&sb, chunk, (size_t)r);
  }
  *len = sb.len;
  *buf = strbuf_detach(&sb);
  rc = 0;
out:
  strbuf_release(&sb);
  archive_read_free(a);
  return rc;
}

static int load_component(pyoci_index_t *ix, const pyoci_source_t *src, const char *comp, const char *release,
                          size_t rlen, const pyoci_repo_opts_t *o, pyoci_error_t **err)
{
  cleanup_free char *want = xasprintf("%s/binary-%s/Packages", comp, o->arch);
  cleanup_free char *what = xasprintf("%s/dists/%s/%s", src->uri, src->suite, want);
  want_t w = {.want = want};
  if (pyoci_release_parse(what, release, rlen, on_release_line, &w, err) < 0)
    return -1;
  int pick = w.have[0] ? 0 : w.have[1] ? 1 : w.have[2] ? 2 : -1;
  if (pick < 0)
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "%s/dists/%s/InRelease lists no %s", src->uri,
                                src->suite, want);
  static const char *const exts[] = {".xz", ".gz", ""};
  cleanup_free char *url = NULL;
  url = xasprintf("%s%s", what, exts[pick]);
  cleanup_free char *buf = NULL;
  size_t len = 0;
  /* Decompressing Packages.xz (~45 MB for bookworm main) was most of a
   * warm resolve: keep it decompressed, as apt keeps its lists, under the
   * hash the signed Release lists for the plain file. */
  cleanup_free char *plain = w.have[2] ? pyoci_fetch_cache_lookup(o->cache_dir, "indexes", w.hex[2], w.size[2]) : NULL;
  if (plain != NULL) {
    if (pyoci_read_file(plain, ASM_MAX_PACKAGES_FILE, &buf, &len, err) < 0)
      return -1;
    return pyoci_index_add_packages(ix, url, buf, len, src, err);
  }
  pyoci_fetch_t item = {.url = url, .sha256 = w.hex[pick], .size = w.size[pick]};
  if (pyoci_fetch_all(o->cache_dir, "indexes", &item, 1, 1, err) < 0)
    return -1;
  cleanup_free char *path = item.path;
  if (read_index_file(path, url, &buf, &len, err) < 0)
    return -1;
  if (pick != 2 && w.have[2]) {
    cleanup_error pyoci_error_t *e = NULL;
    bool bad = (uint64_t)len != w.size[2] ||
               (pyoci_fetch_cache_put(o->cache_dir, "indexes", w.hex[2], buf, len, &e) < 0 && e->code == PYOCI_E_CORRUPT);
    if (bad) /* the compressed file was the signed one, its content is not */
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: decompressed, it is not the %s the Release lists%s%s",
                                  url, want, e ? ": " : "", e ? e->msg : "");
    if (e != NULL) /* a cache we cannot fill is only slower */
      pyoci_log(PYOCI_LOG_WARN, "%s", e->msg);
  }
  return pyoci_index_add_packages(ix, url, buf, len, src, err);
}

int pyoci_index_load(const pyoci_source_t *srcs, size_t n, const pyoci_repo_opts_t *o, pyoci_index_t **out,
                     pyoci_error_t **err)
{
  pyoci_index_t *ix = pyoci_index_new();
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *release = NULL;
    size_t rlen = 0;
    if (fetch_release(&srcs[i], o, &release, &rlen, err) < 0)
      goto fail;
    for (char **c = srcs[i].components; c && *c; c++)
      if (load_component(ix, &srcs[i], *c, release, rlen, o, err) < 0)
        goto fail;
  }
  *out = ix;
  return 0;
fail:
  pyoci_index_free(ix);
  return -1;
}
