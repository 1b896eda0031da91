/* Process settings handed in by the program (settings.h). */
#include "settings.h"

#include <errno.h>
#include <stdlib.h>

static pyoci_settings_t current = {.source_date_epoch = -1};

void pyoci_settings_init(pyoci_settings_t *s)
{
  *s = (pyoci_settings_t){.source_date_epoch = -1};
}

void pyoci_settings_set(const pyoci_settings_t *s)
{
  current = *s;
}

const pyoci_settings_t *pyoci_settings(void)
{
  return &current;
}

bool pyoci_parse_epoch(const char *text, int64_t *out)
{
  if (text == NULL || *text < '0' || *text > '9')
    return false;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno != 0 || end == NULL || *end != '\0' || v < 0 || v >= 253402300800LL)
    return false;
  *out = v;
  return true;
}

void pyoci_settings_set_epoch(pyoci_settings_t *s, const char *text)
{
  int64_t v;
  s->source_date_epoch_text = text;
  s->source_date_epoch = text != NULL && pyoci_parse_epoch(text, &v) ? v : -1;
}

const char *pyoci_tmpdir(void)
{
  /* The documented exception (settings.h): TMPDIR is the C library's
   * convention for where temporary files go. */
  const char *t = getenv("TMPDIR");
  return t != NULL && *t != '\0' ? t : "/tmp";
}
