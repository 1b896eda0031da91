/* The monitor: starts the runtime for a created container, passes its
 * output to the log (and to the terminal in the foreground), forwards
 * signals, records the exit, and cleans up -- in pyoci itself for a
 * foreground run, in a forked process for -d.  A watchdog cleans up when
 * the monitor is killed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/runtime/runc.h"
#include "lib/runtime/runtime.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/strbuf.h"
#include "container_int.h"

void pyoci_container_runc(const pyoci_container_t *c, pyoci_runc_t *r, char **state_root)
{
  *state_root = pyoci_container_path(c, "runc");
  r->state_root = *state_root;
  r->id = c->id;
}

void pyoci_container_teardown(const pyoci_container_t *c, bool rm)
{
  pyoci_runc_t r;
  cleanup_free char *root = NULL;
  pyoci_container_runc(c, &r, &root);
  pyoci_error_t *ignored = NULL;
  /* `runc run` deletes its container when the process exits: only a
   * container left behind (monitor killed, start failed) needs the call */
  cleanup_free char *state = pyoci_path_join(root, c->id);
  if (pyoci_path_exists(state))
    pyoci_runc_delete(&r, true, &ignored);
  pyoci_error_release(&ignored);
  cleanup_free char *merged = pyoci_container_path(c, "rootfs/merged");
  pyoci_overlay_umount(merged, &ignored);
  pyoci_error_release(&ignored);
  if (rm)
    pyoci_rm_rf(c->dir, &ignored);
  pyoci_error_release(&ignored);
}

static void record_exit(pyoci_container_t *c, int code)
{
  snprintf(c->status, sizeof(c->status), "exited");
  c->exit_code = code;
  c->finished_unix = time(NULL);
  if (!c->rm) {
    pyoci_error_t *ignored = NULL;
    pyoci_container_save(c, &ignored);
    pyoci_error_release(&ignored);
  }
}

/* In the watchdog, after the monitor died: killed as by SIGKILL. */
static void watchdog_cleanup(void *ctx)
{
  pyoci_container_t *c = ctx;
  record_exit(c, 137);
  pyoci_container_teardown(c, c->rm);
}

/* One stream of the container's output: lines to the log, bytes to tee_fd. */
typedef struct {
  int fd;
  const char *name;
  int tee_fd;
  strbuf_t partial;
} stream_t;

static bool pump(stream_t *st, int log_fd)
{
  char buf[16384];
  ssize_t n = read(st->fd, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0) {
    if (st->partial.len)
      pyoci_log_record(log_fd, st->name, st->partial.buf, st->partial.len);
    strbuf_release(&st->partial);
    close(st->fd);
    st->fd = -1;
    return false;
  }
  if (st->tee_fd >= 0) {
    pyoci_error_t *ignored = NULL;
    pyoci_write_all(st->tee_fd, buf, (size_t)n, st->name, &ignored);
    pyoci_error_release(&ignored);
  }
  strbuf_add(&st->partial, buf, (size_t)n);
  char *start = st->partial.buf, *nl;
  while ((nl = memchr(start, '\n', st->partial.len - (size_t)(start - st->partial.buf))) != NULL) {
    pyoci_log_record(log_fd, st->name, start, (size_t)(nl - start + 1));
    start = nl + 1;
  }
  size_t rest = st->partial.len - (size_t)(start - st->partial.buf);
  memmove(st->partial.buf, start, rest);
  st->partial.len = rest;
  return true;
}

typedef struct {
  pyoci_container_t *c;
  bool tee, interactive, tty;
  bool started; /* the runtime wrote the init pid: the process ran */
  pid_t runtime;
  int log_fd;
  stream_t out, err;
} monitor_t;

/* The event loop: output, forwarded signals, the runtime's exit. */
static int monitor_loop(monitor_t *m, int sfd, int *exit_code)
{
  int status = 0;
  bool exited = false;
  while (!exited || m->out.fd >= 0 || m->err.fd >= 0) {
    struct pollfd p[3] = {{.fd = m->out.fd, .events = POLLIN},
                          {.fd = m->err.fd, .events = POLLIN},
                          {.fd = exited ? -1 : sfd, .events = POLLIN}};
    /* after the exit, output still buffered in the pipes is drained; a
     * process that escaped and keeps them open gets 2 s */
    int n = poll(p, 3, exited ? 2000 : -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    if (p[0].revents)
      pump(&m->out, m->log_fd);
    if (p[1].revents)
      pump(&m->err, m->log_fd);
    if (p[2].revents) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
        continue;
      if (si.ssi_signo != SIGCHLD && (!m->tty || si.ssi_code != SI_KERNEL))
        kill(m->runtime, (int)si.ssi_signo);
      if (waitpid(m->runtime, &status, WNOHANG) == m->runtime)
        exited = true;
    }
  }
  if (!exited)
    while (waitpid(m->runtime, &status, 0) < 0 && errno == EINTR)
      ;
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return 0;
}

static int open_pipe(int p[2], pyoci_error_t **err)
{
  if (pipe2(p, O_CLOEXEC) < 0)
    return pyoci_error_set(err, errno, "pipe");
  return 0;
}

static int monitor_start(monitor_t *m, pyoci_watchdog_t *wd, pyoci_error_t **err)
{
  pyoci_container_t *c = m->c;
  cleanup_free char *pid_file = pyoci_container_path(c, "pid");
  cleanup_free char *log_path = pyoci_container_path(c, "log.json");
  cleanup_free char *bundle = pyoci_container_path(c, "bundle");
  unlink(pid_file);
  m->log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (m->log_fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", log_path);
  int op[2] = {-1, -1}, ep[2] = {-1, -1};
  if (!m->tty && (open_pipe(op, err) < 0 || open_pipe(ep, err) < 0))
    return -1;
  cleanup_close int devnull = m->interactive ? -1 : pyoci_empty_input();
  pyoci_stdio_t io = {.in = devnull, .out = op[1], .err = ep[1], .own_group = !m->tty && !m->interactive};
  pyoci_runc_t r;
  cleanup_free char *root = NULL;
  pyoci_container_runc(c, &r, &root);
  int rc = pyoci_runc_spawn(&r, bundle, pid_file, &io, &m->runtime, err);
  if (op[1] >= 0)
    close(op[1]);
  if (ep[1] >= 0)
    close(ep[1]);
  m->out.fd = op[0];
  m->err.fd = ep[0];
  if (rc < 0)
    return -1;
  snprintf(c->status, sizeof(c->status), "running");
  c->started_unix = time(NULL);
  c->monitor = getpid();
  if (pyoci_container_save(c, err) < 0)
    return -1;
  return pyoci_watchdog_start(&r, m->runtime, watchdog_cleanup, c, wd, err);
}

static int monitor_run(pyoci_container_t *c, bool tee, bool interactive, bool tty, int *exit_code,
                       pyoci_error_t **err)
{
  monitor_t m = {.c = c, .tee = tee, .interactive = interactive, .tty = tty, .runtime = -1, .log_fd = -1,
                 .out = {.fd = -1, .name = "stdout", .tee_fd = tee ? STDOUT_FILENO : -1},
                 .err = {.fd = -1, .name = "stderr", .tee_fd = tee ? STDERR_FILENO : -1}};
  sigset_t mask, old;
  sigemptyset(&mask);
  static const int sigs[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, 0};
  for (const int *s = sigs; *s; s++)
    sigaddset(&mask, *s);
  sigprocmask(SIG_BLOCK, &mask, &old);
  pyoci_watchdog_t wd = {.fd = -1, .pid = -1};
  int rc = monitor_start(&m, &wd, err);
  int sfd = rc < 0 ? -1 : signalfd(-1, &mask, SFD_CLOEXEC);
  if (rc == 0 && sfd < 0)
    rc = pyoci_error_set(err, errno, "signalfd");
  if (rc == 0) {
    monitor_loop(&m, sfd, exit_code);
    cleanup_free char *pid_file = pyoci_container_path(c, "pid");
    m.started = pyoci_path_exists(pid_file);
    if (!m.started)
      rc = pyoci_error_set(err, 0, "container %.12s did not start: %s failed (its message is above)", c->id,
                           pyoci_runtime_binary());
  }
  else if (m.runtime > 0) {
    kill(m.runtime, SIGKILL);
    waitpid(m.runtime, NULL, 0);
  }
  if (sfd >= 0)
    close(sfd);
  for (stream_t *st = &m.out; st; st = st == &m.out ? &m.err : NULL)
    while (st->fd >= 0 && pump(st, m.log_fd))
      ;
  if (m.log_fd >= 0)
    close(m.log_fd);
  record_exit(c, rc < 0 ? 125 : *exit_code);
  pyoci_container_teardown(c, c->rm);
  pyoci_watchdog_release(&wd);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return rc;
}

int pyoci_container_run_foreground(pyoci_container_t *c, bool interactive, bool tty, int *exit_code,
                                   pyoci_error_t **err)
{
  return monitor_run(c, true, interactive, tty, exit_code, err);
}

/* The runtime's own complaint, when it failed before the process started:
 * the last stderr line of the log. */
static void last_log_error(const pyoci_container_t *c, char *buf, size_t len)
{
  cleanup_free char *path = pyoci_container_path(c, "log.json");
  cleanup_free char *text = NULL;
  pyoci_error_t *ignored = NULL;
  snprintf(buf, len, "the container exited at once");
  if (pyoci_read_file(path, 1u << 20, &text, NULL, &ignored) < 0) {
    pyoci_error_free(ignored);
    return;
  }
  char *m = NULL;
  for (char *p = strstr(text, "msg=\\\""); p; p = strstr(p + 1, "msg=\\\""))
    m = p + 6;
  if (m) {
    size_t n = strcspn(m, "\\\"");
    snprintf(buf, len, "%.*s", (int)n, m);
  }
}

int pyoci_container_start_detached(pyoci_container_t *c, pyoci_error_t **err)
{
  fflush(NULL);
  cleanup_free char *pid_file = pyoci_container_path(c, "pid");
  unlink(pid_file);
  pid_t m = fork();
  if (m < 0)
    return pyoci_error_set(err, errno, "fork");
  if (m == 0) {
    setsid();
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    close_range(3, ~0U, 0); /* the store's lock too: gc must not wait for us */
    int code = 0;
    pyoci_error_t *e = NULL;
    int rc = monitor_run(c, false, false, false, &code, &e);
    pyoci_error_free(e);
    _exit(rc < 0 ? 125 : 0); /* 125: it never started */
  }
  /* back once the runtime has written the init pid, or the monitor ended */
  for (int i = 0; i < 30000; i++) {
    if (pyoci_path_exists(pid_file))
      return 0;
    int status;
    if (waitpid(m, &status, WNOHANG) == m) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0; /* it ran, and is done already */
      char why[512];
      last_log_error(c, why, sizeof(why));
      return pyoci_error_set(err, 0, "container %.12s did not start: %s", c->id, why);
    }
    usleep(1000);
  }
  return pyoci_error_set(err, 0, "container %.12s: the runtime did not start it within 30 s", c->id);
}

int pyoci_container_run_image(pyoci_store_t *s, const pyoci_run_opts_t *o, int *exit_code, pyoci_error_t **err)
{
  pyoci_run_opts_t one = *o;
  one.rm = true;
  one.detach = false;
  cleanup_container pyoci_container_t *c = NULL;
  if (pyoci_container_create(s, &one, &c, err) < 0)
    return -1;
  return pyoci_container_run_foreground(c, o->interactive, o->tty, exit_code, err);
}
