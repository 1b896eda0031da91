/* The layer entry check load runs on a file and pull runs on a stream
 * (pyoci_layer_validate, pyoci_layer_check_*): what it refuses, that the
 * streaming form gives the same verdict, and that it stops a transfer early
 * and never hangs whatever the feeder does. */
#include "tap.h"
#include "layer_testlib.h"

static const char *mktar(const char *name, const char *json, bool gzip)
{
  const char *top = getenv("PYOCI_TOP");
  const char *out = tl_path("%s", name);
  char *o = NULL;
  if (tl_sh(&o, "python3 %s/tests/data/mktar.py '%s' '%s' %s", top ? top : ".", out, json, gzip ? "--gzip" : "") != 0) {
    printf("Bail out! mktar %s: %s\n", name, o);
    exit(255);
  }
  free(o);
  return out;
}

/* The verdict of pyoci_layer_validate on the file: NULL = accepted. */
static char *validate_file(const char *path)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  MUST(fd);
  pyoci_error_t *err = NULL;
  int rc = pyoci_layer_validate(fd, "sha256:feed", NULL, &err);
  close(fd);
  char *msg = rc < 0 ? strdup(err ? err->msg : "?") : NULL;
  pyoci_error_free(err);
  return msg;
}

/* The same file fed to the streaming check in chunks of `chunk` bytes.
 * *fed: how many bytes went in before a feed failed (or all of them). */
static char *validate_stream(const char *path, size_t chunk, size_t *fed)
{
  size_t len = 0;
  char *data = tl_read(path, &len);
  pyoci_layer_check_t *c = NULL;
  pyoci_error_t *err = NULL;
  if (data == NULL || pyoci_layer_check_start("sha256:feed", NULL, &c, &err) < 0) {
    printf("Bail out! check start: %s\n", err ? err->msg : "read");
    exit(255);
  }
  size_t off = 0;
  int rc = 0;
  while (off < len && rc == 0) {
    size_t n = len - off < chunk ? len - off : chunk;
    rc = pyoci_layer_check_feed(c, data + off, n, &err);
    if (rc == 0)
      off += n;
  }
  if (rc == 0)
    rc = pyoci_layer_check_finish(c, &err);
  else
    pyoci_layer_check_abort(c);
  *fed = off;
  free(data);
  char *msg = rc < 0 ? strdup(err ? err->msg : "?") : NULL;
  pyoci_error_free(err);
  return msg;
}

static void verdict(const char *label, const char *json, bool gzip, const char *want)
{
  const char *t = mktar(label, json, gzip);
  char *f = validate_file(t);
  size_t fed = 0;
  char *s = validate_stream(t, 4096, &fed);
  is_str(f ? f : "accepted", want ? want : "accepted", "%s: load's check", label);
  is_str(s ? s : "accepted", want ? want : "accepted", "%s: pull's streaming check, same verdict", label);
  free(f);
  free(s);
}

static void test_verdicts(void)
{
  verdict("good", "[{\"name\": \"etc\", \"type\": \"dir\"}, {\"name\": \"etc/hosts\", \"data\": \"127.0.0.1\"}]", true,
          NULL);
  verdict("dotdot", "[{\"name\": \"ok\", \"data\": \"1\"}, {\"name\": \"../escaped\", \"data\": \"evil\"}]", true,
          "read 'sha256:feed': entry '../escaped': path contains a '..' component");
  verdict("absolute", "[{\"name\": \"/etc/evil\", \"data\": \"evil\"}]", false,
          "read 'sha256:feed': entry '/etc/evil': absolute path");
  verdict("hardlink-out", "[{\"name\": \"h\", \"type\": \"link\", \"link\": \"../../etc/passwd\"}]", false,
          "read 'sha256:feed': entry 'h': hard link target '../../etc/passwd' is outside the archive");
  verdict("whiteout-dotdot", "[{\"name\": \"a/.wh...\", \"data\": \"\"}]", false,
          "read 'sha256:feed': entry 'a/.wh...': whiteout escapes its directory");
  /* Symlink targets are data: unpacking resolves them inside the root, as
   * Docker's chrooted extraction does, and Docker pulls such images. */
  verdict("symlink-out",
          "[{\"name\": \"esc\", \"type\": \"symlink\", \"link\": \"../../../../etc\"},"
          " {\"name\": \"abs\", \"type\": \"symlink\", \"link\": \"/etc/passwd\"}]",
          true, NULL);
  verdict("empty", "[]", false, NULL); /* an empty layer is a valid one */
  tl_write(tl_path("garbage"), "this is not a tar archive at all, not even close....", 52);
  char *f = validate_file(tl_path("garbage"));
  size_t fed = 0;
  char *s = validate_stream(tl_path("garbage"), 7, &fed);
  ok(f != NULL && s != NULL && strcmp(f, s) == 0, "garbage: refused the same way by both (%s)", s ? s : "accepted");
  free(f);
  free(s);
}

/* A hostile first entry followed by 16 MiB: the stream check refuses it
 * long before the end, so a pull stops downloading (the pipe holds 1 MiB
 * and the reader reads ahead a few more, far from 16). */
static void test_early_stop(void)
{
  const char *t = mktar("early", "[{\"name\": \"../first\", \"data\": \"x\"}, {\"name\": \"big\", \"data_fill\": 16777216}]",
                        false);
  size_t fed = 0;
  char *s = validate_stream(t, 65536, &fed);
  struct stat st;
  MUST(stat(t, &st));
  is_str(s, "read 'sha256:feed': entry '../first': path contains a '..' component", "early: refused, entry named");
  ok(fed < (size_t)st.st_size, "early: the feed failed before the end (%zu of %lld bytes)", fed,
     (long long)st.st_size);
  free(s);
}

/* A transfer that dies half-way: abort returns (no hang), and finishing a
 * cut stream is an error, never an accepted layer. */
static void test_cut(void)
{
  const char *t = mktar("cut", "[{\"name\": \"a\", \"data_fill\": 300000}, {\"name\": \"b\", \"data\": \"x\"}]", true);
  size_t len = 0;
  char *data = tl_read(t, &len);
  pyoci_layer_check_t *c = NULL;
  pyoci_error_t *err = NULL;
  MUST(pyoci_layer_check_start("sha256:cut", NULL, &c, &err));
  MUST(pyoci_layer_check_feed(c, data, len / 2, &err));
  pyoci_layer_check_abort(c);
  ok(1, "cut: abort after half the bytes returns");
  MUST(pyoci_layer_check_start("sha256:cut", NULL, &c, &err));
  MUST(pyoci_layer_check_feed(c, data, len / 2, &err));
  ok(pyoci_layer_check_finish(c, &err) < 0 && err != NULL && strstr(err->msg, "sha256:cut") != NULL,
     "cut: finishing a cut stream is refused (%s)", err ? err->msg : "accepted");
  pyoci_error_release(&err);
  MUST(pyoci_layer_check_start("sha256:none", NULL, &c, &err));
  pyoci_layer_check_abort(c);
  ok(1, "abort before any byte returns");
  free(data);
}

/* Stream the whole file through a check that also holds the uncompressed
 * bytes against diff_id (pull --check-layers with the config's diff_ids). */
static char *check_with_diff_id(const char *path, const char *diff_id)
{
  size_t len = 0;
  char *data = tl_read(path, &len);
  pyoci_layer_check_t *c = NULL;
  pyoci_error_t *err = NULL;
  MUST(pyoci_layer_check_start("sha256:ids", diff_id, &c, &err));
  int rc = 0;
  for (size_t off = 0; off < len && rc == 0; off += 4096)
    rc = pyoci_layer_check_feed(c, data + off, len - off < 4096 ? len - off : 4096, &err);
  rc = rc == 0 ? pyoci_layer_check_finish(c, &err) : (pyoci_layer_check_abort(c), -1);
  free(data);
  char *msg = rc < 0 ? strdup(err ? err->msg : "?") : NULL;
  pyoci_error_free(err);
  return msg;
}

static void test_diff_id(void)
{
  const char *t = mktar("ids", "[{\"name\": \"a\", \"data_fill\": 200000}, {\"name\": \"b\", \"data\": \"x\"}]", true);
  char *o = NULL;
  MUST(tl_sh(&o, "gzip -dc '%s' | sha256sum | cut -c1-64", t) == 0 ? 0 : -1);
  char right[80];
  snprintf(right, sizeof(right), "sha256:%.64s", o);
  free(o);
  char *msg = check_with_diff_id(t, right);
  ok(msg == NULL, "diff_id: the right one is accepted (%s)", msg ? msg : "ok");
  free(msg);
  const char *wrong = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
  msg = check_with_diff_id(t, wrong);
  char want[300];
  snprintf(want, sizeof(want), "read 'sha256:ids': content hashes to %s, not to its diff_id %s", right, wrong);
  is_str(msg, want, "diff_id: another one is refused, both named");
  free(msg);
}

int main(void)
{
  tl_init("lcheck");
  test_verdicts();
  test_early_stop();
  test_cut();
  test_diff_id();
  return done_testing();
}
