/* kill, stop, rm, exec on a container found by name or ID. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/runtime/runc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "container_int.h"

static const struct {
  const char *name;
  int sig;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
    {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"STOP", SIGSTOP}, {"CONT", SIGCONT}, {"WINCH", SIGWINCH},
    {"ALRM", SIGALRM}, {"PIPE", SIGPIPE}, {"ABRT", SIGABRT}, {"CHLD", SIGCHLD}, {"PWR", SIGPWR},
};

int pyoci_signal_parse(const char *name)
{
  if (name == NULL || *name == '\0')
    return -1;
  char *end;
  long n = strtol(name, &end, 10);
  if (*end == '\0')
    return n > 0 && n < 65 ? (int)n : -1;
  if (strncasecmp(name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
    if (strcasecmp(signals[i].name, name) == 0)
      return signals[i].sig;
  return -1;
}

static int not_running(const pyoci_container_t *c, pyoci_error_t **err)
{
  return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "Container %s is not running", c->id);
}

int pyoci_container_kill(const pyoci_container_t *c, int sig, pyoci_error_t **err)
{
  if (!pyoci_container_running(c))
    return not_running(c, err);
  pyoci_runc_t r;
  cleanup_free char *root = NULL;
  pyoci_container_runc(c, &r, &root);
  return pyoci_runc_kill(&r, sig, false, err);
}

/* Until the monitor has recorded the exit (or is gone); false on timeout. */
static bool wait_exited(const pyoci_container_t *c, double seconds)
{
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    pyoci_container_t *now = NULL;
    pyoci_error_t *ignored = NULL;
    bool gone = pyoci_container_load(c->dir, &now, &ignored) < 0 || !pyoci_container_running(now);
    pyoci_container_free(now);
    pyoci_error_free(ignored);
    if (gone)
      return true;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >= seconds)
      return false;
    usleep(20000);
  }
}

int pyoci_container_stop(const pyoci_container_t *c, int timeout, pyoci_error_t **err)
{
  if (!pyoci_container_running(c))
    return 0; /* docker stop of a stopped container succeeds */
  pyoci_runc_t r;
  cleanup_free char *root = NULL;
  pyoci_container_runc(c, &r, &root);
  int sig = c->stop_signal ? pyoci_signal_parse(c->stop_signal) : SIGTERM;
  pyoci_error_t *ignored = NULL;
  if (pyoci_runc_kill(&r, sig > 0 ? sig : SIGTERM, false, &ignored) == 0 &&
      wait_exited(c, timeout < 0 ? 10 : timeout)) {
    return 0;
  }
  pyoci_error_release(&ignored);
  pyoci_runc_kill(&r, SIGKILL, true, &ignored);
  pyoci_error_release(&ignored);
  if (!wait_exited(c, 30))
    return pyoci_error_set(err, 0, "container %.12s: still running after SIGKILL", c->id);
  return 0;
}

int pyoci_container_remove(const pyoci_container_t *c, bool force, pyoci_error_t **err)
{
  if (pyoci_container_running(c)) {
    if (!force)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                  "You cannot remove a running container %s. Stop the container before "
                                  "attempting removal or force remove",
                                  c->id);
    pyoci_runc_t r;
    cleanup_free char *root = NULL;
    pyoci_container_runc(c, &r, &root);
    pyoci_error_t *ignored = NULL;
    pyoci_runc_kill(&r, SIGKILL, true, &ignored);
    pyoci_error_release(&ignored);
    if (!wait_exited(c, 30))
      return pyoci_error_set(err, 0, "container %.12s: still running after SIGKILL", c->id);
  }
  pyoci_container_teardown(c, false);
  return pyoci_rm_rf(c->dir, err);
}

int pyoci_container_exec(const pyoci_container_t *c, const pyoci_exec_spec_t *e, int *exit_code,
                         pyoci_error_t **err)
{
  if (!pyoci_container_running(c))
    return not_running(c, err);
  if (pyoci_container_check_exec(c, e, err) < 0)
    return -1;
  pyoci_runc_t r;
  cleanup_free char *root = NULL;
  pyoci_container_runc(c, &r, &root);
  return pyoci_runc_exec(&r, e, exit_code, err);
}
