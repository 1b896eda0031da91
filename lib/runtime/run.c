/* runc bundles: config.json written from a pyoci_run_spec_t, then
 * `runc run` with stdout/stderr captured line by line. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/settings.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "runtime.h"
#include "runtime_int.h"

/* Docker's default capability set for containers and RUN steps. */
static const char *const default_caps[] = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",     "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",           "CAP_SETFCAP",    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", NULL,
};

static const char *const masked_paths[] = {
    "/proc/asound", "/proc/acpi",     "/proc/kcore",    "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", NULL,
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

const char *pyoci_runtime_binary(void)
{
  const char *r = pyoci_settings()->runtime;
  return r && *r ? r : "runc";
}

static json_t *strv_json(const char *const *v)
{
  json_t *a = json_array();
  for (; v && *v; v++)
    json_array_append_new(a, json_string(*v));
  return a;
}

static json_t *mount_json(const char *dest, const char *type, const char *source, const char *const *options)
{
  return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", source, "options",
                   strv_json(options));
}

static json_t *extra_mount_json(const pyoci_mount_t *em)
{
  if (em->tmpfs) {
    /* BuildKit's tmpfs: mode 1777 (the kernel's default), no exec limits */
    char size[48];
    snprintf(size, sizeof(size), "size=%lld", (long long)em->size);
    const char *o[] = {"nosuid", "nodev", "strictatime", em->size > 0 ? size : NULL, NULL};
    return mount_json(em->destination, "tmpfs", "tmpfs", o);
  }
  const char *o[] = {"rbind", em->readonly ? "ro" : "rw", NULL};
  return mount_json(em->destination, "bind", em->source, o);
}

static json_t *mounts_json(const pyoci_run_spec_t *spec, bool bind_network_files)
{
  static const char *const proc_o[] = {"nosuid", "noexec", "nodev", NULL};
  static const char *const dev_o[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
  static const char *const pts_o[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL};
  static const char *const shm_o[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL};
  static const char *const mq_o[] = {"nosuid", "noexec", "nodev", NULL};
  static const char *const sys_o[] = {"nosuid", "noexec", "nodev", "ro", NULL};
  static const char *const bind_o[] = {"rbind", "ro", NULL};
  json_t *m = json_array();
  json_array_append_new(m, mount_json("/proc", "proc", "proc", proc_o));
  json_array_append_new(m, mount_json("/dev", "tmpfs", "tmpfs", dev_o));
  json_array_append_new(m, mount_json("/dev/pts", "devpts", "devpts", pts_o));
  json_array_append_new(m, mount_json("/dev/shm", "tmpfs", "shm", shm_o));
  json_array_append_new(m, mount_json("/dev/mqueue", "mqueue", "mqueue", mq_o));
  json_array_append_new(m, mount_json("/sys", "sysfs", "sysfs", sys_o));
  if (bind_network_files) {
    /* Name resolution inside RUN steps, as docker build gives it. */
    if (access("/etc/resolv.conf", R_OK) == 0)
      json_array_append_new(m, mount_json("/etc/resolv.conf", "bind", "/etc/resolv.conf", bind_o));
    if (access("/etc/hosts", R_OK) == 0)
      json_array_append_new(m, mount_json("/etc/hosts", "bind", "/etc/hosts", bind_o));
  }
  for (size_t i = 0; i < spec->n_mounts; i++)
    json_array_append_new(m, extra_mount_json(&spec->mounts[i]));
  return m;
}

static json_t *process_json(const pyoci_run_spec_t *spec)
{
  json_t *gids = json_array();
  for (size_t i = 0; i < spec->n_extra_gids; i++)
    json_array_append_new(gids, json_integer(spec->extra_gids[i]));
  json_t *caps = strv_json(default_caps);
  for (const char *const *c = spec->add_caps; c && *c; c++)
    json_array_append_new(caps, json_string(*c));
  /* No "rlimits": raising limits is refused on some hosts, and Docker's RUN
   * inherits the daemon's limits anyway. */
  json_t *process = json_pack("{s:b, s:{s:I, s:I, s:o}, s:o, s:o, s:s, s:{s:O, s:O, s:O}, s:b}", "terminal", spec->terminal, "user",
                   "uid", (json_int_t)spec->uid, "gid", (json_int_t)spec->gid, "additionalGids", gids, "args",
                   strv_json((const char *const *)spec->argv), "env", strv_json((const char *const *)spec->env),
                   "cwd", spec->cwd ? spec->cwd : "/", "capabilities", "bounding", caps, "effective", caps,
                   "permitted", caps, "noNewPrivileges", 0);
  json_decref(caps);
  return process;
}

static const char *joined_ns(const pyoci_run_spec_t *spec, const char *type)
{
  for (size_t i = 0; i < spec->n_join; i++)
    if (strcmp(spec->join[i].type, type) == 0)
      return spec->join[i].path;
  return NULL;
}

/* New pid, ipc, uts, mount namespaces (network only with network_none),
 * except those the spec joins. */
static json_t *namespaces_json(const pyoci_run_spec_t *spec)
{
  json_t *ns = json_array();
  static const char *const ns_types[] = {"pid", "ipc", "uts", "mount", "network", "cgroup", NULL};
  for (const char *const *t = ns_types; *t; t++) {
    const char *path = joined_ns(spec, *t);
    if (path)
      json_array_append_new(ns, json_pack("{s:s, s:s}", "type", *t, "path", path));
    else if ((strcmp(*t, "network") != 0 || spec->network_none) && strcmp(*t, "cgroup") != 0)
      json_array_append_new(ns, json_pack("{s:s}", "type", *t));
  }
  return ns;
}

static json_t *hooks_json(const pyoci_run_spec_t *spec)
{
  json_t *hooks = json_object();
  if (spec->create_hook && spec->create_hook[0])
    json_object_set_new(hooks, "createRuntime",
                        json_pack("[{s:s, s:o}]", "path", spec->create_hook[0], "args", strv_json(spec->create_hook)));
  return hooks;
}

int pyoci_runtime_write_config(const pyoci_run_spec_t *spec, const char *bundle_dir, pyoci_error_t **err)
{
  json_t *process = process_json(spec);
  /* a joined uts namespace keeps its own host name: runc refuses to set one */
  bool own_uts = joined_ns(spec, "uts") == NULL;
  bool own_net = joined_ns(spec, "network") == NULL;
  cleanup_json json_t *cfg = json_pack(
      "{s:s, s:o, s:{s:s, s:b}, s:o, s:{s:o, s:o, s:o}, s:o}", "ociVersion", "1.0.2", "process", process, "root",
      "path", spec->rootfs, "readonly", spec->readonly_root, "mounts",
      mounts_json(spec, own_net && !spec->network_none), "linux", "namespaces", namespaces_json(spec),
      "maskedPaths", strv_json(masked_paths), "readonlyPaths", strv_json(readonly_paths), "hooks",
      hooks_json(spec));
  if (cfg == NULL)
    return pyoci_error_set(err, 0, "build runtime config for '%s'", spec->rootfs);
  if (own_uts)
    json_object_set_new(cfg, "hostname", json_string(spec->hostname ? spec->hostname : "pyoci"));
  cleanup_free char *text = json_dumps(cfg, JSON_INDENT(1) | JSON_SORT_KEYS);
  cleanup_free char *path = pyoci_path_join(bundle_dir, "config.json");
  return pyoci_write_file_atomic(path, text, strlen(text), 0600, err);
}

/* Feed complete lines from buf to the output callback; keep the tail. */
static void emit_lines(const pyoci_run_spec_t *spec, strbuf_t *pending, bool flush)
{
  char *start = pending->buf;
  char *nl;
  while (start && (nl = memchr(start, '\n', pending->len - (size_t)(start - pending->buf))) != NULL) {
    *nl = '\0';
    spec->output(spec->output_ctx, start);
    start = nl + 1;
  }
  size_t rest = start ? pending->len - (size_t)(start - pending->buf) : 0;
  if (flush && rest > 0) {
    spec->output(spec->output_ctx, start);
    rest = 0;
  }
  if (start && start != pending->buf)
    memmove(pending->buf, start, rest);
  pending->len = rest;
  if (pending->buf)
    pending->buf[rest] = '\0';
}

static int pump_output(const pyoci_run_spec_t *spec, int fd)
{
  strbuf_t pending = STRBUF_INIT;
  char chunk[8192];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    strbuf_add(&pending, chunk, (size_t)n);
    emit_lines(spec, &pending, false);
  }
  emit_lines(spec, &pending, true);
  strbuf_release(&pending);
  return 0;
}

static int container_counter;

bool pyoci_runtime_executable_found(const char *prog)
{
  if (strchr(prog, '/'))
    return access(prog, X_OK) == 0;
  /* PATH is read here as execvp would (settings.h's documented exception). */
  const char *path = getenv("PATH");
  cleanup_free char *copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
  for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    cleanup_free char *full = pyoci_path_join(dir, prog);
    if (access(full, X_OK) == 0)
      return true;
  }
  return false;
}

/* ---- the runtime's supervisor ----
 * `runc run` is started by a small supervisor process (the fork below)
 * rather than exec'd directly: if pyoci dies -- kill -9 included -- the
 * kernel sends the supervisor SIGTERM (PR_SET_PDEATHSIG) and it kills the
 * container with `runc kill`.  Otherwise runc and the step's processes would
 * keep running with nobody to wait for them (a RUN that hangs would hang
 * forever).  The supervisor exits with runc's status (128+N for a signal). */

static void exec_runtime(const char *runtime, char *const argv[], const sigset_t *old_mask)
{
  sigprocmask(SIG_SETMASK, old_mask, NULL); /* a signal mask survives exec */
  execvp(runtime, argv);
  fprintf(stderr, "exec %s: %s\n", runtime, strerror(errno));
  _exit(127);
}

static void kill_container(const char *runtime, const char *state, const char *id, const sigset_t *old_mask)
{
  pid_t k = fork();
  if (k == 0) {
    char *argv[] = {(char *)runtime, "--root", (char *)state, "kill", (char *)id, "KILL", NULL};
    exec_runtime(runtime, argv, old_mask);
  }
  while (k > 0 && waitpid(k, NULL, 0) < 0 && errno == EINTR)
    ;
}

static _Noreturn void supervise(pid_t parent, const char *runtime, const char *state, const char *bundle,
                                const char *id)
{
  sigset_t watch, old_mask;
  sigemptyset(&watch);
  sigaddset(&watch, SIGTERM);
  sigaddset(&watch, SIGCHLD);
  sigprocmask(SIG_BLOCK, &watch, &old_mask);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  bool parent_gone = getppid() != parent; /* died before the prctl */
  pid_t r = fork();
  if (r < 0)
    _exit(127);
  if (r == 0) {
    char *argv[] = {(char *)runtime, "--root", (char *)state, "run", "--bundle", (char *)bundle, (char *)id, NULL};
    exec_runtime(runtime, argv, &old_mask);
  }
  int status = 0;
  for (bool killed = false;;) {
    if (parent_gone && !killed) {
      kill_container(runtime, state, id, &old_mask);
      killed = true;
    }
    pid_t w = waitpid(r, &status, WNOHANG);
    if (w == r)
      break;
    if (w < 0 && errno != EINTR)
      _exit(127);
    siginfo_t si;
    if (sigwaitinfo(&watch, &si) == SIGTERM)
      parent_gone = true;
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Prepare the bundle and fork the supervisor; out_fd (or -1) receives the
 * process's stdout and stderr. */
/* runc reads the root's etc/passwd and etc/group (HOME, groups) with a
 * blocking open before the process starts: an image that made them FIFOs
 * would hang runc init, and pyoci with it, forever. */
static int check_user_db(const char *rootfs, pyoci_error_t **err)
{
  static const char *const files[] = {"etc/passwd", "etc/group"};
  cleanup_close int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return pyoci_error_set(err, errno, "open '%s'", rootfs);
  for (size_t i = 0; i < 2; i++) {
    cleanup_close int fd = pyoci_open_in_root(root, files[i], O_PATH);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                  "/%s in the image is a %s: the runtime would block reading it", files[i],
                                  pyoci_file_type_name(st.st_mode));
  }
  return 0;
}

static int start_supervised(const pyoci_run_spec_t *spec, const char *scratch_dir, int out_fd,
                            pyoci_container_proc_t *proc, pyoci_error_t **err)
{
  if (check_user_db(spec->rootfs, err) < 0)
    return -1;
  cleanup_free char *bundle = pyoci_path_join(scratch_dir, "bundle");
  cleanup_free char *state = pyoci_path_join(scratch_dir, "runc-state");
  if (pyoci_mkdir_p(bundle, 0700, err) < 0 || pyoci_mkdir_p(state, 0700, err) < 0)
    return -1;
  if (pyoci_runtime_write_config(spec, bundle, err) < 0)
    return -1;
  snprintf(proc->id, sizeof(proc->id), "pyoci-%d-%d", (int)getpid(), ++container_counter);
  const char *runtime = pyoci_runtime_binary();
  if (!pyoci_runtime_executable_found(runtime))
    return pyoci_error_set(err, 0, "run: OCI runtime '%s' not found (install runc, or set PYOCI_RUNTIME)", runtime);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    return pyoci_error_set(err, errno, "fork");
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      dup2(devnull, STDIN_FILENO);
    if (out_fd >= 0) {
      dup2(out_fd, STDOUT_FILENO);
      dup2(out_fd, STDERR_FILENO);
    }
    supervise(parent, runtime, state, bundle, proc->id);
  }
  proc->supervisor = pid;
  return 0;
}

static int wait_supervisor(pid_t pid, int flags, int *exit_code, pyoci_error_t **err)
{
  int status = 0;
  pid_t w;
  while ((w = waitpid(pid, &status, flags)) < 0) {
    if (errno != EINTR)
      return pyoci_error_set(err, errno, "wait for %s", pyoci_runtime_binary());
  }
  if (w == 0)
    return 0;
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return 1;
}

int pyoci_runtime_run(const pyoci_run_spec_t *spec, const char *scratch_dir, int *exit_code, pyoci_error_t **err)
{
  int pipefd[2] = {-1, -1};
  if (spec->output && pipe2(pipefd, O_CLOEXEC) < 0)
    return pyoci_error_set(err, errno, "pipe");
  pyoci_container_proc_t proc = {0};
  if (start_supervised(spec, scratch_dir, pipefd[1], &proc, err) < 0) {
    if (pipefd[0] >= 0) {
      close(pipefd[0]);
      close(pipefd[1]);
    }
    return -1;
  }
  if (spec->output) {
    close(pipefd[1]);
    pump_output(spec, pipefd[0]);
    close(pipefd[0]);
  }
  return wait_supervisor(proc.supervisor, 0, exit_code, err) < 0 ? -1 : 0;
}

int pyoci_runtime_start(const pyoci_run_spec_t *spec, const char *scratch_dir, int out_fd,
                        pyoci_container_proc_t *proc, pyoci_error_t **err)
{
  memset(proc, 0, sizeof(*proc));
  return start_supervised(spec, scratch_dir, out_fd, proc, err);
}

int pyoci_runtime_poll(pyoci_container_proc_t *proc, int *exit_code, pyoci_error_t **err)
{
  if (proc->supervisor <= 0)
    return 1;
  int rc = wait_supervisor(proc->supervisor, WNOHANG, exit_code, err);
  if (rc == 1)
    proc->supervisor = 0;
  return rc;
}

int pyoci_runtime_stop(pyoci_container_proc_t *proc, int *exit_code, pyoci_error_t **err)
{
  if (proc->supervisor <= 0)
    return 0;
  /* The supervisor's SIGTERM path: `runc kill KILL`, then it reaps runc. */
  kill(proc->supervisor, SIGTERM);
  int code = 0;
  int rc = wait_supervisor(proc->supervisor, 0, &code, err);
  proc->supervisor = 0;
  if (exit_code)
    *exit_code = code;
  return rc < 0 ? -1 : 0;
}
