/* The in-root resolver (lib/util/inroot.h): symlinks, "..", loops and
 * missing tails resolve inside the root, and a pinned path cannot be
 * redirected by a symlink swapped in after the check (issue 9, item 1). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/inroot.h"
#include "tap.h"

static char *resolve(int root, const char *p)
{
  pyoci_error_t *err = NULL;
  char *out = NULL;
  if (pyoci_resolve_in_root(root, p, &out, &err) < 0) {
    char *msg = strdup(err->msg);
    pyoci_error_free(err);
    return msg;
  }
  return out;
}

static char *slurp(const char *path)
{
  char *s = NULL;
  pyoci_error_t *err = NULL;
  if (pyoci_read_file(path, 4096, &s, NULL, &err) < 0) {
    pyoci_error_free(err);
    return strdup("<unreadable>");
  }
  return s;
}

static void test_resolve(const char *dir)
{
  char cmd[4096];
  snprintf(cmd, sizeof(cmd),
           "set -e; cd %s; mkdir -p root/etc root/data outside; echo decoy >root/etc/passwd;"
           "echo canary >outside/secret; ln -s /etc/passwd root/abs; ln -s ../../../../etc/passwd root/rel;"
           "ln -s %s/outside root/hostdir; ln -s /data root/m; ln -s loop2 root/loop1; ln -s loop1 root/loop2;"
           "ln -s / root/toroot; ln -s data/../etc root/mixed",
           dir, dir);
  ok(system(cmd) == 0, "fixture");
  cleanup_free char *rp = pyoci_path_join(dir, "root");
  cleanup_close int root = open(rp, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct {
    const char *in, *want;
  } cases[] = {
      {"abs", "etc/passwd"},          {"/rel", "etc/passwd"},         {"../../abs", "etc/passwd"},
      {"m/x/y", "data/x/y"},          {"/m/../etc", "etc"},           {"toroot", ""},
      {"toroot/m", "data"},           {"mixed/passwd", "etc/passwd"}, {"missing/../../m/z", "data/z"},
      {".", ""},                      {"", ""},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    cleanup_free char *got = resolve(root, cases[i].in);
    is_str(got, cases[i].want, "resolve '%s' inside the root", cases[i].in);
  }
  cleanup_free char *host = resolve(root, "hostdir/secret");
  ok(strncmp(host, dir + 1, strlen(dir) - 1) == 0 && strstr(host, "outside/secret") != NULL,
     "a link to a host path stays a path inside the root (%s)", host);
  cleanup_free char *loop = resolve(root, "loop1/x");
  ok(strstr(loop, "Too many levels of symbolic links") != NULL, "a symlink loop is ELOOP (%s)", loop);
  cleanup_close int fd = pyoci_open_in_root(root, "rel", O_RDONLY);
  char buf[16] = "";
  ok(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 6 && strcmp(buf, "decoy\n") == 0,
     "open_in_root reads the decoy inside, never the host file");
}

/* A pin keeps naming what was checked: a symlink to a canary renamed over
 * the source afterwards redirects neither the fd nor the published path. */
static void test_pin_swap(const char *dir)
{
  char cmd[4096];
  snprintf(cmd, sizeof(cmd),
           "set -e; cd %s; mkdir -p src priv; echo original >src/f; mkdir src/d; echo in-d >src/d/g;"
           "echo canary >canary; mkdir canarydir; echo canary >canarydir/g",
           dir);
  ok(system(cmd) == 0, "pin fixture");
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *src = pyoci_path_join(dir, "src");
  cleanup_close int root = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
  pyoci_pin_t f = PYOCI_PIN_INIT, d = PYOCI_PIN_INIT;
  ok(pyoci_pin_in_root(root, "f", 0, "f", &f, &err) == 0, "pin a file");
  ok(pyoci_pin_in_root(root, "d", O_DIRECTORY, "d", &d, &err) == 0, "pin a directory");
  cleanup_free char *at_f = pyoci_path_join(dir, "priv/p0");
  cleanup_free char *at_d = pyoci_path_join(dir, "priv/p1");
  ok(pyoci_pin_publish(&f, at_f, &err) == 0, "publish the file pin %s", err ? err->msg : "");
  ok(pyoci_pin_publish(&d, at_d, &err) == 0, "publish the directory pin %s", err ? err->msg : "");
  snprintf(cmd, sizeof(cmd),
           "set -e; cd %s; ln -s %s/canary src/f.new; mv -Tf src/f.new src/f;"
           "mv src/d src/d.old; ln -s %s/canarydir src/d",
           dir, dir, dir);
  ok(system(cmd) == 0, "swap symlinks to the canaries in");
  cleanup_free char *got_f = slurp(at_f);
  cleanup_free char *gpath = pyoci_path_join(at_d, "g");
  cleanup_free char *got_d = slurp(gpath);
  is_str(got_f, "original\n", "published file: still the pinned file");
  is_str(got_d, "in-d\n", "published directory: still the pinned directory");
  cleanup_free char *mp = strdup(f.path);
  pyoci_pin_release(&f);
  pyoci_pin_release(&d);
  ok(!pyoci_path_exists(mp) && !pyoci_path_exists(at_d), "release unmounts and removes the mount points");
  cleanup_free char *canary = pyoci_path_join(dir, "canary");
  cleanup_free char *c = slurp(canary);
  is_str(c, "canary\n", "canary untouched");
}

int main(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *dir = NULL;
  ok(pyoci_mkdtemp(NULL, "pyoci-inroot-", &dir, &err) == 0, "temp dir");
  test_resolve(dir);
  if (geteuid() == 0)
    test_pin_swap(dir);
  else
    printf("# skipping the publish checks: bind mounts need root\n");
  pyoci_rm_rf(dir, &err);
  return done_testing();
}
