/* pyoci distill IMAGE -t NEW: a scratch-style image with only the files the
 * app uses (lib/distill/distill.h), and a report of what went. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/distill/distill.h"
#include "lib/oci/store.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "cli.h"
#include "human.h"

extern char **environ;

static const char distill_help[] =
    "Usage: pyoci distill [OPTIONS] IMAGE -t NEW_IMAGE[:TAG]\n"
    "\n"
    "Make a scratch-style image holding only what IMAGE's app uses.  The app\n"
    "(Entrypoint + Cmd, Env, WorkingDir, User of IMAGE) runs in runc on an\n"
    "overlay of the image's layers with the host's network while the probes\n"
    "drive it; every file it opens or executes is kept, then the Python import\n"
    "graph of every traced module (modules imported lazily in handlers nobody\n"
    "probed), whole packages (minus tests/docs), the ELF libraries the kept\n"
    "programs need, passwd/group/nsswitch.conf/hosts, the CA bundle when a TLS\n"
    "library is kept and zoneinfo when used.  dpkg status.d records and Python\n"
    "dist-info are kept only for packages that still have files.  The result\n"
    "runs again with the same probes and must answer as the original did.\n"
    "Needs root (runc, overlay, fanotify).  See docs/pyoci-distill.md.\n"
    "\n"
    "Options:\n"
    "  -t, --tag NAME        name of the new image (repeatable; required)\n"
    "      --probe URL       GET this http(s) URL on 127.0.0.1/::1/localhost once the app\n"
    "                        answers (repeatable); its status and body must match after distill\n"
    "      --probe-cmd CMD   run CMD with /bin/sh on the host after the probes; its\n"
    "                        exit status and output must match after distill\n"
    "      --duration S      seconds the app has to answer the first probe (default 30);\n"
    "                        without --probe, how long the app runs before --probe-cmd\n"
    "                        (exiting 0 sooner ends the trace: a batch job)\n"
    "      --include PATH    also keep PATH (a file or a whole directory; repeatable)\n"
    "      --keep-shell      also keep /bin/sh and what it needs\n"
    "      --keep-bytecode   keep the __pycache__/*.pyc files the run read (by default a\n"
    "                        module's bytecode goes when its source is kept: Python\n"
    "                        compiles the source when the module is first imported)\n"
    "      --report FILE     write the report as JSON to FILE ('-' = stdout)\n"
    "      --no-verify       a different answer from the result is a warning, not a failure\n"
    "      --store DIR       image store\n"
    "  -q, --quiet           no progress output\n"
    "  -h, --help            show this help\n";

enum { OPT_PROBE = 0x2000, OPT_PROBE_CMD, OPT_DURATION, OPT_INCLUDE, OPT_KEEP_SHELL, OPT_KEEP_BYTECODE, OPT_REPORT, OPT_NO_VERIFY };

typedef struct {
  const char *v[65];
  size_t n;
} list_t;

static bool push(list_t *l, const char *s)
{
  if (l->n >= 64)
    return false;
  l->v[l->n++] = s;
  return true;
}

static void print_summary(const json_t *r, const char *manifest_digest)
{
  const json_t *o = json_object_get(r, "original"), *k = json_object_get(r, "kept");
  const json_t *t = json_object_get(r, "traced");
  char a[32], b[32], c[32], d[32];
  cli_human_size((double)pyoci_json_int(o, "bytes", 0), 3, a, sizeof(a));
  cli_human_size((double)pyoci_json_int(k, "bytes", 0), 3, b, sizeof(b));
  cli_human_size((double)pyoci_json_int(t, "bytes", 0), 3, c, sizeof(c));
  cli_human_size((double)pyoci_json_int(t, "kept_bytes", 0), 3, d, sizeof(d));
  printf("%-34s %10s %8s\n", "", "bytes", "files");
  printf("%-34s %10s %8lld\n", "original", a, (long long)pyoci_json_int(o, "files", 0));
  printf("%-34s %10s %8lld\n", "kept", b, (long long)pyoci_json_int(k, "files", 0));
  printf("%-34s %10s %8lld\n", "traced (opened by the run)", c, (long long)pyoci_json_int(t, "files", 0));
  printf("%-34s %10s %8lld\n", "traced and kept (not: bytecode)", d, (long long)pyoci_json_int(t, "kept_files", 0));
  printf("\n%-40s %10s %10s\n", "PACKAGE", "KEPT", "REMOVED");
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(r, "packages"), i, p) {
    if (pyoci_json_int(p, "kept_files", 0) == 0)
      continue;
    cli_human_size((double)pyoci_json_int(p, "kept_bytes", 0), 3, a, sizeof(a));
    cli_human_size((double)pyoci_json_int(p, "removed_bytes", 0), 3, b, sizeof(b));
    printf("%-40s %10s %10s\n", pyoci_json_str(p, "package"), a, b);
  }
  printf("\nLargest removals:\n");
  json_array_foreach(json_object_get(r, "largest_removals"), i, p) {
    if (i >= 10)
      break;
    cli_human_size((double)pyoci_json_int(p, "bytes", 0), 3, a, sizeof(a));
    printf("  %10s  /%s (%s)\n", a, pyoci_json_str(p, "path"), pyoci_json_str(p, "package"));
  }
  printf("\n%s\n", manifest_digest);
}

static int write_report(const char *path, const json_t *r, pyoci_error_t **err)
{
  cleanup_free char *text = pyoci_json_dump_text(r, JSON_INDENT(2) | JSON_SORT_KEYS);
  if (strcmp(path, "-") == 0)
    return fputs(text, stdout) == EOF ? pyoci_error_set(err, 0, "write report to stdout") : 0;
  return pyoci_write_file_atomic(path, text, strlen(text), 0644, err);
}

int cmd_distill(int argc, char **argv)
{
  static const struct option opts[] = {
      {"tag", required_argument, NULL, 't'},          {"probe", required_argument, NULL, OPT_PROBE},
      {"probe-cmd", required_argument, NULL, OPT_PROBE_CMD}, {"duration", required_argument, NULL, OPT_DURATION},
      {"include", required_argument, NULL, OPT_INCLUDE}, {"keep-shell", no_argument, NULL, OPT_KEEP_SHELL},
      {"keep-bytecode", no_argument, NULL, OPT_KEEP_BYTECODE},
      {"report", required_argument, NULL, OPT_REPORT}, {"no-verify", no_argument, NULL, OPT_NO_VERIFY},
      {"help", no_argument, NULL, 'h'},                 CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  list_t tags = {0}, probes = {0}, includes = {0};
  pyoci_distill_opts_t o = {.host_env = (const char *const *)environ};
  const char *report = NULL;
  int c;
  while ((c = getopt_long(argc, argv, "t:qh", opts, NULL)) != -1) {
    if (cli_common_option(c, optarg))
      continue;
    bool ok = true;
    char *end = NULL;
    switch (c) {
    case 'h': return cli_help(distill_help);
    case 't': ok = push(&tags, optarg); break;
    case OPT_PROBE: ok = push(&probes, optarg); break;
    case OPT_INCLUDE: ok = optarg[0] == '/' && push(&includes, optarg); break;
    case OPT_PROBE_CMD: o.probe_cmd = optarg; break;
    case OPT_KEEP_SHELL: o.keep_shell = true; break;
    case OPT_KEEP_BYTECODE: o.keep_bytecode = true; break;
    case OPT_REPORT: report = optarg; break;
    case OPT_NO_VERIFY: o.no_verify = true; break;
    case OPT_DURATION:
      o.duration = (int)strtol(optarg, &end, 10);
      ok = *optarg && *end == '\0' && o.duration > 0 && o.duration <= 86400;
      break;
    default: return cli_bad_option("distill");
    }
    if (!ok)
      return cli_usage_error("distill", "bad value '%s' for an option (--include needs an absolute path, "
                                        "--duration 1..86400, at most 64 of each)", optarg);
  }
  if (argc - optind != 1)
    return cli_usage_error("distill", "\"distill\" requires exactly 1 argument (the image)");
  if (tags.n == 0)
    return cli_usage_error("distill", "-t NEW_IMAGE is required");
  o.image = argv[optind];
  o.names = tags.v;
  o.probes = probes.v;
  o.includes = includes.v;

  pyoci_store_t *s = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  for (size_t i = 0; i < probes.n; i++)
    if (pyoci_distill_check_probe_url(probes.v[i], &err) < 0)
      return cli_fail(err);
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  pyoci_distill_result_t res;
  int rc = pyoci_distill(s, &o, &res, &err);
  pyoci_store_close(s);
  if (rc < 0)
    return cli_fail(err);
  if (res.verify_warning)
    fprintf(stderr, "pyoci distill: warning: the result answers differently (--no-verify): %s\n",
            res.verify_warning);
  if (report && write_report(report, res.report, &err) < 0) {
    pyoci_distill_result_release(&res);
    return cli_fail(err);
  }
  if (!pyoci_globals.quiet && !(report && strcmp(report, "-") == 0))
    print_summary(res.report, res.manifest_digest);
  pyoci_distill_result_release(&res);
  return 0;
}
