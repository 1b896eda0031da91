/* `pyoci scan`: what is in an image and what is wrong with it, the way
 * `trivy image` reports it.
 *
 *   target.c        TARGET -> a store image, an archive loaded into a
 *                   private temporary store, or a root file system directory
 *   layerrec.c      one pass per layer (catalog input + secrets), cached by
 *                   diff_id under <store>/cache/scan/
 *   scan.c          orchestration: catalog, vulnerability matching (OS
 *                   packages against their distro's OSV ecosystem by source
 *                   package, Python packages against PyPI), secrets,
 *                   Dockerfile checks -> pyoci_scan_report_t
 *   ignorefile.c    .trivyignore parsing; filter.c: --severity,
 *                   --ignore-unfixed and the ignore file applied to a report
 *   report_*.c      table (trivy's layout), JSON (trivy's schema v2),
 *                   SARIF 2.1.0, CycloneDX 1.5 with vulnerabilities
 *
 * The library never prints; the writers return strings. */
#ifndef PYOCI_SCAN_SCAN_H
#define PYOCI_SCAN_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "lib/oci/image.h"
#include "lib/oci/store.h"
#include "lib/pkg/catalog.h"
#include "lib/util/error.h"
#include "lib/util/severity.h"
#include "layerrec.h"

enum {
  PYOCI_SCANNER_VULN = 1u << 0,
  PYOCI_SCANNER_SECRET = 1u << 1,
  PYOCI_SCANNER_MISCONFIG = 1u << 2,
};

/* What the table and JSON reports say when there was no database. */
#define PYOCI_SCAN_NOT_CHECKED                                                                                 \
  "Vulnerabilities were NOT checked: no vulnerability database (run 'pyoci db update' or 'pyoci db import')."

/* ---- targets (target.c) ---- */
typedef enum { PYOCI_TARGET_IMAGE, PYOCI_TARGET_ARCHIVE, PYOCI_TARGET_DIR } pyoci_target_kind_t;

typedef struct {
  pyoci_target_kind_t kind;
  char *arg;          /* as the user typed it */
  char *name;         /* report name: the ref, the archive's first tag (else its path), the directory */
  pyoci_store_t *store; /* image and archive targets */
  bool own_store;     /* archive: a private store under $TMPDIR, removed on close */
  char *tmp_dir;
  pyoci_image_t *image; /* image and archive targets */
  char **repo_tags;   /* names of the image (store tags, or the archive's tags) */
  size_t n_repo_tags;
  bool project;       /* --fs: a project directory (lock files too) */
} pyoci_target_t;

/* Resolve TARGET: an existing directory is a root file system, an existing
 * regular file a docker-archive / oci-archive (its first image), anything
 * else an image reference in the store at store_path (NULL: default).
 * Archives are loaded into a private store under $TMPDIR (else /tmp). */
int pyoci_target_open(const char *arg, const char *store_path, pyoci_target_t **out, pyoci_error_t **err);
/* --fs DIR (project: requirements*.txt, poetry.lock, uv.lock, Pipfile.lock
 * and installed site-packages) or --rootfs DIR (an unpacked root file
 * system): DIR must be a directory. */
int pyoci_target_open_dir(const char *dir, bool project, pyoci_target_t **out, pyoci_error_t **err);
void pyoci_target_close(pyoci_target_t *t);
static inline void pyoci_target_closep(pyoci_target_t **t)
{
  pyoci_target_close(*t);
}
#define cleanup_target __attribute__((cleanup(pyoci_target_closep)))

/* ---- findings ---- */
typedef enum { PYOCI_CLASS_OS = 0, PYOCI_CLASS_LANG = 1 } pyoci_vuln_class_t;

typedef struct {
  pyoci_vuln_class_t cls;
  char *id;           /* the row's: a CVE when the merged records name one */
  char *source_id;    /* the OSV record severity, title and URL came from */
  char *aliases_json; /* JSON array: every other ID of the vulnerability */
  char *records_json; /* JSON array: the OSV records merged into this row */
  char *pkg_name;   /* binary package / distribution name as installed */
  char *installed;  /* installed version */
  char *fixed;      /* "" when no fix is known */
  char *title;      /* may be "" */
  pyoci_severity_t severity;
  char *cvss_vector; /* NULL when none */
  double cvss_score; /* -1 when none */
  char *primary_url;
  size_t pkg_index;  /* into report->catalog->packages */
  int layer_index;   /* -1 for a directory */
} pyoci_scan_vuln_t;

/* A vulnerability a VEX statement says does not apply (vex.c). */
typedef struct {
  pyoci_scan_vuln_t v;
  char *status;    /* not_affected, fixed, false_positive, resolved */
  char *statement; /* the justification / impact statement; may be NULL */
  char *source;    /* "OpenVEX FILE statements[N]" */
} pyoci_scan_suppressed_t;

typedef struct {
  char *rule_id, *category, *title;
  pyoci_severity_t severity;
  char *path;       /* "/app/x.py" for images; relative for directories */
  int line, end_line;
  char *match, *code;
  int layer_index;  /* -1 for a directory */
} pyoci_scan_secret_t;

typedef struct {
  const char *id;           /* the check's (static) */
  const char *trivy_id;     /* may be NULL */
  const char *title, *description;
  pyoci_severity_t severity;
  int line;
  char *message;
  char *code;               /* the line's text, "" when unknown */
} pyoci_scan_misconf_t;

typedef struct {
  /* what was scanned */
  char *artifact_name;
  pyoci_target_kind_t kind;
  char *image_id;          /* config digest; NULL for a directory */
  char *manifest_digest;
  char **repo_tags;
  size_t n_repo_tags;
  size_t n_layers;
  char **layer_digests;    /* n_layers */
  char **diff_ids;         /* n_layers */
  char **created_by;       /* n_layers, history ("" when unknown) */
  pyoci_catalog_result_t *catalog;
  char *os_ecosystem;      /* "Debian:12", "Alpine:v3.18", NULL when unsupported */
  unsigned scanners;       /* what actually ran */
  bool db_missing;         /* vuln was wanted but no DB: skipped (the
                              report says PYOCI_SCAN_NOT_CHECKED) */

  pyoci_scan_vuln_t *vulns;  /* sorted: class, package name, id, installed */
  size_t n_vulns;
  pyoci_scan_suppressed_t *suppressed; /* by --vex, in the same order */
  size_t n_suppressed;
  pyoci_scan_secret_t *secrets; /* sorted: path, line, rule */
  size_t n_secrets;
  char *dockerfile;          /* as given; NULL when not checked */
  size_t n_checks;           /* checks run on it */
  pyoci_scan_misconf_t *misconfs; /* sorted: line, id */
  size_t n_misconfs;
  size_t n_misconf_failed_checks; /* distinct checks with a finding, before filters */

  /* set by the caller before writing: JSON lists every package (trivy's
   * --list-all-pkgs) */
  bool list_all_pkgs;

  /* cache statistics */
  size_t layers_cached;
} pyoci_scan_report_t;

void pyoci_scan_report_free(pyoci_scan_report_t *r);
/* Free what one finding owns (not the finding itself). */
void pyoci_scan_vuln_clear(pyoci_scan_vuln_t *v);
void pyoci_scan_secret_clear(pyoci_scan_secret_t *s);
static inline void pyoci_scan_report_freep(pyoci_scan_report_t **r)
{
  pyoci_scan_report_free(*r);
}
#define cleanup_scan_report __attribute__((cleanup(pyoci_scan_report_freep)))

/* Called with each layer's record while scanning an image (compare builds
 * its merged tree from them). */
typedef int (*pyoci_scan_layer_fn)(void *ctx, size_t layer, const pyoci_layer_record_t *rec, pyoci_error_t **err);

typedef struct {
  unsigned scanners;        /* PYOCI_SCANNER_* */
  const char *db_path;      /* NULL: no DB (the CLI passes its default path) */
  bool db_required;         /* a missing DB is an error, not a skip */
  const char *dockerfile;   /* for PYOCI_SCANNER_MISCONFIG */
  bool no_cache;            /* neither read nor write the layer cache */
  pyoci_scan_layer_fn layer_fn;
  void *layer_ctx;
} pyoci_scan_opts_t;

int pyoci_scan_run(pyoci_target_t *t, const pyoci_scan_opts_t *opts, pyoci_scan_report_t **out,
                   pyoci_error_t **err);

/* The ecosystem an OS's packages are matched in; NULL when unsupported. */
char *pyoci_scan_os_ecosystem(const pyoci_os_t *os);

/* ---- ignore file (ignorefile.c) ---- */
#define PYOCI_IGNOREFILE_MAX (1u << 20)
#define PYOCI_IGNOREFILE_MAX_LINE 4096

typedef struct {
  char *id;
  int64_t expires; /* Unix seconds of exp:DATE 00:00 UTC; -1: never */
  int line;
} pyoci_ignore_entry_t;

typedef struct {
  pyoci_ignore_entry_t *v;
  size_t n;
} pyoci_ignorefile_t;

/* Parse .trivyignore text: one ID per line, '#' starts a comment, optional
 * "exp:YYYY-MM-DD" after the ID.  name is used in messages. */
int pyoci_ignorefile_parse(const char *buf, size_t len, const char *name, pyoci_ignorefile_t *out,
                           pyoci_error_t **err);
int pyoci_ignorefile_load(const char *path, pyoci_ignorefile_t *out, pyoci_error_t **err);
void pyoci_ignorefile_release(pyoci_ignorefile_t *f);
/* Is id ignored at time now (an entry whose expiry has come no longer is)? */
bool pyoci_ignorefile_match(const pyoci_ignorefile_t *f, const char *id, int64_t now);

/* ---- VEX (vex.c) ---- */
#define PYOCI_VEX_MAX (16u << 20) /* bytes of one VEX document */

typedef struct {
  char **ids;   /* the vulnerability and its aliases */
  size_t n_ids;
  char **purls; /* products and subcomponents */
  size_t n_purls;
  char *status, *statement, *source;
} pyoci_vex_stmt_t;

typedef struct {
  pyoci_vex_stmt_t *v; /* only statements that suppress (not_affected, ...) */
  size_t n;
} pyoci_vex_t;

/* Add the suppressing statements of an OpenVEX or CycloneDX VEX document
 * (told apart by @context / bomFormat) to vex; name is used in messages
 * and in each statement's source. */
int pyoci_vex_parse(const char *buf, size_t len, const char *name, pyoci_vex_t *vex, pyoci_error_t **err);
int pyoci_vex_load(const char *path, pyoci_vex_t *vex, pyoci_error_t **err);
void pyoci_vex_release(pyoci_vex_t *vex);
/* The first statement that suppresses v in the package with this purl. */
const pyoci_vex_stmt_t *pyoci_vex_find(const pyoci_vex_t *vex, const pyoci_scan_vuln_t *v, const char *purl);

/* ---- filters (filter.c) ---- */
typedef struct {
  const pyoci_vex_t *vex; /* NULL: none; applied first */
  unsigned severities;   /* bit (1 << pyoci_severity_t) per severity kept; 0 = all */
  bool ignore_unfixed;
  const pyoci_ignorefile_t *ignore; /* NULL: none */
  int64_t now;
} pyoci_scan_filter_t;

/* Drop the findings the filter excludes. */
void pyoci_scan_filter(pyoci_scan_report_t *r, const pyoci_scan_filter_t *f);
/* Findings left (vulnerabilities + secrets + misconfigurations). */
size_t pyoci_scan_total(const pyoci_scan_report_t *r);

/* ---- writers (report_*.c): NUL-terminated text the caller frees ---- */
/* severities: as for the filter (the Total line lists those, low first). */
char *pyoci_scan_report_table(const pyoci_scan_report_t *r, unsigned severities);
char *pyoci_scan_report_json(const pyoci_scan_report_t *r);
/* The same JSON written to f piece by piece (memory stays flat however
 * many findings there are).  -1 when a write failed (ferror). */
int pyoci_scan_write_json(const pyoci_scan_report_t *r, FILE *f);
char *pyoci_scan_report_sarif(const pyoci_scan_report_t *r);
char *pyoci_scan_report_cyclonedx(const pyoci_scan_report_t *r, int64_t created);
/* Indented JSON, insertion order, reals to 10 significant digits (7.8,
 * not 7.7999999999999998), trailing newline. */
char *pyoci_scan_json_dump(const json_t *doc);

#endif
