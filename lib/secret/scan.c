/* Scanning one buffer: prefilter, run the candidate rules, drop placeholders
 * and overlaps, then report each finding with its line and a masked view.
 * All matches of a file are collected before any is reported so that the
 * context line of one finding masks every other secret found on it too. */
#include "scan.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util/alloc.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"
#include "engine.h"

enum {
  MAX_FINDINGS_PER_FILE = 1000,
  MATCH_MAX = 256,
  CODE_MAX = 512,
};

/* ---- path allow list ---- */

/* Directory names whose contents are documentation, tests or third-party
 * library code: they ship sample keys on purpose. */
static const char *const allowed_dirs[] = {
    "test", "tests", "testdata", "doc", "docs", "example", "examples", "node_modules", "site-packages",
    "dist-packages",
};
static const char *const allowed_prefixes[] = {"usr/share/", "usr/include/"};
static const char *const allowed_suffixes[] = {".md", ".markdown", ".rst"};

static bool has_prefix(const char *s, const char *p)
{
  return strncmp(s, p, strlen(p)) == 0;
}

/* usr/lib/python3.11/, usr/local/lib/python3/ ...: the standard library. */
static bool is_python_stdlib(const char *p)
{
  if (has_prefix(p, "usr/local/lib/python3"))
    p += strlen("usr/local/lib/python3");
  else if (has_prefix(p, "usr/lib/python3"))
    p += strlen("usr/lib/python3");
  else
    return false;
  while ((*p >= '0' && *p <= '9') || *p == '.')
    p++;
  return *p == '/';
}

bool pyoci_secret_path_allowed(const char *path)
{
  const char *p = path;
  for (;;) {
    if (*p == '/')
      p++;
    else if (p[0] == '.' && p[1] == '/')
      p += 2;
    else
      break;
  }
  for (size_t i = 0; i < sizeof(allowed_prefixes) / sizeof(allowed_prefixes[0]); i++)
    if (has_prefix(p, allowed_prefixes[i]))
      return true;
  if (is_python_stdlib(p))
    return true;
  size_t len = strlen(p);
  for (size_t i = 0; i < sizeof(allowed_suffixes) / sizeof(allowed_suffixes[0]); i++) {
    size_t sl = strlen(allowed_suffixes[i]);
    if (len >= sl && strcasecmp(p + len - sl, allowed_suffixes[i]) == 0)
      return true;
  }
  /* Every directory component (not the file name itself). */
  for (const char *c = p; *c;) {
    const char *slash = strchr(c, '/');
    if (slash == NULL)
      break;
    size_t n = (size_t)(slash - c);
    for (size_t i = 0; i < sizeof(allowed_dirs) / sizeof(allowed_dirs[0]); i++)
      if (strlen(allowed_dirs[i]) == n && strncasecmp(c, allowed_dirs[i], n) == 0)
        return true;
    c = slash + 1;
  }
  return false;
}

bool pyoci_secret_is_binary(const void *buf, size_t len)
{
  return memchr(buf, '\0', len < PYOCI_SECRET_BINARY_PROBE ? len : PYOCI_SECRET_BINARY_PROBE) != NULL;
}

/* ---- placeholders ---- */

static const char *const placeholder_words[] = {
    "changeme", "change_me", "change-me", "changethis", "example", "placeholder", "your_", "your-",
    "yourpass", "yoursecret", "yourtoken", "yourkey", "xxxxx", "*****", "dummy", "redacted", "replace",
    "fixme", "todo", "notasecret", "not-a-secret", "not_a_secret",
};
static const char *const placeholder_values[] = {"password", "secret", "token", "12345678", "123456789"};

/* True when the value is obviously not a real secret: a template
 * reference, a documentation stand-in, or one repeated character. */
static bool is_placeholder(const char *v, size_t n)
{
  if (n == 0 || strchr("$%{<(/", v[0]) != NULL)
    return true;
  char low[257];
  if (n >= sizeof(low))
    n = sizeof(low) - 1;
  bool same = true;
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    same = same && v[i] == v[0];
  }
  low[n] = '\0';
  if (same || strstr(low, "${") || strstr(low, "{{") || strstr(low, "%("))
    return true;
  for (size_t i = 0; i < sizeof(placeholder_words) / sizeof(placeholder_words[0]); i++)
    if (strstr(low, placeholder_words[i]))
      return true;
  for (size_t i = 0; i < sizeof(placeholder_values) / sizeof(placeholder_values[0]); i++)
    if (strcmp(low, placeholder_values[i]) == 0)
      return true;
  return false;
}

/* ---- matching ---- */

struct span {
  size_t m_start, m_end; /* the whole match */
  size_t s_start, s_end; /* the secret part (masked) */
  size_t rule;
};

struct spans {
  struct span *v;
  size_t n, cap;
};

static bool overlaps_any(const struct spans *sp, size_t a, size_t b)
{
  for (size_t i = 0; i < sp->n; i++)
    if (a < sp->v[i].s_end && sp->v[i].s_start < b)
      return true;
  return false;
}

static void spans_add(struct spans *sp, const struct span *s)
{
  if (sp->n == sp->cap) {
    sp->cap = sp->cap ? sp->cap * 2 : 16;
    sp->v = xrealloc(sp->v, sp->cap * sizeof(*sp->v));
  }
  sp->v[sp->n++] = *s;
}

static int cmp_span(const void *a, const void *b)
{
  const struct span *x = a, *y = b;
  if (x->s_start != y->s_start)
    return x->s_start < y->s_start ? -1 : 1;
  return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* All matches of rule i in buf, appended to sp. */
static void run_rule(struct secret_engine *e, size_t i, const char *path, const unsigned char *buf, size_t len,
                     struct spans *sp)
{
  const pyoci_secret_rule_t *r = &e->rules[i];
  size_t off = 0;
  while (off <= len && sp->n < MAX_FINDINGS_PER_FILE) {
    int rc = pcre2_match(e->code[i], buf, len, off, 0, e->mdata, e->mcontext);
    if (rc == PCRE2_ERROR_NOMATCH)
      return;
    if (rc < 0) {
      /* Limits hit on hostile content: give up on this rule for this file. */
      pyoci_log(PYOCI_LOG_DEBUG, "secret rule '%s' on '%s': match error %d, skipped", r->id, path, rc);
      return;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->mdata);
    struct span s = {.m_start = ov[0], .m_end = ov[1], .s_start = ov[0], .s_end = ov[1], .rule = i};
    int g = e->secret_group[i];
    if (g > 0 && g < rc && ov[2 * g] != PCRE2_UNSET) {
      s.s_start = ov[2 * g];
      s.s_end = ov[2 * g + 1];
    }
    off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    if (s.s_end <= s.s_start)
      continue;
    if ((r->flags & PYOCI_SECRET_F_PLACEHOLDERS) &&
        is_placeholder((const char *)buf + s.s_start, s.s_end - s.s_start))
      continue;
    if (overlaps_any(sp, s.s_start, s.s_end))
      continue;
    spans_add(sp, &s);
  }
}

/* ---- reporting ---- */

/* Offsets where each line starts, for line numbers by binary search. */
struct lines {
  size_t *start;
  size_t n;
};

static void lines_index(struct lines *l, const unsigned char *buf, size_t len)
{
  size_t cap = 64;
  l->start = xmalloc(cap * sizeof(size_t));
  l->n = 0;
  l->start[l->n++] = 0;
  for (const unsigned char *p = buf; (p = memchr(p, '\n', len - (size_t)(p - buf))) != NULL; p++) {
    if (l->n == cap) {
      cap *= 2;
      l->start = xrealloc(l->start, cap * sizeof(size_t));
    }
    l->start[l->n++] = (size_t)(p - buf) + 1;
    if ((size_t)(p - buf) + 1 >= len)
      break;
  }
}

/* 0-based line index of offset. */
static size_t line_of(const struct lines *l, size_t off)
{
  size_t lo = 0, hi = l->n;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (l->start[mid] <= off)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

/* End of the line starting at `start` (excluding "\r\n" / "\n"), looking
 * no further than `limit`: on a huge single-line file each finding must
 * not rescan the whole rest of it. */
static size_t line_end(const unsigned char *buf, size_t limit, size_t start)
{
  const unsigned char *nl = memchr(buf + start, '\n', limit - start);
  size_t end = nl ? (size_t)(nl - buf) : limit;
  if (end > start && buf[end - 1] == '\r')
    end--;
  return end;
}

/* buf[a, b) with every secret byte of every span replaced by '*' and
 * control characters by '?' (the text ends up on terminals). */
static void masked(strbuf_t *out, const unsigned char *buf, size_t a, size_t b, const struct spans *sp)
{
  strbuf_reset(out);
  size_t k = 0;
  while (k < sp->n && sp->v[k].s_end <= a)
    k++;
  for (size_t i = a; i < b; i++) {
    while (k < sp->n && sp->v[k].s_end <= i)
      k++;
    unsigned char c = buf[i];
    if (k < sp->n && sp->v[k].s_start <= i)
      c = '*';
    else if ((c < 0x20 && c != '\t') || c == 0x7f)
      c = '?';
    strbuf_addch(out, (char)c);
  }
}

static int report(const struct secret_engine *e, const char *path, const unsigned char *buf, size_t len,
                  struct spans *sp, int layer_index, const char *layer_digest, pyoci_secret_cb cb, void *ctx,
                  pyoci_error_t **err)
{
  qsort(sp->v, sp->n, sizeof(*sp->v), cmp_span);
  struct lines l;
  lines_index(&l, buf, len);
  cleanup_strbuf strbuf_t match = STRBUF_INIT, code = STRBUF_INIT;
  int ret = 0;
  for (size_t i = 0; i < sp->n; i++) {
    const struct span *s = &sp->v[i];
    const pyoci_secret_rule_t *r = &e->rules[s->rule];
    /* A secret that starts with a line break is shown on the line where its
     * text starts, so the masked part is visible there. */
    size_t first = s->s_start;
    while (first + 1 < s->s_end && (buf[first] == '\n' || buf[first] == '\r'))
      first++;
    size_t li = line_of(&l, first);
    size_t far = first + CODE_MAX;
    size_t ls = l.start[li], le = line_end(buf, far < len ? far : len, ls);
    /* Long lines (minified files) are cut to a window around the secret. */
    size_t cs = ls, ce = le;
    if (ce - cs > CODE_MAX) {
      cs = first > ls + CODE_MAX / 4 ? first - CODE_MAX / 4 : ls;
      ce = cs + CODE_MAX < le ? cs + CODE_MAX : le;
    }
    masked(&code, buf, cs, ce, sp);
    size_t ms = s->m_start > ls ? s->m_start : ls, me = s->m_end < le ? s->m_end : le;
    if (me < ms)
      me = ms;
    if (me - ms > MATCH_MAX) {
      ms = first > ms + MATCH_MAX / 4 ? first - MATCH_MAX / 4 : ms;
      me = ms + MATCH_MAX < me ? ms + MATCH_MAX : me;
    }
    masked(&match, buf, ms, me, sp);
    pyoci_secret_finding_t f = {
        .rule_id = r->id,
        .category = r->category,
        .title = r->title,
        .severity = r->severity,
        .path = path,
        .line = (int)li + 1,
        .end_line = (int)line_of(&l, s->s_end - 1) + 1,
        .match = strbuf_str(&match),
        .code = strbuf_str(&code),
        .layer_index = layer_index,
        .layer_digest = layer_digest,
    };
    if (cb(&f, ctx, err) < 0) {
      ret = -1;
      break;
    }
    ret++;
  }
  free(l.start);
  return ret;
}

int pyoci_secret_scan_buffer_in_layer(const char *path, const void *data, size_t len, int layer_index,
                                      const char *layer_digest, pyoci_secret_cb cb, void *ctx,
                                      pyoci_error_t **err)
{
  struct secret_engine *e = pyoci_secret_engine_get(err);
  if (e == NULL)
    return -1;
  if (len > PYOCI_SECRET_MAX_FILE || len == 0 || pyoci_secret_is_binary(data, len))
    return 0;
  const unsigned char *buf = data;
  uint64_t candidates = pyoci_secret_engine_prefilter(e, buf, len);
  if (candidates == 0)
    return 0;
  struct spans sp = {0};
  for (size_t i = 0; i < e->n_rules; i++)
    if (candidates & (UINT64_C(1) << i))
      run_rule(e, i, path, buf, len, &sp);
  int ret = sp.n ? report(e, path, buf, len, &sp, layer_index, layer_digest, cb, ctx, err) : 0;
  free(sp.v);
  return ret;
}

int pyoci_secret_scan_buffer(const char *path, const void *buf, size_t len, pyoci_secret_cb cb, void *ctx,
                             pyoci_error_t **err)
{
  return pyoci_secret_scan_buffer_in_layer(path, buf, len, -1, NULL, cb, ctx, err);
}
