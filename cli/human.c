/* Ports of docker/go-units' HumanSizeWithPrecision and HumanDuration. */
#include "human.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/util/utf8.h"

void cli_human_size(double size, int precision, char *buf, size_t len)
{
  static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  size_t i = 0;
  while (size >= 1000.0 && i < sizeof(units) / sizeof(units[0]) - 1) {
    size /= 1000.0;
    i++;
  }
  /* Go's %g and C's %g agree, including "1e+03" for 999.95 at precision 3. */
  snprintf(buf, len, "%.*g%s", precision, size, units[i]);
}

void cli_human_duration(int64_t seconds, char *buf, size_t len)
{
  int64_t minutes = seconds / 60;
  int64_t hours = (seconds + 1800) / 3600; /* go-units rounds hours: int(d.Hours() + 0.5) */
  if (seconds < 1)
    snprintf(buf, len, "Less than a second");
  else if (seconds == 1)
    snprintf(buf, len, "1 second");
  else if (seconds < 60)
    snprintf(buf, len, "%lld seconds", (long long)seconds);
  else if (minutes == 1)
    snprintf(buf, len, "About a minute");
  else if (minutes < 60)
    snprintf(buf, len, "%lld minutes", (long long)minutes);
  else if (hours == 1)
    snprintf(buf, len, "About an hour");
  else if (hours < 48)
    snprintf(buf, len, "%lld hours", (long long)hours);
  else if (hours < 24 * 7 * 2)
    snprintf(buf, len, "%lld days", (long long)(hours / 24));
  else if (hours < 24 * 30 * 2)
    snprintf(buf, len, "%lld weeks", (long long)(hours / 24 / 7));
  else if (hours < 24 * 365 * 2)
    snprintf(buf, len, "%lld months", (long long)(hours / 24 / 30));
  else
    snprintf(buf, len, "%lld years", (long long)(seconds / 3600 / 24 / 365));
}

/* Align tab-separated cells like Go's tabwriter(minwidth 10, padding 3):
 * every cell but a line's last is padded to its column's width. */
void cli_print_aligned(const char *text)
{
  size_t widths[32] = {0};
  for (int pass = 0; pass < 2; pass++) {
    const char *line = text;
    while (*line) {
      const char *nl = strchr(line, '\n');
      size_t ll = nl ? (size_t)(nl - line) : strlen(line);
      size_t col = 0;
      const char *c = line;
      while (c < line + ll) {
        const char *tab = memchr(c, '\t', (size_t)(line + ll - c));
        size_t cl = tab ? (size_t)(tab - c) : (size_t)(line + ll - c);
        size_t cols = pyoci_utf8_width(c, cl);
        if (tab != NULL && col < 32) {
          size_t w = cols + 3 < 10 ? 10 : cols + 3;
          if (pass == 0 && w > widths[col])
            widths[col] = w;
          if (pass == 1)
            printf("%.*s%*s", (int)cl, c, (int)(widths[col] - cols), "");
        } else if (pass == 1) {
          printf("%.*s", (int)cl, c);
        }
        col++;
        c += cl + (tab ? 1 : 0);
        if (tab == NULL)
          break;
      }
      if (pass == 1)
        putchar('\n');
      line += ll + (nl ? 1 : 0);
    }
  }
}

/* go-humanize ParseBytes: a number (commas allowed) and an optional unit,
 * decimal (kB, MB...) or binary (KiB, MiB...), case-insensitive. */
int cli_parse_bytes(const char *s, uint64_t *out)
{
  static const struct {
    const char *unit;
    double mult;
  } units[] = {
      {"", 1},           {"b", 1},          {"k", 1e3},        {"kb", 1e3},       {"ki", 1024.0},
      {"kib", 1024.0},   {"m", 1e6},        {"mb", 1e6},       {"mi", 1048576.0}, {"mib", 1048576.0},
      {"g", 1e9},        {"gb", 1e9},       {"gi", 1073741824.0}, {"gib", 1073741824.0}, {"t", 1e12},
      {"tb", 1e12},      {"ti", 1099511627776.0}, {"tib", 1099511627776.0}, {"p", 1e15}, {"pb", 1e15},
      {"pi", 1125899906842624.0}, {"pib", 1125899906842624.0},
  };
  char num[64];
  size_t n = 0;
  const char *p = s;
  for (; (*p >= '0' && *p <= '9') || *p == '.' || *p == ','; p++)
    if (*p != ',' && n < sizeof(num) - 1)
      num[n++] = *p;
  num[n] = '\0';
  if (n == 0)
    return -1;
  char *end;
  errno = 0;
  double v = strtod(num, &end);
  if (*end != '\0' || errno != 0)
    return -1;
  while (*p == ' ')
    p++;
  char unit[8];
  size_t u = 0;
  for (; *p && *p != ' ' && u < sizeof(unit) - 1; p++)
    unit[u++] = *p;
  unit[u] = '\0';
  while (*p == ' ')
    p++;
  if (*p != '\0')
    return -1;
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
    if (strcasecmp(unit, units[i].unit) == 0) {
      double r = v * units[i].mult;
      if (r >= 18446744073709551615.0)
        return -1;
      *out = (uint64_t)r;
      return 0;
    }
  }
  return -1;
}
