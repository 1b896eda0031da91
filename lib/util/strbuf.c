#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Allocation failure aborts: a toolkit that cannot allocate a few bytes cannot
 * report anything useful either. */
static void strbuf_grow(strbuf_t *sb, size_t extra)
{
  if (sb->len + extra + 1 <= sb->cap)
    return;
  size_t cap = sb->cap ? sb->cap : 64;
  while (cap < sb->len + extra + 1)
    cap *= 2;
  char *p = xrealloc(sb->buf, cap);
  sb->buf = p;
  sb->cap = cap;
}

void strbuf_add(strbuf_t *sb, const void *data, size_t len)
{
  strbuf_grow(sb, len);
  if (len)
    memcpy(sb->buf + sb->len, data, len);
  sb->len += len;
  sb->buf[sb->len] = '\0';
}

void strbuf_addstr(strbuf_t *sb, const char *s)
{
  strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(strbuf_t *sb, char c)
{
  strbuf_add(sb, &c, 1);
}

void strbuf_vaddf(strbuf_t *sb, const char *fmt, va_list ap)
{
  va_list cp;
  va_copy(cp, ap);
  int n = vsnprintf(NULL, 0, fmt, cp);
  va_end(cp);
  if (n < 0)
    return;
  strbuf_grow(sb, (size_t)n);
  vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
  sb->len += (size_t)n;
}

void strbuf_addf(strbuf_t *sb, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  strbuf_vaddf(sb, fmt, ap);
  va_end(ap);
}

void strbuf_reset(strbuf_t *sb)
{
  sb->len = 0;
  if (sb->buf)
    sb->buf[0] = '\0';
}

char *strbuf_detach(strbuf_t *sb)
{
  char *s = sb->buf ? sb->buf : xstrdup("");
  sb->buf = NULL;
  sb->len = sb->cap = 0;
  return s;
}

const char *strbuf_str(const strbuf_t *sb)
{
  return sb->buf ? sb->buf : "";
}

void strbuf_release(strbuf_t *sb)
{
  free(sb->buf);
  sb->buf = NULL;
  sb->len = sb->cap = 0;
}
