/* dive's layer analysis (dive/filetree: file_tree.go AddPath/Stack,
 * efficiency.go Efficiency; dive/image/analysis.go), reimplemented over a
 * small file tree.  Each layer gets its own tree built from its tar headers;
 * a running "stacked" tree holds layers 0..i-1 for sizing whiteouts. */
#include "analyze.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/strbuf.h"

#define WH_PREFIX ".wh."
#define WH_META_PREFIX ".wh..wh."

typedef struct node node;
struct node {
  char *name;
  node *parent;
  node **kids; /* sorted by name, bytewise (Go's sort.Strings) */
  size_t nkids, cap;
  int64_t size;
  bool is_dir;
};

typedef struct {
  int64_t cumulative;
  int64_t min; /* -1 = none yet */
  size_t count;
  size_t order; /* position in the inefficient list, when count >= 2 */
  char *path;
} eff_t;

struct pyoci_analysis {
  node **trees;
  size_t n_trees;
  uint64_t *layer_size, *layer_files;
  pyoci_strmap_t map; /* path -> index in effs */
  eff_t *effs;
  size_t n_effs;
  size_t *ineff; /* eff indexes in the order they reached two layers */
  size_t n_ineff;
};


/* ---- tree ---- */

static node *node_new(const char *name, node *parent)
{
  node *n = xcalloc(1, sizeof(*n));
  n->name = xstrdup(name);
  n->parent = parent;
  return n;
}

static void node_free(node *n)
{
  if (n == NULL)
    return;
  for (size_t i = 0; i < n->nkids; i++)
    node_free(n->kids[i]);
  free(n->kids);
  free(n->name);
  free(n);
}

/* strcmp of a stored name against (name, len). */
static int cmp_name(const char *k, const char *name, size_t len)
{
  int c = strncmp(k, name, len);
  if (c == 0 && k[len] != '\0')
    c = 1; /* k is longer: it sorts after */
  return c;
}

/* Index of the child called name, or where it would go (*found false). */
static size_t child_pos(const node *n, const char *name, size_t len, bool *found)
{
  size_t lo = 0, hi = n->nkids;
  *found = false;
  /* tar listings are mostly sorted: appending is the common case */
  if (hi > 0 && cmp_name(n->kids[hi - 1]->name, name, len) < 0)
    return hi;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = cmp_name(n->kids[mid]->name, name, len);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static node *child_get(const node *n, const char *name, size_t len)
{
  bool found;
  size_t i = child_pos(n, name, len, &found);
  return found ? n->kids[i] : NULL;
}

static node *child_add(node *n, const char *name, size_t len)
{
  bool found;
  size_t i = child_pos(n, name, len, &found);
  if (found)
    return n->kids[i];
  if (n->nkids == n->cap) {
    n->cap = n->cap ? n->cap * 2 : 4;
    n->kids = xrealloc(n->kids, n->cap * sizeof(*n->kids));
  }
  memmove(n->kids + i + 1, n->kids + i, (n->nkids - i) * sizeof(*n->kids));
  char *nm = xstrndup(name, len);
  node *c = node_new("", n);
  free(c->name);
  c->name = nm;
  n->kids[i] = c;
  n->nkids++;
  return c;
}

/* Next path component: sets *len, returns its start (NULL at the end). */
static const char *next_comp(const char **p, size_t *len)
{
  const char *s = *p;
  while (*s == '/')
    s++;
  if (*s == '\0')
    return NULL;
  const char *e = s;
  while (*e && *e != '/')
    e++;
  *len = (size_t)(e - s);
  *p = e;
  return s;
}

/* dive's FileTree.AddPath: intermediate nodes get an empty payload, the
 * last one the entry's; a ".wh..wh.*" name stops the walk (not added). */
static void tree_add_path(node *root, const char *path, int64_t size, bool is_dir)
{
  node *n = root;
  const char *p = path, *c;
  size_t len;
  bool any = false;
  while ((c = next_comp(&p, &len)) != NULL) {
    node *k = child_get(n, c, len);
    if (k == NULL) {
      if (len >= 8 && strncmp(c, WH_META_PREFIX, 8) == 0)
        return;
      k = child_add(n, c, len);
    }
    n = k;
    any = true;
  }
  if (any) {
    n->size = size;
    n->is_dir = is_dir;
  }
}

static node *tree_get(node *root, const char *path)
{
  node *n = root;
  const char *p = path, *c;
  size_t len;
  while ((c = next_comp(&p, &len)) != NULL) {
    n = child_get(n, c, len);
    if (n == NULL)
      return NULL;
  }
  return n;
}

static void tree_remove(node *root, const char *path)
{
  node *n = tree_get(root, path);
  if (n == NULL || n == root)
    return; /* dive logs the failure and goes on */
  node *par = n->parent;
  for (size_t i = 0; i < par->nkids; i++) {
    if (par->kids[i] == n) {
      memmove(par->kids + i, par->kids + i + 1, (par->nkids - i - 1) * sizeof(*par->kids));
      par->nkids--;
      break;
    }
  }
  node_free(n);
}

static node *tree_copy(const node *n, node *parent)
{
  node *c = node_new(n->name, parent);
  c->size = n->size;
  c->is_dir = n->is_dir;
  c->cap = c->nkids = n->nkids;
  c->kids = xrealloc(NULL, c->cap * sizeof(*c->kids));
  for (size_t i = 0; i < n->nkids; i++)
    c->kids[i] = tree_copy(n->kids[i], c);
  return c;
}

static bool is_whiteout_name(const char *name)
{
  return strncmp(name, WH_PREFIX, 4) == 0;
}

/* dive's FileTree.Stack: visit upper child-first; whiteouts remove, every
 * other node (intermediate ones too) is added with its payload. */
static void stack_visit(node *lower, const node *n, strbuf_t *path)
{
  size_t mark = path->len;
  for (size_t i = 0; i < n->nkids; i++) {
    strbuf_addch(path, '/');
    strbuf_addstr(path, n->kids[i]->name);
    stack_visit(lower, n->kids[i], path);
    path->len = mark;
    if (path->buf)
      path->buf[mark] = '\0';
  }
  if (n->parent == NULL)
    return;
  /* path holds the raw name; Path() strips the node's own ".wh." */
  cleanup_strbuf strbuf_t p = STRBUF_INIT;
  strbuf_add(&p, path->buf, path->len - strlen(n->name));
  strbuf_addstr(&p, is_whiteout_name(n->name) ? n->name + 4 : n->name);
  if (is_whiteout_name(n->name))
    tree_remove(lower, p.buf);
  else
    tree_add_path(lower, p.buf, n->size, n->is_dir);
}

static void tree_stack(node *lower, const node *upper)
{
  cleanup_strbuf strbuf_t path = STRBUF_INIT;
  strbuf_addstr(&path, "");
  stack_visit(lower, upper, &path);
}

static int64_t subtree_size(const node *n)
{
  int64_t s = n->size;
  for (size_t i = 0; i < n->nkids; i++)
    s += subtree_size(n->kids[i]);
  return s;
}

/* ---- path -> efficiency record ---- */

static eff_t *eff_get(pyoci_analysis_t *a, const char *path)
{
  bool added;
  pyoci_strmap_slot_t *slot = pyoci_strmap_insert(&a->map, path, &added);
  if (added) {
    slot->val.num = a->n_effs;
    a->effs = xrealloc(a->effs, (a->n_effs + 1) * sizeof(*a->effs));
    eff_t *e = &a->effs[a->n_effs++];
    memset(e, 0, sizeof(*e));
    e->min = -1;
    e->path = xstrdup(path);
  }
  return &a->effs[slot->val.num];
}

/* ---- public ---- */

pyoci_analysis_t *pyoci_analysis_new(void)
{
  pyoci_analysis_t *a = xcalloc(1, sizeof(*a));
  return a;
}

void pyoci_analysis_free(pyoci_analysis_t *a)
{
  if (a == NULL)
    return;
  for (size_t i = 0; i < a->n_trees; i++)
    node_free(a->trees[i]);
  free(a->trees);
  free(a->layer_size);
  free(a->layer_files);
  for (size_t i = 0; i < a->n_effs; i++)
    free(a->effs[i].path);
  free(a->effs);
  pyoci_strmap_clear(&a->map, NULL);
  free(a->ineff);
  free(a);
}

void pyoci_analysis_begin_layer(pyoci_analysis_t *a)
{
  a->trees = xrealloc(a->trees, (a->n_trees + 1) * sizeof(*a->trees));
  a->layer_size = xrealloc(a->layer_size, (a->n_trees + 1) * sizeof(*a->layer_size));
  a->layer_files = xrealloc(a->layer_files, (a->n_trees + 1) * sizeof(*a->layer_files));
  a->trees[a->n_trees] = node_new("", NULL);
  a->layer_size[a->n_trees] = 0;
  a->layer_files[a->n_trees] = 0;
  a->n_trees++;
}

void pyoci_analysis_add(pyoci_analysis_t *a, const char *path, bool is_dir, int64_t size)
{
  if (a->n_trees == 0)
    pyoci_analysis_begin_layer(a);
  if (path[0] == '\0')
    return; /* the root: dive skips "." */
  size_t i = a->n_trees - 1;
  a->layer_size[i] += (uint64_t)(size > 0 ? size : 0);
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (!is_dir && !is_whiteout_name(base))
    a->layer_files[i]++;
  tree_add_path(a->trees[i], path, size, is_dir);
}

typedef struct {
  pyoci_analysis_t *a;
  node *lower; /* layers below, stacked (layer 0: its own tree, as dive does) */
} eff_ctx;

/* Visit one layer's leaves child-first; -1 = dive's visitor error (a
 * whiteout of something absent below), which ends this layer's walk. */
static int eff_visit(eff_ctx *cx, const node *n, strbuf_t *path)
{
  size_t mark = path->len;
  for (size_t i = 0; i < n->nkids; i++) {
    strbuf_addch(path, '/');
    strbuf_addstr(path, n->kids[i]->name);
    int rc = eff_visit(cx, n->kids[i], path);
    path->len = mark;
    if (path->buf)
      path->buf[mark] = '\0';
    if (rc < 0)
      return -1;
  }
  if (n->parent == NULL || n->nkids > 0)
    return 0;
  pyoci_analysis_t *a = cx->a;
  cleanup_strbuf strbuf_t p = STRBUF_INIT;
  strbuf_add(&p, path->buf, path->len - strlen(n->name));
  strbuf_addstr(&p, is_whiteout_name(n->name) ? n->name + 4 : n->name);
  eff_t *e = eff_get(a, p.buf);
  int64_t size = 0;
  if (is_whiteout_name(n->name)) {
    const node *prev = tree_get(cx->lower, p.buf);
    if (prev == NULL)
      return -1;
    if (prev->is_dir)
      size = subtree_size(prev);
  } else {
    size = n->size;
  }
  e->cumulative += size;
  if (e->min < 0 || size < e->min)
    e->min = size;
  e->count++;
  if (e->count == 2) {
    e->order = a->n_ineff;
    a->ineff = xrealloc(a->ineff, (a->n_ineff + 1) * sizeof(*a->ineff));
    a->ineff[a->n_ineff++] = (size_t)(e - a->effs);
  }
  return 0;
}

static int cmp_ineff(const void *x, const void *y)
{
  const pyoci_inefficiency_t *p = x, *q = y;
  if (p->cumulative != q->cumulative)
    return p->cumulative > q->cumulative ? -1 : 1;
  return strcmp(p->path, q->path);
}

static int cmp_largest(const void *x, const void *y)
{
  const pyoci_file_size_t *p = x, *q = y;
  if (p->size != q->size)
    return p->size > q->size ? -1 : 1;
  return strcmp(p->path, q->path);
}

static void collect_files(const node *n, strbuf_t *path, pyoci_file_size_t **out, size_t *count, size_t *cap)
{
  size_t mark = path->len;
  for (size_t i = 0; i < n->nkids; i++) {
    strbuf_addch(path, '/');
    strbuf_addstr(path, n->kids[i]->name);
    collect_files(n->kids[i], path, out, count, cap);
    path->len = mark;
    if (path->buf)
      path->buf[mark] = '\0';
  }
  if (n->parent == NULL || n->nkids > 0 || n->is_dir || is_whiteout_name(n->name))
    return;
  if (*count == *cap) {
    *cap = *cap ? *cap * 2 : 256;
    *out = xrealloc(*out, *cap * sizeof(**out));
  }
  (*out)[*count].path = xstrdup(strbuf_str(path));
  (*out)[*count].size = n->size;
  (*count)++;
}

void pyoci_analysis_finish(pyoci_analysis_t *a, size_t top_n, pyoci_analysis_result_t *res)
{
  memset(res, 0, sizeof(*res));
  node *stacked = NULL;
  cleanup_strbuf strbuf_t path = STRBUF_INIT;
  for (size_t i = 0; i < a->n_trees; i++) {
    eff_ctx cx = {a, i == 0 ? a->trees[0] : stacked};
    strbuf_reset(&path);
    strbuf_addstr(&path, "");
    (void)eff_visit(&cx, a->trees[i], &path);
    /* StackTreeRange(trees, 0, i): a copy of layer 0, then 0..i stacked */
    if (i == 0) {
      stacked = tree_copy(a->trees[0], NULL);
      tree_stack(stacked, a->trees[0]);
    } else {
      tree_stack(stacked, a->trees[i]);
    }
  }

  int64_t min_sum = 0, cum_sum = 0;
  for (size_t i = 0; i < a->n_effs; i++) {
    min_sum += a->effs[i].min;
    cum_sum += a->effs[i].cumulative;
  }
  res->efficiency = cum_sum == 0 ? 1.0 : (double)min_sum / (double)cum_sum;

  res->n_layers = a->n_trees;
  res->layer_size = xrealloc(NULL, a->n_trees * sizeof(uint64_t));
  res->layer_files = xrealloc(NULL, a->n_trees * sizeof(uint64_t));
  for (size_t i = 0; i < a->n_trees; i++) {
    res->layer_size[i] = a->layer_size[i];
    res->layer_files[i] = a->layer_files[i];
    res->size_bytes += a->layer_size[i];
    if (i > 0)
      res->user_size_bytes += a->layer_size[i];
  }

  res->n_ineff = a->n_ineff;
  res->ineff = xrealloc(NULL, a->n_ineff * sizeof(*res->ineff));
  for (size_t i = 0; i < a->n_ineff; i++) {
    const eff_t *e = &a->effs[a->ineff[i]];
    res->ineff[i].path = xstrdup(e->path);
    res->ineff[i].count = e->count;
    res->ineff[i].cumulative = e->cumulative;
    res->wasted_bytes += (uint64_t)e->cumulative;
  }
  qsort(res->ineff, res->n_ineff, sizeof(*res->ineff), cmp_ineff);
  /* float64(wasted) / float64(user size), NaN/Inf included, as dive */
  volatile double user = (double)res->user_size_bytes;
  res->wasted_user_percent = (double)res->wasted_bytes / user;

  size_t cap = 0;
  if (stacked) {
    strbuf_reset(&path);
    strbuf_addstr(&path, "");
    collect_files(stacked, &path, &res->largest, &res->n_largest, &cap);
    qsort(res->largest, res->n_largest, sizeof(*res->largest), cmp_largest);
    while (res->n_largest > top_n)
      free(res->largest[--res->n_largest].path);
  }
  node_free(stacked);
}

void pyoci_analysis_result_free(pyoci_analysis_result_t *res)
{
  free(res->layer_size);
  free(res->layer_files);
  for (size_t i = 0; i < res->n_ineff; i++)
    free(res->ineff[i].path);
  free(res->ineff);
  for (size_t i = 0; i < res->n_largest; i++)
    free(res->largest[i].path);
  free(res->largest);
  memset(res, 0, sizeof(*res));
}
