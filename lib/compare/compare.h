/* `pyoci compare`: several images (or archives, or root file systems) side
 * by side: Docker's size, layers, files, OS, package counts, findings, and
 * the largest paths each holds that none of the others does.
 *
 *   tree.c     the merged file tree of an image, built from the scanner's
 *              layer records (so one pass per layer serves scan, size and
 *              tree, and warm runs come from the scan cache), or from a
 *              directory walk
 *   compare.c  collecting one column per target, the table and JSON */
#ifndef PYOCI_COMPARE_COMPARE_H
#define PYOCI_COMPARE_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/scan/scan.h"
#include "lib/util/error.h"

/* ---- merged trees (tree.c) ---- */
typedef struct pyoci_tree pyoci_tree_t;

typedef struct {
  const char *path; /* no leading '/' */
  int64_t size;     /* regular file: its size; symlink: target length; hard link: its target's size */
  bool is_dir;
} pyoci_tree_node_t;

pyoci_tree_t *pyoci_tree_new(void);
void pyoci_tree_free(pyoci_tree_t *t);
/* Apply one layer record on top (OCI whiteout semantics). */
void pyoci_tree_apply(pyoci_tree_t *t, const pyoci_layer_record_t *rec);
/* Walk a directory (symlinks not followed); *docker_size gets the sum of
 * regular file sizes (each inode once) and symlink target lengths. */
int pyoci_tree_from_dir(pyoci_tree_t *t, const char *dir, int64_t *docker_size, pyoci_error_t **err);
bool pyoci_tree_has(const pyoci_tree_t *t, const char *path);
/* Non-directory entries. */
size_t pyoci_tree_files(const pyoci_tree_t *t);
/* Every node (unsorted); the array is the caller's. */
pyoci_tree_node_t *pyoci_tree_nodes(const pyoci_tree_t *t, size_t *n);

/* ---- columns (compare.c) ---- */
typedef struct {
  char *path;
  int64_t size;
} pyoci_compare_path_t;

typedef struct {
  char *name;
  bool is_dir;
  int64_t size;        /* as `pyoci inspect` reports Size (Docker's) */
  size_t layers;
  size_t files;
  char *os;            /* "debian 12.5"; NULL when not recognised */
  size_t os_packages, python_packages;
  bool vulns_scanned;  /* false without a DB */
  size_t vulns[5];     /* by pyoci_severity_t */
  bool secrets_scanned;
  size_t secrets;
  pyoci_tree_t *tree;
  pyoci_compare_path_t *only_here; /* filled by pyoci_compare_diff */
  size_t n_only_here;
} pyoci_compare_col_t;

/* Scan a target (opts: as for pyoci_scan_run; layer_fn is taken) and
 * fill a column. */
int pyoci_compare_collect(pyoci_target_t *t, const pyoci_scan_opts_t *opts, pyoci_compare_col_t *col,
                          pyoci_error_t **err);
/* For each column, the `top` largest non-directory paths no other column
 * has (largest first, then by path). */
void pyoci_compare_diff(pyoci_compare_col_t *cols, size_t n, size_t top);
void pyoci_compare_col_release(pyoci_compare_col_t *c);

/* Output: the table (sizes shown in bytes with a human form) and JSON. */
char *pyoci_compare_table(const pyoci_compare_col_t *cols, size_t n);
char *pyoci_compare_json(const pyoci_compare_col_t *cols, size_t n);

#endif
