#include "severity.h"

#include <stddef.h>
#include <strings.h>

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
