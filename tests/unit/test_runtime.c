/* RUN-step plumbing: overlay over a busybox lower dir, a process run by runc,
 * its output, exit code and the changes left in the upper dir. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/runtime/runtime.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/strbuf.h"
#include "tap.h"

static void collect(void *ctx, const char *line)
{
  strbuf_addf((strbuf_t *)ctx, "%s|", line);
}

static int sh(const char *cmd)
{
  return system(cmd);
}

int main(void)
{
  const char *busybox = "/bin/busybox";
  if (geteuid() != 0 || access(busybox, X_OK) != 0 || system("command -v runc >/dev/null") != 0) {
    printf("1..0 # SKIP needs root, busybox-static and runc\n");
    return 0;
  }
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *dir = NULL;
  ok(pyoci_mkdtemp(NULL, "pyoci-rt-", &dir, &err) == 0, "temp dir");
  strbuf_t cmd = STRBUF_INIT;
  strbuf_addf(&cmd,
              "set -e; cd %s; mkdir -p lower/bin upper work merged; cp %s lower/bin/busybox;"
              "for a in sh echo rm id cat; do ln -s busybox lower/bin/$a; done",
              dir, busybox);
  ok(sh(cmd.buf) == 0, "busybox lower dir");
  cleanup_free char *lower = pyoci_path_join(dir, "lower");
  cleanup_free char *upper = pyoci_path_join(dir, "upper");
  cleanup_free char *work = pyoci_path_join(dir, "work");
  cleanup_free char *merged = pyoci_path_join(dir, "merged");
  const char *lowers[] = {lower};
  ok(pyoci_overlay_mount(lowers, 1, upper, work, merged, &err) == 0, "overlay mount %s", err ? err->msg : "");

  char *argv[] = {"/bin/sh", "-c", "echo hello; echo \"$GREETING\" >/made; id -u; rm /bin/id; exit 3", NULL};
  char *env[] = {"PATH=/bin", "GREETING=hi there", NULL};
  strbuf_t out = STRBUF_INIT;
  pyoci_run_spec_t spec = {.rootfs = merged, .argv = argv, .env = env, .cwd = "/", .uid = 0, .gid = 0,
                           .output = collect, .output_ctx = &out};
  int code = -1;
  cleanup_free char *scratch = pyoci_path_join(dir, "scratch");
  ok(pyoci_runtime_run(&spec, scratch, &code, &err) == 0, "runc run %s", err ? err->msg : "");
  is_int(code, 3, "exit code passed through");
  is_str(strbuf_str(&out), "hello|0|", "output lines captured in order");
  ok(pyoci_overlay_umount(merged, &err) == 0, "umount");
  ok(pyoci_overlay_clean_mountpoints(upper, lowers, 1, &err) == 0, "clean mount points");

  cleanup_free char *made = pyoci_path_join(upper, "made");
  cleanup_free char *content = NULL;
  ok(pyoci_read_file(made, 100, &content, NULL, &err) == 0 && strcmp(content, "hi there\n") == 0,
     "file written by the step is in upper with env expanded");
  cleanup_free char *wh = pyoci_path_join(upper, "bin/id");
  struct stat st;
  ok(lstat(wh, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0, "deleted file is an overlay whiteout");
  cleanup_free char *proc = pyoci_path_join(upper, "proc");
  cleanup_free char *resolv = pyoci_path_join(upper, "etc/resolv.conf");
  ok(!pyoci_path_exists(proc) && !pyoci_path_exists(resolv), "runtime mount points not left in the layer");

  char *argv2[] = {"/bin/does-not-exist", NULL};
  spec.argv = argv2;
  ok(pyoci_overlay_mount(lowers, 1, upper, work, merged, &err) == 0, "remount %s", err ? err->msg : "");
  strbuf_reset(&out);
  cleanup_free char *scratch2 = pyoci_path_join(dir, "scratch2");
  int rc = pyoci_runtime_run(&spec, scratch2, &code, &err);
  ok(rc == 0 && code != 0, "missing program: non-zero exit (%d)", code);
  pyoci_overlay_umount(merged, &err);

  strbuf_release(&out);
  strbuf_release(&cmd);
  pyoci_rm_rf(dir, &err);
  return done_testing();
}
