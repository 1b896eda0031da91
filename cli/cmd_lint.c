/* pyoci lint: check a Dockerfile (hadolint/trivy config style) and report as
 * a table, JSON or SARIF. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/lint/lint.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/outfile.h"
#include "lib/util/utf8.h"
#include "cli.h"

static const char usage_text[] =
    "Usage: pyoci lint [OPTIONS] [DOCKERFILE]\n"
    "\n"
    "Check a Dockerfile for common mistakes: running as root, unpinned base images,\n"
    "secrets in ARG/ENV, apt and pip caches left in layers, pipes without pipefail.\n"
    "\n"
    "Options:\n"
    "  -f, --file FILE             Dockerfile to check (default ./Dockerfile; - reads stdin)\n"
    "      --format FORMAT         table (default), json or sarif\n"
    "      --severity LIST         report only these severities (e.g. HIGH,CRITICAL)\n"
    "      --ignore ID             skip a check, e.g. --ignore PYO009 (repeatable)\n"
    "      --failure-threshold SEV fail only for findings at or above SEV (default LOW)\n"
    "      --exit-code N           exit status when such findings exist (default 1; 0 = never fail)\n"
    "  -o, --output FILE           write the report to FILE instead of standard output\n"
    "      --list-checks           print the checks and exit\n"
    "  -q, --quiet                 no summary line in table output\n"
    "  -h, --help                  show this help\n"
    "\n"
    "Exit status: 0 no findings at the threshold, N (--exit-code) findings,\n"
    "1 the Dockerfile cannot be read, 2 usage error.\n";

enum { OPT_FORMAT = 0x2000, OPT_SEVERITY, OPT_IGNORE, OPT_THRESHOLD, OPT_EXIT_CODE, OPT_LIST };

struct lint_opts {
  const char *file;
  const char *format;
  const char *output;
  unsigned severities; /* bit per pyoci_severity_t to report */
  int threshold;
  int exit_code;
  const char *ignore[64];
  size_t n_ignore;
};

static bool wanted(const struct lint_opts *o, const pyoci_lint_finding_t *f)
{
  if (!(o->severities & (1u << f->check->severity)))
    return false;
  for (size_t i = 0; i < o->n_ignore; i++)
    if (strcasecmp(o->ignore[i], f->check->id) == 0)
      return false;
  return true;
}

static int list_checks(void)
{
  size_t n;
  const pyoci_lint_check_t *c = pyoci_lint_checks(&n);
  printf("%-7s %-9s %-14s %-6s %s\n", "CHECK", "SEVERITY", "HADOLINT", "TRIVY", "TITLE");
  for (size_t i = 0; i < n; i++)
    printf("%-7s %-9s %-14s %-6s %s\n", c[i].id, pyoci_severity_name(c[i].severity),
           c[i].hadolint ? c[i].hadolint : "-", c[i].trivy ? c[i].trivy : "-", c[i].title);
  return 0;
}

static int parse_args(int argc, char **argv, struct lint_opts *o)
{
  static const struct option longopts[] = {
      {"file", required_argument, NULL, 'f'},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"severity", required_argument, NULL, OPT_SEVERITY},
      {"ignore", required_argument, NULL, OPT_IGNORE},
      {"failure-threshold", required_argument, NULL, OPT_THRESHOLD},
      {"exit-code", required_argument, NULL, OPT_EXIT_CODE},
      {"output", required_argument, NULL, 'o'},
      {"list-checks", no_argument, NULL, OPT_LIST},
      {"help", no_argument, NULL, 'h'},
      CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "f:o:qh", longopts, NULL)) != -1) {
    char *end;
    switch (c) {
    case 'f':
      o->file = optarg;
      break;
    case 'o':
      o->output = optarg;
      break;
    case OPT_FORMAT:
      if (strcmp(optarg, "table") != 0 && strcmp(optarg, "json") != 0 && strcmp(optarg, "sarif") != 0)
        return cli_usage_error("lint", "unknown format '%s' (table, json or sarif)", optarg);
      o->format = optarg;
      break;
    case OPT_SEVERITY: {
      cleanup_free char *bad = NULL;
      if (pyoci_severity_parse_list(optarg, &o->severities, &bad) < 0)
        return cli_usage_error("lint", "bad --severity '%s' (a list of LOW, MEDIUM, HIGH, CRITICAL)", optarg);
      break;
    }
    case OPT_IGNORE:
      if (pyoci_lint_check_find(optarg) == NULL)
        return cli_usage_error("lint", "unknown check '%s' (see --list-checks)", optarg);
      if (o->n_ignore < sizeof(o->ignore) / sizeof(o->ignore[0]))
        o->ignore[o->n_ignore++] = optarg;
      break;
    case OPT_THRESHOLD:
      o->threshold = pyoci_severity_parse(optarg);
      if (o->threshold <= PYOCI_SEV_UNKNOWN)
        return cli_usage_error("lint", "bad --failure-threshold '%s' (LOW, MEDIUM, HIGH or CRITICAL)", optarg);
      break;
    case OPT_EXIT_CODE:
      o->exit_code = (int)strtol(optarg, &end, 10);
      if (*optarg == '\0' || *end != '\0' || o->exit_code < 0 || o->exit_code > 255)
        return cli_usage_error("lint", "bad --exit-code '%s' (0-255)", optarg);
      break;
    case OPT_LIST:
      return -list_checks() - 1000; /* handled by the caller: exit 0 */
    case 'h':
      cli_help(usage_text);
      return -1000;
    default:
      if (cli_common_option(c, optarg))
        break;
      return cli_bad_option("lint");
    }
  }
  if (optind < argc) {
    if (o->file != NULL || optind + 1 < argc)
      return cli_usage_error("lint", "give one Dockerfile");
    o->file = argv[optind];
  }
  return 0;
}

int cmd_lint(int argc, char **argv)
{
  struct lint_opts o = {.file = NULL, .format = "table", .severities = ~0u, .threshold = PYOCI_SEV_LOW,
                        .exit_code = 1};
  int rc = parse_args(argc, argv, &o);
  if (rc == -1000)
    return 0;
  if (rc != 0)
    return rc;
  if (o.file == NULL)
    o.file = "Dockerfile";

  cleanup_error pyoci_error_t *err = NULL;
  cleanup_lint_result pyoci_lint_result_t res = PYOCI_LINT_RESULT_INIT;
  if (strcmp(o.file, "-") == 0) {
    cleanup_free char *buf = NULL;
    size_t len = 0;
    if (pyoci_read_fd(STDIN_FILENO, "<stdin>", 4u << 20, &buf, &len, &err) < 0 ||
        pyoci_lint_text("<stdin>", buf, len, &res, &err) < 0)
      return cli_fail(err);
  } else if (pyoci_lint_file(o.file, &res, &err) < 0) {
    return cli_fail(err);
  }

  cleanup_free const pyoci_lint_finding_t **shown = xcalloc(res.n + 1, sizeof(*shown));
  size_t n = 0;
  bool fail = false;
  for (size_t i = 0; i < res.n; i++)
    if (wanted(&o, &res.v[i])) {
      shown[n++] = &res.v[i];
      fail = fail || (int)res.v[i].check->severity >= o.threshold;
    }

  FILE *out = stdout;
  pyoci_outfile_t *of = NULL; /* -o: never replaces a device, FIFO or symlink */
  if (o.output && pyoci_outfile_open(o.output, 0644, &of, &err) < 0)
    return cli_fail(err);
  if (of && (out = fdopen(dup(pyoci_outfile_fd(of)), "w")) == NULL) {
    pyoci_outfile_abort(of);
    pyoci_error_set(&err, errno, "open '%s'", o.output);
    return cli_fail(err);
  }
  const char *name = strcmp(o.file, "-") == 0 ? "-" : o.file;
  cleanup_strbuf strbuf_t report = STRBUF_INIT;
  if (strcmp(o.format, "json") == 0)
    pyoci_lint_report_json(&report, name, shown, n);
  else if (strcmp(o.format, "sarif") == 0)
    rc = pyoci_lint_report_sarif(&report, name, shown, n, &err);
  else
    pyoci_lint_report_table(&report, name, shown, n, !pyoci_globals.quiet);
  if (rc == 0)
    fwrite(report.buf ? report.buf : "", 1, report.len, out);
  if (out != stdout && fclose(out) != 0 && rc == 0)
    rc = pyoci_error_set(&err, errno, "write '%s'", o.output);
  if (of && rc == 0)
    rc = pyoci_outfile_commit(of, false, &err);
  else if (of)
    pyoci_outfile_abort(of);
  if (rc < 0)
    return cli_fail(err);
  return fail ? o.exit_code : 0;
}
