/* The table `trivy image` prints (non-terminal mode: no colours).
 *
 * Per result: a blank line, "TARGET (TYPE)" underlined with '=', a Total
 * line listing the selected severities low to high, then the findings.
 * Vulnerabilities are a box table whose cells merge down a column while
 * their (non-empty) value repeats, like trivy's table writer; secrets and
 * misconfigurations are blocks with 40-column dividers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"
#include "lib/util/utf8.h"
#include "scan.h"

#define DIVIDER_WIDTH 40

/* Control characters (other than newline when keep_nl) become '?', so
 * hostile titles and paths cannot move the cursor or break the layout. */
static char *clean(const char *s, bool keep_nl)
{
  char *r = xstrdup(s ? s : "");
  for (char *p = r; *p; p++)
    if (((unsigned char)*p < 0x20 && !(keep_nl && *p == '\n')) || *p == 0x7f)
      *p = '?';
  return r;
}

static void repeat(strbuf_t *sb, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    strbuf_addstr(sb, s);
}

static void render_target(strbuf_t *sb, const char *target)
{
  strbuf_addf(sb, "\n%s\n", target);
  repeat(sb, "=", pyoci_utf8_width(target, strlen(target)));
  strbuf_addch(sb, '\n');
}

static void summary(strbuf_t *sb, const size_t counts[5], unsigned severities)
{
  size_t total = 0;
  for (int s = 0; s < 5; s++)
    if (severities == 0 || (severities & (1u << s)))
      total += counts[s];
  strbuf_addf(sb, "%zu (", total);
  bool first = true;
  for (int s = 0; s < 5; s++) {
    if (severities != 0 && !(severities & (1u << s)))
      continue;
    strbuf_addf(sb, "%s%s: %zu", first ? "" : ", ", pyoci_severity_name((pyoci_severity_t)s), counts[s]);
    first = false;
  }
  strbuf_addch(sb, ')');
}

/* ---- box table ---- */

#define NCOLS 6

typedef struct {
  char *cell[NCOLS];
} row_t;

/* Line `n` of a cell (pointer + length); false past its last line. */
static bool cell_line(const char *s, size_t n, const char **out, size_t *len)
{
  for (size_t i = 0; i < n; i++) {
    const char *nl = strchr(s, '\n');
    if (nl == NULL)
      return false;
    s = nl + 1;
  }
  const char *nl = strchr(s, '\n');
  *out = s;
  *len = nl ? (size_t)(nl - s) : strlen(s);
  return true;
}

static size_t cell_lines(const char *s)
{
  size_t n = 1;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static size_t cell_width(const char *s)
{
  size_t w = 0, n = 0;
  const char *l;
  size_t len;
  while (cell_line(s, n++, &l, &len)) {
    size_t x = pyoci_utf8_width(l, len);
    if (x > w)
      w = x;
  }
  return w;
}

static bool merged(const row_t *rows, size_t i, int c)
{
  return i > 0 && rows[i].cell[c][0] != '\0' && strcmp(rows[i].cell[c], rows[i - 1].cell[c]) == 0;
}

static void border(strbuf_t *sb, const size_t *w, const char *l, const char *m, const char *r)
{
  strbuf_addstr(sb, l);
  for (int c = 0; c < NCOLS; c++) {
    repeat(sb, "─", w[c] + 2);
    strbuf_addstr(sb, c + 1 < NCOLS ? m : r);
  }
  strbuf_addch(sb, '\n');
}

/* The line between row i-1 and row i: merged cells continue, the others
 * get a rule, and each junction joins what meets there. */
static void separator(strbuf_t *sb, const row_t *rows, size_t i, const size_t *w)
{
  bool line[NCOLS];
  for (int c = 0; c < NCOLS; c++)
    line[c] = !merged(rows, i, c);
  strbuf_addstr(sb, line[0] ? "├" : "│");
  for (int c = 0; c < NCOLS; c++) {
    repeat(sb, line[c] ? "─" : " ", w[c] + 2);
    bool left = line[c], right = c + 1 < NCOLS && line[c + 1];
    if (c + 1 == NCOLS)
      strbuf_addstr(sb, left ? "┤" : "│");
    else
      strbuf_addstr(sb, left && right ? "┼" : left ? "┤" : right ? "├" : "│");
  }
  strbuf_addch(sb, '\n');
}

static void pad(strbuf_t *sb, const char *s, size_t len, size_t width)
{
  strbuf_add(sb, s, len);
  repeat(sb, " ", width - pyoci_utf8_width(s, len));
}

static void render_rows(strbuf_t *sb, row_t *rows, size_t n)
{
  static const char *const head[NCOLS] = {"Library", "Vulnerability", "Severity", "Installed Version",
                                          "Fixed Version", "Title"};
  size_t w[NCOLS];
  for (int c = 0; c < NCOLS; c++) {
    w[c] = strlen(head[c]);
    for (size_t i = 0; i < n; i++) {
      size_t x = cell_width(rows[i].cell[c]);
      if (x > w[c])
        w[c] = x;
    }
  }
  border(sb, w, "┌", "┬", "┐");
  strbuf_addstr(sb, "│");
  for (int c = 0; c < NCOLS; c++) {
    size_t extra = w[c] - strlen(head[c]);
    repeat(sb, " ", 1 + extra / 2);
    strbuf_addstr(sb, head[c]);
    repeat(sb, " ", 1 + extra - extra / 2);
    strbuf_addstr(sb, "│");
  }
  strbuf_addch(sb, '\n');
  border(sb, w, "├", "┼", "┤");
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      separator(sb, rows, i, w);
    size_t lines = 1;
    for (int c = 0; c < NCOLS; c++)
      if (!merged(rows, i, c) && cell_lines(rows[i].cell[c]) > lines)
        lines = cell_lines(rows[i].cell[c]);
    for (size_t l = 0; l < lines; l++) {
      strbuf_addstr(sb, "│");
      for (int c = 0; c < NCOLS; c++) {
        const char *s = "";
        size_t len = 0;
        if (!merged(rows, i, c) && !cell_line(rows[i].cell[c], l, &s, &len)) {
          s = "";
          len = 0;
        }
        strbuf_addch(sb, ' ');
        pad(sb, s, len, w[c]);
        strbuf_addstr(sb, " │");
      }
      strbuf_addch(sb, '\n');
    }
  }
  border(sb, w, "└", "┴", "┘");
}

/* trivy: the title (at most 12 words, then "..."), the link below it. */
static char *title_cell(const pyoci_scan_vuln_t *v)
{
  strbuf_t sb = STRBUF_INIT;
  cleanup_free char *t = clean(v->title, false);
  /* strings.Split(title, " "): 12 or more pieces keep the first 12 + "..." */
  size_t pieces = 1;
  for (const char *p = t; *p; p++)
    pieces += *p == ' ';
  size_t spaces = 0;
  for (const char *p = t; *p; p++) {
    if (*p == ' ' && ++spaces == 12)
      break;
    strbuf_addch(&sb, *p);
  }
  if (pieces >= 12)
    strbuf_addstr(&sb, "...");
  cleanup_free char *url = clean(v->primary_url, false);
  if (url[0] != '\0')
    strbuf_addf(&sb, "\n%s", url);
  /* strings.TrimSpace */
  cleanup_free char *s = strbuf_detach(&sb);
  const char *b = s;
  while (*b == ' ' || *b == '\n')
    b++;
  size_t len = strlen(b);
  while (len > 0 && (b[len - 1] == ' ' || b[len - 1] == '\n'))
    len--;
  char *r = xstrndup(b, len);
  return r;
}

static void render_vulns(strbuf_t *sb, const pyoci_scan_report_t *r, pyoci_vuln_class_t cls, const char *target,
                         unsigned severities)
{
  size_t counts[5] = {0}, n = 0;
  for (size_t i = 0; i < r->n_vulns; i++)
    if (r->vulns[i].cls == cls) {
      counts[r->vulns[i].severity]++;
      n++;
    }
  cleanup_free char *t = clean(target, false);
  render_target(sb, t);
  strbuf_addstr(sb, "Total: ");
  summary(sb, counts, severities);
  strbuf_addstr(sb, "\n\n");
  if (n == 0)
    return;
  row_t *rows = xcalloc(n, sizeof(*rows));
  size_t k = 0;
  for (size_t i = 0; i < r->n_vulns; i++) {
    const pyoci_scan_vuln_t *v = &r->vulns[i];
    if (v->cls != cls)
      continue;
    rows[k].cell[0] = clean(v->pkg_name, false);
    rows[k].cell[1] = clean(v->id, false);
    rows[k].cell[2] = clean(pyoci_severity_name(v->severity), false);
    rows[k].cell[3] = clean(v->installed, false);
    rows[k].cell[4] = clean(v->fixed, false);
    rows[k].cell[5] = title_cell(v);
    k++;
  }
  render_rows(sb, rows, n);
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < NCOLS; c++)
      free(rows[i].cell[c]);
  free(rows);
}

static void divider(strbuf_t *sb, const char *ch)
{
  repeat(sb, ch, DIVIDER_WIDTH);
  strbuf_addch(sb, '\n');
}

static void render_secret(strbuf_t *sb, const pyoci_scan_report_t *r, const pyoci_scan_secret_t *s)
{
  cleanup_free char *cat = clean(s->category, false), *title = clean(s->title, false), *path = clean(s->path, false);
  cleanup_free char *code = clean(s->code, false);
  strbuf_addf(sb, "%s: %s (%s)\n", pyoci_severity_name(s->severity), cat, s->rule_id);
  divider(sb, "═");
  strbuf_addf(sb, "%s\n", title);
  divider(sb, "─");
  strbuf_addf(sb, " %s:%d", path, s->line);
  if (s->end_line > s->line)
    strbuf_addf(sb, "-%d", s->end_line);
  if (s->layer_index >= 0 && (size_t)s->layer_index < r->n_layers) {
    const char *cb = r->created_by[s->layer_index];
    if (cb[0] != '\0') {
      cleanup_free char *c = clean(cb, false);
      strbuf_addf(sb, " (added by '%s')", c);
    } else {
      const char *d = r->diff_ids[s->layer_index];
      strbuf_addf(sb, " (added in layer '%.12s')", strchr(d, ':') ? strchr(d, ':') + 1 : d);
    }
  }
  strbuf_addch(sb, '\n');
  divider(sb, "─");
  strbuf_addf(sb, "%4d [ %s\n", s->line, code);
  divider(sb, "─");
  strbuf_addstr(sb, "\n\n");
}

static void render_secrets(strbuf_t *sb, const pyoci_scan_report_t *r, unsigned severities)
{
  for (size_t i = 0; i < r->n_secrets;) {
    size_t j = i, counts[5] = {0};
    while (j < r->n_secrets && strcmp(r->secrets[j].path, r->secrets[i].path) == 0)
      counts[r->secrets[j++].severity]++;
    cleanup_free char *path = clean(r->secrets[i].path, false);
    cleanup_free char *target = NULL;
    target = xasprintf("%s (secrets)", path);
    render_target(sb, target);
    strbuf_addstr(sb, "Total: ");
    summary(sb, counts, severities);
    strbuf_addstr(sb, "\n\n");
    for (size_t k = i; k < j; k++)
      render_secret(sb, r, &r->secrets[k]);
    i = j;
  }
}

static void render_misconfs(strbuf_t *sb, const pyoci_scan_report_t *r, unsigned severities)
{
  if (r->dockerfile == NULL || r->n_misconfs == 0)
    return;
  cleanup_free char *df = clean(r->dockerfile, false);
  cleanup_free char *target = NULL;
  target = xasprintf("%s (dockerfile)", df);
  render_target(sb, target);
  size_t counts[5] = {0};
  for (size_t i = 0; i < r->n_misconfs; i++)
    counts[r->misconfs[i].severity]++;
  size_t failures = r->n_misconfs, successes = r->n_checks - r->n_misconf_failed_checks;
  strbuf_addf(sb, "Tests: %zu (SUCCESSES: %zu, FAILURES: %zu)\n", successes + failures, successes, failures);
  strbuf_addstr(sb, "Failures: ");
  summary(sb, counts, severities);
  strbuf_addstr(sb, "\n\n");
  for (size_t i = 0; i < r->n_misconfs; i++) {
    const pyoci_scan_misconf_t *m = &r->misconfs[i];
    cleanup_free char *msg = clean(m->message, false), *desc = clean(m->description, false);
    cleanup_free char *code = clean(m->code, false);
    strbuf_addf(sb, "%s (%s): %s\n", m->id, pyoci_severity_name(m->severity), msg);
    divider(sb, "═");
    strbuf_addf(sb, "%s\n", desc);
    divider(sb, "─");
    strbuf_addf(sb, " %s:%d\n", df, m->line);
    divider(sb, "─");
    strbuf_addf(sb, "%4d [ %s\n", m->line, code);
    divider(sb, "─");
    strbuf_addstr(sb, "\n\n");
  }
}

char *pyoci_scan_report_table(const pyoci_scan_report_t *r, unsigned severities)
{
  strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, "");
  if (r->db_missing)
    strbuf_addf(&sb, "\n%s\n", PYOCI_SCAN_NOT_CHECKED);
  if (r->scanners & PYOCI_SCANNER_VULN) {
    const pyoci_os_t *os = &r->catalog->os;
    bool has_os_pkgs = false, has_py = false;
    for (size_t i = 0; i < r->catalog->n_packages; i++) {
      has_py |= r->catalog->packages[i].type == PYOCI_PKG_PYTHON;
      has_os_pkgs |= r->catalog->packages[i].type != PYOCI_PKG_PYTHON;
    }
    if (os->family != NULL || has_os_pkgs) {
      cleanup_free char *target = NULL;
      target = xasprintf("%s (%s %s)", r->artifact_name, os->family ? os->family : "unknown",
                   os->version ? os->version : "");
      render_vulns(&sb, r, PYOCI_CLASS_OS, target, severities);
    }
    if (has_py)
      render_vulns(&sb, r, PYOCI_CLASS_LANG, "Python (python-pkg)", severities);
  }
  render_secrets(&sb, r, severities);
  render_misconfs(&sb, r, severities);
  return strbuf_detach(&sb);
}
