/* The ELF closure: what the dynamic loader would map for each kept ELF file,
 * searched the way ld.so searches (man ld.so): DT_RPATH (when there is no
 * DT_RUNPATH), LD_LIBRARY_PATH from the image's Env, DT_RUNPATH, the
 * directories of /etc/ld.so.conf (with its includes), then the default
 * dirs.  $ORIGIN expands to the object's own directory.  A candidate must
 * be an ELF file of the same class and machine, as ld.so requires.  dlopen'ed
 * libraries are in the trace already; their own needs are followed here.
 * Scripts' "#!" interpreters are followed too (the kernel's PT_INTERP). */
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
#include "elf.h"

#define MAX_CONF_SIZE (64u << 10)
#define MAX_CONF_DEPTH 4

static const char *const default_dirs[] = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                                           "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                                           "/lib64", "/usr/lib64", "/lib", "/usr/lib", NULL};

static void add_dirs(json_t *dirs, const char *list, const char *origin)
{
  cleanup_free char *copy = xstrdup(list);
  for (char *save = NULL, *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    strbuf_t sb = STRBUF_INIT;
    for (const char *p = d; *p;) {
      if (strncmp(p, "$ORIGIN", 7) == 0 || strncmp(p, "${ORIGIN}", 9) == 0) {
        strbuf_addf(&sb, "/%s", origin);
        p += p[1] == '{' ? 9 : 7;
      } else {
        strbuf_addch(&sb, *p++);
      }
    }
    if (sb.len && sb.buf[0] == '/')
      json_array_append_new(dirs, json_string(sb.buf));
    strbuf_release(&sb);
  }
}

static void read_conf(pyoci_keep_t *k, const char *path, json_t *dirs, int depth);

/* "include PATTERN": the directory resolved inside the root, names matched. */
static void conf_include(pyoci_keep_t *k, const char *pattern, json_t *dirs, int depth)
{
  cleanup_free char *full = pattern[0] == '/' ? xstrdup(pattern) : pyoci_path_join("/etc", pattern);
  cleanup_free char *dcopy = xstrdup(full), *bcopy = xstrdup(full);
  const char *dir = dirname(dcopy), *base = basename(bcopy);
  cleanup_free char *real = pyoci_keep_resolve(k->root, dir);
  if (real == NULL)
    return;
  cleanup_free char *host = pyoci_path_join(k->root, real);
  cleanup_dir DIR *d = opendir(host);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    if (de->d_name[0] != '.' && fnmatch(base, de->d_name, 0) == 0) {
      cleanup_free char *conf = pyoci_path_join(real, de->d_name);
      read_conf(k, conf, dirs, depth + 1);
    }
  }
}

static void read_conf(pyoci_keep_t *k, const char *path, json_t *dirs, int depth)
{
  if (depth > MAX_CONF_DEPTH)
    return;
  cleanup_free char *real = pyoci_keep_resolve(k->root, path);
  if (real == NULL)
    return;
  cleanup_close int rfd = open(k->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *text = NULL;
  pyoci_error_t *ignored = NULL;
  if (rfd < 0 || pyoci_read_file_at(rfd, real, MAX_CONF_SIZE, &text, NULL, &ignored) < 0) {
    pyoci_error_free(ignored);
    return;
  }
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *hash = strchr(line, '#');
    if (hash)
      *hash = '\0';
    line += strspn(line, " \t");
    if (strncmp(line, "include", 7) == 0 && (line[7] == ' ' || line[7] == '\t')) {
      char *pat = line + 8 + strspn(line + 8, " \t");
      pat[strcspn(pat, " \t\r")] = '\0';
      conf_include(k, pat, dirs, depth);
    } else if (line[0] == '/') {
      line[strcspn(line, " \t\r")] = '\0';
      json_array_append_new(dirs, json_string(line));
    }
  }
}

/* The search list for an object at rel (its real path). */
static json_t *search_dirs(pyoci_keep_t *k, const char *rel, const pyoci_elf_info_t *info, json_t *conf_dirs)
{
  json_t *dirs = json_array();
  cleanup_free char *copy = xstrdup(rel);
  char *origin = dirname(copy);
  if (strcmp(origin, ".") == 0)
    origin[0] = '\0';
  if (info->rpath && !info->runpath)
    add_dirs(dirs, info->rpath, origin);
  const char *llp = k->env ? json_string_value(json_object_get(k->env, "LD_LIBRARY_PATH")) : NULL;
  if (llp)
    add_dirs(dirs, llp, origin);
  if (info->runpath)
    add_dirs(dirs, info->runpath, origin);
  json_array_extend(dirs, conf_dirs);
  for (const char *const *d = default_dirs; *d; d++)
    json_array_append_new(dirs, json_string(*d));
  return dirs;
}

static int parse_at(pyoci_keep_t *k, const char *rel, pyoci_elf_info_t *info, pyoci_error_t **err)
{
  cleanup_free char *host = pyoci_path_join(k->root, rel);
  cleanup_close int fd = open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return 0;
  return pyoci_elf_parse_fd(fd, rel, info, err);
}

/* Find name for the object; keep it (and its symlinks); return its real path. */
static char *find_lib(pyoci_keep_t *k, const char *name, const pyoci_elf_info_t *from, json_t *dirs)
{
  size_t i;
  json_t *d;
  json_array_foreach(dirs, i, d) {
    cleanup_free char *cand = pyoci_path_join(json_string_value(d), name);
    cleanup_free char *real = pyoci_keep_resolve(k->root, cand);
    if (real == NULL)
      continue;
    pyoci_elf_info_t info;
    pyoci_error_t *ignored = NULL;
    int rc = parse_at(k, real, &info, &ignored);
    pyoci_error_free(ignored);
    bool fits = rc == 1 && info.is_64 == from->is_64 && info.machine == from->machine;
    pyoci_elf_info_free(&info);
    if (fits) {
      pyoci_keep_path(k, cand, "elf", NULL);
      return steal_pointer(&real);
    }
  }
  return NULL;
}

/* "#!/path/interp [arg]": the kernel opens the interpreter by its path, so
 * the trace sees the file but not the symlinks (/bin/sh -> dash).  With
 * /usr/bin/env the argument is looked up on the default PATH.  Only for a
 * file the kernel could exec (an x bit) that is not kept as a Python
 * module: Python imports tarfile.py, it never runs its "#!/usr/bin/env
 * python3" (a module the app does exec is in the trace as a program). */
static void keep_shebang(pyoci_keep_t *k, const char *rel)
{
  const char *why = json_string_value(json_object_get(k->keep, rel));
  if (why && (strcmp(why, "python") == 0 || strcmp(why, "python-package") == 0 || strcmp(why, "python-dist") == 0))
    return;
  cleanup_free char *host = pyoci_path_join(k->root, rel);
  cleanup_close int fd = open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
    return;
  char line[256];
  ssize_t n = pread(fd, line, sizeof(line) - 1, 0);
  if (n < 3 || line[0] != '#' || line[1] != '!')
    return;
  line[n] = '\0';
  line[strcspn(line, "\n")] = '\0';
  char *save = NULL, *interp = strtok_r(line + 2, " \t", &save), *arg = strtok_r(NULL, " \t", &save);
  if (interp == NULL || interp[0] != '/')
    return;
  pyoci_keep_path(k, interp, "shebang", NULL);
  const char *base = strrchr(interp, '/') + 1;
  if (strcmp(base, "env") != 0 || arg == NULL || strchr(arg, '/') || arg[0] == '-')
    return;
  static const char *const path[] = {"/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin",
                                     NULL};
  for (const char *const *d = path; *d; d++) {
    cleanup_free char *cand = pyoci_path_join(*d, arg);
    cleanup_free char *real = pyoci_keep_resolve(k->root, cand);
    if (real) {
      pyoci_keep_path(k, cand, "shebang", NULL);
      return;
    }
  }
}

int pyoci_keep_elf_closure(pyoci_keep_t *k, pyoci_error_t **err)
{
  json_t *conf_dirs = json_array();
  read_conf(k, "/etc/ld.so.conf", conf_dirs, 0);
  json_t *done = json_object();
  for (bool more = true; more;) {
    more = false;
    const char *key;
    json_t *v;
    void *tmp;
    json_t *snapshot = json_copy(k->keep);
    json_object_foreach_safe(snapshot, tmp, key, v) {
      if (json_object_get(done, key))
        continue;
      json_object_set_new(done, key, json_true());
      pyoci_elf_info_t info;
      pyoci_error_t *perr = NULL;
      int rc = parse_at(k, key, &info, &perr);
      if (rc < 0) {
        /* A damaged ELF file cannot be followed, but it is still kept. */
        pyoci_error_free(perr);
        continue;
      }
      if (rc == 0) {
        size_t before = json_object_size(k->keep);
        keep_shebang(k, key);
        more = more || json_object_size(k->keep) != before;
        continue;
      }
      more = true;
      if (info.interp)
        pyoci_keep_path(k, info.interp, "elf", NULL);
      json_t *dirs = search_dirs(k, key, &info, conf_dirs);
      for (size_t i = 0; i < info.n_needed; i++) {
        if (strchr(info.needed[i], '/')) {
          pyoci_keep_path(k, info.needed[i], "elf", NULL);
          continue;
        }
        free(find_lib(k, info.needed[i], &info, dirs));
      }
      json_decref(dirs);
      pyoci_elf_info_free(&info);
    }
    json_decref(snapshot);
  }
  json_decref(done);
  json_decref(conf_dirs);
  (void)err;
  return 0;
}
