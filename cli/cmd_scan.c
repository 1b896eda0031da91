/* pyoci scan: vulnerabilities, secrets and Dockerfile problems of an image,
 * an archive or a root file system, reported the way `trivy image` does. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/pkg/sbom.h"
#include "lib/scan/scan.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"
#include "cli.h"
#include "registry_cli.h"

static const char help[] =
    "Usage: pyoci scan [OPTIONS] TARGET\n"
    "\n"
    "Find known vulnerabilities in the OS and Python packages of TARGET,\n"
    "secrets in every layer (a key deleted by a later layer still ships), and,\n"
    "given a Dockerfile, misconfigurations in it.  Offline: vulnerabilities\n"
    "come from the local OSV database ('pyoci db update' or 'pyoci db import').\n"
    "\n"
    "TARGET is an image in the store (name, ID or digest), a docker-archive or\n"
    "oci-archive file, or a directory holding a root file system.\n"
    "\n"
    "Options:\n"
    "      --scanners LIST     vuln,secret,misconfig (default vuln,secret, plus\n"
    "                          misconfig when --dockerfile is given)\n"
    "      --dockerfile PATH   check this Dockerfile (misconfig scanner)\n"
    "      --severity LIST     report only these severities, e.g. HIGH,CRITICAL\n"
    "                          (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)\n"
    "      --ignore-unfixed    leave out vulnerabilities without a fixed version\n"
    "      --ignorefile PATH   IDs to leave out (default ./.trivyignore when present);\n"
    "                          one per line, '#' comments, optional exp:YYYY-MM-DD\n"
    "      --exit-code N       exit with N when any finding is left after the\n"
    "                          filters (default 0)\n"
    "  -f, --format FORMAT     table (default), json, sarif or cyclonedx\n"
    "  -o, --output FILE       write the report to FILE\n"
    "      --db PATH           vulnerability database (default $PYOCI_DB, else\n"
    "                          $XDG_CACHE_HOME/pyoci/vuln.db)\n"
    "      --no-cache          do not use or fill the per-layer result cache\n"
    "      --attach[=REPO]     also push the report to the image's registry (or REPO)\n"
    "                          as an OCI 1.1 artifact whose subject is the image\n"
    "      --store DIR         image store\n"
    "  -q, --quiet             no progress or warnings\n"
    "  -h, --help              show this help\n"
    "\n"
    "Without a database the vulnerability scan is skipped with a warning,\n"
    "unless --scanners names vuln explicitly (then it is an error).\n"
    "\n"
    "Exit status: 0 done (or no findings), N (--exit-code) findings left,\n"
    "1 failure, 2 usage error.\n";


enum { OPT_SCANNERS = 0x2000, OPT_DOCKERFILE, OPT_SEVERITY, OPT_IGNORE_UNFIXED, OPT_IGNOREFILE, OPT_EXIT_CODE,
       OPT_DB, OPT_NO_CACHE, OPT_ATTACH };

/* The artifactType a report is attached with, by format. */
static const char *report_artifact_type(const char *format)
{
  if (strcmp(format, "sarif") == 0)
    return "application/sarif+json";
  if (strcmp(format, "cyclonedx") == 0)
    return "application/vnd.cyclonedx+json";
  if (strcmp(format, "json") == 0)
    return "application/vnd.pyoci.scan.report.v1+json";
  return "text/plain";
}

static int parse_scanners(const char *arg, unsigned *out)
{
  cleanup_free char *copy = xstrdup(arg);
  char *save = NULL;
  *out = 0;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (strcmp(tok, "vuln") == 0)
      *out |= PYOCI_SCANNER_VULN;
    else if (strcmp(tok, "secret") == 0)
      *out |= PYOCI_SCANNER_SECRET;
    else if (strcmp(tok, "misconfig") == 0 || strcmp(tok, "config") == 0)
      *out |= PYOCI_SCANNER_MISCONFIG;
    else
      return cli_usage_error("scan", "unknown scanner '%s' (use vuln, secret, misconfig)", tok);
  }
  if (*out == 0)
    return cli_usage_error("scan", "--scanners needs at least one scanner");
  return 0;
}

static int parse_severities(const char *arg, unsigned *out)
{
  cleanup_free char *copy = xstrdup(arg);
  char *save = NULL;
  *out = 0;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    int s = pyoci_severity_parse(tok);
    if (s < 0)
      return cli_usage_error("scan", "unknown severity '%s' (use UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)", tok);
    *out |= 1u << s;
  }
  if (*out == 0)
    return cli_usage_error("scan", "--severity needs at least one severity");
  return 0;
}

static int write_out(const char *output, const char *text, pyoci_error_t **err)
{
  if (output == NULL || strcmp(output, "-") == 0) {
    if (fputs(text, stdout) == EOF || fflush(stdout) != 0)
      return pyoci_error_set(err, 0, "write standard output failed");
    return 0;
  }
  return pyoci_write_file_atomic(output, text, strlen(text), 0644, err);
}

int cmd_scan(int argc, char **argv)
{
  static const struct option opts[] = {
      {"scanners", required_argument, NULL, OPT_SCANNERS},
      {"dockerfile", required_argument, NULL, OPT_DOCKERFILE},
      {"severity", required_argument, NULL, OPT_SEVERITY},
      {"ignore-unfixed", no_argument, NULL, OPT_IGNORE_UNFIXED},
      {"ignorefile", required_argument, NULL, OPT_IGNOREFILE},
      {"exit-code", required_argument, NULL, OPT_EXIT_CODE},
      {"format", required_argument, NULL, 'f'},
      {"output", required_argument, NULL, 'o'},
      {"db", required_argument, NULL, OPT_DB},
      {"no-cache", no_argument, NULL, OPT_NO_CACHE},
      {"attach", optional_argument, NULL, OPT_ATTACH},
      {"help", no_argument, NULL, 'h'},
      CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  pyoci_scan_opts_t so = {.scanners = PYOCI_SCANNER_VULN | PYOCI_SCANNER_SECRET};
  bool scanners_given = false, ignore_unfixed = false;
  unsigned severities = 0;
  const char *format = "table", *output = NULL, *ignorefile = NULL;
  int exit_code = 0, c;
  bool attach = false;
  const char *attach_to = NULL;
  while ((c = getopt_long(argc, argv, "f:o:qh", opts, NULL)) != -1) {
    if (cli_common_option(c, optarg))
      continue;
    switch (c) {
    case OPT_SCANNERS:
      if (parse_scanners(optarg, &so.scanners) != 0)
        return EXIT_USAGE;
      scanners_given = true;
      break;
    case OPT_DOCKERFILE:
      so.dockerfile = optarg;
      break;
    case OPT_SEVERITY:
      if (parse_severities(optarg, &severities) != 0)
        return EXIT_USAGE;
      break;
    case OPT_IGNORE_UNFIXED:
      ignore_unfixed = true;
      break;
    case OPT_IGNOREFILE:
      ignorefile = optarg;
      break;
    case OPT_EXIT_CODE: {
      char *end = NULL;
      long v = strtol(optarg, &end, 10);
      if (*optarg == '\0' || *end != '\0' || v < 0 || v > 255)
        return cli_usage_error("scan", "--exit-code wants a number from 0 to 255, not '%s'", optarg);
      exit_code = (int)v;
      break;
    }
    case 'f':
      format = optarg;
      break;
    case 'o':
      output = optarg;
      break;
    case OPT_DB:
      so.db_path = optarg;
      break;
    case OPT_NO_CACHE:
      so.no_cache = true;
      break;
    case OPT_ATTACH:
      attach = true;
      attach_to = optarg;
      break;
    case 'h':
      return cli_help(help);
    default:
      return cli_usage_error("scan", "unknown option");
    }
  }
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0 && strcmp(format, "sarif") != 0 &&
      strcmp(format, "cyclonedx") != 0)
    return cli_usage_error("scan", "unknown format '%s' (use table, json, sarif or cyclonedx)", format);
  if (optind + 1 != argc)
    return cli_usage_error("scan", "expected exactly one TARGET");
  if (!scanners_given && so.dockerfile != NULL)
    so.scanners |= PYOCI_SCANNER_MISCONFIG;
  if ((so.scanners & PYOCI_SCANNER_MISCONFIG) && so.dockerfile == NULL)
    return cli_usage_error("scan", "the misconfig scanner needs --dockerfile PATH");
  so.db_required = scanners_given && (so.scanners & PYOCI_SCANNER_VULN);

  cleanup_error pyoci_error_t *err = NULL;
  pyoci_ignorefile_t ign = {0};
  if (ignorefile == NULL && pyoci_path_exists(".trivyignore"))
    ignorefile = ".trivyignore";
  if (ignorefile != NULL && pyoci_ignorefile_load(ignorefile, &ign, &err) < 0)
    return cli_fail(err);

  cleanup_target pyoci_target_t *target = NULL;
  cleanup_scan_report pyoci_scan_report_t *report = NULL;
  if (pyoci_target_open(argv[optind], pyoci_globals.store, &target, &err) < 0 ||
      pyoci_scan_run(target, &so, &report, &err) < 0) {
    pyoci_ignorefile_release(&ign);
    return cli_fail(err);
  }
  pyoci_scan_filter_t filter = {.severities = severities,
                                .ignore_unfixed = ignore_unfixed,
                                .ignore = ignorefile ? &ign : NULL,
                                .now = (int64_t)time(NULL)};
  pyoci_scan_filter(report, &filter);
  pyoci_ignorefile_release(&ign);

  cleanup_free char *text = NULL;
  if (strcmp(format, "json") == 0)
    text = pyoci_scan_report_json(report);
  else if (strcmp(format, "sarif") == 0)
    text = pyoci_scan_report_sarif(report);
  else if (strcmp(format, "cyclonedx") == 0)
    text = pyoci_scan_report_cyclonedx(report, pyoci_sbom_now());
  else
    text = pyoci_scan_report_table(report, severities);
  if (write_out(output, text, &err) < 0)
    return cli_fail(err);
  const char *at = report_artifact_type(format);
  if (attach && cli_registry_attach(argv[optind], attach_to, at, at, text, strlen(text)) != 0)
    return 1;
  pyoci_log(PYOCI_LOG_DEBUG, "scan: %zu of %zu layers from the cache", report->layers_cached, report->n_layers);
  return exit_code != 0 && pyoci_scan_total(report) > 0 ? exit_code : 0;
}
