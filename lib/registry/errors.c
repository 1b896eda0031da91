/* The registry's JSON error body, as one line a user can act on:
 *   {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown",
 *               "detail":{...}}]}  ->  "manifest unknown: python:3.99"
 * (distribution spec, "Error Codes").  Anything else becomes "HTTP <status>"
 * with the reason docker would give for the common statuses. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "registry_int.h"

#define ERROR_MAX_ITEMS 8
#define ERROR_MAX_TEXT 200

static const char *status_reason(long status)
{
  switch (status) {
  case 401:
    return "unauthorized: authentication required";
  case 403:
    return "denied: access forbidden";
  case 404:
    return "not found";
  case 405:
    return "unsupported: method not allowed";
  case 429:
    return "toomanyrequests: rate limit exceeded";
  default:
    return NULL;
  }
}

/* Append text with control characters dropped and a length cap, so a
 * hostile body cannot paint the terminal or flood the log. */
static void add_clean(strbuf_t *sb, const char *s)
{
  size_t n = 0;
  for (; *s && n < ERROR_MAX_TEXT; s++, n++)
    strbuf_addch(sb, (unsigned char)*s < ' ' || *s == 127 ? ' ' : *s);
  if (*s)
    strbuf_addstr(sb, "...");
}

/* docker's form: "code: message" with the code lowercased and '_' as
 * spaces, the code alone when the message only repeats it
 * (MANIFEST_UNKNOWN "manifest unknown" -> "manifest unknown"). */
static void add_item(strbuf_t *sb, const json_t *e)
{
  const char *msg = pyoci_json_str(e, "message");
  const char *code = pyoci_json_str(e, "code");
  cleanup_free char *lc = code ? xstrndup(code, ERROR_MAX_TEXT) : NULL;
  for (char *p = lc; p && *p; p++)
    *p = *p == '_' ? ' ' : (char)tolower((unsigned char)*p);
  if (lc != NULL && *lc != '\0')
    add_clean(sb, lc);
  if (msg != NULL && *msg != '\0' && (lc == NULL || strcmp(lc, msg) != 0)) {
    if (lc != NULL && *lc != '\0')
      strbuf_addstr(sb, ": ");
    add_clean(sb, msg);
  }
  if ((lc == NULL || *lc == '\0') && (msg == NULL || *msg == '\0'))
    strbuf_addstr(sb, "error");
}

static bool add_json_errors(strbuf_t *sb, const char *body, size_t len)
{
  if (body == NULL || len == 0 || len > PYOCI_REGISTRY_MAX_ERROR_BODY)
    return false;
  cleanup_json json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
  json_t *errs = j ? json_object_get(j, "errors") : NULL;
  if (!json_is_array(errs) || json_array_size(errs) == 0)
    return false;
  size_t i;
  json_t *e;
  json_array_foreach(errs, i, e)
  {
    if (i >= ERROR_MAX_ITEMS)
      break;
    if (!json_is_object(e))
      continue;
    if (sb->len > 0)
      strbuf_addstr(sb, "; ");
    add_item(sb, e);
  }
  return sb->len > 0;
}

char *pyoci_registry_error_text(const char *body, size_t len, long status, const char *what)
{
  strbuf_t sb = STRBUF_INIT;
  if (!add_json_errors(&sb, body, len)) {
    strbuf_reset(&sb);
    const char *reason = status_reason(status);
    if (reason != NULL)
      strbuf_addstr(&sb, reason);
    else
      strbuf_addf(&sb, "HTTP %ld", status);
  }
  if (what != NULL && *what != '\0') {
    strbuf_addstr(&sb, ": ");
    add_clean(&sb, what);
  }
  return strbuf_detach(&sb);
}
