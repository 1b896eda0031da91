/* What RUN --mount does while a step runs (the specs are run_mount.h's):
 *
 *  bind    the build context (.dockerignore applied), or a path inside a
 *          stage or image (from=).  Context sources are copied to the step's
 *          scratch dir and that copy is bound; stages and images are bound
 *          from a throwaway overlay view.  Either way rw writes are lost and
 *          the source never changes.
 *  cache   <store>/cache/mounts/<sha256(id) hex>/, made on first use with
 *          mode/uid/gid (and from=/source= content); kept across builds.
 *          sharing: shared takes <dir>.lock shared, locked exclusive
 *          (waits), private exclusive without waiting -- when busy the step
 *          gets a fresh scratch directory instead.
 *  tmpfs   a tmpfs of the given size.
 *  secret  the value given to the build (pyoci build --secret), written to
 *          a file in the step's scratch dir with mode/uid/gid and bound
 *          read-only; with env= also put in the process's environment.  A
 *          missing optional secret is simply absent.
 *
 * Host escapes: every source is resolved inside its root (the context, the
 * view, the store's cache dir; inroot.h) and handed to runc as a pinned fd
 * it cannot re-resolve, so a symlink in the context (or one swapped in
 * later) never binds a host path.  Targets are resolved inside the step's
 * root the way runc will, so the mount points taken out of the layer are
 * the ones runc really made, even through the base image's symlinks.
 *
 * Nothing of a mount reaches the layer: the mount points the runtime had to
 * create are removed from the step's upper dir (step.h mount_targets).  The
 * cache key gets each spec, the content digest of context binds and the key
 * of from= stages/images -- never what a cache dir or a secret holds. */
#ifndef PYOCI_BUILDER_RUN_MOUNTS_H
#define PYOCI_BUILDER_RUN_MOUNTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/oci/image.h"
#include "lib/oci/store.h"
#include "lib/runtime/runtime.h"
#include "lib/util/error.h"
#include "lib/util/inroot.h"
#include "lib/dockerfile/dockerignore.h"
#include "lib/dockerfile/plan.h"
#include "lib/dockerfile/run_mount.h"
#include "step.h"

/* A from= stage or image: its layers and its key. */
typedef struct {
  const pyoci_desc_t *layers;
  const char (*diff_ids)[PYOCI_DIGEST_LEN];
  size_t n;
  char key[PYOCI_DIGEST_LEN];
} pyoci_mount_from_t;

typedef struct {
  pyoci_store_t *s;
  const char *context;
  pyoci_ignore_t *ignore; /* may be NULL */
  const pyoci_build_secret_t *secrets;
  size_t n_secrets;
} pyoci_mounts_ctx_t;

typedef struct {
  pyoci_run_mount_t spec;   /* expanded and checked */
  char *target;             /* absolute and clean */
  bool has_from;
  pyoci_mount_from_t from;  /* when has_from */
  const pyoci_build_secret_t *secret; /* NULL: optional and not given */
  /* while the step runs */
  pyoci_view_t *view;
  int lock_fd;
  pyoci_pin_t host; /* the source, pinned: runc gets /proc/<pid>/fd/N */
} pyoci_run_mount_state_t;

typedef struct {
  pyoci_run_mount_state_t *m;
  size_t n;
  pyoci_mount_t *rt; /* for the runtime */
  size_t n_rt;
  char **env;        /* secret env= values, "K=V" */
  size_t n_env;
} pyoci_run_mounts_t;

/* Add a parsed mount (spec is moved in); the target is made absolute
 * against workdir and checked, the secret looked up. */
int pyoci_run_mounts_add(pyoci_run_mounts_t *ms, const pyoci_mounts_ctx_t *c, pyoci_run_mount_t *spec,
                         const char *workdir, const pyoci_mount_from_t *from, pyoci_error_t **err);
/* The mounts' part of the step's cache key (a JSON array, owned by caller). */
int pyoci_run_mounts_key(const pyoci_run_mounts_t *ms, const pyoci_mounts_ctx_t *c, json_t **out,
                         pyoci_error_t **err);
/* Make every mount's host side under scratch (a fresh directory) and fill
 * rt/env and step->mount_targets. */
int pyoci_run_mounts_prepare(pyoci_run_mounts_t *ms, const pyoci_mounts_ctx_t *c, pyoci_step_t *step,
                             const char *scratch, pyoci_error_t **err);
/* Views closed, locks dropped, secrets wiped from memory; files under
 * scratch go with the step. */
void pyoci_run_mounts_release(pyoci_run_mounts_t *ms);

/* Before anything runs: every RUN of the needed stages whose secret mount
 * says required=true has its secret.  Errors are "file:line: ...". */
int pyoci_run_mounts_check_secrets(const pyoci_plan_t *plan, const pyoci_build_secret_t *secrets, size_t n,
                                   pyoci_error_t **err);

#endif
