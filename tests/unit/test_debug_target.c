/* Reading the Docker Engine API's container inspect reply, the way
 * `pyoci debug` finds a docker container's process: the cases a real
 * dockerd gives (running, exited) and what a hostile or broken socket
 * could answer (a PID that does not fit, a name with a newline, junk).
 * And which engines an untyped target is looked up in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* An untyped ref that no engine could hold as a container name ("app:1",
 * an image) is not looked up in podman: a fake podman records each call. */
static void auto_lookup(void)
{
  char dir[] = "/tmp/pyoci-target-XXXXXX";
  if (mkdtemp(dir) == NULL) {
    ok(0, "mkdtemp");
    return;
  }
  char podman[128], marker[128], store[128], cmd[512];
  snprintf(podman, sizeof(podman), "%s/podman", dir);
  snprintf(marker, sizeof(marker), "%s/asked", dir);
  snprintf(store, sizeof(store), "%s/store", dir);
  FILE *f = fopen(podman, "w");
  if (f != NULL) {
    fprintf(f, "#!/bin/sh\necho \"$@\" >>%s\nexit 1\n", marker);
    fclose(f);
  }
  chmod(podman, 0755);
  const char *refs[] = {"app:1", "registry.local/app", "app@sha256:00", "web", "4f1c0a", "/web"};
  const bool asked[] = {false, false, false, true, true, true};
  for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
    unlink(marker);
    pyoci_target_spec_t spec = {.kind = PYOCI_TARGET_AUTO, .ref = refs[i], .store_path = store, .podman = podman};
    pyoci_target_t t;
    pyoci_error_t *err = NULL;
    int rc = pyoci_target_resolve(&spec, &t, &err);
    char want[64];
    snprintf(want, sizeof(want), "No such container: %s", refs[i]);
    ok(rc < 0 && err && strcmp(err->msg, want) == 0, "%s: No such container", refs[i]);
    ok((access(marker, F_OK) == 0) == asked[i], "%s: podman %s", refs[i], asked[i] ? "asked" : "not asked");
    pyoci_error_free(err);
    pyoci_target_release(&t);
  }
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", dir);
}

int main(void)
{
  auto_lookup();
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
