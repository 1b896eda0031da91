#include "gojson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shortest decimal digits that read back as d (d finite, > 0): the digit
 * string (no dot, no leading zeros) and the decimal point position dp, so
 * that d = 0.DIGITS * 10^dp (Go's decimalSlice convention). */
static void shortest_digits(double d, char digits[32], int *nd, int *dp)
{
  char buf[64];
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, sizeof(buf), "%.*e", p - 1, d);
    if (strtod(buf, NULL) == d || p == 17)
      break;
  }
  /* buf = "D[.DDD]e[+-]XX" */
  int n = 0;
  const char *s = buf;
  for (; *s && *s != 'e'; s++)
    if (*s >= '0' && *s <= '9')
      digits[n++] = *s;
  int exp10 = *s == 'e' ? atoi(s + 1) : 0;
  while (n > 1 && digits[n - 1] == '0') /* trailing zeros carry nothing */
    n--;
  digits[n] = '\0';
  *nd = n;
  *dp = exp10 + 1;
}

/* %e: d.ddde±XX (at least two exponent digits), Go's fmtE. */
static void fmt_e(strbuf_t *sb, bool neg, const char *digits, int nd, int dp)
{
  if (neg)
    strbuf_addch(sb, '-');
  strbuf_addch(sb, digits[0]);
  if (nd > 1) {
    strbuf_addch(sb, '.');
    strbuf_add(sb, digits + 1, (size_t)nd - 1);
  }
  int exp = dp - 1;
  if (digits[0] == '0')
    exp = 0;
  strbuf_addch(sb, 'e');
  strbuf_addch(sb, exp < 0 ? '-' : '+');
  if (exp < 0)
    exp = -exp;
  if (exp < 10)
    strbuf_addf(sb, "0%d", exp);
  else
    strbuf_addf(sb, "%d", exp);
}

/* %f with exactly the shortest digits, Go's fmtF with prec max(nd-dp,0). */
static void fmt_f(strbuf_t *sb, bool neg, const char *digits, int nd, int dp)
{
  if (neg)
    strbuf_addch(sb, '-');
  if (dp > 0) {
    for (int i = 0; i < dp; i++)
      strbuf_addch(sb, i < nd ? digits[i] : '0');
  } else {
    strbuf_addch(sb, '0');
  }
  int prec = nd - dp > 0 ? nd - dp : 0;
  if (prec > 0) {
    strbuf_addch(sb, '.');
    for (int i = 0; i < prec; i++) {
      int j = dp + i;
      strbuf_addch(sb, j >= 0 && j < nd ? digits[j] : '0');
    }
  }
}

static bool special_float(strbuf_t *sb, double d)
{
  if (isnan(d)) {
    strbuf_addstr(sb, "NaN");
    return true;
  }
  if (isinf(d)) {
    strbuf_addstr(sb, d > 0 ? "+Inf" : "-Inf");
    return true;
  }
  return false;
}

/* What both of Go's float formats share: a signed zero is written at once
 * (returns true); anything else gets its shortest digits. */
static bool zero_or_digits(strbuf_t *sb, double d, bool *neg, char digits[32], int *nd, int *dp)
{
  *neg = signbit(d);
  if (d == 0) {
    strbuf_addstr(sb, *neg ? "-0" : "0");
    return true;
  }
  shortest_digits(fabs(d), digits, nd, dp);
  return false;
}

void pyoci_go_format_float(strbuf_t *sb, double d)
{
  bool neg;
  char digits[32];
  int nd, dp;
  if (special_float(sb, d) || zero_or_digits(sb, d, &neg, digits, &nd, &dp))
    return;
  int exp = dp - 1;
  if (exp < -4 || exp >= 6)
    fmt_e(sb, neg, digits, nd, dp);
  else
    fmt_f(sb, neg, digits, nd, dp);
}

void pyoci_go_json_float(strbuf_t *sb, double d)
{
  if (!isfinite(d)) { /* Go refuses these; null keeps the document valid */
    strbuf_addstr(sb, "null");
    return;
  }
  bool neg;
  char digits[32];
  int nd, dp;
  if (zero_or_digits(sb, d, &neg, digits, &nd, &dp))
    return;
  double a = fabs(d);
  if (a < 1e-6 || a >= 1e21) {
    strbuf_t t = STRBUF_INIT;
    fmt_e(&t, neg, digits, nd, dp);
    /* Go cleans e-09 up to e-9 */
    size_t n = t.len;
    if (n >= 4 && t.buf[n - 4] == 'e' && t.buf[n - 3] == '-' && t.buf[n - 2] == '0') {
      t.buf[n - 2] = t.buf[n - 1];
      t.buf[n - 1] = '\0';
      t.len--;
    }
    strbuf_addstr(sb, strbuf_str(&t));
    strbuf_release(&t);
  } else {
    fmt_f(sb, neg, digits, nd, dp);
  }
}

/* Decode one UTF-8 sequence; returns its length and the code point, or 0 for
 * an invalid sequence (Go then writes U+FFFD for one byte). */
static size_t utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
  unsigned c = s[0];
  size_t n;
  unsigned min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    n = 2, min = 0x80, c &= 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3, min = 0x800, c &= 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4, min = 0x10000, c &= 0x07;
  } else {
    return 0;
  }
  if (n > len)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    return 0;
  *cp = c;
  return n;
}

void pyoci_go_json_string(strbuf_t *sb, const char *str, size_t len, bool escape_html)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)str;
  strbuf_addch(sb, '"');
  size_t i = 0;
  while (i < len) {
    unsigned char b = s[i];
    if (b < 0x80) {
      if (b == '"' || b == '\\') {
        strbuf_addch(sb, '\\');
        strbuf_addch(sb, (char)b);
      } else if (b == '\n') {
        strbuf_addstr(sb, "\\n");
      } else if (b == '\r') {
        strbuf_addstr(sb, "\\r");
      } else if (b == '\t') {
        strbuf_addstr(sb, "\\t");
      } else if (b < 0x20 || (escape_html && (b == '<' || b == '>' || b == '&'))) {
        strbuf_addstr(sb, "\\u00");
        strbuf_addch(sb, hex[b >> 4]);
        strbuf_addch(sb, hex[b & 0xf]);
      } else {
        strbuf_addch(sb, (char)b);
      }
      i++;
      continue;
    }
    unsigned cp;
    size_t n = utf8_decode(s + i, len - i, &cp);
    if (n == 0) {
      strbuf_addstr(sb, "\\ufffd");
      i++;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029)
      strbuf_addf(sb, "\\u%04x", cp);
    else
      strbuf_add(sb, s + i, n);
    i += n;
  }
  strbuf_addch(sb, '"');
}

bool pyoci_go_write_int_or_bool(strbuf_t *sb, const json_t *j)
{
  switch (json_typeof(j)) {
  case JSON_INTEGER:
    strbuf_addf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
    return true;
  case JSON_TRUE:
    strbuf_addstr(sb, "true");
    return true;
  case JSON_FALSE:
    strbuf_addstr(sb, "false");
    return true;
  default:
    return false;
  }
}

static void newline_indent(strbuf_t *sb, const char *indent, int depth)
{
  strbuf_addch(sb, '\n');
  for (int i = 0; i < depth; i++)
    strbuf_addstr(sb, indent);
}

static void encode(strbuf_t *sb, const json_t *j, const char *indent, bool escape_html, int depth)
{
  if (pyoci_go_write_int_or_bool(sb, j))
    return;
  switch (json_typeof(j)) {
  case JSON_OBJECT: {
    if (json_object_size(j) == 0) {
      strbuf_addstr(sb, "{}");
      break;
    }
    strbuf_addch(sb, '{');
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach((json_t *)j, k, v) {
      if (!first)
        strbuf_addch(sb, ',');
      first = false;
      if (indent)
        newline_indent(sb, indent, depth + 1);
      pyoci_go_json_string(sb, k, strlen(k), escape_html);
      strbuf_addstr(sb, indent ? ": " : ":");
      encode(sb, v, indent, escape_html, depth + 1);
    }
    if (indent)
      newline_indent(sb, indent, depth);
    strbuf_addch(sb, '}');
    break;
  }
  case JSON_ARRAY: {
    if (json_array_size(j) == 0) {
      strbuf_addstr(sb, "[]");
      break;
    }
    strbuf_addch(sb, '[');
    for (size_t i = 0; i < json_array_size(j); i++) {
      if (i > 0)
        strbuf_addch(sb, ',');
      if (indent)
        newline_indent(sb, indent, depth + 1);
      encode(sb, json_array_get(j, i), indent, escape_html, depth + 1);
    }
    if (indent)
      newline_indent(sb, indent, depth);
    strbuf_addch(sb, ']');
    break;
  }
  case JSON_STRING:
    pyoci_go_json_string(sb, json_string_value(j), json_string_length(j), escape_html);
    break;
  case JSON_REAL:
    pyoci_go_json_float(sb, json_real_value(j));
    break;
  case JSON_NULL:
    strbuf_addstr(sb, "null");
    break;
  default: /* integers and booleans, written before the switch */
    break;
  }
}

void pyoci_go_json_encode(strbuf_t *sb, const json_t *j, const char *indent, bool escape_html)
{
  if (j == NULL) {
    strbuf_addstr(sb, "null");
    return;
  }
  encode(sb, j, indent, escape_html, 0);
}
