/* RUN --mount spec parsing (lib/dockerfile/run_mount.c), case by case against
 * BuildKit's parseMount/validateMount and Go's encoding/csv. */
#include <stdlib.h>
#include <string.h>

#include "lib/dockerfile/dockerfile.h"
#include "lib/dockerfile/run_mount.h"
#include "tap.h"

static const char *s(const char *v)
{
  return v ? v : "(null)";
}

/* spec on one line, for test names */
static const char *flat(const char *spec)
{
  static char buf[128];
  size_t w = 0;
  for (; *spec && w + 3 < sizeof(buf); spec++)
    buf[w++] = *spec == '\n' ? '|' : *spec;
  buf[w] = '\0';
  return buf;
}

/* parse spec, expecting success */
static int good(const char *spec, pyoci_run_mount_t *m)
{
  pyoci_error_t *err = NULL;
  int rc = pyoci_run_mount_parse(spec, NULL, NULL, m, &err);
  ok(rc == 0, "parses: %s%s%s", flat(spec), err ? " -- " : "", err ? err->msg : "");
  pyoci_error_free(err);
  return rc;
}

/* parse spec, expecting an error whose message contains want */
static void bad(const char *spec, const char *want)
{
  pyoci_run_mount_t m;
  pyoci_error_t *err = NULL;
  int rc = pyoci_run_mount_parse(spec, NULL, NULL, &m, &err);
  ok(rc < 0 && err && strstr(err->msg, want) != NULL, "rejects %s: '%s' (got '%s')", flat(spec), want,
     err ? err->msg : "no error");
  ok(err == NULL || strchr(err->msg, '\n') == NULL, "one-line message for %s", flat(spec));
  pyoci_error_free(err);
  pyoci_run_mount_release(&m);
}

static char *upper_expand(void *ctx, const char *v, pyoci_error_t **err)
{
  (void)err;
  (void)ctx;
  /* "$X" -> "/expanded", anything else as is */
  return strdup(strcmp(v, "$X") == 0 ? "/expanded" : v);
}

static void defaults(void)
{
  pyoci_run_mount_t m;
  if (good("target=/ctx", &m) == 0) {
    is_int(m.type, PYOCI_MOUNT_BIND, "bind is the default type");
    ok(m.readonly, "bind is read-only by default");
    is_str(s(m.source), "(null)", "bind source defaults to the root");
  }
  pyoci_run_mount_release(&m);
  if (good("type=bind,target=/ctx,rw", &m) == 0)
    ok(!m.readonly, "bare rw makes a bind writable");
  pyoci_run_mount_release(&m);
  if (good("type=bind,dst=/d,readwrite=true,src=sub,from=build", &m) == 0) {
    is_str(s(m.target), "/d", "dst is target");
    is_str(s(m.source), "sub", "src is source");
    is_str(s(m.from), "build", "from");
    ok(!m.readonly, "readwrite=true");
  }
  pyoci_run_mount_release(&m);
  if (good("TYPE=Cache,Destination=/root/.cache/pip", &m) == 0) {
    is_int(m.type, PYOCI_MOUNT_CACHE, "keys and the type are case-insensitive");
    is_str(s(m.id), "/root/.cache/pip", "cache id defaults to the target");
    is_int(m.mode, 0755, "cache mode defaults to 0755");
    is_int(m.uid, 0, "uid defaults to 0");
    ok(!m.readonly, "cache is writable by default");
    is_int(m.sharing, PYOCI_SHARING_SHARED, "sharing defaults to shared");
  }
  pyoci_run_mount_release(&m);
  if (good("type=cache,target=/c,id=pip,sharing=LOCKED,mode=0700,uid=1000,gid=50,ro", &m) == 0) {
    is_str(s(m.id), "pip", "explicit cache id");
    is_int(m.sharing, PYOCI_SHARING_LOCKED, "sharing=locked (any case)");
    is_int(m.mode, 0700, "mode is octal");
    is_int(m.uid, 1000, "uid");
    is_int(m.gid, 50, "gid");
    ok(m.readonly, "ro on a cache");
  }
  pyoci_run_mount_release(&m);
  if (good("type=tmpfs,target=/t,size=64m", &m) == 0)
    is_int(m.size, 64ll << 20, "tmpfs size=64m");
  pyoci_run_mount_release(&m);
}

static void secrets(void)
{
  pyoci_run_mount_t m;
  if (good("type=secret,id=tok", &m) == 0) {
    is_str(s(m.target), "/run/secrets/tok", "secret target defaults to /run/secrets/<id>");
    is_int(m.mode, 0400, "secret mode defaults to 0400");
    ok(!m.required, "secrets are optional by default");
    ok(m.readonly, "secrets are read-only");
  }
  pyoci_run_mount_release(&m);
  if (good("type=secret,target=/etc/app/token,required", &m) == 0) {
    is_str(s(m.id), "token", "secret id defaults to the target's base name");
    ok(m.required, "bare required");
  }
  pyoci_run_mount_release(&m);
  if (good("type=secret,source=aws,required=false", &m) == 0)
    is_str(s(m.id), "aws", "secret source= is the id");
  pyoci_run_mount_release(&m);
  if (good("type=secret,id=tok,env=TOKEN", &m) == 0)
    is_str(s(m.target), "(null)", "env= without target: no file");
  pyoci_run_mount_release(&m);
}

static void quoting(void)
{
  pyoci_run_mount_t m;
  if (good("type=bind,\"target=/a,b\"", &m) == 0)
    is_str(s(m.target), "/a,b", "a quoted field may hold a comma");
  pyoci_run_mount_release(&m);
  if (good("\"type=bind\",\"source=x\"\"y\",target=/t", &m) == 0)
    is_str(s(m.source), "x\"y", "\"\" inside quotes is one quote");
  pyoci_run_mount_release(&m);
  if (good("type=bind,target=/t\nignored=after newline", &m) == 0)
    is_str(s(m.target), "/t", "only the first CSV record counts");
  pyoci_run_mount_release(&m);
  bad("type=bind,target=/a\"b", "bare \" in non-quoted-field");
  bad("type=bind,\"target=/a", "extraneous or missing \" in quoted-field");
  bad("type=bind,\"target=/a\"x", "extraneous or missing \" in quoted-field");
  bad("", "failed to parse csv mounts: EOF");
}

static void variables(void)
{
  pyoci_run_mount_t m;
  if (good("type=cache,target=$X", &m) == 0)
    ok(m.deferred, "a variable defers the checks");
  pyoci_run_mount_release(&m);
  if (good("type=cache,target=$X,from=base", &m) == 0)
    is_str(s(m.from), "base", "from= is known even when deferred (the planner needs it)");
  pyoci_run_mount_release(&m);
  pyoci_error_t *err = NULL;
  int rc = pyoci_run_mount_parse("type=cache,target=$X", upper_expand, NULL, &m, &err);
  ok(rc == 0 && !m.deferred, "expanded when the step runs");
  is_str(s(m.target), "/expanded", "the expander's value is used");
  is_str(s(m.id), "/expanded", "and the default id follows it");
  pyoci_run_mount_release(&m);
  pyoci_error_free(err);
  bad("type=bind,target=/x,from=$STAGE", "'from' doesn't support variable expansion");
  bad("type=cache,target=$X,colour=red", "unexpected key 'colour'");
}

static void errors(void)
{
  bad("type=volume,target=/x", "unsupported mount type \"volume\"");
  bad("type=cache", "mount type cache requires a target");
  bad("type=bind,source=x", "mount type bind requires a target");
  bad("type=tmpfs", "mount type tmpfs requires a target");
  bad("type=cache,target=/x,sharing=sometimes", "unsupported sharing value \"sometimes\"");
  bad("type=bind,target=/x,sharing=locked", "invalid cache sharing set for bind mount");
  bad("type=bind,target=/x,mode=0700", "mode not allowed for \"bind\" type mounts");
  bad("type=tmpfs,target=/x,uid=1", "uid not allowed for \"tmpfs\" type mounts");
  bad("type=bind,target=/x,gid=1", "gid not allowed for \"bind\" type mounts");
  bad("type=bind,target=/x,required", "unexpected key 'required' for mount type 'bind'");
  bad("type=cache,target=/x,size=1m", "unexpected key 'size' for mount type 'cache'");
  bad("type=bind,target=/x,env=X", "unexpected key 'env' for mount type 'bind'");
  bad("type=cache,target=/x,mode=0999", "invalid value 0999 for mode");
  bad("type=cache,target=/x,uid=-1", "invalid value -1 for uid");
  bad("type=cache,target=/x,gid=99999999999", "invalid value 99999999999 for gid");
  bad("type=cache,target=/x,mode=", "invalid value  for mode");
  bad("type=bind,target=/x,ro=maybe", "invalid value for ro: maybe");
  bad("type=tmpfs,target=/x,size=lots", "invalid value for size: lots");
  bad("type=bind,target=/x,colour=red", "unexpected key 'colour' in 'colour=red'");
  bad("type=bind,target=/x,justaword", "invalid field 'justaword' must be a key=value pair");
  bad("type=bind,target=/x,,", "invalid field '' must be a key=value pair");
  bad("type=secret,from=x,id=y", "secret mount should not have a from");
  bad("type=secret", "one of source, target required");
  bad("type=secret,source=a,id=b", "both source and id can't be set");
  char big[PYOCI_RUN_MOUNT_MAX_SPEC + 32];
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  memcpy(big, "target=/", 8);
  bad(big, "longer than");
}

static void sizes(void)
{
  static const struct {
    const char *in;
    long long want;
  } cases[] = {{"4096", 4096},         {"1k", 1024},          {"1kb", 1024},         {"1KiB", 1024},
               {"1.5m", 3ll << 19},    {"2 g", 2ll << 30},    {"1t", 1ll << 40},     {"0", 0}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int64_t v = -1;
    ok(pyoci_mount_parse_size(cases[i].in, &v) == 0 && v == cases[i].want, "size %s = %lld (got %lld)", cases[i].in,
       cases[i].want, (long long)v);
  }
  static const char *const bads[] = {"", "m", "-1m", "1x", "1mm", "1.m", "1  m", "99999999999999999999t"};
  for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
    int64_t v = 0;
    ok(pyoci_mount_parse_size(bads[i], &v) < 0, "size '%s' is rejected", bads[i]);
  }
}

/* The Dockerfile parser keeps the values and reports errors at the line. */
static void dockerfile(void)
{
  const char *good_df = "FROM x\nRUN --mount=type=cache,target=/c --mount=type=secret,id=t true\n";
  pyoci_error_t *err = NULL;
  pyoci_dockerfile_t *df = pyoci_dockerfile_parse(good_df, strlen(good_df), "Dockerfile", &err);
  ok(df != NULL, "a RUN with two --mount flags parses");
  if (df) {
    is_int(df->instrs[1].n_mounts, 2, "both mounts are kept");
    is_str(df->instrs[1].mounts[1], "type=secret,id=t", "in order, as written");
    pyoci_df_instr_t *dup = pyoci_df_instr_dup(&df->instrs[1]);
    is_str(dup->mounts[0], "type=cache,target=/c", "instr_dup copies the mounts");
    pyoci_df_instr_free(dup);
    pyoci_dockerfile_free(df);
  }
  pyoci_error_free(err);
  err = NULL;
  const char *bad_df = "FROM x\nRUN true\nRUN --mount=type=ssh true\n";
  df = pyoci_dockerfile_parse(bad_df, strlen(bad_df), "Dockerfile", &err);
  ok(df == NULL && err && strcmp(err->msg, "Dockerfile:3: RUN --mount=type=ssh is not supported by pyoci (no ssh "
                                           "agent forwarding)") == 0,
     "type=ssh is refused at its line (got '%s')", err ? err->msg : "");
  pyoci_error_free(err);
  err = NULL;
  const char *ob = "FROM x\nONBUILD RUN --mount=type=bogus true\n";
  df = pyoci_dockerfile_parse(ob, strlen(ob), "Dockerfile", &err);
  ok(df == NULL && err && strstr(err->msg, "Dockerfile:2: RUN --mount=type=bogus: unsupported mount type"),
     "ONBUILD RUN --mount is checked too (got '%s')", err ? err->msg : "");
  pyoci_error_free(err);
}

int main(void)
{
  defaults();
  secrets();
  quoting();
  variables();
  errors();
  sizes();
  dockerfile();
  return done_testing();
}
