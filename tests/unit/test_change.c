/* pyoci import --change: Dockerfile instructions applied to an image config
 * the way docker import/commit --change apply them (lib/dockerfile/change.c). */
#include <stdlib.h>
#include <string.h>

#include "lib/dockerfile/change.h"
#include "lib/image/import.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "tap.h"

static char *apply(const char *const *changes, pyoci_error_t **err)
{
  cleanup_json json_t *c = json_pack("{s:{}}", "config");
  size_t n = 0;
  while (changes[n])
    n++;
  if (pyoci_changes_apply(c, changes, n, err) < 0)
    return NULL;
  return pyoci_json_dump_canonical(json_object_get(c, "config"));
}

static void check_change(const char *const *changes, const char *want, const char *desc)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *got = apply(changes, &err);
  is_str(got, want, "%s", desc);
  if (err)
    printf("#   error: %s\n", err->msg);
}

static void check_change_fails(const char *change, const char *want)
{
  cleanup_error pyoci_error_t *err = NULL;
  const char *v[] = {change, NULL};
  cleanup_free char *got = apply(v, &err);
  /* TAP descriptions must stay on one line. */
  cleanup_free char *name = strdup(change);
  for (char *p = name; *p; p++)
    if (*p == '\n')
      *p = '|';
  ok(got == NULL, "rejected: %s", name);
  is_str(err ? err->msg : NULL, want, "message for %s", name);
}

static void test_changes(void)
{
  check_change((const char *[]){"CMD [\"python3\", \"-m\", \"app\"]", NULL}, "{\"ArgsEscaped\":true,\"Cmd\":[\"python3\",\"-m\",\"app\"]}",
               "CMD exec form");
  check_change((const char *[]){"cmd python3 app.py", NULL}, "{\"ArgsEscaped\":true,\"Cmd\":[\"/bin/sh\",\"-c\",\"python3 app.py\"]}",
               "CMD shell form, keyword case-insensitive");
  check_change((const char *[]){"CMD [not json", NULL}, "{\"ArgsEscaped\":true,\"Cmd\":[\"/bin/sh\",\"-c\",\"[not json\"]}",
               "broken JSON falls back to shell form");
  check_change((const char *[]){"ENTRYPOINT [\"/bin/app\"]", NULL}, "{\"Entrypoint\":[\"/bin/app\"]}", "ENTRYPOINT");
  check_change((const char *[]){"ENV A=1 B=\"two words\" C='$x' D=a\\ b", NULL},
               "{\"Env\":[\"A=1\",\"B=two words\",\"C=$x\",\"D=a b\"]}", "ENV pairs with quotes");
  check_change((const char *[]){"ENV PATH /usr/bin:/bin", "ENV GREETING hello there  ", NULL},
               "{\"Env\":[\"PATH=/usr/bin:/bin\",\"GREETING=hello there\"]}", "ENV legacy form");
  check_change((const char *[]){"ENV A=1 B=2", "ENV A=3", NULL}, "{\"Env\":[\"A=3\",\"B=2\"]}", "ENV replaces");
  check_change((const char *[]){"LABEL a=b \"c d\"=e", "LABEL a=z", NULL}, "{\"Labels\":{\"a\":\"z\",\"c d\":\"e\"}}",
               "LABEL");
  check_change((const char *[]){"EXPOSE 5000 53/UDP 7000-7001", NULL},
               "{\"ExposedPorts\":{\"5000/tcp\":{},\"53/udp\":{},\"7000/tcp\":{},\"7001/tcp\":{}}}", "EXPOSE");
  check_change((const char *[]){"WORKDIR /app", "WORKDIR sub/../x", NULL}, "{\"WorkingDir\":\"/app/x\"}",
               "WORKDIR relative to previous");
  check_change((const char *[]){"WORKDIR rel", NULL}, "{\"WorkingDir\":\"/rel\"}", "WORKDIR relative to /");
  check_change((const char *[]){"USER 1000:1000", NULL}, "{\"User\":\"1000:1000\"}", "USER");
  check_change((const char *[]){"VOLUME [\"/data\"]", "VOLUME /a /b", NULL},
               "{\"Volumes\":{\"/a\":{},\"/b\":{},\"/data\":{}}}", "VOLUME");
  check_change((const char *[]){"STOPSIGNAL SIGTERM", NULL}, "{\"StopSignal\":\"SIGTERM\"}", "STOPSIGNAL");

  check_change_fails("FROM debian", "--change 'FROM debian': FROM is not supported (use CMD, ENTRYPOINT, "
                                    "ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)");
  check_change_fails("EXPOSE abc", "--change 'EXPOSE abc': invalid containerPort: abc");
  check_change_fails("EXPOSE 70000", "--change 'EXPOSE 70000': invalid containerPort: 70000");
  check_change_fails("EXPOSE 80/xyz", "--change 'EXPOSE 80/xyz': invalid proto: xyz");
  check_change_fails("ENV A", "--change 'ENV A': ENV must have two arguments");
  check_change_fails("ENV A=1 B", "--change 'ENV A=1 B': Syntax error - can't find = in \"B\". Must be of the form: name=value");
  check_change_fails("ENV =x", "--change 'ENV =x': ENV names can not be blank");
  check_change_fails("LABEL a=\"x", "--change 'LABEL a=\"x': failed to process \"\"x\": unexpected end of statement while looking for matching double-quote");
  check_change_fails("", "--change '': no Dockerfile instruction");
  check_change_fails("RUN true", "--change 'RUN true': RUN is not supported (use CMD, ENTRYPOINT, ENV, EXPOSE, "
                                 "HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)");
  check_change_fails("ENV A=1\nENV B=2", "--change 'ENV A=1\nENV B=2': one instruction per --change");
  check_change_fails("HEALTHCHECK --interval=bogus CMD true",
                     "--change 'HEALTHCHECK --interval=bogus CMD true': time: invalid duration \"bogus\"");

  /* What the old hand-made parser could not do: the Dockerfile's own. */
  check_change((const char *[]){"ENV BASE=/opt/app", "WORKDIR $BASE/src", "ENV PATH=$BASE/bin:${PATH:-/bin}", NULL},
               "{\"Env\":[\"BASE=/opt/app\",\"PATH=/opt/app/bin:/bin\"],\"WorkingDir\":\"/opt/app/src\"}",
               "variables expand against the image's Env, as docker commit --change does");
  check_change((const char *[]){"HEALTHCHECK --interval=30s --retries=2 CMD curl -f http://localhost/", NULL},
               "{\"Healthcheck\":{\"Interval\":30000000000,\"Retries\":2,\"Test\":[\"CMD-SHELL\",\"curl -f "
               "http://localhost/\"]}}",
               "HEALTHCHECK");
  check_change((const char *[]){"ONBUILD COPY . /app", NULL}, "{\"OnBuild\":[\"COPY . /app\"]}", "ONBUILD");
  check_change((const char *[]){"CMD [\"a\"]", "ENTRYPOINT [\"b\"]", NULL},
               "{\"ArgsEscaped\":true,\"Cmd\":[\"a\"],\"Entrypoint\":[\"b\"]}",
               "CMD then ENTRYPOINT: one stage, so CMD stays (docker commit --change)");
  check_change((const char *[]){"ENTRYPOINT [\"b\"]", NULL}, "{\"Entrypoint\":[\"b\"]}",
               "ENTRYPOINT alone leaves no Cmd");

  cleanup_error pyoci_error_t *err = NULL;
  cleanup_json json_t *c = json_object();
  ok(pyoci_config_set_platform(c, "linux/arm64/v8", &err) == 0, "platform parses");
  is_str(pyoci_json_str(c, "architecture"), "arm64", "architecture set");
  is_str(pyoci_json_str(c, "variant"), "v8", "variant set");
  ok(pyoci_config_set_platform(c, "linux", &err) < 0, "platform without arch rejected");
}

int main(void)
{
  test_changes();
  return done_testing();
}
