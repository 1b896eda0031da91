/* --compile: byte-compile the wheels' modules with the image's own
 * interpreter, as pip does at install time, so a read-only image does not
 * compile them again on every start.
 *
 * The interpreter is a program from the image, so it runs in the runtime
 * sandbox (runc, no network) on an overlay: the OS root below, the Python
 * root as the upper directory, so the .pyc files land in the Python layer
 * and nothing else changes.  The output must not depend on the day or the
 * run: pycs are checked-hash (PEP 552: the source's hash, no mtime), one
 * worker compiles in sorted order, PYTHONHASHSEED=0 fixes the order of
 * frozenset constants. */
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
#include "lib/util/log.h"
#include "lib/util/strbuf.h"
#include "lib/runtime/runtime.h"
#include "plan_int.h"

/* Exit 3 when some file did not compile (a wheel may ship templates or
 * another Python's code in .py files; pip warns and goes on, so do we). */
static const char script[] =
    "import compileall, py_compile, sys\n"
    "ok = compileall.compile_dir(sys.argv[1], quiet=1, workers=1,\n"
    "    invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)\n"
    "sys.exit(0 if ok else 3)\n";

#define OUTPUT_KEEP 4096

static void keep_output(void *ctx, const char *line)
{
  strbuf_t *sb = ctx;
  if (sb->len < OUTPUT_KEEP) {
    strbuf_addstr(sb, line);
    strbuf_addch(sb, '\n');
  }
}

/* The interpreter must be a file of the OS root (symlinks followed inside it). */
static int have_python(const char *os_dir, const char *python, pyoci_error_t **err)
{
  cleanup_close int root = open(os_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return pyoci_error_set(err, errno, "open '%s'", os_dir);
  cleanup_close int fd = pyoci_open_in_root(root, python + 1, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--compile: the image has no %s to compile with", python);
  return 0;
}

static int run_compileall(const char *merged, const char *python, const char *site, strbuf_t *out, int *code,
                          const char *scratch, pyoci_error_t **err)
{
  /* -B: importing compileall itself must not leave the stdlib's pycs in
   * the upper dir (the Python layer); compile_dir writes its own anyway. */
  char *const argv[] = {(char *)python, "-B", "-S", "-s", "-c", (char *)script, (char *)site, NULL};
  char *const env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "PYTHONHASHSEED=0", "LC_ALL=C.UTF-8", NULL};
  pyoci_run_spec_t spec = {.rootfs = merged, .argv = argv, .env = env, .cwd = "/", .network_none = true,
                           .hostname = "pyoci-compile", .output = keep_output, .output_ctx = out};
  return pyoci_runtime_run(&spec, scratch, code, err);
}

int pyoci_asm_compile(const char *tmp, const char *os_dir, const pyoci_pyenv_t *env, const char *py_root,
                      pyoci_error_t **err)
{
  char python[64], site[96];
  snprintf(python, sizeof(python), "/usr/bin/python%d.%d", env->py_major, env->py_minor);
  snprintf(site, sizeof(site), "/usr/local/lib/python%d.%d/dist-packages", env->py_major, env->py_minor);
  if (have_python(os_dir, python, err) < 0)
    return -1;
  cleanup_free char *base = pyoci_path_join(tmp, "compile");
  cleanup_free char *work = pyoci_path_join(base, "work"), *merged = pyoci_path_join(base, "merged");
  cleanup_free char *scratch = pyoci_path_join(base, "run");
  if (pyoci_mkdir_p(work, 0700, err) < 0 || pyoci_mkdir_p(merged, 0755, err) < 0)
    return -1;
  const char *lowers[] = {os_dir};
  if (pyoci_overlay_mount(lowers, 1, py_root, work, merged, err) < 0)
    return pyoci_error_prefix(err, "--compile");
  cleanup_strbuf strbuf_t out = STRBUF_INIT;
  int code = -1;
  pyoci_log(PYOCI_LOG_INFO, "assemble: byte-compiling %s with %s", site, python);
  int rc = run_compileall(merged, python, site, &out, &code, scratch, err);
  pyoci_error_t *uerr = NULL;
  if (pyoci_overlay_umount(merged, &uerr) < 0 && rc == 0)
    rc = pyoci_error_propagate(err, &uerr);
  pyoci_error_free(uerr);
  if (rc == 0 && pyoci_overlay_clean_mountpoints(py_root, lowers, 1, err) < 0)
    rc = -1;
  if (rc < 0)
    return pyoci_error_prefix(err, "--compile");
  if (code == 3)
    pyoci_log(PYOCI_LOG_WARN, "--compile: some files did not compile and stay source only (as pip leaves them):\n%s",
              strbuf_str(&out));
  else if (code != 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--compile: %s exited with %d: %s", python, code,
                                out.len ? strbuf_str(&out) : "(no output)");
  return 0;
}
