/* Long-lived containers on the OCI runtime (pyoci run, exec, debug): the
 * runtime's verbs one by one, where runtime.h's pyoci_runtime_run does a
 * whole RUN step at once.
 *
 *   pyoci_runc_spawn     `runc run --pid-file` with the caller's stdio, as a child
 *   pyoci_watchdog_start a process that kills and cleans up the container
 *                        when its owner dies -- kill -9 included
 *   pyoci_wait_forwarding wait for the runtime, passing signals on to it
 *   pyoci_runc_kill / _delete / _state / exec   the runtime's own verbs
 *
 * Each container has its own runtime state root (runc --root) next to its
 * bundle, so nothing is shared between containers or with RUN steps. */
#ifndef PYOCI_RUNTIME_RUNC_H
#define PYOCI_RUNTIME_RUNC_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/util/error.h"

typedef struct {
  const char *state_root; /* runc --root */
  const char *id;         /* the runtime's container id */
} pyoci_runc_t;

/* An fd that reads as empty: the read end of a pipe whose write end is
 * closed -- /dev/null's behaviour without trusting the node (a broken
 * /dev/null, a regular file, would feed the container its contents). */
int pyoci_empty_input(void);

/* stdio of the runtime process: -1 = the caller's own. */
typedef struct {
  int in, out, err;
  bool own_group; /* its own process group: terminal signals do not reach it twice */
} pyoci_stdio_t;

/* Start `runc run --bundle B --pid-file P ID` (config.json already written)
 * as a child; *pid is the runtime process. */
int pyoci_runc_spawn(const pyoci_runc_t *r, const char *bundle, const char *pid_file, const pyoci_stdio_t *io,
                     pid_t *pid, pyoci_error_t **err);

/* Wait for child, forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2 to
 * it (runc passes them to the container's process).  Signals the terminal
 * sent to the whole process group are not forwarded when the child shares
 * it (it got them already).  *exit_code: 0-255, 128+N after signal N. */
int pyoci_wait_forwarding(pid_t child, bool child_own_group, int *exit_code, pyoci_error_t **err);

/* Called in the watchdog process when the owner died: release what the
 * container held (mounts, state).  Must be safe after a fork. */
typedef void (*pyoci_watchdog_fn)(void *ctx);

/* Fork a watchdog for container r whose runtime process is runtime_pid.
 * When the caller exits without pyoci_watchdog_release (killed, crashed),
 * the watchdog force-deletes the container, waits for the runtime process to
 * go, and calls cleanup.  *handle is the caller's end of the link. */
typedef struct {
  int fd;
  pid_t pid;
} pyoci_watchdog_t;
int pyoci_watchdog_start(const pyoci_runc_t *r, pid_t runtime_pid, pyoci_watchdog_fn cleanup, void *ctx,
                         pyoci_watchdog_t *handle, pyoci_error_t **err);
/* The owner is done and cleans up itself: the watchdog exits quietly. */
void pyoci_watchdog_release(pyoci_watchdog_t *handle);

/* `runc kill ID SIG` (all = every process of the container). */
int pyoci_runc_kill(const pyoci_runc_t *r, int sig, bool all, pyoci_error_t **err);
/* `runc delete [--force] ID`; a container the runtime does not know is fine. */
int pyoci_runc_delete(const pyoci_runc_t *r, bool force, pyoci_error_t **err);
/* `runc state ID`: the init process and "created", "running", "stopped".
 * PYOCI_E_NOT_FOUND when the runtime has no such container. */
int pyoci_runc_state(const pyoci_runc_t *r, pid_t *pid, char status[16], pyoci_error_t **err);

/* A process to start in a running container (`runc exec`). */
typedef struct {
  char *const *argv;
  char *const *env; /* added to the container's, "K=V" */
  const char *cwd;  /* NULL: the container's */
  const char *user; /* "uid[:gid]", NULL: the container's */
  bool tty;
  bool detach;
  bool keep_stdin;
} pyoci_exec_spec_t;
int pyoci_runc_exec(const pyoci_runc_t *r, const pyoci_exec_spec_t *e, int *exit_code, pyoci_error_t **err);

#endif
