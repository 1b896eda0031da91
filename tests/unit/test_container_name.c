/* Generated container names: docker's adjective_surname has only 400
 * pairs, so a new container (a debug toolbox beside the container it
 * debugs) draws a taken one 1 time in 400 per live container.  That made
 * `pyoci debug` fail now and then with "Conflict. The container name ...
 * is already in use"; a taken generated name now gets a number added. */
#include <stdlib.h>
#include <string.h>

#include "lib/container/container_int.h"
#include "tap.h"

static pyoci_container_t named(const char *name)
{
  return (pyoci_container_t){.name = (char *)name};
}

int main(void)
{
  const char *id = "0000002a00000000000000000000000000000000000000000000000000000000";
  char base[64];
  pyoci_container_gen_name(id, base, sizeof(base));
  is_str(base, "brave_darwin", "the generated name of id 0x2a...: adjective 42 mod 20 = 2, surname 42/20 = 2");

  char *name = pyoci_container_free_name(id, NULL, 0);
  is_str(name, "brave_darwin", "no container: the generated name as it is");
  free(name);

  pyoci_container_t others[3] = {named("bold_turing"), named("brave_darwin"), named("brave_darwin2")};
  pyoci_container_t *v[3] = {&others[0], &others[1], &others[2]};
  name = pyoci_container_free_name(id, v, 1);
  is_str(name, "brave_darwin", "another name taken: unchanged");
  free(name);
  name = pyoci_container_free_name(id, v, 2);
  is_str(name, "brave_darwin2", "taken: a number added, as docker's names generator does");
  free(name);
  name = pyoci_container_free_name(id, v, 3);
  is_str(name, "brave_darwin3", "that one taken too: the next number");
  free(name);
  return done_testing();
}
