/* Secrets outside the layers' files, and masking of quoted text.
 *
 * An image config carries text a build wrote: Env ("AWS_SECRET_ACCESS_KEY=
 * ..."), Labels, and each history entry's created_by ("RUN curl -H 'Token:
 * ...'").  As trivy does, those are scanned for secrets too, reported under
 * the targets "image config: Env", "image config: Labels" and "image config:
 * history" with the entry's 1-based index as the line.
 *
 * Every text the report quotes from the image or the Dockerfile (the
 * "added by 'RUN ...'" line, JSON's Layer.CreatedBy, a misconfiguration's
 * line) goes through pyoci_scan_mask_text first: a secret found in it is
 * masked as in secret findings, so no output format leaks it to CI logs. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/util/alloc.h"
#include "lib/secret/scan.h"
#include "lib/util/strbuf.h"
#include "scan_int.h"

#define MAX_MASK_ROUNDS 16 /* secrets masked per line */

typedef struct {
  char *code;
} first_t;

static int first_finding(const pyoci_secret_finding_t *f, void *ctx, pyoci_error_t **err)
{
  (void)err;
  first_t *x = ctx;
  if (x->code == NULL)
    x->code = xstrdup(f->code ? f->code : "");
  return 0;
}

/* One line, masked until no rule matches it. */
static void mask_line(strbuf_t *out, const char *line, size_t len)
{
  char *cur = xstrndup(line, len);
  for (int round = 0; round < MAX_MASK_ROUNDS; round++) {
    first_t x = {NULL};
    if (pyoci_secret_scan_buffer("text", cur, strlen(cur), first_finding, &x, NULL) <= 0 || x.code == NULL) {
      free(x.code);
      break;
    }
    if (strcmp(x.code, cur) == 0) { /* nothing left to mask (cannot happen) */
      free(x.code);
      break;
    }
    free(cur);
    cur = x.code;
  }
  strbuf_addstr(out, cur);
  free(cur);
}

char *pyoci_scan_mask_text(const char *text)
{
  strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, "");
  for (const char *p = text ? text : ""; *p;) {
    size_t n = strcspn(p, "\n");
    mask_line(&sb, p, n);
    p += n;
    if (*p == '\n') {
      strbuf_addch(&sb, '\n');
      p++;
    }
  }
  return strbuf_detach(&sb);
}

/* One config list as lines (newlines inside an entry become spaces, so a
 * finding's line is the entry's index + 1). */
static void add_entry(strbuf_t *sb, const char *s)
{
  for (; *s; s++)
    strbuf_addch(sb, *s == '\n' || *s == '\r' ? ' ' : *s);
  strbuf_addch(sb, '\n');
}

static int scan_lines(const char *target, strbuf_t *sb, pyoci_secret_cb cb, void *ctx, pyoci_error_t **err)
{
  int rc = sb->len ? pyoci_secret_scan_buffer(target, sb->buf, sb->len, cb, ctx, err) : 0;
  strbuf_release(sb);
  return rc < 0 ? -1 : 0;
}

int pyoci_scan_config_secrets(const json_t *config, pyoci_secret_cb cb, void *ctx, pyoci_error_t **err)
{
  const json_t *c = json_object_get(config, "config");
  strbuf_t sb = STRBUF_INIT;
  size_t i;
  const json_t *v;
  const char *key;
  json_array_foreach(json_object_get(c, "Env"), i, v) add_entry(&sb, json_is_string(v) ? json_string_value(v) : "");
  if (scan_lines(PYOCI_SCAN_CONFIG_ENV, &sb, cb, ctx, err) < 0)
    return -1;
  json_object_foreach((json_t *)json_object_get(c, "Labels"), key, v)
  {
    strbuf_addf(&sb, "%s=", key);
    add_entry(&sb, json_is_string(v) ? json_string_value(v) : "");
  }
  if (scan_lines(PYOCI_SCAN_CONFIG_LABELS, &sb, cb, ctx, err) < 0)
    return -1;
  json_array_foreach(json_object_get(config, "history"), i, v)
  {
    const json_t *cb_text = json_object_get(v, "created_by");
    add_entry(&sb, json_is_string(cb_text) ? json_string_value(cb_text) : "");
  }
  return scan_lines(PYOCI_SCAN_CONFIG_HISTORY, &sb, cb, ctx, err);
}
