/* The runtime's verbs for long-lived containers, a watchdog that outlives
 * its owner, and signal forwarding.  See runc.h. */
#include "runc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "runtime.h"
#include "runtime_int.h"

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, 0};

static int runtime_check(pyoci_error_t **err)
{
  const char *rt = pyoci_runtime_binary();
  if (!pyoci_runtime_executable_found(rt))
    return pyoci_error_set(err, 0, "OCI runtime '%s' not found (install runc, or set PYOCI_RUNTIME)", rt);
  return 0;
}

static _Noreturn void exec_argv(char *const argv[])
{
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (const int *s = forwarded; *s; s++)
    signal(*s, SIG_DFL);
  execvp(argv[0], argv);
  fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

int pyoci_empty_input(void)
{
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  close(p[1]);
  return p[0];
}

static void set_fd(int fd, int target)
{
  if (fd >= 0 && fd != target)
    dup2(fd, target);
}

int pyoci_runc_spawn(const pyoci_runc_t *r, const char *bundle, const char *pid_file, const pyoci_stdio_t *io,
                     pid_t *pid, pyoci_error_t **err)
{
  if (runtime_check(err) < 0)
    return -1;
  const char *rt = pyoci_runtime_binary();
  char *argv[] = {(char *)rt,     "--root", (char *)r->state_root, "run", "--bundle", (char *)bundle,
                  "--pid-file",   (char *)pid_file, (char *)r->id, NULL};
  if (pid_file == NULL) {
    argv[6] = (char *)r->id;
    argv[7] = NULL;
  }
  pid_t p = fork();
  if (p < 0)
    return pyoci_error_set(err, errno, "fork");
  if (p == 0) {
    if (io->own_group)
      setpgid(0, 0);
    set_fd(io->in, STDIN_FILENO);
    set_fd(io->out, STDOUT_FILENO);
    set_fd(io->err, STDERR_FILENO);
    exec_argv(argv);
  }
  if (io->own_group)
    setpgid(p, p); /* both sides, so the group exists before either goes on */
  *pid = p;
  return 0;
}

static int status_code(int status)
{
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int pyoci_wait_forwarding(pid_t child, bool child_own_group, int *exit_code, pyoci_error_t **err)
{
  sigset_t watch, old;
  sigemptyset(&watch);
  sigaddset(&watch, SIGCHLD);
  for (const int *s = forwarded; *s; s++)
    sigaddset(&watch, *s);
  sigprocmask(SIG_BLOCK, &watch, &old);
  int status = 0, rc = 0;
  for (;;) {
    pid_t w = waitpid(child, &status, WNOHANG);
    if (w == child)
      break;
    if (w < 0 && errno != EINTR) {
      rc = pyoci_error_set(err, errno, "wait for the runtime");
      break;
    }
    siginfo_t si;
    int sig = sigwaitinfo(&watch, &si);
    if (sig <= 0 || sig == SIGCHLD)
      continue;
    /* SI_KERNEL: the terminal sent it to our whole group, child included */
    if (child_own_group || si.si_code != SI_KERNEL)
      kill(child, sig);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  *exit_code = status_code(status);
  return rc;
}

/* Run the runtime with args to completion; stdout into *out when given,
 * stderr kept for the error message. */
static int runc_call(const pyoci_runc_t *r, const char *const *args, char **out, int *code, pyoci_error_t **err)
{
  if (runtime_check(err) < 0)
    return -1;
  const char *argv[16] = {pyoci_runtime_binary(), "--root", r->state_root};
  const char *verb = args[0];
  size_t n = 3;
  for (; *args && n < 15; args++)
    argv[n++] = *args;
  argv[n] = NULL;
  int opipe[2], epipe[2];
  if (pipe2(opipe, O_CLOEXEC) < 0)
    return pyoci_error_set(err, errno, "pipe");
  if (pipe2(epipe, O_CLOEXEC) < 0) {
    close(opipe[0]);
    close(opipe[1]);
    return pyoci_error_set(err, errno, "pipe");
  }
  pid_t p = fork();
  if (p == 0) {
    set_fd(pyoci_empty_input(), STDIN_FILENO);
    dup2(opipe[1], STDOUT_FILENO);
    dup2(epipe[1], STDERR_FILENO);
    exec_argv((char *const *)argv);
  }
  close(opipe[1]);
  close(epipe[1]);
  cleanup_free char *obuf = NULL, *ebuf = NULL;
  pyoci_error_t *ignored = NULL;
  pyoci_read_fd(opipe[0], "runtime output", 1u << 20, &obuf, NULL, &ignored);
  pyoci_error_release(&ignored);
  pyoci_read_fd(epipe[0], "runtime errors", 1u << 16, &ebuf, NULL, &ignored);
  pyoci_error_release(&ignored);
  close(opipe[0]);
  close(epipe[0]);
  int status = 0;
  while (p > 0 && waitpid(p, &status, 0) < 0 && errno == EINTR)
    ;
  if (p < 0)
    return pyoci_error_set(err, errno, "fork");
  *code = status_code(status);
  if (*code != 0) {
    char *msg = ebuf ? ebuf : "";
    /* runc logs as `time=".." level=error msg="..."`: keep the message */
    char *m = strstr(msg, "msg=\"");
    if (m) {
      msg = m + 5;
      char *q = strrchr(msg, '"');
      if (q)
        *q = '\0';
    }
    msg[strcspn(msg, "\n")] = '\0';
    return pyoci_error_set(err, 0, "%s %s %s: %s", argv[0], verb, r->id, msg);
  }
  if (out)
    *out = steal_pointer(&obuf);
  return 0;
}

int pyoci_runc_kill(const pyoci_runc_t *r, int sig, bool all, pyoci_error_t **err)
{
  char num[16];
  snprintf(num, sizeof(num), "%d", sig);
  const char *args[] = {"kill", all ? "--all" : r->id, all ? r->id : num, all ? num : NULL, NULL};
  int code;
  return runc_call(r, args, NULL, &code, err);
}

int pyoci_runc_delete(const pyoci_runc_t *r, bool force, pyoci_error_t **err)
{
  const char *args[] = {"delete", force ? "--force" : r->id, force ? r->id : NULL, NULL};
  int code;
  pyoci_error_t *e = NULL;
  if (runc_call(r, args, NULL, &code, &e) < 0) {
    bool gone = e && e->msg && strstr(e->msg, "does not exist");
    if (!gone) {
      *err = e;
      return -1;
    }
    pyoci_error_free(e);
  }
  return 0;
}

int pyoci_runc_state(const pyoci_runc_t *r, pid_t *pid, char status[16], pyoci_error_t **err)
{
  const char *args[] = {"state", r->id, NULL};
  int code;
  cleanup_free char *out = NULL;
  pyoci_error_t *e = NULL;
  if (runc_call(r, args, &out, &code, &e) < 0) {
    if (e && e->msg && strstr(e->msg, "does not exist")) {
      pyoci_error_free(e);
      return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "container %s is not running", r->id);
    }
    *err = e;
    return -1;
  }
  cleanup_json json_t *j = pyoci_json_parse_object(out, strlen(out), "runtime state", err);
  if (j == NULL)
    return -1;
  *pid = (pid_t)pyoci_json_int(j, "pid", 0);
  const char *st = pyoci_json_str(j, "status");
  snprintf(status, 16, "%s", st ? st : "unknown");
  return 0;
}

/* ---- watchdog ---- */

static int pidfd_of(pid_t pid)
{
  return (int)syscall(SYS_pidfd_open, pid, 0);
}

static _Noreturn void watchdog_main(const pyoci_runc_t *r, int link, int runtime_fd, pyoci_watchdog_fn cleanup,
                                    void *ctx)
{
  /* Out of the owner's process group: a Ctrl-C meant for it must not end us. */
  setpgid(0, 0);
  for (const int *s = forwarded; *s; s++)
    signal(*s, SIG_IGN);
  char c = 0;
  ssize_t n;
  while ((n = read(link, &c, 1)) < 0 && errno == EINTR)
    ;
  if (n == 1)
    _exit(0); /* released: the owner cleans up */
  /* The owner died.  The runtime may still be creating the container, so
   * delete until the runtime process itself is gone (at most ~10 s). */
  for (int i = 0; i < 100; i++) {
    pyoci_error_t *ignored = NULL;
    pyoci_runc_delete(r, true, &ignored);
    pyoci_error_free(ignored);
    struct pollfd pfd = {.fd = runtime_fd, .events = POLLIN};
    if (runtime_fd < 0 || poll(&pfd, 1, 100) > 0)
      break;
  }
  pyoci_error_t *ignored = NULL;
  pyoci_runc_delete(r, true, &ignored);
  pyoci_error_free(ignored);
  if (cleanup)
    cleanup(ctx);
  _exit(0);
}

int pyoci_watchdog_start(const pyoci_runc_t *r, pid_t runtime_pid, pyoci_watchdog_fn cleanup, void *ctx,
                         pyoci_watchdog_t *handle, pyoci_error_t **err)
{
  int link[2];
  if (pipe2(link, O_CLOEXEC) < 0)
    return pyoci_error_set(err, errno, "pipe");
  pid_t p = fork();
  if (p < 0) {
    close(link[0]);
    close(link[1]);
    return pyoci_error_set(err, errno, "fork");
  }
  if (p == 0) {
    close(link[1]);
    watchdog_main(r, link[0], pidfd_of(runtime_pid), cleanup, ctx);
  }
  close(link[0]);
  handle->fd = link[1];
  handle->pid = p;
  return 0;
}

void pyoci_watchdog_release(pyoci_watchdog_t *handle)
{
  if (handle->fd < 0)
    return;
  ssize_t n;
  while ((n = write(handle->fd, "d", 1)) < 0 && errno == EINTR)
    ;
  close(handle->fd);
  handle->fd = -1;
  while (handle->pid > 0 && waitpid(handle->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  handle->pid = -1;
}

/* ---- exec ---- */

int pyoci_runc_exec(const pyoci_runc_t *r, const pyoci_exec_spec_t *e, int *exit_code, pyoci_error_t **err)
{
  if (runtime_check(err) < 0)
    return -1;
  size_t n_env = 0, n_args = 0;
  while (e->env && e->env[n_env])
    n_env++;
  while (e->argv[n_args])
    n_args++;
  cleanup_free const char **argv = xcalloc(16 + 2 * n_env + n_args, sizeof(char *));
  size_t n = 0;
  argv[n++] = pyoci_runtime_binary();
  argv[n++] = "--root";
  argv[n++] = r->state_root;
  argv[n++] = "exec";
  if (e->tty)
    argv[n++] = "--tty";
  if (e->detach)
    argv[n++] = "--detach";
  for (size_t i = 0; i < n_env; i++) {
    argv[n++] = "--env";
    argv[n++] = e->env[i];
  }
  if (e->cwd) {
    argv[n++] = "--cwd";
    argv[n++] = e->cwd;
  }
  if (e->user) {
    argv[n++] = "--user";
    argv[n++] = e->user;
  }
  argv[n++] = r->id;
  for (size_t i = 0; i < n_args; i++)
    argv[n++] = e->argv[i];
  argv[n] = NULL;
  pid_t p = fork();
  if (p < 0)
    return pyoci_error_set(err, errno, "fork");
  if (p == 0) {
    if (!e->keep_stdin && !e->tty)
      set_fd(pyoci_empty_input(), STDIN_FILENO);
    exec_argv((char *const *)argv);
  }
  return pyoci_wait_forwarding(p, false, exit_code, err);
}
