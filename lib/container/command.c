/* The command a container process runs must exist in its root.  docker
 * answers a missing command with 127 ("executable file not found in
 * $PATH") and a file it cannot execute with 126 ("permission denied"),
 * where runc only fails its exec (runc run: "exec failed", runc exec: exit
 * 255).  So pyoci looks the command up first, the way runc's init does
 * (Go's exec.LookPath over the process's PATH, inside the root), for run
 * and for exec alike. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "container_int.h"

/* 1: an executable file, 0: something else is there, -1: nothing. */
static int probe(int rfd, const char *cwd, const char *prog, const char *dir)
{
  cleanup_free char *full = NULL;
  if (dir != NULL)
    full = pyoci_path_join(dir, prog);
  else if (prog[0] == '/')
    full = xstrdup(prog);
  else /* "./app", "bin/app": relative to the working directory */
    full = pyoci_path_join(cwd ? cwd : "/", prog);
  cleanup_close int fd = pyoci_open_in_root(rfd, full[0] == '/' ? full + 1 : full, O_PATH | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || S_ISDIR(st.st_mode))
    return -1;
  return S_ISREG(st.st_mode) && (st.st_mode & 0111) ? 1 : 0;
}

int pyoci_container_check_command(const char *root, const char *prog, const char *path, const char *cwd,
                                  pyoci_error_t **err)
{
  cleanup_close int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return pyoci_error_set(err, errno, "open '%s'", root);
  bool found = false;
  if (*prog == '\0') {
    /* nothing to look for: not found, as exec.LookPath says */
  } else if (strchr(prog, '/') != NULL) {
    int r = probe(rfd, cwd, prog, NULL);
    if (r == 1)
      return 0;
    found = r == 0;
  } else {
    cleanup_free char *dirs = xstrdup(path ? path : PYOCI_CONTAINER_DEFAULT_PATH);
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
      int r = probe(rfd, cwd, prog, d);
      if (r == 1)
        return 0;
      found = found || r == 0;
    }
  }
  if (found)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "exec: \"%s\": permission denied", prog);
  return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "exec: \"%s\": executable file not found in $PATH", prog);
}

/* The PATH an exec'd process gets: -e PATH=..., else the container's own
 * (its bundle's process.env), as runc exec builds the environment. */
static const char *env_path(char *const *env)
{
  for (char *const *e = env; e && *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0)
      return *e + 5;
  return NULL;
}

int pyoci_container_check_exec(const pyoci_container_t *c, const pyoci_exec_spec_t *e, pyoci_error_t **err)
{
  pid_t pid = pyoci_container_pid(c);
  if (pid <= 0 || e->argv == NULL || e->argv[0] == NULL)
    return 0; /* runc says what is wrong */
  char root[64];
  snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
  cleanup_close int probe_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (probe_fd < 0)
    return 0; /* gone, or not ours to look into: runc says what is wrong */
  cleanup_free char *cfg_path = pyoci_container_path(c, "bundle/config.json");
  pyoci_error_t *ignored = NULL;
  cleanup_json json_t *cfg = pyoci_json_load_file(cfg_path, 1u << 20, &ignored);
  pyoci_error_free(ignored);
  const json_t *proc = json_object_get(cfg, "process");
  const char *path = env_path(e->env);
  for (size_t i = 0; path == NULL && i < json_array_size(json_object_get(proc, "env")); i++) {
    const char *kv = json_string_value(json_array_get(json_object_get(proc, "env"), i));
    if (kv && strncmp(kv, "PATH=", 5) == 0)
      path = kv + 5;
  }
  const char *cwd = e->cwd ? e->cwd : pyoci_json_str(proc, "cwd");
  return pyoci_container_check_command(root, e->argv[0], path, cwd, err);
}
