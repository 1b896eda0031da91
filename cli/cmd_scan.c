/* pyoci scan: vulnerabilities, secrets and Dockerfile problems of an image,
 * an archive or a root file system, reported the way `trivy image` does. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/pkg/sbom.h"
#include "lib/scan/scan.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"
#include "lib/util/outfile.h"
#include "cli.h"
#include "env.h"
#include "registry_cli.h"

static const char help[] =
    "Usage: pyoci scan [OPTIONS] TARGET\n"
    "       pyoci scan [OPTIONS] --fs DIR | --rootfs DIR\n"
    "\n"
    "Find known vulnerabilities in the OS and Python packages of TARGET,\n"
    "secrets in every layer (a key deleted by a later layer still ships), and,\n"
    "given a Dockerfile, misconfigurations in it.  Offline: vulnerabilities\n"
    "come from the local OSV database ('pyoci db update' or 'pyoci db import').\n"
    "\n"
    "TARGET is an image in the store (name, ID or digest), a docker-archive or\n"
    "oci-archive file, or a directory holding a root file system.\n"
    "--fs DIR scans a project before it is built: requirements*.txt (pinned\n"
    "lines, -r includes), poetry.lock, Pipfile.lock, uv.lock and installed\n"
    "site-packages; --rootfs DIR an unpacked root file system.\n"
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
    "      --vex FILE          OpenVEX or CycloneDX VEX: leave out vulnerabilities a\n"
    "                          statement marks not_affected (or fixed); JSON lists\n"
    "                          them under ModifiedFindings (repeatable)\n"
    "      --list-all-pkgs     JSON: list every package of each result, with the\n"
    "                          OS package that installed a Python distribution\n"
    "      --attach[=REPO]     also push the report to the image's registry (or REPO)\n"
    "                          as an OCI 1.1 artifact whose subject is the image\n"
    "      --store DIR         image store\n"
    "  -q, --quiet             no progress or warnings\n"
    CLI_LIMITS_HELP
    "  -h, --help              show this help\n"
    "\n"
    "Without a database the vulnerability scan is skipped: secrets and\n"
    "misconfigurations are still reported, and the report says that\n"
    "vulnerabilities were not checked; --scanners naming vuln explicitly makes\n"
    "a missing database an error.\n"
    "\n"
    "Exit status: 0 done (or no findings), N (--exit-code) findings left or\n"
    "vulnerabilities not checked (no database), 1 failure, 2 usage error.\n";


enum { OPT_SCANNERS = 0x2000, OPT_DOCKERFILE, OPT_SEVERITY, OPT_IGNORE_UNFIXED, OPT_IGNOREFILE, OPT_EXIT_CODE,
       OPT_DB, OPT_NO_CACHE, OPT_LIST_ALL_PKGS, OPT_VEX, OPT_FS, OPT_ROOTFS, OPT_ATTACH };

/* The artifactType a report is attached with, by format. */
static const char *report_artifact_type(const char *format)
{
  if (strcmp(format, "sarif") == 0)
    return "application/sarif+json";
  if (strcmp(format, "cyclonedx") == 0)
    return "application/vnd.cyclonedx+json";
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
  cleanup_free char *bad = NULL;
  if (pyoci_severity_parse_list(arg, out, &bad) == 0)
    return 0;
  if (bad != NULL)
    return cli_usage_error("scan", "unknown severity '%s' (use UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)", bad);
  return cli_usage_error("scan", "--severity needs at least one severity");
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

/* JSON is streamed (a report with 60,000 findings is never one string):
 * to standard output, or to FILE through lib/util/outfile.h (a regular file
 * is replaced atomically on commit, a FIFO or device written through). */
static int write_json(const char *output, const pyoci_scan_report_t *r, pyoci_error_t **err)
{
  if (output == NULL || strcmp(output, "-") == 0) {
    if (pyoci_scan_write_json(r, stdout) < 0 || fflush(stdout) != 0)
      return pyoci_error_set(err, 0, "write standard output failed");
    return 0;
  }
  pyoci_outfile_t *of = NULL;
  if (pyoci_outfile_open(output, 0644, &of, err) < 0)
    return -1;
  int fd = dup(pyoci_outfile_fd(of));
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (f == NULL) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    pyoci_outfile_abort(of);
    return pyoci_error_set(err, e, "write '%s'", output);
  }
  int rc = pyoci_scan_write_json(r, f);
  int e = errno;
  if (fclose(f) != 0 && rc == 0) {
    rc = -1;
    e = errno;
  }
  if (rc < 0) {
    pyoci_outfile_abort(of);
    return pyoci_error_set(err, e, "write '%s'", output);
  }
  return pyoci_outfile_commit(of, true, err);
}

static int finish(const pyoci_scan_report_t *report, int exit_code)
{
  pyoci_log(PYOCI_LOG_DEBUG, "scan: %zu of %zu layers from the cache", report->layers_cached, report->n_layers);
  /* A gate that could not check vulnerabilities does not pass. */
  return exit_code != 0 && (pyoci_scan_total(report) > 0 || report->db_missing) ? exit_code : 0;
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
      {"list-all-pkgs", no_argument, NULL, OPT_LIST_ALL_PKGS},
      {"vex", required_argument, NULL, OPT_VEX},
      {"fs", required_argument, NULL, OPT_FS},
      {"rootfs", required_argument, NULL, OPT_ROOTFS},
      {"attach", optional_argument, NULL, OPT_ATTACH},
      {"help", no_argument, NULL, 'h'},
      CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  pyoci_scan_opts_t so = {.scanners = PYOCI_SCANNER_VULN | PYOCI_SCANNER_SECRET, .db_path = cli_env()->vulndb};
  bool scanners_given = false, ignore_unfixed = false, list_all_pkgs = false;
  const char *vex_files[16], *dir_target = NULL;
  bool project = false;
  size_t n_vex = 0;
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
    case OPT_LIST_ALL_PKGS:
      list_all_pkgs = true;
      break;
    case OPT_FS:
    case OPT_ROOTFS:
      if (dir_target != NULL)
        return cli_usage_error("scan", "give one of --fs DIR and --rootfs DIR");
      dir_target = optarg;
      project = c == OPT_FS;
      break;
    case OPT_VEX:
      if (n_vex == sizeof(vex_files) / sizeof(vex_files[0]))
        return cli_usage_error("scan", "too many --vex files");
      vex_files[n_vex++] = optarg;
      break;
    case 'h':
      return cli_help(help);
    default:
      return cli_bad_option("scan");
    }
  }
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0 && strcmp(format, "sarif") != 0 &&
      strcmp(format, "cyclonedx") != 0)
    return cli_usage_error("scan", "unknown format '%s' (use table, json, sarif or cyclonedx)", format);
  if (optind + (dir_target ? 0 : 1) != argc)
    return cli_usage_error("scan", dir_target ? "--fs/--rootfs DIR takes no other TARGET" : "expected exactly one TARGET");
  if (attach && (dir_target != NULL || strcmp(format, "json") == 0))
    return cli_usage_error("scan", "--attach needs an image TARGET and -f sarif, cyclonedx or table");
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

  pyoci_vex_t vex = {0};
  for (size_t i = 0; i < n_vex; i++)
    if (pyoci_vex_load(vex_files[i], &vex, &err) < 0) {
      pyoci_vex_release(&vex);
      pyoci_ignorefile_release(&ign);
      return cli_fail(err);
    }
  cleanup_target pyoci_target_t *target = NULL;
  cleanup_scan_report pyoci_scan_report_t *report = NULL;
  int trc = dir_target ? pyoci_target_open_dir(dir_target, project, &target, &err)
                       : pyoci_target_open(argv[optind], pyoci_globals.store, &target, &err);
  if (trc < 0 ||
      pyoci_scan_run(target, &so, &report, &err) < 0) {
    pyoci_ignorefile_release(&ign);
    pyoci_vex_release(&vex);
    return cli_fail(err);
  }
  pyoci_scan_filter_t filter = {.vex = n_vex ? &vex : NULL,
                                .severities = severities,
                                .ignore_unfixed = ignore_unfixed,
                                .ignore = ignorefile ? &ign : NULL,
                                .now = (int64_t)time(NULL)};
  pyoci_scan_filter(report, &filter);
  report->list_all_pkgs = list_all_pkgs;
  pyoci_ignorefile_release(&ign);
  pyoci_vex_release(&vex);

  cleanup_free char *text = NULL;
  if (strcmp(format, "json") == 0) {
    if (write_json(output, report, &err) < 0)
      return cli_fail(err);
    return finish(report, exit_code);
  }
  if (strcmp(format, "sarif") == 0)
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
  return finish(report, exit_code);
}
