#include "severity.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

static const char *const names[] = {"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"};

const char *pyoci_severity_name(pyoci_severity_t s)
{
  if ((int)s < 0 || (size_t)s >= sizeof(names) / sizeof(names[0]))
    return names[0];
  return names[s];
}

int pyoci_severity_parse(const char *name)
{
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (name != NULL && strcasecmp(name, names[i]) == 0)
      return (int)i;
  return -1;
}

int pyoci_severity_parse_list(const char *list, unsigned *mask, char **bad)
{
  *mask = 0;
  *bad = NULL;
  char *copy = xstrdup(list);
  char *save = NULL;
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    int s = pyoci_severity_parse(t);
    if (s < 0) {
      *bad = xstrdup(t);
      break;
    }
    *mask |= 1u << s;
  }
  free(copy);
  return *bad == NULL && *mask != 0 ? 0 : -1;
}
