/* Running a process in a container with an OCI runtime (runc), the way RUN
 * steps and `pyoci run` need it, plus the overlay mounts that give a step its
 * root file system.
 *
 *   layers (unpacked once, cached)  --overlay(lower..., upper, work)-->  merged
 *   merged --runc bundle (config.json: no rlimits, host or no network)--> run
 *   upper dir afterwards = the step's changes (overlay whiteouts included)
 */
#ifndef PYOCI_RUNTIME_RUNTIME_H
#define PYOCI_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/util/error.h"

/* One line of the process's output (stdout and stderr merged), without '\n'. */
typedef void (*pyoci_output_fn)(void *ctx, const char *line);

/* An extra mount for the process (RUN --mount): a bind of a host path, or a
 * tmpfs.  Added after the standard ones, in order. */
typedef struct {
  const char *destination; /* absolute path in the container */
  bool tmpfs;              /* else a bind mount of source */
  const char *source;      /* host path (file or directory) */
  bool readonly;
  int64_t size;            /* tmpfs: bytes, 0 = the kernel's default */
} pyoci_mount_t;

/* A namespace the process joins instead of getting its own (pyoci debug:
 * the target's pid, network, ipc, uts namespaces).  type is the OCI name. */
typedef struct {
  const char *type; /* "pid", "network", "ipc", "uts", "cgroup" */
  const char *path; /* /proc/PID/ns/... */
} pyoci_ns_join_t;

typedef struct {
  const char *rootfs;            /* the merged root file system */
  char *const *argv;             /* NULL-terminated */
  char *const *env;              /* NULL-terminated "K=V" */
  const char *cwd;               /* absolute; created if missing */
  uid_t uid;
  gid_t gid;
  const gid_t *extra_gids;
  size_t n_extra_gids;
  bool network_none;             /* default: the host's network */
  const char *hostname;          /* NULL: "pyoci" */
  pyoci_output_fn output;        /* NULL: inherit the caller's stdout/stderr */
  void *output_ctx;
  const pyoci_mount_t *mounts;   /* extra mounts, may be NULL */
  size_t n_mounts;
  /* Containers (pyoci run / debug); all zero for RUN steps. */
  bool terminal;                 /* a TTY: runc run sets it up on its own stdio */
  bool readonly_root;            /* --read-only */
  const pyoci_ns_join_t *join;   /* namespaces joined, not created */
  size_t n_join;
  const char *const *add_caps;   /* NULL-terminated, beyond docker's defaults */
  const char *const *create_hook; /* argv of a createRuntime hook (argv[0] absolute): runs in the host's
                                     namespaces once the process exists, before it starts */
} pyoci_run_spec_t;

/* The OCI runtime binary: $PYOCI_RUNTIME, else "runc". */
const char *pyoci_runtime_binary(void);
/* Write the runtime config.json for spec into bundle_dir. */
int pyoci_runtime_write_config(const pyoci_run_spec_t *spec, const char *bundle_dir, pyoci_error_t **err);
/* Run to completion; *exit_code is the process's exit code (128+N if killed
 * by signal N).  A runtime failure (cannot start) is an error. */
int pyoci_runtime_run(const pyoci_run_spec_t *spec, const char *scratch_dir, int *exit_code,
                      pyoci_error_t **err);

/* A container running in the background under its supervisor (which kills
 * it if pyoci dies, kill -9 included). */
typedef struct {
  pid_t supervisor; /* 0 once reaped */
  char id[64];
} pyoci_container_proc_t;
/* Start spec in the background; out_fd (or -1: inherit) gets its stdout and
 * stderr.  spec->output is not used. */
int pyoci_runtime_start(const pyoci_run_spec_t *spec, const char *scratch_dir, int out_fd,
                        pyoci_container_proc_t *proc, pyoci_error_t **err);
/* 1 and *exit_code when it has exited, 0 while it runs, -1 on error. */
int pyoci_runtime_poll(pyoci_container_proc_t *proc, int *exit_code, pyoci_error_t **err);
/* Kill it (if still running) and reap it; exit_code may be NULL. */
int pyoci_runtime_stop(pyoci_container_proc_t *proc, int *exit_code, pyoci_error_t **err);

/* Mount an overlay: lowers[0] is the top-most layer.  With no lowers an empty
 * directory inside work's parent is used. */
int pyoci_overlay_mount(const char *const *lowers, size_t n_lowers, const char *upper, const char *work,
                        const char *merged, pyoci_error_t **err);
int pyoci_overlay_umount(const char *merged, pyoci_error_t **err);

/* After a run: remove from upper what the runtime itself created for its
 * mount points (empty files/dirs such as etc/resolv.conf, proc, dev) when they
 * did not exist in the lower layers, so they do not end up in the layer. */
int pyoci_overlay_clean_mountpoints(const char *upper, const char *const *lowers, size_t n_lowers,
                                    pyoci_error_t **err);
/* The same for extra mount targets (relative to the root): each target and
 * its parents, deepest first, go from upper when the runtime created them
 * (empty, absent from the lowers), and a parent that was only copied up to
 * hold them (empty, same mode and owner as below, not opaque) goes too. */
int pyoci_overlay_clean_targets(const char *upper, const char *const *lowers, size_t n_lowers,
                                const char *const *targets, size_t n_targets, pyoci_error_t **err);

#endif
