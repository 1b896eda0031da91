/* pyoci assemble: a distroless image from Debian packages and wheels. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/assemble/assemble.h"
#include "lib/oci/ref.h"
#include "lib/oci/store.h"
#include "lib/util/cleanup.h"
#include "cli.h"
#include "env.h"

static const char usage[] =
    "Usage: pyoci assemble -f SPEC.yaml [-t REF]... [--lock | --locked] [OPTIONS]\n"
    "       pyoci assemble -f SPEC.yaml --explain PACKAGE\n\n"
    "Make an image straight from Debian packages and Python wheels: no RUN, no shell,\n"
    "no daemon.  InRelease is checked with gpgv against the archive keyring, every\n"
    "Packages index and .deb by its sha256, every wheel by its RECORD and the\n"
    "requirements' --hash.  Layers: OS packages, Python wheels, app contents.\n"
    "Prints the image ID.  See docs/pyoci-assemble.md for the spec format.\n\n"
    "Options:\n"
    "  -f, --file SPEC        the YAML spec (its directory is the context)\n"
    "  -t, --tag REF          name the image (repeatable)\n"
    "      --lock             write the lock file (every .deb and wheel with its sha256)\n"
    "      --locked           assemble only from the lock file; fail on any difference\n"
    "      --lock-file PATH   lock file (default: image.lock.json beside the spec)\n"
    "      --platform P       linux/ARCH to assemble for (default: this host)\n"
    "      --explain PKG      resolve only, and say why PKG is in the image\n"
    "  -j, --jobs N           parallel downloads (default 8)\n"
    "      --no-cache         unpack and compress the OS layer even when the store\n"
    "                         has it from an earlier assemble of the same packages\n"
    "      --compile          byte-compile the wheels' modules with the image's own\n"
    "                         python, run in runc (checked-hash .pyc files)\n"
    "      --apt-dir DIR      read apt's sources from DIR when the spec has no uris\n"
    "                         (default /etc/apt)\n"
    "      --store DIR        image store\n"
    "  -q, --quiet            no progress output\n"
    CLI_LIMITS_HELP
    "  -h, --help             show this help\n\n"
    "Downloads are cached by sha256 under $XDG_CACHE_HOME/pyoci (default\n"
    "~/.cache/pyoci).  With SOURCE_DATE_EPOCH set, the same lock gives the same digest.\n";

/* $XDG_CACHE_HOME/pyoci, else $HOME/.cache/pyoci (env.c). */
static char *cache_dir(void)
{
  return xstrdup(cli_env()->cache_dir);
}

int cmd_assemble(int argc, char **argv)
{
  enum { OPT_LOCK = 0x2000, OPT_LOCKED, OPT_LOCK_FILE, OPT_PLATFORM, OPT_EXPLAIN, OPT_APT_DIR, OPT_NO_CACHE, OPT_COMPILE };
  static const struct option opts[] = {
      {"file", required_argument, NULL, 'f'},      {"tag", required_argument, NULL, 't'},
      {"lock", no_argument, NULL, OPT_LOCK},       {"locked", no_argument, NULL, OPT_LOCKED},
      {"lock-file", required_argument, NULL, OPT_LOCK_FILE},
      {"platform", required_argument, NULL, OPT_PLATFORM},
      {"explain", required_argument, NULL, OPT_EXPLAIN},
      {"jobs", required_argument, NULL, 'j'},      {"apt-dir", required_argument, NULL, OPT_APT_DIR},
      {"no-cache", no_argument, NULL, OPT_NO_CACHE}, {"compile", no_argument, NULL, OPT_COMPILE},
      {"help", no_argument, NULL, 'h'},            CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  cleanup_strv char **names = xcalloc((size_t)argc + 1, sizeof(char *));
  size_t n_names = 0;
  cleanup_free char *cache = cache_dir();
  pyoci_assemble_opts_t o = {.cache_dir = cache, .apt_dir = "/etc/apt"};
  int c;
  while ((c = getopt_long(argc, argv, "f:t:j:hq", opts, NULL)) != -1) {
    if (cli_common_option(c, optarg))
      continue;
    switch (c) {
    case 'f':
      o.spec_path = optarg;
      break;
    case 't': {
      cleanup_error pyoci_error_t *err = NULL;
      char *n = pyoci_ref_normalize(optarg, &err);
      if (n == NULL)
        return cli_usage_error("assemble", "%s", err->msg);
      names[n_names++] = n;
      break;
    }
    case OPT_LOCK:
    case OPT_LOCKED:
      if (o.lock_mode != PYOCI_LOCK_NONE)
        return cli_usage_error("assemble", "--lock and --locked exclude each other");
      o.lock_mode = c == OPT_LOCK ? PYOCI_LOCK_WRITE : PYOCI_LOCK_USE;
      break;
    case OPT_LOCK_FILE:
      o.lock_path = optarg;
      break;
    case OPT_PLATFORM:
      o.platform = optarg;
      break;
    case OPT_EXPLAIN:
      o.explain = optarg;
      break;
    case OPT_APT_DIR:
      o.apt_dir = optarg;
      break;
    case OPT_NO_CACHE:
      o.no_cache = true;
      break;
    case OPT_COMPILE:
      o.compile = true;
      break;
    case 'j': {
      char *end = NULL;
      long j = strtol(optarg, &end, 10);
      if (*end || j < 1 || j > 64)
        return cli_usage_error("assemble", "--jobs: expected 1..64");
      o.jobs = (int)j;
      break;
    }
    case 'h':
      return cli_help(usage);
    default:
      return cli_bad_option("assemble");
    }
  }
  if (o.spec_path == NULL || optind != argc)
    return cli_usage_error("assemble", "expected -f SPEC.yaml and no other arguments");
  if (o.explain && (o.lock_mode != PYOCI_LOCK_NONE || n_names))
    return cli_usage_error("assemble", "--explain only resolves: no --lock, --locked or --tag with it");
  o.names = (const char *const *)names;
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_store_t *s = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  pyoci_assemble_result_t res;
  int rc = pyoci_assemble(s, &o, &res, &err);
  pyoci_store_close(s);
  if (rc < 0)
    return cli_fail(err);
  if (res.explain) {
    fputs(res.explain, stdout);
    free(res.explain);
    return 0;
  }
  if (!pyoci_globals.quiet)
    fprintf(stderr, "assembled %zu Debian packages and %zu wheels\n", res.n_debs, res.n_wheels);
  printf("%s\n", res.image_id);
  return 0;
}
