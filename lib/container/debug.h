/* pyoci debug: troubleshoot a running container that has no shell or
 * tools, the way `kubectl debug --target` does with ephemeral containers.
 *
 * A target (a pyoci container, a docker container found through the Docker
 * Engine API, a podman container, or a host PID) is resolved to its init
 * process on the host.  A toolbox image (default: busybox, made from the
 * host's busybox-static) then runs as a throwaway container joined to the
 * target's pid, network, ipc and uts namespaces (and moved into its cgroup
 * by a createRuntime hook), so its `ps` sees the target's processes, its
 * `wget 127.0.0.1` reaches the target's sockets, and the target's root is
 * at /proc/1/root, and at /target (a symlink in the toolbox's own root: the
 * kernel refuses bind mounts of another mount namespace's tree).  Nothing is
 * written into the target.
 *
 * With an image instead of a running container, the image runs with the
 * toolbox mounted at /.debug and its tools on PATH (cdebug exec).
 *
 * For Kubernetes, pyoci writes the ephemeralcontainers subresource patch
 * kubectl debug --target sends (kube.c). */
#ifndef PYOCI_CONTAINER_DEBUG_H
#define PYOCI_CONTAINER_DEBUG_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "lib/oci/store.h"
#include "lib/util/error.h"
#include "container.h"

typedef enum {
  PYOCI_TARGET_AUTO,   /* pyoci container, host PID, docker, podman, in that order */
  PYOCI_TARGET_PYOCI,  /* pyoci://NAME */
  PYOCI_TARGET_DOCKER, /* docker://NAME */
  PYOCI_TARGET_PODMAN, /* podman://NAME */
  PYOCI_TARGET_PID,    /* pid://N */
} pyoci_target_kind_t;

typedef struct {
  const char *ref;           /* as typed, without its scheme */
  pyoci_target_kind_t kind;
  const char *store_path;    /* for pyoci containers */
  const char *docker_socket; /* unix socket path of the Docker Engine API */
  const char *podman;        /* podman binary, NULL: do not ask podman */
} pyoci_target_spec_t;

typedef struct {
  pid_t pid;         /* the target's init process on the host */
  const char *kind;  /* "pyoci", "docker", "podman", "pid" */
  char *name;        /* for messages */
} pyoci_target_t;

/* Split "docker://x" into kind and ref (no scheme: AUTO). */
void pyoci_target_parse(const char *typed, pyoci_target_spec_t *spec);
/* Find the target's init pid.  PYOCI_E_NOT_FOUND: "No such container: X";
 * a stopped one: "container X is not running"; the docker socket without
 * permission: docker's "permission denied while trying to connect ..." */
int pyoci_target_resolve(const pyoci_target_spec_t *spec, pyoci_target_t *out, pyoci_error_t **err);
void pyoci_target_release(pyoci_target_t *t);

/* Docker Engine API: GET /containers/{ref}/json over the unix socket. */
int pyoci_docker_container_pid(const char *socket_path, const char *ref, pid_t *pid, char **name,
                               pyoci_error_t **err);
/* Its reply (outside data, at most 4 MiB): .State.Running must be true,
 * .State.Pid an integer the kernel could give a process, .Name (docker's
 * "/name") printable, else ref is the name.  Errors name ref. */
int pyoci_docker_inspect_parse(const char *body, size_t len, const char *ref, pid_t *pid, char **name,
                               pyoci_error_t **err);

/* The target's environment (/proc/PID/environ): "K=V" strings. */
int pyoci_target_env(pid_t pid, char ***env, pyoci_error_t **err);

/* The default toolbox: make `name` from a statically linked busybox
 * (Debian's busybox-static) unless the store has it already. */
#define PYOCI_TOOLBOX_DEFAULT "pyoci/toolbox:busybox"
int pyoci_toolbox_ensure(pyoci_store_t *s, const char *name, const char *busybox, pyoci_error_t **err);

typedef struct {
  const char *toolbox;        /* image in the store */
  char *const *cmd;           /* NULL/empty: sh */
  bool tty, interactive;
  const char *self_exe;       /* pyoci's own binary, for the cgroup hook; NULL: no cgroup join */
  const char *const *env;     /* -e */
} pyoci_debug_opts_t;

/* Run the toolbox joined to target t; *exit_code is the command's.  When the
 * target exits during the session: PYOCI_E_NOT_FOUND "the target ... exited". */
int pyoci_debug_container(pyoci_store_t *s, const pyoci_target_t *t, const pyoci_debug_opts_t *o,
                          int *exit_code, pyoci_error_t **err);
/* Run image with the toolbox at /.debug, its tools on PATH. */
int pyoci_debug_image(pyoci_store_t *s, const char *image, const pyoci_debug_opts_t *o, int *exit_code,
                      pyoci_error_t **err);

/* Move pid into every cgroup target is in (cgroup v1 hierarchies and v2). */
int pyoci_cgroup_join(pid_t target, pid_t pid, pyoci_error_t **err);

/* ---- Kubernetes (kube.c) ---- */
typedef struct {
  const char *pod;
  const char *container;   /* -c: the target container; NULL: none */
  const char *namespace_;  /* NULL: "default" */
  const char *image;       /* the debug image */
  const char *name;        /* the ephemeral container's name; NULL: debugger-XXXXX */
  char *const *command;    /* NULL: the image's */
  bool tty, interactive;
  const char *profile;     /* "legacy" (nothing added) or "general" (SYS_PTRACE) */
} pyoci_kube_debug_t;

/* The strategic-merge patch for the pod's ephemeralcontainers subresource,
 * as kubectl debug builds it: {"spec":{"ephemeralContainers":[{...}]}}. */
json_t *pyoci_kube_debug_patch(const pyoci_kube_debug_t *k, pyoci_error_t **err);

#endif
