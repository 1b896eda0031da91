/* Dockerfile checks: the checks table, results, and the entry points that
 * read a Dockerfile and run lint_rules.c over it. */
#include "lint.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/strbuf.h"
#include "dfview.h"
#include "lint_int.h"

static const pyoci_lint_check_t checks[] = {
    {"PYO001", PYOCI_SEV_HIGH, "Image runs as root",
     "The final stage sets no USER, or its last USER is root, so the application runs as root inside the "
     "container and a compromise of it owns the whole container. Create an unprivileged user and switch to it "
     "(RUN useradd -r app, then USER app) before CMD.",
     "DL3002", "DS002"},
    {"PYO002", PYOCI_SEV_MEDIUM, "Base image uses :latest or no tag",
     "A FROM without a tag means :latest, which moves: the same Dockerfile builds a different image tomorrow. "
     "Pin a version tag (python:3.11-slim) or a digest (@sha256:...).",
     "DL3006/DL3007", "DS001"},
    {"PYO003", PYOCI_SEV_LOW, "ADD used where COPY fits",
     "ADD also downloads URLs and unpacks archives; for plain local files and directories COPY says what it "
     "does and nothing more.",
     "DL3020", "DS005"},
    {"PYO004", PYOCI_SEV_HIGH, "Secret-looking ARG or ENV",
     "Build arguments and environment variables are recorded in the image (config and history), readable by "
     "anyone who can pull it. Pass secrets with RUN --mount=type=secret, or at run time.",
     NULL, NULL},
    {"PYO005", PYOCI_SEV_LOW, "apt-get install without -y",
     "Without -y apt-get asks for confirmation, which a build cannot give: the step fails or hangs.", "DL3014",
     "DS021"},
    {"PYO006", PYOCI_SEV_LOW, "apt-get install without --no-install-recommends",
     "Recommended packages are not needed to run, but they make the image bigger and add vulnerabilities to "
     "patch. Add --no-install-recommends.",
     "DL3015", "DS029"},
    {"PYO007", PYOCI_SEV_LOW, "apt lists not removed in the same RUN",
     "apt-get update downloads package lists to /var/lib/apt/lists; unless the same RUN removes them "
     "(rm -rf /var/lib/apt/lists/*), they stay in the layer for good.",
     "DL3009", NULL},
    {"PYO008", PYOCI_SEV_LOW, "pip install without --no-cache-dir",
     "pip keeps every downloaded wheel in ~/.cache/pip, which then ships in the layer. Add --no-cache-dir (or "
     "ENV PIP_NO_CACHE_DIR=1, or a cache mount).",
     "DL3042", NULL},
    {"PYO009", PYOCI_SEV_LOW, "No HEALTHCHECK",
     "Without a HEALTHCHECK, Docker cannot tell a hung application from a working one. Add one (or "
     "HEALTHCHECK NONE to say it is on purpose).",
     NULL, "DS026"},
    {"PYO010", PYOCI_SEV_MEDIUM, "SSH port 22 exposed",
     "Containers are debugged with docker exec or ephemeral containers (pyoci debug), not an SSH daemon; an "
     "exposed SSH port is attack surface.",
     NULL, "DS004"},
    {"PYO011", PYOCI_SEV_MEDIUM, "COPY --from names no earlier stage",
     "The --from value matches no earlier stage name or index and does not look like an image reference: "
     "most likely a typo, which Docker would try to pull as an image.",
     "DL3022", "DS006"},
    {"PYO012", PYOCI_SEV_MEDIUM, "RUN with a pipe but no pipefail",
     "A shell pipeline's status is its last command's: in 'curl ... | sh' a failed download still passes. Use "
     "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"] or start the RUN with set -o pipefail.",
     "DL4006", NULL},
};

const pyoci_lint_check_t *pyoci_lint_checks(size_t *count)
{
  *count = sizeof(checks) / sizeof(checks[0]);
  return checks;
}

const pyoci_lint_check_t *pyoci_lint_check_find(const char *id)
{
  for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
    if (strcasecmp(checks[i].id, id) == 0)
      return &checks[i];
  return NULL;
}

void pyoci_lint_add(pyoci_lint_result_t *out, const char *id, int line, const char *fmt, ...)
{
  const pyoci_lint_check_t *c = pyoci_lint_check_find(id);
  if (c == NULL)
    abort(); /* a typo in lint_rules.c */
  if (out->n == out->cap) {
    out->cap = out->cap ? out->cap * 2 : 16;
    out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
  }
  strbuf_t sb = STRBUF_INIT;
  va_list ap;
  va_start(ap, fmt);
  strbuf_vaddf(&sb, fmt, ap);
  va_end(ap);
  out->v[out->n++] = (pyoci_lint_finding_t){.check = c, .line = line, .message = strbuf_detach(&sb)};
}

static int cmp_finding(const void *a, const void *b)
{
  const pyoci_lint_finding_t *x = a, *y = b;
  if (x->line != y->line)
    return x->line < y->line ? -1 : 1;
  return strcmp(x->check->id, y->check->id);
}

int pyoci_lint_text(const char *name, const char *text, size_t len, pyoci_lint_result_t *out,
                    pyoci_error_t **err)
{
  lint_view_t view;
  if (pyoci_lint_view_parse(name, text, len, &view, err) < 0)
    return -1;
  size_t first = out->n;
  pyoci_lint_run_checks(&view, out);
  if (out->n > first)
    qsort(out->v + first, out->n - first, sizeof(*out->v), cmp_finding);
  pyoci_lint_view_release(&view);
  return 0;
}

int pyoci_lint_file(const char *path, pyoci_lint_result_t *out, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_read_file(path, LINT_MAX_DOCKERFILE, &buf, &len, err) < 0)
    return -1;
  return pyoci_lint_text(path, buf, len, out, err);
}

void pyoci_lint_result_release(pyoci_lint_result_t *r)
{
  for (size_t i = 0; i < r->n; i++)
    free(r->v[i].message);
  free(r->v);
  memset(r, 0, sizeof(*r));
}
