/* Dockerfile parser: directives, comments, continuations, heredocs, exec vs
 * shell form, flags of each instruction, and "Dockerfile:N: message" errors
 * (messages as BuildKit words them). */
#include <stdlib.h>
#include <string.h>

#include "lib/dockerfile/dockerfile.h"
#include "lib/util/cleanup.h"
#include "article.h"
#include "tap.h"

static pyoci_dockerfile_t *P(const char *text)
{
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_dockerfile_t *df = pyoci_dockerfile_parse(text, strlen(text), "Dockerfile", &err);
  if (df == NULL)
    printf("#   parse error: %s\n", err ? err->msg : "?");
  return df;
}

static void E(const char *text, const char *want, const char *what)
{
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_dockerfile_t *df = pyoci_dockerfile_parse(text, strlen(text), "Dockerfile", &err);
  is_str(err ? err->msg : "(parsed)", want, "error: %s", what);
  if (df)
    pyoci_dockerfile_free(df);
}

static const char *join(char *const *v, size_t n)
{
  static char buf[1024];
  buf[0] = 0;
  for (size_t i = 0; i < n; i++) {
    if (i)
      strcat(buf, "|");
    strncat(buf, v[i], sizeof(buf) - strlen(buf) - 2);
  }
  return buf;
}

static void test_article(void)
{
  cleanup_dockerfile pyoci_dockerfile_t *df = P(article_slim);
  ok(df != NULL, "article Dockerfile parses");
  if (!df)
    return;
  is_int(df->n_instrs, 10, "10 instructions");
  pyoci_df_instr_t *in = df->instrs;
  is_int(in[0].kind, PYOCI_DF_FROM, "FROM");
  is_str(in[0].image, "python:3.9", "base image");
  is_str(in[0].stage_name, "builder", "stage name");
  is_int(in[0].line, 2, "FROM on line 2");
  is_str(join(in[2].srcs, in[2].n_srcs), "app.py|requirements.txt", "COPY sources");
  is_str(in[2].dest, "./", "COPY dest");
  is_str(in[3].cmd[0], "pip install --user -r requirements.txt", "RUN shell form keeps the line");
  ok(!in[3].json, "RUN is shell form");
  is_int(in[4].kind, PYOCI_DF_FROM, "second FROM");
  is_int(in[4].line, 8, "second FROM on line 8");
  ok(in[4].stage_name == NULL, "unnamed stage");
  is_str(in[6].from, "builder", "COPY --from");
  is_str(in[8].kvs[0].key, "PATH", "ENV key");
  is_str(in[8].kvs[0].value, "/root/.local:$PATH", "ENV value unexpanded");
  ok(in[9].json, "CMD exec form");
  is_str(join(in[9].cmd, in[9].n_cmd), "python|./app.py", "CMD array");
  is_str(in[9].original, "CMD [\"python\", \"./app.py\"]", "original text kept");
}

static void test_directives(void)
{
  cleanup_dockerfile pyoci_dockerfile_t *a = P("# syntax=docker/dockerfile:1\n# ESCAPE = `\nFROM x\nRUN a `\n  b\n");
  ok(a && a->escape == '`', "escape directive, case-insensitive key");
  ok(a && a->syntax && strcmp(a->syntax, "docker/dockerfile:1") == 0, "syntax directive read");
  ok(a && a->n_instrs == 2 && strcmp(a->instrs[1].cmd[0], "a   b") == 0, "backtick continues lines");
  cleanup_dockerfile pyoci_dockerfile_t *b = P("\n# escape=`\nFROM x\nRUN a \\\n b\n");
  ok(b && b->escape == '\\', "directive after a blank line is a comment");
  ok(b && b->n_instrs == 2 && strcmp(b->instrs[1].cmd[0], "a  b") == 0, "backslash continuation still works");
  cleanup_dockerfile pyoci_dockerfile_t *c = P("# hello\n# escape=`\nFROM x\n");
  ok(c && c->escape == '\\', "directive after a comment is a comment");
  E("# escape=`\n# escape=\\\nFROM x\n", "Dockerfile:2: only one escape parser directive can be used",
    "repeated directive");
  E("# escape=x\nFROM x\n", "Dockerfile:1: invalid escape token 'x' does not match ` or \\", "bad escape");
  cleanup_dockerfile pyoci_dockerfile_t *d = P("\xEF\xBB\xBF# escape=`\nfrom x\n");
  ok(d && d->escape == '`', "BOM skipped before directives");
}

static void test_continuations(void)
{
  cleanup_dockerfile pyoci_dockerfile_t *df = P("FROM x\n"
                                                "RUN apt-get update && \\\n"
                                                "    # a comment inside\n"
                                                "\n"
                                                "    apt-get install -y curl\n"
                                                "  run echo \\\\\n"
                                                "LABEL a=b\n");
  ok(df != NULL, "continuations parse");
  if (!df)
    return;
  is_int(df->n_instrs, 4, "four instructions");
  is_str(df->instrs[1].cmd[0], "apt-get update &&     apt-get install -y curl",
         "comment and blank line inside a continuation are dropped");
  is_int(df->instrs[1].line, 2, "start line recorded");
  is_int(df->n_warnings, 1, "one warning");
  ok(df->n_warnings && strstr(df->warnings[0].msg, "Empty continuation line") && df->warnings[0].line == 2,
     "empty continuation warning at its instruction");
  is_str(df->instrs[2].cmd[0], "echo \\\\", "escaped escape at end is not a continuation");
  is_int(df->instrs[2].kind, PYOCI_DF_RUN, "lower-case keyword");
  is_int(df->instrs[3].line, 7, "line numbers count physical lines");
  cleanup_dockerfile pyoci_dockerfile_t *e = P("FROM x\nRUN a \\  \t\n b\nRUN c \\");
  ok(e && strcmp(e->instrs[1].cmd[0], "a  b") == 0, "spaces after the escape still continue");
  ok(e && e->n_instrs == 3 && strcmp(e->instrs[2].cmd[0], "c") == 0, "continuation at end of file");
}

static void test_heredocs(void)
{
  cleanup_dockerfile pyoci_dockerfile_t *df = P("FROM x\n"
                                                "RUN <<EOF\n"
                                                "echo $HOME\n"
                                                "EOF\n"
                                                "RUN <<-EOT bash\n"
                                                "\t\techo hi\n"
                                                "\tEOT\n"
                                                "COPY <<\"A\" <<B /dest/\n"
                                                "$x\n"
                                                "A\n"
                                                "b\n"
                                                "B\n"
                                                "RUN 3<<X cat /dev/fd/3\n"
                                                "x\n"
                                                "X\n"
                                                "RUN [\"echo\", \"<<EOF\"]\n"
                                                "CMD echo <<EOF\n");
  ok(df != NULL, "heredocs parse");
  if (!df)
    return;
  is_int(df->n_instrs, 7, "heredoc bodies are not instructions");
  pyoci_df_instr_t *r = &df->instrs[1];
  is_int(r->n_heredocs, 1, "one heredoc");
  is_str(r->heredocs[0].name, "EOF", "name");
  is_str(r->heredocs[0].content, "echo $HOME\n", "body with newline");
  ok(r->heredocs[0].expand && !r->heredocs[0].chomp, "unquoted: expand, no chomp");
  is_int(r->end_line, 4, "end line after the terminator");
  pyoci_df_instr_t *t = &df->instrs[2];
  ok(t->heredocs[0].chomp, "<<- chomps");
  is_str(t->heredocs[0].data, "echo hi\n", "tabs stripped from data");
  is_str(t->heredocs[0].content, "\t\techo hi\n", "content kept as written");
  pyoci_df_instr_t *c = &df->instrs[3];
  is_int(c->n_inlines, 2, "two inline sources");
  is_int(c->n_srcs, 0, "no path sources");
  is_str(c->inlines[0].path, "A", "quoted name unquoted");
  ok(!c->inlines[0].expand, "quoted delimiter disables expansion");
  is_str(c->inlines[0].data, "$x\n", "first body");
  ok(c->inlines[1].expand, "second heredoc expands");
  is_str(c->inlines[1].data, "b\n", "second body");
  is_str(c->dest, "/dest/", "dest after heredocs");
  is_int(df->instrs[4].heredocs[0].fd, 3, "file descriptor prefix");
  is_int(df->instrs[5].n_heredocs, 0, "no heredocs in exec form");
  is_int(df->instrs[6].n_heredocs, 0, "CMD takes no heredocs");
  E("FROM x\nRUN <<EOF\nnever ends\n", "Dockerfile:2: unterminated heredoc", "unterminated heredoc");
  E("FROM x\nCOPY a <<EOF\nx\nEOF\n", "Dockerfile:2: COPY cannot accept a heredoc as a destination",
    "heredoc as destination");

  /* the argv RUN gets */
  size_t argc = 0;
  char *script = NULL;
  char **argv = pyoci_df_run_argv(r, NULL, 0, &script, &argc);
  is_str(join(argv, argc), "/bin/sh|-c|echo $HOME\n", "lone heredoc runs its body in the shell");
  pyoci_strvfreep(&argv);
  argv = pyoci_df_run_argv(t, NULL, 0, &script, &argc);
  is_str(join(argv, argc), "/bin/sh|-c|<<-EOT bash\n\t\techo hi\nEOT",
         "other heredocs are re-assembled (body + name, as BuildKit)");
  pyoci_strvfreep(&argv);
  cleanup_dockerfile pyoci_dockerfile_t *sb = P("FROM x\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n");
  argv = sb ? pyoci_df_run_argv(&sb->instrs[1], NULL, 0, &script, &argc) : NULL;
  ok(argv && strcmp(argv[0], "/dev/pipes/EOF") == 0 && script && strncmp(script, "#!/usr", 6) == 0,
     "shebang heredoc runs as a script file");
  free(script);
  pyoci_strvfreep(&argv);
  char *sh[] = {"/bin/bash", "-eux", "-c"};
  argv = pyoci_df_run_argv(&df->instrs[5], sh, 3, &script, &argc);
  is_str(join(argv, argc), "echo|<<EOF", "exec form ignores SHELL");
  pyoci_strvfreep(&argv);
}

static void test_forms(void)
{
  cleanup_dockerfile pyoci_dockerfile_t *df = P("FROM x\n"
                                                "CMD [\"a\", \"b c\"]\n"
                                                "CMD [\"a\", 'b']\n"
                                                "ENTRYPOINT [\"x\"] trailing\n"
                                                "SHELL [\"/bin/bash\", \"-c\"]\n"
                                                "VOLUME [\"/data\", \"/logs\"]\n"
                                                "VOLUME /a  /b\n"
                                                "ENTRYPOINT []\n"
                                                "CMD [\"unterminated\"\n");
  ok(df != NULL, "forms parse");
  if (!df)
    return;
  ok(df->instrs[1].json && df->instrs[1].n_cmd == 2, "JSON array → exec form");
  ok(!df->instrs[2].json && strcmp(df->instrs[2].cmd[0], "[\"a\", 'b']") == 0, "invalid JSON → shell form");
  ok(df->instrs[3].json && df->instrs[3].n_cmd == 1, "text after the array is ignored (as Go's decoder)");
  is_str(join(df->instrs[4].cmd, df->instrs[4].n_cmd), "/bin/bash|-c", "SHELL");
  is_str(join(df->instrs[5].args, df->instrs[5].n_args), "/data|/logs", "VOLUME JSON");
  is_str(join(df->instrs[6].args, df->instrs[6].n_args), "/a|/b", "VOLUME list");
  ok(df->instrs[7].json && df->instrs[7].n_cmd == 0, "ENTRYPOINT [] is an empty exec form");
  ok(!df->instrs[8].json, "unterminated array is shell form");
  E("FROM x\nCMD [\"a\", 1]\n",
    "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only", "non-string array");
  E("FROM x\nSHELL /bin/sh -c\n", "Dockerfile:2: SHELL requires the arguments to be in JSON form", "SHELL not JSON");
}

static void test_kv(void)
{
  cleanup_dockerfile pyoci_dockerfile_t *df = P("FROM x\n"
                                                "ENV A=1 B=\"two words\" C=a\\ b\n"
                                                "ENV LEGACY some value here\n"
                                                "LABEL \"com.example.v\"=\"1.0\" other=x\n"
                                                "ARG V1 V2=def V3=\n"
                                                "MAINTAINER Jane <j@x.org>\n");
  ok(df != NULL, "kv parse");
  if (!df)
    return;
  pyoci_df_instr_t *e = &df->instrs[1];
  is_int(e->n_kvs, 3, "three ENV pairs");
  is_str(e->kvs[1].value, "\"two words\"", "quotes kept until expansion");
  is_str(e->kvs[2].value, "a\\ b", "escape kept until expansion");
  pyoci_df_instr_t *l = &df->instrs[2];
  ok(l->n_kvs == 1 && l->kvs[0].legacy && strcmp(l->kvs[0].value, "some value here") == 0, "legacy ENV k v");
  is_str(df->instrs[3].kvs[0].key, "\"com.example.v\"", "LABEL key as written");
  pyoci_df_instr_t *a = &df->instrs[4];
  ok(a->n_kvs == 3 && a->kvs[0].value == NULL && strcmp(a->kvs[1].value, "def") == 0 &&
         strcmp(a->kvs[2].value, "") == 0,
     "ARG name, name=default, name=");
  is_str(df->instrs[5].args[0], "Jane <j@x.org>", "MAINTAINER takes the rest");
  ok(df->n_warnings == 2, "warnings for legacy ENV and MAINTAINER");
  E("FROM x\nENV A=1 B\n", "Dockerfile:2: Syntax error - can't find = in \"B\". Must be of the form: name=value",
    "ENV pair without =");
  E("FROM x\nENV ONLYKEY\n", "Dockerfile:2: ENV must have two arguments", "legacy ENV without value");
  E("FROM x\nENV\n", "Dockerfile:2: ENV requires at least one argument", "empty ENV");
  E("FROM x\nARG =x\n", "Dockerfile:2: ARG names can not be blank", "blank ARG");
  E("FROM x\nLABEL =x\n", "Dockerfile:2: LABEL names can not be blank", "blank LABEL");
}

static void test_flags(void)
{
  cleanup_dockerfile pyoci_dockerfile_t *df =
      P("FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\n"
        "COPY --chown=app:app --chmod=0644 --link a b /dst\n"
        "ADD --checksum=sha256:abc --keep-git-dir=false https://x/y.tgz /\n"
        "COPY --from=0 --parents --exclude=\"*.tmp\" --exclude=x . .\n"
        "RUN --network=none echo hi\n"
        "HEALTHCHECK --interval=1m30s --timeout=5s --start-period=1s --start-interval=500ms --retries=3 CMD curl -f x\n"
        "HEALTHCHECK NONE\n"
        "HEALTHCHECK CMD [\"/bin/check\", \"-q\"]\n"
        "ONBUILD RUN make\n"
        "EXPOSE 8080 80/udp 443\n"
        "STOPSIGNAL SIGTERM\n"
        "USER app:app\n"
        "WORKDIR /srv/app dir\n");
  ok(df != NULL, "flags parse");
  if (!df)
    return;
  pyoci_df_instr_t *in = df->instrs;
  is_str(in[0].platform, "$BUILDPLATFORM", "FROM --platform");
  is_str(in[0].stage_name, "build", "stage name lower-cased");
  ok(strcmp(in[1].chown, "app:app") == 0 && strcmp(in[1].chmod, "0644") == 0 && in[1].link, "COPY flags");
  is_str(join(in[1].srcs, in[1].n_srcs), "a|b", "COPY sources after flags");
  ok(strcmp(in[2].checksum, "sha256:abc") == 0 && !in[2].keep_git_dir, "ADD flags");
  ok(strcmp(in[3].from, "0") == 0 && in[3].parents && in[3].n_excludes == 2 &&
         strcmp(in[3].excludes[0], "*.tmp") == 0,
     "COPY --from, --parents, repeated --exclude with quotes");
  is_str(in[4].network, "none", "RUN --network");
  pyoci_df_instr_t *h = &in[5];
  ok(h->hc_interval == 90000000000LL && h->hc_timeout == 5000000000LL && h->hc_start_period == 1000000000LL &&
         h->hc_start_interval == 500000000LL && h->hc_retries == 3,
     "HEALTHCHECK durations in ns and retries");
  is_str(join(h->hc_test, h->n_hc_test), "CMD-SHELL|curl -f x", "HEALTHCHECK shell form test");
  ok(in[6].hc_none && strcmp(in[6].hc_test[0], "NONE") == 0, "HEALTHCHECK NONE");
  is_str(join(in[7].hc_test, in[7].n_hc_test), "CMD|/bin/check|-q", "HEALTHCHECK exec form test");
  ok(in[8].onbuild && in[8].onbuild->kind == PYOCI_DF_RUN && strcmp(in[8].onbuild_expr, "RUN make") == 0,
     "ONBUILD trigger parsed and kept");
  is_str(join(in[9].args, in[9].n_args), "443|80/udp|8080", "EXPOSE ports (sorted as BuildKit does)");
  is_str(in[10].args[0], "SIGTERM", "STOPSIGNAL");
  is_str(in[11].args[0], "app:app", "USER");
  is_str(in[12].args[0], "/srv/app dir", "WORKDIR keeps spaces");

  E("FROM x\nRUN --mount=type=cache pip install x\n",
    "Dockerfile:2: RUN --mount=type=cache: mount type cache requires a target (target=/path)", "RUN --mount without target");
  E("FROM x\nCOPY --form=a b c\n", "Dockerfile:2: unknown flag: form", "misspelled flag");
  E("FROM x\nCOPY --chown a b\n", "Dockerfile:2: missing a value on flag: chown", "flag without value");
  E("FROM x\nCOPY --link=maybe a b\n", "Dockerfile:2: expecting boolean value for flag link, not: maybe",
    "bad boolean");
  E("FROM x\nCOPY --from=a --from=b c d\n", "Dockerfile:2: duplicate flag specified: from", "duplicate flag");
  E("FROM x\nENV --x=1 A=b\n", "Dockerfile:2: unknown flag: x", "ENV takes no flags");
  E("FROM x\nRUN --network=bridge true\n",
    "Dockerfile:2: unsupported network mode \"bridge\" (use default, none or host)", "bad network");
  E("FROM x\nHEALTHCHECK --interval=10us CMD x\n", "Dockerfile:2: Interval \"interval\" cannot be less than 1ms",
    "interval too short");
  E("FROM x\nHEALTHCHECK --timeout=5 CMD x\n", "Dockerfile:2: time: invalid duration \"5\"", "duration unit missing");
  E("FROM x\nHEALTHCHECK --retries=-1 CMD x\n", "Dockerfile:2: --retries cannot be negative (-1)", "negative retries");
  E("FROM x\nHEALTHCHECK NONE x\n", "Dockerfile:2: HEALTHCHECK NONE takes no arguments", "NONE with args");
  E("FROM x\nHEALTHCHECK TEST x\n", "Dockerfile:2: Unknown type \"TEST\" in HEALTHCHECK (try CMD)", "bad type");
  E("FROM x\nHEALTHCHECK CMD\n", "Dockerfile:2: Missing command after HEALTHCHECK CMD", "CMD missing");
}

static void test_errors(void)
{
  E("FROM x\n\n\nFOO bar\n", "Dockerfile:4: unknown instruction: FOO", "unknown instruction");
  E("FROM a b\n", "Dockerfile:1: FROM requires either one or three arguments", "FROM arity");
  E("FROM a AS 1x\n",
    "Dockerfile:1: invalid name for build stage: \"1x\", name can't start with a number or contain symbols",
    "bad stage name");
  E("FROM x\nCOPY onlyone\n",
    "Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be "
    "determined",
    "COPY without dest");
  E("FROM x\nWORKDIR\n", "Dockerfile:2: WORKDIR requires exactly one argument", "WORKDIR empty");
  E("FROM x\nEXPOSE\n", "Dockerfile:2: EXPOSE requires at least one argument", "EXPOSE empty");
  E("FROM x\nVOLUME [\"\"]\n", "Dockerfile:2: VOLUME specified can not be an empty string", "empty volume");
  E("FROM x\nONBUILD ONBUILD RUN x\n", "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
    "ONBUILD ONBUILD");
  E("FROM x\nONBUILD FROM y\n", "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger", "ONBUILD FROM");
  E("FROM x\nONBUILD NOPE y\n", "Dockerfile:2: unknown instruction: NOPE", "ONBUILD unknown trigger");
  E("FROM x\nRUN\n", "Dockerfile:2: RUN requires at least one argument", "empty RUN");
  E("# only a comment\n\n", "Dockerfile:2: file with no instructions", "no instructions");
  E("", "Dockerfile: the Dockerfile cannot be empty", "empty file");
  {
    cleanup_error pyoci_error_t *err = NULL;
    ok(pyoci_dockerfile_parse("FROM x\nRUN a\0b\n", 13, "Dockerfile", &err) == NULL && err &&
           strcmp(err->msg, "Dockerfile:2: NUL byte in Dockerfile") == 0,
       "NUL byte rejected with its line");
  }
  {
    cleanup_dockerfile pyoci_dockerfile_t *df = P("FROM x\nCOPY \"--exclude=a\" b\n");
    ok(df && df->instrs[1].n_excludes == 0 && df->instrs[1].n_srcs == 1, "a quoted word is not a flag");
  }
  {
    size_t n = PYOCI_DF_MAX_SIZE + 1;
    char *big = malloc(n + 1);
    memset(big, '#', n);
    big[n] = 0;
    cleanup_error pyoci_error_t *err = NULL;
    ok(pyoci_dockerfile_parse(big, n, "Dockerfile", &err) == NULL && err && strstr(err->msg, "over the Dockerfile limit"),
       "size limit");
    free(big);
  }
  {
    size_t n = PYOCI_DF_MAX_LINE + 10;
    char *big = malloc(n + 8);
    strcpy(big, "FROM x\nRUN ");
    memset(big + 11, 'a', n - 11);
    big[n] = 0;
    cleanup_error pyoci_error_t *err = NULL;
    ok(pyoci_dockerfile_parse(big, n, "Dockerfile", &err) == NULL && err &&
           strncmp(err->msg, "Dockerfile:2: dockerfile line greater than max allowed size", 59) == 0,
       "line length limit: %s", err ? err->msg : "");
    free(big);
  }
}

static void test_trigger(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_df_instr_t *t = pyoci_df_parse_trigger("COPY <<EOF /x\nhello\nEOF", "base:onbuild", 3, &err);
  ok(t && t->kind == PYOCI_DF_COPY && t->n_inlines == 1 && strcmp(t->inlines[0].data, "hello\n") == 0,
     "ONBUILD trigger with heredoc re-parsed");
  ok(t && t->line == 3, "trigger reports the FROM line");
  pyoci_df_instr_t *d = pyoci_df_instr_dup(t);
  ok(d && d != t && strcmp(d->inlines[0].path, "EOF") == 0, "instruction deep copy");
  pyoci_df_instr_free(d);
  pyoci_df_instr_free(t);
  int64_t ns = 0;
  ok(pyoci_df_parse_duration("1h2m3.5s", &ns) == 0 && ns == 3723500000000LL, "Go duration syntax");
  ok(pyoci_df_parse_duration("1.5", &ns) < 0, "missing unit rejected");
}

int main(void)
{
  test_article();
  test_directives();
  test_continuations();
  test_heredocs();
  test_forms();
  test_kv();
  test_flags();
  test_errors();
  test_trigger();
  return done_testing();
}
