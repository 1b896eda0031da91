/* Dockerfile checks: each fires on a bad example at the right line and stays
 * quiet on a good one; the article's Dockerfiles give exactly PYO001, PYO008
 * and PYO009. */
#include <stdlib.h>
#include <string.h>

#include "lib/lint/lint.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"
#include "article.h"
#include "tap.h"

/* A tail that satisfies PYO001 and PYO009, for examples about other checks. */
#define OK_TAIL "USER app\nHEALTHCHECK NONE\n"

static int lint(const char *df, pyoci_lint_result_t *r)
{
  memset(r, 0, sizeof(*r));
  cleanup_error pyoci_error_t *err = NULL;
  int rc = pyoci_lint_text("Dockerfile", df, strlen(df), r, &err);
  if (rc < 0)
    printf("# lint error: %s\n", err->msg);
  return rc;
}

/* Lines (comma-separated, ascending) at which check id fired. */
static char *lines_of(const pyoci_lint_result_t *r, const char *id)
{
  strbuf_t sb = STRBUF_INIT;
  for (size_t i = 0; i < r->n; i++)
    if (strcmp(r->v[i].check->id, id) == 0)
      strbuf_addf(&sb, "%s%d", sb.len ? "," : "", r->v[i].line);
  return strbuf_detach(&sb);
}

static void expect(const char *desc, const char *df, const char *id, const char *lines)
{
  pyoci_lint_result_t r;
  if (lint(df, &r) < 0) {
    ok(0, "%s: Dockerfile parses (%s)", id, desc);
    return;
  }
  cleanup_free char *got = lines_of(&r, id);
  is_str(got, lines, "%s %s: %s", id, *lines ? "fires" : "quiet", desc);
  pyoci_lint_result_release(&r);
}

static void test_pyo001_user(void)
{
  expect("no USER", "FROM python:3.11-slim\nHEALTHCHECK NONE\nCMD [\"python\"]\n", "PYO001", "1");
  expect("last USER root", "FROM python:3.11-slim\nUSER app\nRUN true\nUSER root\nHEALTHCHECK NONE\n", "PYO001", "4");
  expect("USER 0:0", "FROM python:3.11-slim\nUSER 0:0\n", "PYO001", "2");
  expect("USER only in the builder stage",
         "FROM python:3.11 AS build\nUSER app\nRUN make\n\nFROM python:3.11-slim\nCOPY --from=build /a /a\n", "PYO001",
         "5");
  expect("USER app in the final stage", "FROM python:3.11-slim\nUSER app\n", "PYO001", "");
  expect("USER inherited from a base stage", "FROM python:3.11-slim AS base\nUSER app\nFROM base\nCMD x\n", "PYO001",
         "");
  expect("USER $UID (unknown, not guessed)", "FROM python:3.11-slim\nUSER $UID\n", "PYO001", "");
  expect("user named rootless", "FROM python:3.11-slim\nUSER rootless\n", "PYO001", "");
}

static void test_pyo002_tags(void)
{
  expect("no tag", "FROM python\n" OK_TAIL, "PYO002", "1");
  expect(":latest", "FROM python:latest\n" OK_TAIL, "PYO002", "1");
  expect("registry port is not a tag", "FROM localhost:5000/python\n" OK_TAIL, "PYO002", "1");
  expect("global ARG default resolved", "ARG BASE=python\nFROM ${BASE}\n" OK_TAIL, "PYO002", "2");
  expect("both stages", "FROM debian AS b\nRUN true\nFROM python:latest\n" OK_TAIL, "PYO002", "1,3");
  expect("pinned tag", "FROM python:3.11-slim\n" OK_TAIL, "PYO002", "");
  expect("registry port and tag", "FROM localhost:5000/python:3.11\n" OK_TAIL, "PYO002", "");
  expect("digest", "FROM python@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n" OK_TAIL,
         "PYO002", "");
  expect("scratch", "FROM scratch\n" OK_TAIL, "PYO002", "");
  expect("earlier stage name",
         "FROM python:3.11 AS Base\nRUN true\nFROM base\n" OK_TAIL, "PYO002", "");
  expect("ARG with a pinned default", "ARG V=3.11\nFROM python:$V\n" OK_TAIL, "PYO002", "");
  expect("ARG without default (unknown)", "ARG BASE\nFROM $BASE\n" OK_TAIL, "PYO002", "");
  expect("--platform flag", "FROM --platform=$BUILDPLATFORM python:3.11\n" OK_TAIL, "PYO002", "");
}

static void test_pyo003_add(void)
{
  expect("ADD of a local file", "FROM python:3.11\nADD app.py /app/\n" OK_TAIL, "PYO003", "2");
  expect("ADD of local files, JSON form", "FROM python:3.11\nADD [\"a.py\", \"b.py\", \"/app/\"]\n" OK_TAIL, "PYO003",
         "2");
  expect("ADD of a URL", "FROM python:3.11\nADD https://example.org/x.py /x.py\n" OK_TAIL, "PYO003", "");
  expect("ADD of an archive", "FROM scratch\nADD rootfs.tar.xz /\n" OK_TAIL, "PYO003", "");
  expect("COPY", "FROM python:3.11\nCOPY app.py /app/\n" OK_TAIL, "PYO003", "");
}

static void test_pyo004_secrets(void)
{
  expect("ARG GITHUB_TOKEN", "FROM python:3.11\nARG GITHUB_TOKEN\n" OK_TAIL, "PYO004", "2");
  expect("ENV DB_PASSWORD=...", "FROM python:3.11\nRUN true\nENV DB_PASSWORD=hunter2hunter2\n" OK_TAIL, "PYO004", "3");
  expect("legacy ENV API_KEY value", "FROM python:3.11\nENV API_KEY abc123\n" OK_TAIL, "PYO004", "2");
  expect("ARG AWS_SECRET_ACCESS_KEY with default", "ARG AWS_SECRET_ACCESS_KEY=x\nFROM python:3.11\n" OK_TAIL, "PYO004",
         "1");
  expect("two secrets in one ENV", "FROM python:3.11\nENV A=1 PRIVATE_KEY=x SECRET_KEY=y\n" OK_TAIL, "PYO004", "2,2");
  expect("ENV ..._FILE pointing at a secret file", "FROM python:3.11\nENV PASSWORD_FILE=/run/secrets/pw\n" OK_TAIL,
         "PYO004", "");
  expect("TOKENIZERS_PARALLELISM is not a token", "FROM python:3.11\nENV TOKENIZERS_PARALLELISM=false\n" OK_TAIL,
         "PYO004", "");
  expect("empty ENV value", "FROM python:3.11\nENV DB_PASSWORD=\n" OK_TAIL, "PYO004", "");
  expect("ordinary names", "FROM python:3.11\nENV PATH=/root/.local:$PATH KEYBOARD=us\nARG PIP_INDEX_URL\n" OK_TAIL,
         "PYO004", "");

  pyoci_lint_result_t r;
  lint("FROM python:3.11\nENV DB_PASSWORD=hunter2hunter2\n" OK_TAIL, &r);
  ok(r.n == 1 && strstr(r.v[0].message, "DB_PASSWORD") && !strstr(r.v[0].message, "hunter2"),
     "PYO004 message names the variable, not the value");
  pyoci_lint_result_release(&r);
}

static void test_apt(void)
{
  const char *bad = "FROM debian:12\nRUN apt-get update && apt-get install curl\n" OK_TAIL;
  expect("install without -y", bad, "PYO005", "2");
  expect("install without --no-install-recommends", bad, "PYO006", "2");
  expect("lists not removed", bad, "PYO007", "2");
  const char *good = "FROM debian:12\n"
                     "RUN apt-get update \\\n"
                     "    && apt-get install -y --no-install-recommends curl \\\n"
                     "    && rm -rf /var/lib/apt/lists/*\n" OK_TAIL;
  expect("the canonical form", good, "PYO005", "");
  expect("the canonical form", good, "PYO006", "");
  expect("the canonical form", good, "PYO007", "");
  expect("-qq implies -y", "FROM debian:12\nRUN apt-get -qq install x\n" OK_TAIL, "PYO005", "");
  expect("env prefix and -yq bundle", "FROM debian:12\nRUN DEBIAN_FRONTEND=noninteractive apt-get install -yq x\n" OK_TAIL,
         "PYO005", "");
  expect("-o option before the subcommand",
         "FROM debian:12\nRUN apt-get -o Dpkg::Options::=--force-confnew install x\n" OK_TAIL, "PYO005", "2");
  expect("Install-Recommends=false option",
         "FROM debian:12\nRUN apt-get -y -o APT::Install-Recommends=false install x\n" OK_TAIL, "PYO006", "");
  expect("update alone still leaves lists", "FROM debian:12\nRUN apt-get update\n" OK_TAIL, "PYO007", "2");
  expect("apt-get as an argument of echo", "FROM debian:12\nRUN echo apt-get install x\n" OK_TAIL, "PYO005", "");
  expect("one finding per RUN", "FROM debian:12\nRUN apt-get install a && apt-get install b\n" OK_TAIL, "PYO005", "2");
}

static void test_pip(void)
{
  expect("pip install", "FROM python:3.11\nRUN pip install flask\n" OK_TAIL, "PYO008", "2");
  expect("python3 -m pip install", "FROM python:3.11\nRUN python3 -m pip install -r r.txt\n" OK_TAIL, "PYO008", "2");
  expect("pip3.11 after cd", "FROM python:3.11\nRUN cd /app && /usr/local/bin/pip3.11 install .\n" OK_TAIL, "PYO008",
         "2");
  expect("--no-cache-dir", "FROM python:3.11\nRUN pip install --no-cache-dir flask\n" OK_TAIL, "PYO008", "");
  expect("--no-cache-dir before install", "FROM python:3.11\nRUN pip --no-cache-dir install flask\n" OK_TAIL, "PYO008",
         "");
  expect("ENV PIP_NO_CACHE_DIR", "FROM python:3.11\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n" OK_TAIL, "PYO008",
         "");
  expect("ENV PIP_NO_CACHE_DIR inherited from a stage",
         "FROM python:3.11 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask\n" OK_TAIL, "PYO008", "");
  expect("pip download", "FROM python:3.11\nRUN pip download flask\n" OK_TAIL, "PYO008", "");
}

static void test_healthcheck_expose(void)
{
  expect("no HEALTHCHECK", "FROM python:3.11\nUSER app\n", "PYO009", "1");
  expect("HEALTHCHECK only in the builder", "FROM python:3.11 AS b\nHEALTHCHECK NONE\nFROM python:3.11\nUSER app\n",
         "PYO009", "3");
  expect("HEALTHCHECK CMD", "FROM python:3.11\nHEALTHCHECK --interval=30s CMD curl -f http://localhost/\nUSER app\n",
         "PYO009", "");
  expect("HEALTHCHECK NONE", "FROM python:3.11\n" OK_TAIL, "PYO009", "");
  expect("EXPOSE 22/tcp", "FROM python:3.11\nEXPOSE 80 22/tcp\n" OK_TAIL, "PYO010", "2");
  expect("EXPOSE range with 22", "FROM python:3.11\nEXPOSE 20-25\n" OK_TAIL, "PYO010", "2");
  expect("EXPOSE 2222 and 8022", "FROM python:3.11\nEXPOSE 2222 8022 5000\n" OK_TAIL, "PYO010", "");
}

static void test_copy_from(void)
{
  expect("typo of a stage name", "FROM python:3.11 AS build\nRUN make\nFROM python:3.11-slim\nCOPY --from=biuld /a /a\n" OK_TAIL,
         "PYO011", "4");
  expect("a later stage", "FROM python:3.11 AS a\nCOPY --from=b /x /x\nFROM python:3.11 AS b\n" OK_TAIL, "PYO011", "2");
  expect("its own index", "FROM python:3.11\nFROM python:3.11\nCOPY --from=1 /x /x\n" OK_TAIL, "PYO011", "3");
  const char *good = "FROM python:3.11 AS Build\nRUN make\nFROM python:3.11-slim\n"
                     "COPY --from=build /a /a\nCOPY --from=0 /b /b\nCOPY --from=nginx:1.25 /c /c\n"
                     "COPY --from=ghcr.io/org/tool /d /d\nCOPY --from=busybox /bin/sh /sh\n" OK_TAIL;
  pyoci_lint_result_t r;
  lint(good, &r);
  cleanup_free char *got = lines_of(&r, "PYO011");
  /* "busybox" has no '/', ':' or '.': it could be an image, but it is
   * reported as a likely typo (documented). */
  is_str(got, "8", "PYO011: stage names (any case), indexes and image refs pass; a bare unknown name is reported");
  pyoci_lint_result_release(&r);
}

static void test_pipefail(void)
{
  expect("curl | sh", "FROM python:3.11\nRUN curl -s https://x | sh\n" OK_TAIL, "PYO012", "2");
  expect("set -o pipefail", "FROM python:3.11\nRUN set -o pipefail && curl -s https://x | sh\n" OK_TAIL, "PYO012", "");
  expect("set -euxo pipefail", "FROM python:3.11\nRUN set -euxo pipefail; a | b\n" OK_TAIL, "PYO012", "");
  expect("SHELL with pipefail",
         "FROM python:3.11\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN a | b\n" OK_TAIL, "PYO012", "");
  expect("SHELL reset by a new stage",
         "FROM python:3.11 AS a\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nFROM python:3.11\nRUN a | b\n" OK_TAIL,
         "PYO012", "4");
  expect("|| is not a pipe", "FROM python:3.11\nRUN a || b\n" OK_TAIL, "PYO012", "");
  expect("quoted |", "FROM python:3.11\nRUN echo \"a|b\" 'c|d'\n" OK_TAIL, "PYO012", "");
  expect("exec form", "FROM python:3.11\nRUN [\"sh\", \"-c\", \"a | b\"]\n" OK_TAIL, "PYO012", "");
}

static void test_syntax(void)
{
  const char *df = "# syntax=docker/dockerfile:1\n"
                   "FROM debian:12\n"
                   "\n"
                   "# install\n"
                   "RUN apt-get update \\\n"
                   "    # a comment inside the continuation\n"
                   "\n"
                   "    && apt-get install -y --no-install-recommends curl\n"
                   "EXPOSE 22\n"
                   "USER app\nHEALTHCHECK NONE\n";
  expect("continuation with comment and blank lines", df, "PYO007", "5");
  expect("instruction after a continuation", df, "PYO010", "9");

  const char *bt = "# escape=`\n"
                   "FROM debian:12\n"
                   "RUN apt-get update `\n"
                   "    && apt-get install -y --no-install-recommends x\n"
                   "EXPOSE 22\n" OK_TAIL;
  expect("escape=` directive", bt, "PYO007", "3");
  expect("escape=` directive", bt, "PYO010", "5");

  const char *hd = "FROM debian:12\n"
                   "RUN <<EOF\n"
                   "apt-get update\n"
                   "apt-get install -y --no-install-recommends curl\n"
                   "EOF\n"
                   "EXPOSE 22\n" OK_TAIL;
  expect("heredoc body is checked", hd, "PYO007", "2");
  expect("heredoc body does not become instructions", hd, "PYO010", "6");
  expect("lowercase instructions", "from python\nuser app\nhealthcheck none\n", "PYO002", "1");
  expect("CRLF line endings", "FROM python:3.11\r\nRUN pip install x\r\nUSER app\r\nHEALTHCHECK NONE\r\n", "PYO008", "2");

  pyoci_lint_result_t r = PYOCI_LINT_RESULT_INIT;
  cleanup_error pyoci_error_t *err = NULL;
  ok(pyoci_lint_text("empty/Dockerfile", "", 0, &r, &err) < 0 && strstr(err->msg, "empty/Dockerfile"),
     "empty Dockerfile rejected, naming the file (%s)", err ? err->msg : "");
  pyoci_error_release(&err);
  /* RUN --mount parses (pyoci build runs it): cache mounts of apt lists and
   * pip's cache exempt PYO007/PYO008, a bad mount is the parser's error. */
  expect("apt lists on a cache mount", "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt apt-get update\n" OK_TAIL,
         "PYO007", "");
  expect("pip cache mount", "FROM python:3.11\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n" OK_TAIL,
         "PYO008", "");
  expect("another mount is no pip cache", "FROM python:3.11\nRUN --mount=type=tmpfs,target=/tmp pip install flask\n" OK_TAIL,
         "PYO008", "2");
  const char *mount = "FROM debian:12\nRUN --mount=type=ssh apt-get update\n";
  ok(pyoci_lint_text("m/Dockerfile", mount, strlen(mount), &r, &err) < 0 && strstr(err->msg, "m/Dockerfile:2:") && strstr(err->msg, "--mount"),
     "RUN --mount=type=ssh: the parser's error, with file and line (%s)", err ? err->msg : "");
  pyoci_error_release(&err);
  ok(pyoci_lint_text("bad/Dockerfile", "FROM x\0y", 8, &r, &err) < 0 && strstr(err->msg, "bad/Dockerfile"),
     "NUL byte rejected, naming the file (%s)", err ? err->msg : "");
  pyoci_error_release(&err);
  ok(pyoci_lint_file("/nonexistent/Dockerfile", &r, &err) < 0 && strstr(err->msg, "/nonexistent/Dockerfile"),
     "missing file: error names it (%s)", err ? err->msg : "");
}

static void test_article(void)
{
  pyoci_lint_result_t r;
  lint(article_slim, &r);
  strbuf_t sb = STRBUF_INIT;
  for (size_t i = 0; i < r.n; i++)
    strbuf_addf(&sb, "%s%s@%d", i ? " " : "", r.v[i].check->id, r.v[i].line);
  is_str(strbuf_str(&sb), "PYO008@5 PYO001@8 PYO009@8", "article Dockerfile: no USER, no HEALTHCHECK, pip cache");
  strbuf_release(&sb);
  pyoci_lint_result_release(&r);
}

static void test_table(void)
{
  size_t n;
  const pyoci_lint_check_t *c = pyoci_lint_checks(&n);
  is_int(n, 12, "twelve checks");
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    char want[32];
    snprintf(want, sizeof(want), "PYO%03zu", i + 1);
    bad += strcmp(c[i].id, want) != 0 || c[i].severity == PYOCI_SEV_UNKNOWN || !c[i].title || !c[i].description;
  }
  is_int(bad, 0, "IDs in order, each with severity, title, description");
  ok(pyoci_lint_check_find("pyo012") == &c[11], "find is case-insensitive");
}

int main(void)
{
  test_table();
  test_pyo001_user();
  test_pyo002_tags();
  test_pyo003_add();
  test_pyo004_secrets();
  test_apt();
  test_pip();
  test_healthcheck_expose();
  test_copy_from();
  test_pipefail();
  test_syntax();
  test_article();
  return done_testing();
}
