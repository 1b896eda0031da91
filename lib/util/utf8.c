#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Length of the well-formed sequence at s (at most n bytes), 0 if none. */
static size_t seq_len(const unsigned char *s, size_t n)
{
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned min;
  unsigned cp;
  if (c >= 0xc2 && c <= 0xdf)
    len = 2, min = 0x80, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    len = 3, min = 0x800, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    len = 4, min = 0x10000, cp = c & 0x07;
  else
    return 0;
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

bool pyoci_utf8_valid(const char *s, size_t n)
{
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    size_t l = seq_len(p + i, n - i);
    if (l == 0)
      return false;
    i += l;
  }
  return true;
}

char *pyoci_utf8_sanitize(const char *s)
{
  size_t n = strlen(s);
  char *out = xmalloc(n + 1);
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    size_t l = seq_len(p + i, n - i);
    if (l == 0) {
      out[i++] = '?';
      continue;
    }
    memcpy(out + i, p + i, l);
    i += l;
  }
  out[n] = '\0';
  return out;
}

json_t *pyoci_json_string_lossy(const char *s)
{
  if (s == NULL)
    return json_string("");
  json_t *j = json_string(s);
  if (j != NULL)
    return j;
  char *clean = pyoci_utf8_sanitize(s);
  j = json_string(clean);
  free(clean);
  return j;
}

size_t pyoci_utf8_width(const char *s, size_t n)
{
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xc0) != 0x80)
      w++;
  return w;
}
