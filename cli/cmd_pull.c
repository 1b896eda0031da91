/* pyoci pull: an image from a registry into the store (docker pull). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/oci/store.h"
#include "lib/registry/registry.h"
#include "lib/util/cleanup.h"
#include "cli.h"
#include "registry_cli.h"

static const char usage[] =
    "Usage: pyoci pull [OPTIONS] NAME[:TAG|@DIGEST]\n\n"
    "Download an image from a registry into the store, as docker pull does.\n"
    "NAME is normalised like docker's (python:3.11-slim = docker.io/library/python:3.11-slim).\n"
    "An index (manifest list) resolves to this host's platform or --platform.\n"
    "Blobs the store has are not fetched; each one is verified against its digest\n"
    "before it enters the store; an interrupted download resumes where it stopped.\n\n"
    "Options:\n"
    "      --platform OS/ARCH[/VARIANT]  the platform to pull from an index\n"
    "  -a, --all-platforms     keep the whole index and every platform's blobs\n"
    "      --check-layers      read every layer as it arrives and refuse the image,\n"
    "                          before it enters the store, if an entry has a '..',\n"
    "                          absolute or escaping name or a layer is not the\n"
    "                          config's diff_id (otherwise the first reader of the\n"
    "                          layer refuses it: run, build, scan)\n"
    "      --referrers         list the artifacts that refer to the image (OCI 1.1\n"
    "                          referrers API, or the tag-schema fallback) and stop\n" CLI_REGISTRY_HELP
    "      --store DIR        image store\n"
    "  -q, --quiet            print only the image name\n"
    "  -h, --help             show this help\n\n"
    "Credentials come from docker's config.json ($DOCKER_CONFIG or ~/.docker), see\n"
    "'pyoci login'.  TLS trusts the system CAs and /etc/docker/certs.d/HOST[:PORT]/*.crt\n"
    "($PYOCI_CERTS_D replaces that root).  Plain http only for localhost/127.0.0.0/8\n"
    "or with --tls-verify=false.\n";

static int list_referrers(const char *ref, const pyoci_registry_opts_t *o)
{
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_referrer_t *v = NULL;
  size_t n = 0;
  if (pyoci_registry_referrers(ref, o, &v, &n, &err) < 0)
    return cli_fail(err);
  for (size_t i = 0; i < n; i++)
    printf("%s\t%s\t%lld\n", v[i].digest, v[i].artifact_type ? v[i].artifact_type : "-", (long long)v[i].size);
  pyoci_referrers_free(v, n);
  return 0;
}

static void report(const char *ref, const pyoci_pull_result_t *res)
{
  if (pyoci_globals.quiet) {
    printf("%s\n", res->name ? res->name : ref);
    return;
  }
  fprintf(stderr, "%s: %zu blobs fetched (%.1f MB), %zu already in the store\n", res->name ? res->name : ref,
          res->blobs_fetched, (double)res->bytes_fetched / 1e6, res->blobs_present);
  printf("Digest: %s\n", res->repo_digest);
  if (res->name)
    printf("Status: %s for %s\n", res->up_to_date ? "Image is up to date" : "Downloaded newer image", res->name);
  else
    printf("Status: Downloaded %s\n", res->digest);
  printf("%s\n", res->name ? res->name : ref);
}

int cmd_pull(int argc, char **argv)
{
  enum { OPT_PLATFORM = 0x2000, OPT_REFERRERS, OPT_CHECK_LAYERS };
  static const struct option opts[] = {
      {"platform", required_argument, NULL, OPT_PLATFORM}, {"all-platforms", no_argument, NULL, 'a'},
      {"referrers", no_argument, NULL, OPT_REFERRERS},     {"check-layers", no_argument, NULL, OPT_CHECK_LAYERS},
      {"help", no_argument, NULL, 'h'},
      CLI_REGISTRY_LONGOPTS,                               CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  struct cli_registry rc_ __attribute__((cleanup(cli_registry_free)));
  cli_registry_init(&rc_);
  pyoci_pull_opts_t po = {0};
  bool referrers = false;
  const cli_optset_t sets[] = {{.opt = OPT_PLATFORM, .str = &po.platform}, {.opt = 'a', .flag = &po.all_platforms},
                               {.opt = OPT_REFERRERS, .flag = &referrers},
                               {.opt = OPT_CHECK_LAYERS, .flag = &po.check_layers}, {0}};
  int st = cli_getopt("pull", argc, argv, "ahq", opts, sets, &rc_, usage);
  if (st >= 0)
    return st;
  cli_registry_progress_start(&rc_);
  if (optind + 1 != argc)
    return cli_usage_error("pull", "requires exactly 1 argument");
  const char *ref = argv[optind];
  if (referrers)
    return list_referrers(ref, &rc_.o);
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_store_t *s = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  pyoci_pull_result_t res;
  st = pyoci_registry_pull(s, ref, &rc_.o, &po, &res, &err);
  pyoci_store_close(s);
  cli_registry_progress_end();
  if (st < 0)
    return cli_fail(err);
  report(ref, &res);
  pyoci_pull_result_free(&res);
  return 0;
}
