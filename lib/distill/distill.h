/* pyoci distill: a scratch-style image holding only what a Python app
 * uses, that still tells scanners the truth about what is left.
 *
 *   trace.c     run the image in runc on an overlay of its layers, fanotify
 *               on the overlay's file system records every file opened or
 *               executed while the probes (probe.c) drive the app
 *   pyclosure.c the image's own interpreter runs modulefinder over the entry
 *               script and every traced module; a package with a used file
 *               is kept whole (minus tests and docs)
 *   elfdeps.c   PT_INTERP + DT_NEEDED through RPATH/RUNPATH, ld.so.conf and
 *               the loader's default dirs (elf.c reads the ELF files)
 *   keep.c      the kept set: symlink chains resolved inside the root,
 *               fixed needs (passwd, nsswitch, CA bundle, zoneinfo)
 *   write.c     the staging root: kept files, dpkg status.d records and
 *               Python dist-info only for packages that still have files
 *   report.c    kept/removed files and bytes per package
 * distill.c runs them in order, verifies the result with the same probes
 * and only then writes the image and its tag. */
#ifndef PYOCI_DISTILL_DISTILL_H
#define PYOCI_DISTILL_DISTILL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/oci/store.h"
#include "lib/util/error.h"

typedef struct {
  const char *image;         /* source ref */
  const char *const *names;  /* tags for the result (NULL-terminated) */
  const char *const *probes; /* loopback http(s) URLs (NULL-terminated, may be empty) */
  const char *probe_cmd;     /* a host shell command run once the app answers, or NULL */
  int duration;              /* seconds: the limit for the app to answer; without probes, how long it runs */
  const char *const *includes; /* extra absolute paths to keep (NULL-terminated) */
  bool keep_shell;           /* keep /bin/sh and what it needs */
  bool keep_bytecode;        /* keep the __pycache__ files the run read even when their source is kept */
  bool no_verify;            /* a different answer from the result is a warning, not a failure */
  const char *const *host_env; /* environment for --probe-cmd (the caller's) */
} pyoci_distill_opts_t;

/* What happened, for the CLI's table and --report JSON. */
typedef struct {
  char manifest_digest[72];
  json_t *report; /* see docs/pyoci-distill.md, "Report" */
  char *verify_warning; /* --no-verify: what differed, or NULL */
} pyoci_distill_result_t;

/* Loopback check for a probe URL: 0 when it is http(s) to 127.0.0.0/8, ::1
 * or localhost, else an error saying why it is refused. */
int pyoci_distill_check_probe_url(const char *url, pyoci_error_t **err);

int pyoci_distill(pyoci_store_t *s, const pyoci_distill_opts_t *o, pyoci_distill_result_t *res, pyoci_error_t **err);
void pyoci_distill_result_release(pyoci_distill_result_t *res);

#endif
