/* The static Python closure.  A trace sees only the imports the probes
 * happened to trigger; a module imported inside a handler nobody probed
 * would be missing in production.  So the image's own interpreter (the one
 * the app runs, with the app's environment and sys.path) runs the standard
 * library's modulefinder over every traced module and script, in the same
 * sandbox.  modulefinder reads bytecode and executes nothing of the app.
 * Then every third-party package (and app package) with a kept file is
 * kept whole (without its tests, docs and type stubs), and a distribution
 * (dist-info/egg-info) with a kept file keeps all the files its RECORD
 * lists plus its metadata; the standard library keeps what the graph
 * reaches (keep_module_file says why). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/strbuf.h"
#include "distill_int.h"

#define FINDER_DIR "/.pyoci-distill"
#define MAX_RECORD_SIZE (8u << 20)
#define MAX_FINDER_OUTPUT (64u << 20)
#define FINDER_TIMEOUT_S 300

/* Directories a whole package is kept without. */
static const char *const no_tests[] = {"tests", "test", "testing_data", "idle_test", "docs", "doc", NULL};


typedef struct {
  pyoci_keep_t *k;
  strbuf_t tail; /* the finder's last lines, for an error */
  json_t *files;
  bool done;
} finder_out_t;

static void finder_line(void *ctx, const char *line)
{
  finder_out_t *fo = ctx;
  if (strncmp(line, "pyoci-finder F /", 16) == 0)
    json_array_append_new(fo->files, json_string(line + 15));
  else if (strcmp(line, "pyoci-finder DONE") == 0)
    fo->done = true;
  else if (strncmp(line, "pyoci-finder ", 13) != 0) {
    if (fo->tail.len > 4096)
      strbuf_reset(&fo->tail);
    strbuf_addf(&fo->tail, "\n  %s", line);
  }
}

static bool has_init(const char *root, const char *dir)
{
  static const char *const inits[] = {"__init__.py", "__init__.pyc", NULL};
  for (const char *const *i = inits; *i; i++) {
    cleanup_free char *rel = pyoci_path_join(dir, *i);
    cleanup_free char *host = pyoci_path_join(root, rel);
    if (access(host, F_OK) == 0)
      return true;
  }
  return false;
}

static bool is_site_dir(const char *dir)
{
  const char *b = strrchr(dir, '/');
  b = b ? b + 1 : dir;
  return strcmp(b, "site-packages") == 0 || strcmp(b, "dist-packages") == 0;
}

/* A distribution's top-level names: top_level.txt, else RECORD's first path
 * components. */
static bool dist_provides(const char *root, const char *distdir, const char *top)
{
  static const char *const sources[] = {"top_level.txt", "RECORD", NULL};
  for (const char *const *src = sources; *src; src++) {
    cleanup_free char *rel = pyoci_path_join(distdir, *src);
    cleanup_free char *host = pyoci_path_join(root, rel);
    cleanup_free char *text = NULL;
    pyoci_error_t *ignored = NULL;
    if (pyoci_read_file(host, MAX_RECORD_SIZE, &text, NULL, &ignored) < 0) {
      pyoci_error_free(ignored);
      continue;
    }
    for (char *save = NULL, *l = strtok_r(text, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
      size_t n = strcspn(l, "/,");
      if (n > 3 && strncmp(l + n - 3, ".py", 3) == 0 && l[n] != '/')
        n -= 3;
      if (strlen(top) == n && strncmp(l, top, n) == 0)
        return true;
    }
    return false;
  }
  return false;
}

static bool under_excluded(const char *relpath)
{
  cleanup_free char *copy = xstrdup(relpath);
  for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
    for (const char *const *x = no_tests; *x; x++)
      if (strcmp(c, *x) == 0)
        return true;
  return false;
}

static void keep_record(pyoci_keep_t *k, const char *site, const char *distdir)
{
  cleanup_free char *rel = pyoci_path_join(distdir, "RECORD");
  cleanup_free char *host = pyoci_path_join(k->root, rel);
  cleanup_free char *text = NULL;
  pyoci_error_t *ignored = NULL;
  if (pyoci_read_file(host, MAX_RECORD_SIZE, &text, NULL, &ignored) < 0) {
    pyoci_error_free(ignored);
    return;
  }
  for (char *save = NULL, *l = strtok_r(text, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
    l[strcspn(l, ",")] = '\0';
    /* scripts outside site-packages (../../bin) are kept only when traced */
    if (*l == '\0' || *l == '/' || strncmp(l, "../", 3) == 0 || under_excluded(l))
      continue;
    cleanup_free char *p = pyoci_path_join(site, l);
    pyoci_keep_path(k, p, "python-dist", NULL);
  }
}

/* Keep the dist-info/egg-info in site that provides top. */
static void keep_dist(pyoci_keep_t *k, const char *site, const char *top)
{
  if (!is_site_dir(site))
    return;
  cleanup_free char *host = pyoci_path_join(k->root, site);
  cleanup_dir DIR *d = opendir(host);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    size_t n = strlen(de->d_name);
    bool dist = n > 10 && strcmp(de->d_name + n - 10, ".dist-info") == 0;
    bool egg = n > 9 && strcmp(de->d_name + n - 9, ".egg-info") == 0;
    if (!dist && !egg)
      continue;
    cleanup_free char *distdir = pyoci_path_join(site, de->d_name);
    if (!dist_provides(k->root, distdir, top))
      continue;
    pyoci_keep_tree(k, distdir, "python-dist", NULL);
    keep_record(k, site, distdir);
  }
}

/* Whether the trace opened anything under dir. */
static bool traced_under(const json_t *traced, const char *dir)
{
  size_t n = strlen(dir);
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)traced, key, v) {
    if (strncmp(key, dir, n) == 0 && key[n] == '/')
      return true;
  }
  return false;
}

/* The standard library's directory (lib/pythonX.Y, not its site-packages). */
static bool is_stdlib_dir(const char *dir)
{
  const char *b = strrchr(dir, '/');
  return b && fnmatch("python[0-9].[0-9]*", b + 1, 0) == 0 && b - dir >= 3 && strncmp(b - 3, "lib", 3) == 0;
}

/* The codecs of the standard library's encodings package that stay with it:
 * Unicode, ASCII/Latin-1, IDNA and the byte transforms, which Python's own
 * modules look up by name (json decodes UTF-16/32 input, idna uses
 * punycode, pickle raw_unicode_escape).  The legacy character-set tables
 * (cp437, iso8859_5, mac_roman, koi8_r, ...: 13-36 kB each, 1.3 MB in all)
 * and the CJK codecs go unless the run or the import graph used them:
 * they are reached only by a name in data. */
static const char *const unicode_codecs[] = {"__init__.py", "aliases.py", "ascii.py", "latin_1.py", "utf_*.py",
                                             "idna.py", "punycode.py", "charmap.py", "*unicode_escape.py",
                                             "undefined.py", "*_codec.py", "rot_13.py", NULL};

static void keep_encodings(pyoci_keep_t *k, const char *top)
{
  cleanup_free char *host = pyoci_path_join(k->root, top);
  cleanup_dir DIR *d = opendir(host);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    for (const char *const *pat = unicode_codecs; *pat; pat++) {
      if (fnmatch(*pat, de->d_name, 0) == 0) {
        cleanup_free char *rel = pyoci_path_join(top, de->d_name);
        pyoci_keep_path(k, rel, "python-package", NULL);
        break;
      }
    }
  }
}

/* Keep a module file; its top-level package whole when it is a third-party
 * one (site-packages) or an app's own package the run used (packages read
 * their data files: templates, static files).  A standard-library package
 * keeps the modules the graph reaches: its submodules are imported by name
 * in code, which the graph follows (encodings, whose codecs are found by a
 * name in data, keeps its Unicode codecs). */
static void keep_module_file(pyoci_keep_t *k, const char *path, json_t *tops, const json_t *traced)
{
  cleanup_free char *real = NULL;
  if (pyoci_keep_path(k, path, "python", &real) != 1)
    return;
  cleanup_free char *dir = xstrdup(real);
  char *slash = strrchr(dir, '/');
  if (slash == NULL)
    return;
  *slash = '\0';
  cleanup_free char *top = NULL;
  while (has_init(k->root, dir)) {
    free(top);
    top = xstrdup(dir);
    slash = strrchr(dir, '/');
    if (slash == NULL)
      break;
    *slash = '\0';
  }
  if (top == NULL || json_object_get(tops, top))
    return;
  json_object_set_new(tops, top, json_true());
  cleanup_free char *site = xstrdup(top);
  slash = strrchr(site, '/');
  if (slash)
    *slash = '\0';
  if (slash && is_stdlib_dir(site)) {
    if (strcmp(slash + 1, "encodings") == 0)
      keep_encodings(k, top);
    return;
  }
  if ((slash && is_site_dir(site)) || traced_under(traced, top))
    pyoci_keep_tree(k, top, "python-package", no_tests);
  if (slash)
    keep_dist(k, site, slash + 1);
}

/* Type stubs (*.pyi) are for type checkers; the interpreter never reads
 * them.  A whole package or distribution is kept without them. */
static void drop_stubs(pyoci_keep_t *k)
{
  const char *key;
  json_t *v;
  void *tmp;
  json_object_foreach_safe(k->keep, tmp, key, v) {
    const char *why = json_string_value(v);
    size_t n = strlen(key);
    if (n > 4 && strcmp(key + n - 4, ".pyi") == 0 &&
        (strcmp(why, "python-package") == 0 || strcmp(why, "python-dist") == 0))
      json_object_del(k->keep, key);
  }
}

/* Keep each module's distribution also for single-file modules (six.py). */
static void keep_single_dists(pyoci_keep_t *k, json_t *files)
{
  size_t i;
  json_t *f;
  json_array_foreach(files, i, f) {
    cleanup_free char *real = NULL;
    if (pyoci_keep_path(k, json_string_value(f), "python", &real) != 1)
      continue;
    cleanup_free char *copy = xstrdup(real);
    char *slash = strrchr(copy, '/');
    if (slash == NULL || has_init(k->root, copy))
      continue;
    *slash = '\0';
    char *stem = slash + 1;
    stem[strcspn(stem, ".")] = '\0';
    keep_dist(k, copy, stem);
  }
}

static int write_inputs(const char *dir, json_t *traced, pyoci_error_t **err)
{
  cleanup_free char *script = pyoci_path_join(dir, "finder.py");
  cleanup_free char *list = pyoci_path_join(dir, "traced.txt");
  strbuf_t sb = STRBUF_INIT;
  const char *key;
  json_t *v;
  json_object_foreach(traced, key, v) strbuf_addf(&sb, "/%s\n", key);
  int rc = pyoci_mkdir_p(dir, 0755, err);
  if (rc == 0)
    rc = pyoci_write_file_atomic(script, pyoci_distill_finder_py, strlen(pyoci_distill_finder_py), 0644, err);
  if (rc == 0)
    rc = pyoci_write_file_atomic(list, strbuf_str(&sb), sb.len, 0644, err);
  strbuf_release(&sb);
  return rc;
}

/* Feed the finder's output file to finder_line, a line at a time. */
static int read_output(const char *path, finder_out_t *fo, pyoci_error_t **err)
{
  cleanup_free char *text = NULL;
  if (pyoci_read_file(path, MAX_FINDER_OUTPUT, &text, NULL, err) < 0)
    return -1;
  for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
    finder_line(fo, l);
  return 0;
}

/* Run the finder with a time limit: an interpreter that hangs (a
 * sitecustomize waiting for something) must not hang distill. */
static int run_finder(const pyoci_run_spec_t *spec, const char *scratch, finder_out_t *fo, int *code,
                      pyoci_error_t **err)
{
  cleanup_free char *log = pyoci_path_join(scratch, "finder.out");
  if (pyoci_mkdir_p(scratch, 0700, err) < 0)
    return -1;
  cleanup_close int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return pyoci_error_set(err, errno, "create '%s'", log);
  pyoci_container_proc_t proc;
  if (pyoci_runtime_start(spec, scratch, fd, &proc, err) < 0)
    return -1;
  int rc = 0;
  for (int waited = 0; (rc = pyoci_runtime_poll(&proc, code, err)) == 0; waited++) {
    if (waited >= FINDER_TIMEOUT_S * 10) {
      pyoci_runtime_stop(&proc, NULL, NULL);
      return pyoci_error_set(err, 0, "modulefinder in the image (%s) did not finish within %d s", spec->argv[0],
                             FINDER_TIMEOUT_S);
    }
    usleep(100 * 1000);
  }
  return rc < 0 ? -1 : read_output(log, fo, err);
}

int pyoci_keep_python_closure(pyoci_keep_t *k, const pyoci_pyclosure_t *pc, json_t *traced, pyoci_error_t **err)
{
  cleanup_free char *dir = pyoci_path_join(pc->scratch, "finder");
  if (write_inputs(dir, traced, err) < 0)
    return -1;
  pyoci_mount_t m = {.destination = FINDER_DIR, .source = dir, .readonly = true};
  char *argv[] = {(char *)pc->interp, "-B", FINDER_DIR "/finder.py", FINDER_DIR "/traced.txt", NULL};
  finder_out_t fo = {.k = k, .tail = STRBUF_INIT, .files = json_array()};
  pyoci_run_spec_t spec = *pc->spec;
  spec.argv = argv;
  spec.mounts = &m;
  spec.n_mounts = 1;
  cleanup_free char *scratch = pyoci_path_join(pc->scratch, "finder-run");
  int code = 0;
  int rc = run_finder(&spec, scratch, &fo, &code, err);
  if (rc == 0 && (!fo.done || code != 0))
    rc = pyoci_error_set(err, 0, "modulefinder in the image (%s) failed with status %d:%s", pc->interp, code,
                         strbuf_str(&fo.tail));
  if (rc == 0) {
    json_t *tops = json_object();
    size_t i;
    json_t *f;
    json_array_foreach(fo.files, i, f) keep_module_file(k, json_string_value(f), tops, traced);
    keep_single_dists(k, fo.files);
    drop_stubs(k);
    json_decref(tops);
  }
  json_decref(fo.files);
  strbuf_release(&fo.tail);
  return rc;
}
