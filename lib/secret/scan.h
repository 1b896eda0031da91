/* Secret scanning: find credentials (cloud keys, tokens, private keys,
 * hard-coded passwords) in file contents.
 *
 *   rules.c   the built-in rules table (id, severity, keywords, PCRE2 regex)
 *   scan.c    prefilter + regex matching + masking on one buffer, path allow list
 *   walk.c    drivers: every regular file of a directory tree
 *   layer.c   every regular file of one image layer (pyoci_tar_reader_*)
 *
 * One pass of a small Aho-Corasick automaton over the content (case-folded)
 * tells which rules' keywords occur; only those rules' regexes run.  Regexes
 * are compiled (and JIT-compiled) once, on first use; the scanner is not
 * thread-safe.  Reported text never contains the secret: the secret part of a
 * match is replaced with '*' in both the match and the line shown as context. */
#ifndef PYOCI_SECRET_SCAN_H
#define PYOCI_SECRET_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/util/error.h"
#include "lib/util/severity.h"

/* Files larger than this are not scanned (images ship big data files). */
#define PYOCI_SECRET_MAX_FILE (10u << 20)
/* A NUL byte within the first this-many bytes marks a file as binary. */
#define PYOCI_SECRET_BINARY_PROBE 8192

enum {
  PYOCI_SECRET_MAX_KEYWORDS = 10,
  /* Post-filter for assignment rules: drop values that are obvious
   * placeholders ("changeme", "${VAR}", "<your token>", ...). */
  PYOCI_SECRET_F_PLACEHOLDERS = 1u << 0,
};

typedef struct {
  const char *id;       /* stable, e.g. "aws-access-key-id" */
  const char *category; /* e.g. "AWS" */
  const char *title;
  pyoci_severity_t severity;
  /* Lowercase; the regex runs only when one of them occurs in the content
   * (compared case-insensitively).  NULL-terminated. */
  const char *keywords[PYOCI_SECRET_MAX_KEYWORDS];
  /* PCRE2 pattern.  A group named "secret" marks the part to mask; without
   * one the whole match is masked. */
  const char *regex;
  unsigned flags;
} pyoci_secret_rule_t;

/* The built-in rules, most specific first (an overlapping later match on the
 * same bytes is dropped, so "api_token = 'ghp_...'" is reported once). */
const pyoci_secret_rule_t *pyoci_secret_rules(size_t *count);

typedef struct {
  const char *rule_id, *category, *title;
  pyoci_severity_t severity;
  const char *path;        /* as given to the scanner */
  int line, end_line;      /* 1-based lines of the match */
  const char *match;       /* the match's first line, secret masked (≤ 256 bytes) */
  const char *code;        /* the whole line where the match starts, secret masked (≤ 512 bytes) */
  int layer_index;         /* -1 when not scanning an image layer */
  const char *layer_digest; /* NULL when not scanning an image layer */
} pyoci_secret_finding_t;

/* Called for each finding; the strings are valid only during the call.
 * Return <0 (with *err set) to stop the scan. */
typedef int (*pyoci_secret_cb)(const pyoci_secret_finding_t *f, void *ctx, pyoci_error_t **err);

/* True when path (relative to an image root or scanned directory; a leading
 * "/" or "./" is ignored) is one the scanner skips: tests, docs, examples,
 * Python library directories, node_modules, *.md, /usr/share/doc, ... */
bool pyoci_secret_path_allowed(const char *path);

/* True when buf looks binary (a NUL byte in the first 8 KiB). */
bool pyoci_secret_is_binary(const void *buf, size_t len);

/* Scan one file's contents.  Does not apply the path allow list (callers
 * decide); skips binary content and content over PYOCI_SECRET_MAX_FILE.
 * Returns the number of findings reported, or -1 on error (a bad rule or
 * the callback failing). */
int pyoci_secret_scan_buffer(const char *path, const void *buf, size_t len, pyoci_secret_cb cb, void *ctx,
                             pyoci_error_t **err);

/* Same, with the layer recorded in each finding. */
int pyoci_secret_scan_buffer_in_layer(const char *path, const void *buf, size_t len, int layer_index,
                                      const char *layer_digest, pyoci_secret_cb cb, void *ctx,
                                      pyoci_error_t **err);

/* Scan every regular file under dir (symlinks are not followed), skipping
 * allowed paths.  Finding paths are relative to dir.  Returns the number of
 * findings or -1. */
int pyoci_secret_scan_dir(const char *dir, pyoci_secret_cb cb, void *ctx, pyoci_error_t **err);

/* Scan every regular file stored in one layer, on its own (not the merged
 * view: a secret a later layer deletes still ships in this one).  Allowed
 * paths, whiteouts, binary and oversized files are skipped.  Returns the
 * number of findings or -1. */
struct pyoci_tar_reader;
int pyoci_secret_scan_layer(struct pyoci_tar_reader *r, int layer_index, const char *layer_digest,
                            pyoci_secret_cb cb, void *ctx, pyoci_error_t **err);

#endif
