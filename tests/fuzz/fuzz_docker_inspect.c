/* Fuzz the Docker Engine API reply `pyoci debug` reads to find a docker
 * container's process (GET /containers/{ref}/json): whatever the socket
 * answers, the reader either fails with a message or gives a PID the
 * kernel could hand out and a printable name -- never a PID cut down from a
 * bigger number, never a name with control characters to echo. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/container/debug.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  pid_t pid = 0;
  char *name = NULL;
  pyoci_error_t *err = NULL;
  int rc = pyoci_docker_inspect_parse((const char *)data, size, "target", &pid, &name, &err);
  if (rc == 0) {
    if (err != NULL || name == NULL || pid <= 0 || pid > (1 << 22) || name[0] == '\0')
      abort();
    for (const char *p = name; *p; p++)
      if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
        abort();
  } else if (rc != -1 || err == NULL || err->msg == NULL || name != NULL) {
    abort();
  }
  free(name);
  pyoci_error_free(err);
  return 0;
}
