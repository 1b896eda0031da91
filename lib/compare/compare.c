/* pyoci compare: one column per target, built from one scan each. */
#include "compare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/image/layersize.h"
#include "lib/pkg/sbom.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "lib/util/utf8.h"

typedef struct {
  pyoci_compare_col_t *col;
  pyoci_target_t *target;
  int64_t size;
} collect_ctx_t;

static pyoci_tar_type_t tar_type(uint8_t t)
{
  switch (t) {
  case PYOCI_CAT_FILE:
    return PYOCI_TAR_FILE;
  case PYOCI_CAT_DIR:
    return PYOCI_TAR_DIR;
  case PYOCI_CAT_SYMLINK:
    return PYOCI_TAR_SYMLINK;
  case PYOCI_CAT_HARDLINK:
    return PYOCI_TAR_HARDLINK;
  default:
    return PYOCI_TAR_FIFO;
  }
}

/* Docker's size of a layer, from the layersize cache or from the record
 * (the same accumulator `pyoci inspect` uses, so the numbers agree). */
static int64_t layer_size(pyoci_store_t *s, const char *diff_id, const pyoci_layer_record_t *rec)
{
  int64_t size = 0;
  if (pyoci_layer_size_cache_get(s, diff_id, &size))
    return size;
  pyoci_dsize_t *d = pyoci_dsize_new();
  for (size_t i = 0; i < rec->n_entries; i++) {
    const pyoci_lrec_entry_t *e = &rec->entries[i];
    pyoci_tar_entry_t te = {.path = e->path, .type = tar_type(e->type), .size = e->size, .link = e->link};
    pyoci_dsize_add(d, &te);
  }
  size = pyoci_dsize_total(d);
  pyoci_dsize_free(d);
  pyoci_layer_size_cache_put(s, diff_id, size);
  return size;
}

static int on_layer(void *ctx, size_t layer, const pyoci_layer_record_t *rec, pyoci_error_t **err)
{
  (void)err;
  collect_ctx_t *c = ctx;
  pyoci_tree_apply(c->col->tree, rec);
  c->size += layer_size(c->target->store, c->target->image->diff_ids[layer], rec);
  return 0;
}

int pyoci_compare_collect(pyoci_target_t *t, const pyoci_scan_opts_t *opts, pyoci_compare_col_t *col,
                          pyoci_error_t **err)
{
  memset(col, 0, sizeof(*col));
  col->name = xstrdup(t->name);
  col->tree = pyoci_tree_new();
  col->is_dir = t->kind == PYOCI_TARGET_DIR;
  collect_ctx_t ctx = {.col = col, .target = t};
  pyoci_scan_opts_t so = *opts;
  so.layer_fn = on_layer;
  so.layer_ctx = &ctx;
  cleanup_scan_report pyoci_scan_report_t *r = NULL;
  if (pyoci_scan_run(t, &so, &r, err) < 0)
    return -1;
  if (col->is_dir) {
    if (pyoci_tree_from_dir(col->tree, t->arg, &col->size, err) < 0)
      return -1;
  } else {
    col->size = ctx.size;
    col->layers = r->n_layers;
  }
  col->files = pyoci_tree_files(col->tree);
  const pyoci_os_t *os = &r->catalog->os;
  if (os->family != NULL)
    col->os = xasprintf("%s %s", os->family, os->version ? os->version : "");
  for (size_t i = 0; i < r->catalog->n_packages; i++) {
    if (r->catalog->packages[i].type == PYOCI_PKG_PYTHON)
      col->python_packages++;
    else
      col->os_packages++;
  }
  col->vulns_scanned = (r->scanners & PYOCI_SCANNER_VULN) != 0;
  for (size_t i = 0; i < r->n_vulns; i++)
    col->vulns[r->vulns[i].severity]++;
  col->secrets_scanned = (r->scanners & PYOCI_SCANNER_SECRET) != 0;
  col->secrets = r->n_secrets;
  return 0;
}

void pyoci_compare_col_release(pyoci_compare_col_t *c)
{
  free(c->name);
  free(c->os);
  pyoci_tree_free(c->tree);
  for (size_t i = 0; i < c->n_only_here; i++)
    free(c->only_here[i].path);
  free(c->only_here);
  memset(c, 0, sizeof(*c));
}

static int cmp_node(const void *a, const void *b)
{
  const pyoci_tree_node_t *x = a, *y = b;
  if (x->size != y->size)
    return x->size > y->size ? -1 : 1;
  return strcmp(x->path, y->path);
}

void pyoci_compare_diff(pyoci_compare_col_t *cols, size_t n, size_t top)
{
  for (size_t i = 0; i < n; i++) {
    size_t nn = 0;
    pyoci_tree_node_t *nodes = pyoci_tree_nodes(cols[i].tree, &nn);
    size_t k = 0;
    for (size_t j = 0; j < nn; j++) {
      if (nodes[j].is_dir)
        continue;
      bool elsewhere = false;
      for (size_t o = 0; o < n && !elsewhere; o++)
        elsewhere = o != i && pyoci_tree_has(cols[o].tree, nodes[j].path);
      if (!elsewhere)
        nodes[k++] = nodes[j];
    }
    qsort(nodes, k, sizeof(*nodes), cmp_node);
    if (k > top)
      k = top;
    cols[i].only_here = xcalloc(k + 1, sizeof(pyoci_compare_path_t));
    for (size_t j = 0; j < k; j++) {
      cols[i].only_here[j].path = xasprintf("/%s", nodes[j].path);
      cols[i].only_here[j].size = nodes[j].size;
    }
    cols[i].n_only_here = k;
    free(nodes);
  }
}

/* ---- output ---- */

/* go-units HumanSizeWithPrecision(size, 3), as `docker images` shows sizes. */
static void human(int64_t size, char *buf, size_t len)
{
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = (double)size;
  int u = 0;
  while (v >= 1000.0 && u < 5) {
    v /= 1000.0;
    u++;
  }
  snprintf(buf, len, "%.3g%s", v, units[u]);
}

static char *clean(const char *s)
{
  char *r = pyoci_utf8_sanitize(s ? s : "");
  for (char *p = r; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = '?';
  return r;
}

#define NROWS 9

char *pyoci_compare_table(const pyoci_compare_col_t *cols, size_t n)
{
  static const char *const labels[NROWS] = {"",          "Size",         "Layers",          "Files",  "OS",
                                            "OS packages", "Python packages", "Vulnerabilities", "Secrets"};
  char ***cell = xcalloc(n, sizeof(char **));
  for (size_t c = 0; c < n; c++) {
    const pyoci_compare_col_t *col = &cols[c];
    cell[c] = xcalloc(NROWS, sizeof(char *));
    char h[32];
    human(col->size, h, sizeof(h));
    cell[c][0] = clean(col->name);
    cell[c][1] = xasprintf("%s (%lld)", h, (long long)col->size);
    cell[c][2] = xasprintf(col->is_dir ? "-" : "%zu", col->layers);
    cell[c][3] = xasprintf("%zu", col->files);
    cell[c][5] = xasprintf("%zu", col->os_packages);
    cell[c][6] = xasprintf("%zu", col->python_packages);
    cell[c][4] = clean(col->os ? col->os : "-");
    if (col->vulns_scanned) {
      size_t total = 0;
      for (int s = 0; s < 5; s++)
        total += col->vulns[s];
      cell[c][7] = xasprintf("%zu (C:%zu H:%zu M:%zu L:%zu U:%zu)", total, col->vulns[PYOCI_SEV_CRITICAL],
                   col->vulns[PYOCI_SEV_HIGH], col->vulns[PYOCI_SEV_MEDIUM], col->vulns[PYOCI_SEV_LOW],
                   col->vulns[PYOCI_SEV_UNKNOWN]);
    } else {
      cell[c][7] = xstrdup("- (no DB)");
    }
    cell[c][8] = col->secrets_scanned ? xasprintf("%zu", col->secrets) : xstrdup("-");
  }
  size_t lw = 0;
  for (int r = 0; r < NROWS; r++)
    if (strlen(labels[r]) > lw)
      lw = strlen(labels[r]);
  size_t *cw = xcalloc(n, sizeof(size_t));
  for (size_t c = 0; c < n; c++)
    for (int r = 0; r < NROWS; r++) {
      size_t w = pyoci_utf8_width(cell[c][r], strlen(cell[c][r]));
      if (w > cw[c])
        cw[c] = w;
    }
  strbuf_t sb = STRBUF_INIT;
  for (int r = 0; r < NROWS; r++) {
    strbuf_addf(&sb, "%-*s", (int)lw, labels[r]);
    for (size_t c = 0; c < n; c++) {
      strbuf_addstr(&sb, "   ");
      strbuf_addstr(&sb, cell[c][r]);
      if (c + 1 < n)
        for (size_t k = pyoci_utf8_width(cell[c][r], strlen(cell[c][r])); k < cw[c]; k++)
          strbuf_addch(&sb, ' ');
    }
    strbuf_addch(&sb, '\n');
  }
  for (size_t c = 0; c < n; c++) {
    strbuf_addf(&sb, "\nLargest paths only in %s:\n", cell[c][0]);
    if (cols[c].n_only_here == 0)
      strbuf_addstr(&sb, "  (none)\n");
    for (size_t k = 0; k < cols[c].n_only_here; k++) {
      char h[32];
      human(cols[c].only_here[k].size, h, sizeof(h));
      cleanup_free char *p = clean(cols[c].only_here[k].path);
      strbuf_addf(&sb, "  %8s  %s\n", h, p);
    }
  }
  for (size_t c = 0; c < n; c++) {
    for (int r = 0; r < NROWS; r++)
      free(cell[c][r]);
    free(cell[c]);
  }
  free(cell);
  free(cw);
  return strbuf_detach(&sb);
}

char *pyoci_compare_json(const pyoci_compare_col_t *cols, size_t n)
{
  cleanup_json json_t *doc = json_object();
  json_t *arr = json_array();
  static const char *const sev[5] = {"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
  for (size_t c = 0; c < n; c++) {
    const pyoci_compare_col_t *col = &cols[c];
    json_t *o = json_object();
    json_object_set_new(o, "Name", pyoci_json_string_lossy(col->name));
    json_object_set_new(o, "Size", json_integer(col->size));
    json_object_set_new(o, "Layers", col->is_dir ? json_null() : json_integer((json_int_t)col->layers));
    json_object_set_new(o, "Files", json_integer((json_int_t)col->files));
    json_object_set_new(o, "OS", col->os ? pyoci_json_string_lossy(col->os) : json_null());
    json_object_set_new(o, "OSPackages", json_integer((json_int_t)col->os_packages));
    json_object_set_new(o, "PythonPackages", json_integer((json_int_t)col->python_packages));
    if (col->vulns_scanned) {
      json_t *v = json_object();
      for (int s = 4; s >= 0; s--)
        json_object_set_new(v, sev[s], json_integer((json_int_t)col->vulns[s]));
      json_object_set_new(o, "Vulnerabilities", v);
    } else {
      json_object_set_new(o, "Vulnerabilities", json_null());
    }
    json_object_set_new(o, "Secrets", col->secrets_scanned ? json_integer((json_int_t)col->secrets) : json_null());
    json_t *only = json_array();
    for (size_t k = 0; k < col->n_only_here; k++)
      json_array_append_new(only, json_pack("{s:o, s:I}", "Path", pyoci_json_string_lossy(col->only_here[k].path),
                                            "Size", (json_int_t)col->only_here[k].size));
    json_object_set_new(o, "LargestOnlyHere", only);
    json_array_append_new(arr, o);
  }
  json_object_set_new(doc, "Images", arr);
  return pyoci_scan_json_dump(doc);
}
