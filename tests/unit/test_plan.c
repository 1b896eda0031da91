/* Stage planning and per-stage state: global ARGs, re-import, --target,
 * skipped stages, COPY --from chains, build args, and the image config the
 * metadata instructions produce (Docker field names and formats). */
#include <stdlib.h>
#include <string.h>

#include "lib/dockerfile/imgconfig.h"
#include "lib/dockerfile/plan.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "tap.h"

static pyoci_dockerfile_t *parse(const char *text)
{
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_dockerfile_t *df = pyoci_dockerfile_parse(text, strlen(text), "Dockerfile", &err);
  if (df == NULL)
    printf("#   parse error: %s\n", err ? err->msg : "?");
  return df;
}

static pyoci_plan_t *plan(const pyoci_dockerfile_t *df, const char *target, const char *const *args, size_t n)
{
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_plan_opts_t o = {.target = target, .build_args = args, .n_build_args = n};
  pyoci_plan_t *p = df ? pyoci_plan_new(df, &o, &err) : NULL;
  if (p == NULL)
    printf("#   plan error: %s\n", err ? err->msg : "?");
  return p;
}

static void plan_err(const char *text, const char *target, const char *want)
{
  cleanup_dockerfile pyoci_dockerfile_t *df = parse(text);
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_plan_opts_t o = {.target = target};
  pyoci_plan_t *p = df ? pyoci_plan_new(df, &o, &err) : NULL;
  is_str(err ? err->msg : "(planned)", want, "plan error: %s", want);
  pyoci_plan_free(p);
}

static const char *order(const pyoci_plan_t *p)
{
  static char buf[256];
  buf[0] = 0;
  for (size_t i = 0; p && i < p->n_order; i++) {
    char lbl[32];
    if (i)
      strcat(buf, ",");
    strcat(buf, pyoci_stage_label(&p->stages[p->order[i]], lbl));
  }
  return buf;
}

/* Run the metadata instructions of a stage (RUN/COPY are skipped). */
static int run_stage(pyoci_stage_state_t *st, pyoci_error_t **err)
{
  for (size_t i = 0; i < st->stage->n_instrs; i++)
    if (pyoci_stage_state_apply(st, &st->stage->instrs[i], err) < 0)
      return -1;
  return 0;
}

static json_t *cfg_get(json_t *image, const char *key)
{
  return json_object_get(json_object_get(image, "config"), key);
}

static const char *cfg_str(json_t *image, const char *key)
{
  static char *last;
  free(last);
  json_t *v = json_object_get(json_object_get(image, "config"), key);
  last = v ? pyoci_json_dump_canonical(v) : strdup("null"); /* "null": the key is absent */
  return last;
}

static void test_global_args(void)
{
  cleanup_dockerfile pyoci_dockerfile_t *df = parse("ARG PY=3.11\n"
                                                    "ARG BASE=python:${PY}-slim\n"
                                                    "FROM $BASE AS base\n"
                                                    "RUN echo $PY\n"
                                                    "ARG PY\n"
                                                    "FROM --platform=$BUILDPLATFORM ${BASE} AS other\n");
  cleanup_plan pyoci_plan_t *p = plan(df, NULL, NULL, 0);
  ok(p != NULL, "plan with global ARGs");
  if (!p)
    return;
  is_str(p->stages[0].base, "python:3.11-slim", "global ARG (using an earlier one) expands in FROM");
  is_str(p->stages[1].platform, p->build_platform, "BUILDPLATFORM usable in FROM without declaration");
  const char *args[] = {"PY=3.12", "UNUSED=1", "HTTP_PROXY=http://p:3128"};
  cleanup_plan pyoci_plan_t *q = plan(df, "base", args, 3);
  is_str(q ? q->stages[0].base : NULL, "python:3.12-slim", "--build-arg overrides a global ARG");
  is_str(order(q), "base", "--target base builds only base");
  cleanup_free char *w = q ? pyoci_plan_unused_warning(q) : NULL;
  is_str(w, "[Warning] One or more build-args [UNUSED] were not consumed", "unused build arg warning (proxy is fine)");

  cleanup_error pyoci_error_t *err = NULL;
  pyoci_stage_state_t st;
  ok(pyoci_stage_state_init(&st, p, 0, NULL, &err) == 0, "stage state from scratch");
  cleanup_env pyoci_env_t env = PYOCI_ENV_INIT;
  pyoci_stage_state_env(&st, &env);
  ok(pyoci_env_get(&env, "PY") == NULL, "global ARG not visible in the stage before ARG");
  run_stage(&st, &err);
  pyoci_stage_state_env(&st, &env);
  is_str(pyoci_env_get(&env, "PY"), "3.11", "bare ARG re-imports the global value");
  is_str(pyoci_env_get(&env, "PATH"), PYOCI_DEFAULT_PATH, "PATH always set");
  pyoci_stage_state_release(&st);

  pyoci_stage_state_t s2;
  ok(q && pyoci_stage_state_init(&s2, q, 0, NULL, &err) == 0, "stage with build args");
  if (q) {
    run_stage(&s2, &err);
    cleanup_env pyoci_env_t e2 = PYOCI_ENV_INIT;
    pyoci_stage_state_env(&s2, &e2);
    is_str(pyoci_env_get(&e2, "PY"), "3.12", "re-import sees the build arg");
    ok(pyoci_env_get(&e2, "HTTP_PROXY") == NULL, "proxy arg not in the expansion environment");
    pyoci_stage_state_run_env(&s2, &e2);
    is_str(pyoci_env_get(&e2, "HTTP_PROXY"), "http://p:3128", "proxy arg reaches RUN without ARG");
    pyoci_stage_state_release(&s2);
  }
}

static void test_stages(void)
{
  cleanup_dockerfile pyoci_dockerfile_t *df = parse("FROM alpine AS deps\n"
                                                    "RUN make deps\n"
                                                    "FROM alpine AS unused\n"
                                                    "RUN sleep 100\n"
                                                    "FROM golang AS Build\n"
                                                    "COPY --from=deps /deps /deps\n"
                                                    "FROM build AS test\n"
                                                    "RUN go test\n"
                                                    "FROM scratch\n"
                                                    "COPY --from=BUILD /out /\n"
                                                    "COPY --from=python:3.12 /usr/bin/python3 /\n"
                                                    "COPY --from=0 /x /x\n");
  cleanup_plan pyoci_plan_t *p = plan(df, NULL, NULL, 0);
  ok(p != NULL, "multi-stage plan");
  if (!p)
    return;
  is_int(p->n_stages, 5, "five stages");
  is_str(order(p), "deps,build,stage-4", "unused stage and test stage skipped, deps first");
  is_int(p->stages[4].copy_stage[0], 2, "COPY --from=BUILD (case-insensitive) names stage 2");
  is_int(p->stages[4].copy_stage[1], -1, "COPY --from=python:3.12 is an image");
  is_int(p->stages[4].copy_stage[2], 0, "COPY --from=0 is the first stage");
  is_int(p->stages[3].base_stage, 2, "FROM build builds on the stage");
  is_int(p->stages[0].base_stage, -1, "FROM alpine is an image");
  cleanup_plan pyoci_plan_t *t = plan(df, "TEST", NULL, 0);
  is_str(order(t), "deps,build,test", "--target test: through FROM and COPY --from");
  ok(t && t->target == 3, "target index");
  plan_err("FROM a AS one\nFROM b\n", "nope", "Dockerfile: target stage \"nope\" could not be found (named stages: one)");
  plan_err("FROM a\nCOPY --from=later /x /x\nFROM b AS later\n",
           NULL, "Dockerfile:2: cannot copy from stage \"later\", it needs to be defined before current stage \"stage-0\"");
  plan_err("FROM a\nCOPY --from=7 /x /x\n", NULL, "Dockerfile:2: invalid stage index 7");
  plan_err("FROM a\nCOPY --from=$X /x /x\n", NULL,
           "Dockerfile:2: variable expansion is not supported for --from, define a new stage with FROM using ARG "
           "from global scope as a workaround");
  plan_err("RUN x\nFROM a\n", NULL, "Dockerfile:1: no build stage in current context");
  plan_err("ARG X=1\n", NULL, "Dockerfile: dockerfile contains no stages to build");
  plan_err("ARG B\nFROM $B\n", NULL, "Dockerfile:2: base name ($B) should not be blank");
  plan_err("FROM a AS x\nFROM b AS x\n", NULL, "Dockerfile:2: duplicate stage name \"x\"");
  plan_err("FROM a\nCOPY --from=a /x /x\n", NULL, "(planned)"); /* "a" is an image here */
}

static void test_args_env(void)
{
  cleanup_dockerfile pyoci_dockerfile_t *df = parse("FROM scratch\n"
                                                    "ARG A=1 B\n"
                                                    "ARG TARGETARCH SOURCE_DATE_EPOCH\n"
                                                    "ENV A=2 C=$A\n"
                                                    "ARG A=3\n"
                                                    "ENV D=${B:-none} E=\"$A x\" F='$A'\n"
                                                    "ENV C=replaced\n");
  const char *args[] = {"B=from-cli", "NOTDECLARED=x"};
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_plan_opts_t o = {.build_args = args, .n_build_args = 2, .source_date_epoch = "1700000000"};
  cleanup_plan pyoci_plan_t *p = df ? pyoci_plan_new(df, &o, &err) : NULL;
  ok(p != NULL, "plan");
  if (!p)
    return;
  is_str(p->source_date_epoch, "1700000000", "SOURCE_DATE_EPOCH from the environment");
  pyoci_stage_state_t st;
  pyoci_stage_state_init(&st, p, 0, NULL, &err);
  ok(run_stage(&st, &err) == 0, "stage runs: %s", err ? err->msg : "");
  cleanup_env pyoci_env_t env = PYOCI_ENV_INIT;
  pyoci_stage_state_env(&st, &env);
  is_str(pyoci_env_get(&env, "C"), "replaced", "ENV replaces");
  is_str(pyoci_env_get(&env, "A"), "2", "ENV overrides a later ARG of the same name");
  is_str(pyoci_env_get(&env, "D"), "from-cli", "build arg overrides declared ARG");
  is_str(pyoci_env_get(&env, "E"), "2 x", "double quotes expand");
  is_str(pyoci_env_get(&env, "F"), "$A", "single quotes do not");
  const char *arch, *os, *variant;
  pyoci_host_platform(&os, &arch, &variant);
  is_str(pyoci_env_get(&env, "TARGETARCH"), arch, "declared TARGETARCH has the platform's value");
  is_str(pyoci_env_get(&env, "SOURCE_DATE_EPOCH"), "1700000000", "declared SOURCE_DATE_EPOCH has the value");
  is_str(cfg_str(st.image, "Env"),
         "[\"PATH=" PYOCI_DEFAULT_PATH "\",\"A=2\",\"C=replaced\",\"D=from-cli\",\"E=2 x\",\"F=$A\"]",
         "config Env keeps order and replaces in place");
  cleanup_free char *w = pyoci_plan_unused_warning(p);
  is_str(w, "[Warning] One or more build-args [NOTDECLARED] were not consumed", "undeclared build arg reported");
  pyoci_stage_state_release(&st);

  /* ENV a=1 b=$a sees the old a */
  cleanup_dockerfile pyoci_dockerfile_t *d2 = parse("FROM scratch\nENV a=old\nENV a=new b=$a c=${a}2\n");
  cleanup_plan pyoci_plan_t *p2 = plan(d2, NULL, NULL, 0);
  pyoci_stage_state_init(&st, p2, 0, NULL, &err);
  run_stage(&st, &err);
  pyoci_stage_state_env(&st, &env);
  is_str(pyoci_env_get(&env, "b"), "old", "same-line ENV uses the value from before the instruction");
  is_str(pyoci_env_get(&env, "c"), "old2", "braced too");
  pyoci_stage_state_release(&st);
}

static void test_config(void)
{
  cleanup_dockerfile pyoci_dockerfile_t *df = parse("FROM base\n"
                                                    "ENV PORT=8000 APP=/srv\n"
                                                    "LABEL org.opencontainers.image.title=\"my app\" v=1\n"
                                                    "EXPOSE $PORT 53/UDP 9000-9001\n"
                                                    "USER 1000:1000\n"
                                                    "WORKDIR app\n"
                                                    "WORKDIR ../lib/./x/\n"
                                                    "VOLUME $APP/data [\"/not-json-here\"]\n"
                                                    "STOPSIGNAL SIGINT\n"
                                                    "HEALTHCHECK --interval=30s --retries=2 CMD curl -f http://localhost/\n"
                                                    "ONBUILD COPY . /src\n"
                                                    "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\n"
                                                    "MAINTAINER me@example.org\n"
                                                    "ENTRYPOINT python -m app\n");
  cleanup_plan pyoci_plan_t *p = plan(df, NULL, NULL, 0);
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_json json_t *base = json_pack("{s:s, s:{s:[s], s:[s,s], s:s, s:[s]}}", "os", "linux", "config", "Env",
                                        "PATH=/usr/bin", "Cmd", "python3", "-V", "WorkingDir", "/opt", "OnBuild",
                                        "RUN echo from base");
  pyoci_stage_state_t st;
  ok(p && pyoci_stage_state_init(&st, p, 0, base, &err) == 0, "state from a base image config");
  if (!p)
    return;
  is_int(st.n_triggers, 1, "base ONBUILD becomes a trigger");
  ok(st.n_triggers && st.triggers[0]->kind == PYOCI_DF_RUN, "trigger parsed");
  ok(run_stage(&st, &err) == 0, "config instructions apply: %s", err ? err->msg : "");
  is_str(cfg_str(st.image, "Labels"), "{\"org.opencontainers.image.title\":\"my app\",\"v\":\"1\"}", "Labels");
  is_str(cfg_str(st.image, "ExposedPorts"), "{\"53/udp\":{},\"8000/tcp\":{},\"9000/tcp\":{},\"9001/tcp\":{}}",
         "ExposedPorts: default tcp, proto lower-cased, range expanded, $PORT expanded");
  is_str(cfg_str(st.image, "User"), "\"1000:1000\"", "User");
  is_str(cfg_str(st.image, "WorkingDir"), "\"/opt/lib/x\"", "WorkingDir relative to the previous, cleaned");
  is_str(cfg_str(st.image, "Volumes"), "{\"/srv/data\":{},\"[/not-json-here]\":{}}",
         "Volumes: a space list, each word expanded (quotes removed)");
  is_str(cfg_str(st.image, "StopSignal"), "\"SIGINT\"", "StopSignal");
  is_str(cfg_str(st.image, "Healthcheck"),
         "{\"Interval\":30000000000,\"Retries\":2,\"Test\":[\"CMD-SHELL\",\"curl -f http://localhost/\"]}",
         "Healthcheck in ns, zero fields omitted");
  is_str(cfg_str(st.image, "OnBuild"), "[\"COPY . /src\"]", "OnBuild has this stage's trigger only");
  is_str(cfg_str(st.image, "Shell"), "[\"/bin/bash\",\"-o\",\"pipefail\",\"-c\"]", "Shell");
  is_str(cfg_str(st.image, "Entrypoint"), "[\"/bin/bash\",\"-o\",\"pipefail\",\"-c\",\"python -m app\"]",
         "shell-form ENTRYPOINT uses the current SHELL");
  is_str(cfg_str(st.image, "Cmd"), "null", "ENTRYPOINT drops the base image's Cmd");
  is_str(json_string_value(json_object_get(st.image, "author")), "me@example.org", "MAINTAINER sets author");
  pyoci_stage_state_release(&st);

  /* a CMD earlier in the same stage survives ENTRYPOINT */
  cleanup_dockerfile pyoci_dockerfile_t *d2 = parse("FROM base\nCMD [\"--help\"]\nENTRYPOINT [\"app\"]\n"
                                                    "FROM base\nCMD serve\nENTRYPOINT []\n");
  cleanup_plan pyoci_plan_t *p2 = plan(d2, NULL, NULL, 0);
  pyoci_stage_state_init(&st, p2, 0, base, &err);
  run_stage(&st, &err);
  is_str(cfg_str(st.image, "Cmd"), "[\"--help\"]", "CMD set in this stage is kept");
  is_str(cfg_str(st.image, "Entrypoint"), "[\"app\"]", "exec-form ENTRYPOINT");
  ok(json_is_true(json_object_get(json_object_get(st.image, "config"), "ArgsEscaped")), "CMD sets ArgsEscaped");
  pyoci_stage_state_release(&st);
  pyoci_stage_state_init(&st, p2, 1, base, &err);
  run_stage(&st, &err);
  is_str(cfg_str(st.image, "Cmd"), "[\"/bin/sh\",\"-c\",\"serve\"]", "shell-form CMD with the default shell");
  is_str(cfg_str(st.image, "Entrypoint"), "null", "ENTRYPOINT [] removes the entrypoint");
  pyoci_stage_state_release(&st);

  /* errors carry the line */
  cleanup_dockerfile pyoci_dockerfile_t *d3 = parse("FROM scratch\nSTOPSIGNAL SIGNOPE\nEXPOSE 80/xtp\n");
  cleanup_plan pyoci_plan_t *p3 = plan(d3, NULL, NULL, 0);
  pyoci_stage_state_init(&st, p3, 0, NULL, &err);
  ok(pyoci_stage_state_apply(&st, &p3->stages[0].instrs[0], &err) < 0 && err &&
         strcmp(err->msg, "Dockerfile:2: invalid signal: SIGNOPE") == 0,
     "bad STOPSIGNAL: %s", err ? err->msg : "");
  pyoci_error_release(&err);
  ok(pyoci_stage_state_apply(&st, &p3->stages[0].instrs[1], &err) < 0 && err &&
         strcmp(err->msg, "Dockerfile:3: invalid proto: xtp") == 0,
     "bad EXPOSE protocol: %s", err ? err->msg : "");
  pyoci_error_release(&err);
  const json_t *scratch_cfg = json_object_get(st.image, "config");
  is_str(json_string_value(json_object_get(scratch_cfg, "WorkingDir")), "/", "scratch starts in /");
  pyoci_stage_state_release(&st);
}

static void test_expand_copy(void)
{
  cleanup_dockerfile pyoci_dockerfile_t *df = parse("FROM scratch\n"
                                                    "ARG V=1.0 U=app\n"
                                                    "COPY --chown=$U:$U --chmod=0${M:-644} dist/app-$V.whl /w/\n"
                                                    "COPY <<EOF <<'RAW' /etc/\n"
                                                    "version=$V\n"
                                                    "EOF\n"
                                                    "version=$V\n"
                                                    "RAW\n"
                                                    "RUN echo $V\n");
  cleanup_plan pyoci_plan_t *p = plan(df, NULL, NULL, 0);
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_stage_state_t st;
  if (!p || pyoci_stage_state_init(&st, p, 0, NULL, &err) < 0) {
    ok(0, "state");
    return;
  }
  const pyoci_df_instr_t *in = p->stages[0].instrs;
  is_int(pyoci_stage_state_apply(&st, &in[0], &err), 1, "ARG handled by apply");
  is_int(pyoci_stage_state_apply(&st, &in[1], &err), 0, "COPY left to the executor");
  pyoci_df_instr_t *c = pyoci_stage_state_expand(&st, &in[1], &err);
  ok(c && strcmp(c->chown, "app:app") == 0 && strcmp(c->chmod, "0644") == 0 &&
         strcmp(c->srcs[0], "dist/app-1.0.whl") == 0 && strcmp(c->dest, "/w/") == 0,
     "COPY sources, dest and flags expanded");
  pyoci_df_instr_free(c);
  c = pyoci_stage_state_expand(&st, &in[2], &err);
  ok(c && strcmp(c->inlines[0].data, "version=1.0\n") == 0 && strcmp(c->inlines[1].data, "version=$V\n") == 0,
     "heredoc bodies expand unless the delimiter is quoted");
  pyoci_df_instr_free(c);
  c = pyoci_stage_state_expand(&st, &in[3], &err);
  is_str(c ? c->cmd[0] : NULL, "echo $V", "RUN is left to the shell");
  pyoci_df_instr_free(c);
  pyoci_stage_state_release(&st);
}

/* The state keeps its lookup set (st.vars) and the config's Env index up
 * to date per instruction instead of rebuilding them (issue 9 item 4): what
 * expansion sees must stay what a rebuild gives -- ARGs overridden by the
 * config's Env -- and Env keeps its order, replaced in place. */
static void test_env_incremental(void)
{
  strbuf_t text = STRBUF_INIT;
  strbuf_addstr(&text, "FROM base\nARG A=arg\nENV B=$A-b\nARG B=argb\nENV C=${B}\nARG D\nENV E=x$D\n"
                       "ENV F=1 G=$F\nARG HOME=/argh\nENV PATH=/p:$PATH\n");
  for (int i = 0; i < 20; i++)
    strbuf_addf(&text, "ENV K%d=${A}%d\nARG Q%d=q%d\n", i, i, i, i);
  strbuf_addstr(&text, "ENV K3=again E=$K19$Q19$HOME\nLABEL l=$A|$B|$C|$E|$G|$PATH|$K3|$Q0|$HOME\n");
  cleanup_dockerfile pyoci_dockerfile_t *df = parse(strbuf_str(&text));
  strbuf_release(&text);
  cleanup_plan pyoci_plan_t *p = plan(df, NULL, NULL, 0);
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_json json_t *base =
      json_pack("{s:s, s:{s:[s,s,s]}}", "os", "linux", "config", "Env", "PATH=/usr/bin", "HOME=/root", "BARE");
  pyoci_stage_state_t st;
  if (!p || pyoci_stage_state_init(&st, p, 0, base, &err) < 0) {
    ok(0, "state");
    return;
  }
  ok(run_stage(&st, &err) == 0, "ENV/ARG lines apply: %s", err ? err->msg : "");
  is_str(json_string_value(json_object_get(cfg_get(st.image, "Labels"), "l")),
         "arg|arg-b|arg-b|arg19q19/root||/p:/usr/bin|again|q0|/root",
         "expansion sees ARGs, the config's Env over them, each ENV line the state before it");
  json_t *env = cfg_get(st.image, "Env");
  is_str(json_string_value(json_array_get(env, 0)), "PATH=/p:/usr/bin", "ENV replaces in place (first)");
  is_str(json_string_value(json_array_get(env, 2)), "BARE", "a bare base entry is kept");
  is_str(json_string_value(json_array_get(env, 3)), "B=arg-b", "new keys are appended in order");
  is_int(json_array_size(env), 3 + 5 + 20, "one element per key");
  is_str(json_string_value(json_array_get(env, 8 + 3)), "K3=again", "K3 replaced where it was");
  cleanup_env pyoci_env_t full = PYOCI_ENV_INIT;
  pyoci_stage_state_env(&st, &full);
  bool same = full.n == st.vars.n;
  for (size_t i = 0; same && i < full.n; i++) {
    size_t kl = strcspn(full.kv[i], "=");
    char *key = strndup(full.kv[i], kl);
    const char *v = pyoci_env_get(&st.vars, key);
    same = v != NULL && strcmp(v, full.kv[i] + kl + 1) == 0;
    if (!same)
      printf("#   %s: kept %s, rebuilt %s\n", key, v ? v : "(none)", full.kv[i] + kl + 1);
    free(key);
  }
  ok(same, "the kept lookup set equals a rebuild (%zu variables)", full.n);
  pyoci_stage_state_release(&st);
}

int main(void)
{
  test_global_args();
  test_stages();
  test_args_env();
  test_config();
  test_expand_copy();
  test_env_incremental();
  return done_testing();
}
