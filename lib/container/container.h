/* Containers: an image run in the OCI runtime on an overlay of its cached
 * unpacked layers (no copy), with docker's semantics for the config (what
 * Entrypoint, Cmd, Env, User, WorkingDir give the process) and a state that
 * outlives the command, so ps/logs/stop/kill/rm/exec/debug can find it.
 *
 *   <store>/containers/<id>/state.json   what ps shows (written atomically)
 *                          /bundle/       the runtime's config.json
 *                          /runc/         the runtime's state root
 *                          /rootfs/{upper,work,merged}  the overlay
 *                          /pid           the container's init pid (runc --pid-file)
 *                          /log.json      docker json-file log lines
 *
 * A container is created (overlay mounted, bundle written) and then run by a
 * monitor: pyoci itself in the foreground, or a forked process with -d.  The
 * monitor forwards signals, records the exit code, unmounts, and removes the
 * container with --rm; a watchdog (lib/runtime/runc.h) kills the container
 * and cleans up if the monitor is killed. */
#ifndef PYOCI_CONTAINER_CONTAINER_H
#define PYOCI_CONTAINER_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/oci/store.h"
#include "lib/runtime/runc.h"
#include "lib/runtime/runtime.h"
#include "lib/util/alloc.h"
#include "lib/util/error.h"

typedef struct {
  const char *image;       /* as the user typed it */
  char *const *cmd;        /* NULL-terminated, NULL or empty: the image's Cmd */
  const char *entrypoint;  /* NULL: the image's; "" clears it (and the image's Cmd, as docker does) */
  char *const *env;        /* "K=V" from -e / --env-file, applied over the image's Env */
  const char *user;        /* NULL: the image's User */
  const char *workdir;     /* NULL: the image's WorkingDir, else "/" */
  const char *name;        /* NULL: a generated adjective_name */
  const char *hostname;    /* NULL: the short ID, or the host's name with host networking */
  const pyoci_mount_t *mounts; /* -v, --tmpfs */
  size_t n_mounts;
  bool rm, detach, tty, interactive, read_only, network_none;
  const char *init_binary; /* --init: a host init (docker-init, tini) bound at /sbin/docker-init */
  /* pyoci debug: namespaces to join, extra capabilities, a toolbox dir. */
  const pyoci_ns_join_t *join;
  size_t n_join;
  const char *const *add_caps;
  const char *const *create_hook;
  const char *extra_path;  /* prepended to PATH (a toolbox at /.debug) */
  bool no_state_listing;   /* a debug toolbox: not shown by ps */
} pyoci_run_opts_t;

/* What ps and the other verbs know about a container. */
typedef struct {
  char id[65];
  char *name;
  char *image;        /* as given to run */
  char *image_id;     /* sha256:... config digest */
  char **command;     /* the process's argv */
  char *created;      /* RFC 3339 */
  int64_t created_unix, started_unix, finished_unix;
  char status[16];    /* "created", "running", "exited" */
  int exit_code;
  bool rm, hidden;
  char *stop_signal;  /* the image's StopSignal, or NULL */
  pid_t monitor;
  char *dir;          /* <store>/containers/<id> */
} pyoci_container_t;

void pyoci_container_free(pyoci_container_t *c);
static inline void pyoci_container_freep(pyoci_container_t **c)
{
  pyoci_container_free(*c);
}
#define cleanup_container __attribute__((cleanup(pyoci_container_freep)))

/* The process `docker run` starts for an image, for callers that run it
 * their own way (pyoci distill traces it): argv (Entrypoint + Cmd merged
 * with o), env (PATH, HOSTNAME, the image's Env, o->env), user and groups
 * resolved in root, the working directory (created in root); the command
 * is checked to exist there. */
typedef struct {
  pyoci_strv_t argv, env; /* NULL-terminated .v */
  uid_t uid;
  gid_t gid;
  gid_t *groups;
  size_t n_groups;
  char *cwd;
} pyoci_container_process_t;
int pyoci_container_process(const char *root, const json_t *cfg, const pyoci_run_opts_t *o, const char *hostname,
                            pyoci_container_process_t *p, pyoci_error_t **err);
void pyoci_container_process_release(pyoci_container_process_t *p);

/* Create a container from an image: overlay mounted, bundle and state
 * written.  Errors: PYOCI_E_NOT_FOUND for a missing image or command
 * (exit 127 in docker), PYOCI_E_INVALID for bad options or a name in use. */
int pyoci_container_create(pyoci_store_t *s, const pyoci_run_opts_t *o, pyoci_container_t **out,
                           pyoci_error_t **err);

/* Run a created container in the foreground (stdio passed through, signals
 * forwarded, output also logged) until it exits; *exit_code is its code.
 * With --rm it is removed afterwards.  Does not use the store. */
int pyoci_container_run_foreground(pyoci_container_t *c, bool interactive, bool tty, int *exit_code,
                                   pyoci_error_t **err);
/* Start it under a background monitor and return once it runs. */
int pyoci_container_start_detached(pyoci_container_t *c, pyoci_error_t **err);

/* create + run in the foreground + remove: one call for library users
 * (distill runs images under tracing this way). */
int pyoci_container_run_image(pyoci_store_t *s, const pyoci_run_opts_t *o, int *exit_code, pyoci_error_t **err);

/* ---- the state (state.c) ---- */

/* Every container (hidden debug toolboxes only when all_hidden). */
int pyoci_container_list(const char *store_path, pyoci_container_t ***out, size_t *n, pyoci_error_t **err);
void pyoci_container_list_free(pyoci_container_t **v, size_t n);
/* By name, full ID or unique ID prefix.  PYOCI_E_NOT_FOUND: "No such container: X". */
int pyoci_container_find(const char *store_path, const char *ref, pyoci_container_t **out, pyoci_error_t **err);
/* The container's init process on the host, when it runs (0 otherwise). */
pid_t pyoci_container_pid(const pyoci_container_t *c);
bool pyoci_container_running(const pyoci_container_t *c);

/* ---- control (control.c) ---- */

/* Send sig to the container's process (kill: default SIGKILL). */
int pyoci_container_kill(const pyoci_container_t *c, int sig, pyoci_error_t **err);
/* StopSignal (SIGTERM by default), then SIGKILL after timeout seconds;
 * returns once the monitor has recorded the exit. */
int pyoci_container_stop(const pyoci_container_t *c, int timeout, pyoci_error_t **err);
/* Remove a stopped container (force: kill a running one first). */
int pyoci_container_remove(const pyoci_container_t *c, bool force, pyoci_error_t **err);
/* Run a process in a running container. */
int pyoci_container_exec(const pyoci_container_t *c, const pyoci_exec_spec_t *e, int *exit_code,
                         pyoci_error_t **err);
/* A signal by name ("SIGTERM", "TERM", "15"); -1 when unknown. */
int pyoci_signal_parse(const char *name);

/* ---- logs (logs.c) ---- */

/* Write the container's log: each record's text to out_fd or err_fd by
 * stream; follow waits for more until the container has exited.  tail < 0:
 * all records. */
int pyoci_container_logs(const pyoci_container_t *c, int out_fd, int err_fd, bool follow, bool timestamps,
                         long tail, pyoci_error_t **err);

#endif
