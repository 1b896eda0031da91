/* Pieces of distill shared between its files (see distill.h for the map).
 * Paths in the sets are relative to the image root, without a leading '/'
 * ("usr/bin/python3.11"); jansson objects serve as string sets/maps. */
#ifndef PYOCI_DISTILL_DISTILL_INT_H
#define PYOCI_DISTILL_DISTILL_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/runtime/runtime.h"
#include "lib/util/error.h"

/* ---- probe.c ---- */
/* GET url; *status 0 when nothing answered (connection refused, timeout). */
int pyoci_probe_get(const char *url, long timeout_ms, long *status, char **body, size_t *body_len,
                    pyoci_error_t **err);
/* sh -c cmd on the host; its stdout and exit status. */
int pyoci_probe_cmd(const char *cmd, char *const *env, int *exit_code, char **out, pyoci_error_t **err);

/* ---- trace.c ---- */
typedef struct {
  const char *rootfs;            /* the merged overlay */
  const char *scratch;           /* for the runc bundle and the app's log */
  const pyoci_run_spec_t *spec;  /* argv/env/cwd/user of the app */
  const char *const *probes;
  const char *probe_cmd;
  char *const *host_env;
  int duration;
  json_t *traced;  /* out, may be NULL: rel path -> "open" | "exec" */
  json_t *answers; /* out: [{probe, status, body}] */
} pyoci_trace_t;
/* Run the app, wait for it to answer, drive the probes, stop it. */
int pyoci_distill_trace(pyoci_trace_t *t, pyoci_error_t **err);

/* ---- keep.c ---- */
typedef struct {
  const char *root;  /* the image's file system (host path) */
  json_t *keep;      /* rel path -> reason */
  json_t *env;       /* the image's Env as an object (LD_LIBRARY_PATH) */
  const json_t *traced; /* what the run opened (may be NULL) */
} pyoci_keep_t;
/* Keep path (absolute or relative to the root) with every symlink on the way
 * to it, resolved inside the root.  *real (may be NULL) gets the resolved
 * relative path; returns 1 when it exists, 0 when it does not, -1 on a
 * symlink loop. */
int pyoci_keep_path(pyoci_keep_t *k, const char *path, const char *reason, char **real);
/* The path's real relative path inside root (every symlink followed inside
 * it), or NULL when it does not exist.  Keeps nothing. */
char *pyoci_keep_resolve(const char *root, const char *path);
/* Keep a directory tree (exclude: names of subdirectories to leave out,
 * NULL-terminated, may be NULL). */
int pyoci_keep_tree(pyoci_keep_t *k, const char *path, const char *reason, const char *const *exclude);
/* passwd, group, nsswitch.conf, hosts; CA bundle when a TLS library is kept;
 * the time zone database when the run read a zone other than the local
 * time's, or imported zoneinfo, pytz or dateutil.tz. */
int pyoci_keep_fixed(pyoci_keep_t *k, pyoci_error_t **err);

/* Bytecode is a cache: a __pycache__ entry goes when its source is kept
 * (Python compiles the source on first import; keep_read keeps the ones the
 * run read), and when the run did not read it.  --include'd ones stay. */
void pyoci_keep_drop_bytecode(pyoci_keep_t *k, bool keep_read);

/* ---- elfdeps.c ---- */
/* Add the ELF closure of every kept file (to a fixed point). */
int pyoci_keep_elf_closure(pyoci_keep_t *k, pyoci_error_t **err);

/* ---- pyclosure.c ---- */
typedef struct {
  const char *scratch;
  const pyoci_run_spec_t *spec; /* the app's; argv[0] replaced by the interpreter */
  const char *interp;           /* container path of the Python interpreter */
} pyoci_pyclosure_t;
/* Run modulefinder in the sandbox over the traced files; keep every module
 * it finds, each package with a kept file whole (minus tests/docs), and the
 * dist-info of every distribution that still has files. */
extern const char pyoci_distill_finder_py[];
int pyoci_keep_python_closure(pyoci_keep_t *k, const pyoci_pyclosure_t *pc, json_t *traced, pyoci_error_t **err);

/* ---- write.c ---- */
/* Copy the kept set into staging (an empty dir): files, symlinks, parent
 * directories with the image's modes, owners and times. Then replace the
 * dpkg database by status.d records of the packages the report says still
 * have a file. */
int pyoci_distill_stage(pyoci_keep_t *k, const json_t *report, const char *staging, pyoci_error_t **err);

/* ---- report.c ---- */
/* Per package (dpkg, Python distribution, or "(no package)"): kept and removed
 * files and bytes; the largest removals; totals. */
json_t *pyoci_distill_report(const char *root, const json_t *keep, pyoci_error_t **err);

#endif
