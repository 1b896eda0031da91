/* Reading the Docker Engine API's container inspect reply, the way
 * `pyoci debug` finds a docker container's process: the cases a real
 * dockerd gives (running, exited) and what a hostile or broken socket
 * could answer (a PID that does not fit, a name with a newline, junk). */
#include <stdlib.h>
#include <string.h>

#include "lib/container/debug.h"
#include "tap.h"

static void parse(const char *body, int want_rc, pid_t want_pid, const char *want, const char *label)
{
  pid_t pid = 0;
  char *name = NULL;
  pyoci_error_t *err = NULL;
  int rc = pyoci_docker_inspect_parse(body, strlen(body), "web", &pid, &name, &err);
  is_int(rc, want_rc, "%s: %s", label, want_rc == 0 ? "accepted" : "refused");
  if (rc == 0) {
    is_int(pid, want_pid, "%s: pid", label);
    is_str(name, want, "%s: name", label);
  } else {
    is_str(err ? err->msg : NULL, want, "%s: message", label);
  }
  free(name);
  pyoci_error_free(err);
}

int main(void)
{
  /* trimmed from docker 20.10's reply */
  parse("{\"Id\":\"4f1c\",\"Name\":\"/flask\",\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":4242}}", 0,
        4242, "flask", "running container");
  parse("{\"Name\":\"/flask\",\"State\":{\"Status\":\"exited\",\"Running\":false,\"Pid\":0,\"ExitCode\":3}}", -1, 0,
        "container web is not running", "exited container");
  parse("{\"Name\":\"/big\",\"State\":{\"Running\":true,\"Pid\":4294971394}}", -1, 0,
        "docker container web: no valid .State.Pid", "a PID that would wrap to 4098 in pid_t");
  parse("{\"State\":{\"Running\":true,\"Pid\":4194305}}", -1, 0, "docker container web: no valid .State.Pid",
        "a PID above the kernel's limit");
  parse("{\"State\":{\"Running\":true,\"Pid\":\"12\"}}", -1, 0, "docker container web: no valid .State.Pid",
        "a PID as a string");
  parse("{\"State\":{\"Running\":true,\"Pid\":-5}}", -1, 0, "docker container web: no valid .State.Pid",
        "a negative PID");
  parse("{\"Name\":\"/a\\nb\",\"State\":{\"Running\":true,\"Pid\":7}}", 0, 7, "web",
        "a name with a newline: the name typed is used");
  parse("{\"State\":{\"Running\":true,\"Pid\":7}}", 0, 7, "web", "no name: the name typed");
  parse("{\"State\":[1,2]}", -1, 0, "docker container inspect web: no .State object", "State not an object");
  parse("[]", -1, 0, "parse 'docker container inspect': expected a JSON object", "not an object");
  parse("{\"message\":\"No such container: web\"}", -1, 0, "docker container inspect web: no .State object",
        "an error body");
  return done_testing();
}
