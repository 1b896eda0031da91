/* Debug sessions: the toolbox joined to a target's namespaces, or an image
 * run with the toolbox at /.debug; and the default busybox toolbox. */
#include "debug.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/image/layer_store.h"
#include "lib/image/unpacked.h"
#include "lib/oci/image.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "container_int.h"

/* kubectl debug's "general" profile adds SYS_PTRACE: strace, gdb, and
 * /proc/1/root of a process whose capabilities the toolbox lacks. */
static const char *const debug_caps[] = {"CAP_SYS_PTRACE", NULL};

static char *const default_cmd[] = {"sh", NULL};

static bool is_static_elf(const char *path)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  unsigned char h[64];
  if (fd < 0 || read(fd, h, sizeof(h)) != (ssize_t)sizeof(h) || memcmp(h, "\177ELF", 4) != 0 || h[4] != 2)
    return false;
  uint64_t phoff;
  uint16_t phentsize, phnum;
  memcpy(&phoff, h + 32, 8);
  memcpy(&phentsize, h + 54, 2);
  memcpy(&phnum, h + 56, 2);
  for (uint16_t i = 0; i < phnum && i < 256; i++) {
    uint32_t type = 0;
    if (pread(fd, &type, 4, (off_t)(phoff + (uint64_t)i * phentsize)) != 4)
      return false;
    if (type == 3) /* PT_INTERP: needs a dynamic loader the toolbox lacks */
      return false;
  }
  return true;
}

/* `busybox --list`: the applet names, one per line. */
static int applets(const char *busybox, char **out, pyoci_error_t **err)
{
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return pyoci_error_set(err, errno, "pipe");
  pid_t c = fork();
  if (c == 0) {
    dup2(p[1], STDOUT_FILENO);
    execl(busybox, "busybox", "--list", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  int rc = pyoci_read_fd(p[0], "busybox --list", 1u << 16, out, NULL, err);
  close(p[0]);
  int status = 0;
  while (c > 0 && waitpid(c, &status, 0) < 0 && errno == EINTR)
    ;
  if (rc == 0 && (c < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0))
    rc = pyoci_error_set(err, 0, "%s --list failed", busybox);
  return rc;
}

/* bin/busybox, a relative symlink per applet beside it (so the tree also
 * works mounted at /.debug), etc/passwd and etc/group. */
static int toolbox_tree(const char *root, const char *busybox, pyoci_error_t **err)
{
  cleanup_free char *bin = pyoci_path_join(root, "bin");
  cleanup_free char *etc = pyoci_path_join(root, "etc");
  cleanup_free char *dst = pyoci_path_join(bin, "busybox");
  cleanup_free char *data = NULL, *list = NULL;
  size_t len = 0;
  if (pyoci_mkdir_p(bin, 0755, err) < 0 || pyoci_mkdir_p(etc, 0755, err) < 0 ||
      pyoci_read_file(busybox, 64u << 20, &data, &len, err) < 0 ||
      pyoci_write_file_atomic(dst, data, len, 0755, err) < 0 || applets(busybox, &list, err) < 0)
    return -1;
  for (char *save = NULL, *a = strtok_r(list, "\n", &save); a; a = strtok_r(NULL, "\n", &save)) {
    if (*a == '\0' || strchr(a, '/') || strcmp(a, "busybox") == 0 || a[0] == '.')
      continue;
    cleanup_free char *link = pyoci_path_join(bin, a);
    if (symlink("busybox", link) < 0 && errno != EEXIST)
      return pyoci_error_set(err, errno, "symlink '%s'", link);
  }
  static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
  static const char group[] = "root:x:0:\nnogroup:x:65534:\n";
  cleanup_free char *pw = pyoci_path_join(etc, "passwd");
  cleanup_free char *gr = pyoci_path_join(etc, "group");
  return pyoci_write_file_atomic(pw, passwd, strlen(passwd), 0644, err) < 0 ||
                 pyoci_write_file_atomic(gr, group, strlen(group), 0644, err) < 0
             ? -1
             : 0;
}

static int toolbox_commit(pyoci_store_t *s, const char *root, const char *name, pyoci_error_t **err)
{
  pyoci_layer_opts_t lo;
  pyoci_layer_opts_init(&lo);
  pyoci_desc_t desc = {0};
  char diff_id[PYOCI_DIGEST_LEN];
  if (pyoci_layer_from_dir(s, root, &lo, &desc, diff_id, err) < 0)
    return -1;
  cleanup_json json_t *cfg = pyoci_config_new();
  json_object_set_new(cfg, "config",
                      json_pack("{s:[s], s:[s]}", "Env", "PATH=/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin",
                                "Cmd", "sh"));
  pyoci_config_add_layer(cfg, diff_id, "pyoci debug: busybox toolbox from the host's busybox-static", NULL);
  const char *names[] = {name, NULL};
  char digest[PYOCI_DIGEST_LEN];
  int rc = pyoci_image_commit(s, cfg, NULL, 0, &desc, 1, names, digest, err);
  free(desc.media_type);
  return rc;
}

int pyoci_toolbox_ensure(pyoci_store_t *s, const char *name, const char *busybox, pyoci_error_t **err)
{
  char digest[PYOCI_DIGEST_LEN];
  pyoci_error_t *e = NULL;
  if (pyoci_store_resolve(s, name, digest, &e) == 0)
    return 0;
  pyoci_error_free(e);
  if (busybox == NULL || !is_static_elf(busybox))
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0,
                                "toolbox %s: no statically linked busybox on this host (apt-get install "
                                "busybox-static), or give --image",
                                name);
  cleanup_free char *tmp = NULL;
  if (pyoci_store_mkdtemp(s, "toolbox-", &tmp, err) < 0)
    return -1;
  int rc = toolbox_tree(tmp, busybox, err) < 0 ? -1 : toolbox_commit(s, tmp, name, err);
  pyoci_error_t *ignored = NULL;
  pyoci_rm_rf(tmp, &ignored);
  pyoci_error_free(ignored);
  return rc < 0 ? pyoci_error_prefix(err, "make the toolbox %s", name) : 0;
}

static int toolbox_present(pyoci_store_t *s, const char *toolbox, pyoci_error_t **err)
{
  char digest[PYOCI_DIGEST_LEN];
  if (pyoci_store_resolve(s, toolbox, digest, err) < 0)
    return pyoci_error_prefix(err, "toolbox image");
  return 0;
}

int pyoci_debug_container(pyoci_store_t *s, const pyoci_target_t *t, const pyoci_debug_opts_t *o, int *exit_code,
                          pyoci_error_t **err)
{
  if (toolbox_present(s, o->toolbox, err) < 0)
    return -1;
  char ns[4][48], pidstr[16];
  static const char *const types[] = {"pid", "network", "ipc", "uts"};
  static const char *const files[] = {"pid", "net", "ipc", "uts"};
  pyoci_ns_join_t join[4];
  for (int i = 0; i < 4; i++) {
    snprintf(ns[i], sizeof(ns[i]), "/proc/%d/ns/%s", (int)t->pid, files[i]);
    join[i] = (pyoci_ns_join_t){.type = types[i], .path = ns[i]};
  }
  snprintf(pidstr, sizeof(pidstr), "%d", (int)t->pid);
  /* the hook runs pyoci itself: `pyoci __cgroup-join TARGET` (state on stdin) */
  const char *hook[] = {o->self_exe, "__cgroup-join", pidstr, NULL};
  /* the target going away ends the session: watch it by pidfd */
  cleanup_close int pfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
  if (pfd < 0)
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "the target %s (pid %d) is gone", t->name, (int)t->pid);
  pyoci_run_opts_t ro = {.image = o->toolbox, .cmd = o->cmd && o->cmd[0] ? o->cmd : default_cmd,
                         .env = (char *const *)o->env, .rm = true,
                         .tty = o->tty, .interactive = o->interactive, .join = join, .n_join = 4,
                         .add_caps = debug_caps, .create_hook = o->self_exe ? hook : NULL,
                         .no_state_listing = true};
  cleanup_container pyoci_container_t *c = NULL;
  if (pyoci_container_create(s, &ro, &c, err) < 0)
    return -1;
  /* /target: the kernel refuses to bind-mount another mount namespace's
   * root (EINVAL, open_tree too), so it is a symlink in the toolbox's own
   * upper dir to the target's root as the shared pid namespace shows it */
  cleanup_free char *link = pyoci_container_path(c, "rootfs/merged/target");
  if (symlink("/proc/1/root", link) < 0 && errno != EEXIST) {
    pyoci_error_set(err, errno, "symlink '%s'", link);
    pyoci_container_teardown(c, true);
    return -1;
  }
  int rc = pyoci_container_run_foreground(c, o->interactive, o->tty, exit_code, err);
  /* a pid namespace's init finishes exiting only after every other process
   * in it is gone, the toolbox included: give it a moment when the toolbox
   * was killed */
  struct pollfd p = {.fd = pfd, .events = POLLIN};
  if (poll(&p, 1, rc < 0 || *exit_code >= 128 ? 2000 : 0) > 0) {
    pyoci_error_release(err);
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "the target %s (pid %d) exited during the debug session",
                                t->name, (int)t->pid);
  }
  return rc;
}

/* A read-only view of the toolbox at /.debug: its unpacked top layer when
 * it has one layer (the default busybox), else refused. */
int pyoci_debug_image(pyoci_store_t *s, const char *image, const pyoci_debug_opts_t *o, int *exit_code,
                      pyoci_error_t **err)
{
  cleanup_image pyoci_image_t *tb = NULL;
  if (pyoci_image_load(s, o->toolbox, &tb, err) < 0)
    return pyoci_error_prefix(err, "toolbox image");
  if (tb->n_layers != 1)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "toolbox %s: an image to mount at /.debug must have one layer (it has %zu)",
                                o->toolbox, tb->n_layers);
  cleanup_free char *dir = NULL;
  if (pyoci_unpacked_get(s, &tb->layers[0], tb->diff_ids[0], &dir, err) < 0)
    return -1;
  static char *const shell[] = {"/.debug/bin/sh", NULL};
  pyoci_mount_t m = {.destination = "/.debug", .source = dir, .readonly = true};
  pyoci_run_opts_t ro = {.image = image, .cmd = o->cmd && o->cmd[0] ? o->cmd : shell, .env = (char *const *)o->env,
                         .mounts = &m, .n_mounts = 1, .rm = true, .tty = o->tty, .interactive = o->interactive,
                         .add_caps = debug_caps, .extra_path = "/.debug/bin", .no_state_listing = true,
                         .entrypoint = ""};
  cleanup_container pyoci_container_t *c = NULL;
  if (pyoci_container_create(s, &ro, &c, err) < 0)
    return -1;
  return pyoci_container_run_foreground(c, o->interactive, o->tty, exit_code, err);
}
