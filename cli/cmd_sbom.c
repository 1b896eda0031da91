/* pyoci sbom: a CycloneDX 1.5 or SPDX 2.3 bill of materials for an image in
 * the store or a root file system directory. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/oci/image.h"
#include "lib/oci/store.h"
#include "lib/pkg/catalog.h"
#include "lib/pkg/sbom.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"
#include "cli.h"
#include "registry_cli.h"

static const char help[] =
    "Usage: pyoci sbom [OPTIONS] IMAGE|DIR\n"
    "\n"
    "Write a software bill of materials: the operating system and every\n"
    "package found in dpkg (status, status.d), apk and Python (dist-info,\n"
    "egg-info) metadata, each with its purl and the layer that brought it.\n"
    "\n"
    "IMAGE is a name, ID or digest of an image in the store; DIR is a root\n"
    "file system on disk.\n"
    "\n"
    "Options:\n"
    "  -f, --format FORMAT   cyclonedx (CycloneDX 1.5 JSON, default) or spdx (SPDX 2.3 JSON)\n"
    "  -o, --output FILE     write to FILE instead of standard output\n"
    "      --attach[=REPO]   also push the SBOM to the image's registry (or REPO) as an\n"
    "                        OCI 1.1 artifact whose subject is the image (see pyoci pull --referrers)\n"
    "      --strict          fail on a package database that cannot be parsed\n"
    "                        (default: warn and leave it out)\n"
    "      --store DIR       image store\n"
    "  -q, --quiet           no informational output\n"
    "  -h, --help            show this help\n"
    "\n"
    "The output is reproducible: ids derive from the image digest, and the\n"
    "timestamp is SOURCE_DATE_EPOCH when set.\n"
    "\n"
    "Exit status: 0 written, 1 failure, 2 usage error.\n";


enum { OPT_STRICT = 0x2000, OPT_ATTACH };

static int catalog_input(const char *arg, bool strict, pyoci_catalog_result_t **res, char *digest,
                         pyoci_error_t **err)
{
  struct stat st;
  digest[0] = '\0';
  if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
    cleanup_catalog pyoci_catalog_t *cat = pyoci_catalog_new();
    pyoci_catalog_set_strict(cat, strict);
    if (pyoci_catalog_feed_dir(cat, arg, err) < 0)
      return -1;
    return pyoci_catalog_finish(cat, res, err);
  }
  if (stat(arg, &st) == 0 && S_ISREG(st.st_mode))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "'%s' is a file: load archives with 'pyoci load' first, then name the image", arg);
  pyoci_store_t *store = NULL;
  if (pyoci_store_open(pyoci_globals.store, &store, err) < 0)
    return -1;
  pyoci_image_t *img = NULL;
  int rc = pyoci_image_load(store, arg, &img, err);
  if (rc == 0) {
    rc = pyoci_catalog_image(store, img, res, err);
    /* the image catalog always collects problems as warnings */
    if (rc == 0 && strict && (*res)->n_warnings > 0)
      rc = pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s", (*res)->warnings[0]);
    snprintf(digest, PYOCI_DIGEST_LEN, "%s", img->manifest_digest);
    pyoci_image_free(img);
  }
  pyoci_store_close(store);
  return rc;
}

int cmd_sbom(int argc, char **argv)
{
  static const struct option opts[] = {
      {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
      {"strict", no_argument, NULL, OPT_STRICT}, {"help", no_argument, NULL, 'h'},
      {"attach", optional_argument, NULL, OPT_ATTACH},
      CLI_COMMON_LONGOPTS,                       {NULL, 0, NULL, 0},
  };
  const char *format = "cyclonedx", *output = NULL;
  bool strict = false, attach = false;
  const char *attach_to = NULL;
  const cli_optset_t sets[] = {{.opt = 'f', .str = &format},
                               {.opt = 'o', .str = &output},
                               {.opt = OPT_STRICT, .flag = &strict},
                               {.opt = OPT_ATTACH, .flag = &attach, .str = &attach_to},
                               {0}};
  int optst = cli_getopt("sbom", argc, argv, "f:o:qh", opts, sets, NULL, help);
  if (optst >= 0)
    return optst;
  bool cdx = strcmp(format, "cyclonedx") == 0 || strcmp(format, "cyclonedx-json") == 0;
  bool spdx = strcmp(format, "spdx") == 0 || strcmp(format, "spdx-json") == 0;
  if (!cdx && !spdx)
    return cli_usage_error("sbom", "unknown format '%s' (use cyclonedx or spdx)", format);
  if (optind + 1 != argc)
    return cli_usage_error("sbom", "expected exactly one IMAGE or DIR");
  const char *arg = argv[optind];

  cleanup_error pyoci_error_t *err = NULL;
  cleanup_catalog_result pyoci_catalog_result_t *res = NULL;
  char digest[PYOCI_DIGEST_LEN];
  if (catalog_input(arg, strict, &res, digest, &err) < 0)
    return cli_fail(err);
  pyoci_sbom_subject_t subject = {.name = arg, .digest = digest[0] ? digest : NULL, .created = pyoci_sbom_now()};
  cleanup_free char *doc = cdx ? pyoci_sbom_cyclonedx(res, &subject) : pyoci_sbom_spdx(res, &subject);
  if (attach && cli_registry_attach(arg, attach_to, cdx ? "application/vnd.cyclonedx+json" : "application/spdx+json",
                                    cdx ? "application/vnd.cyclonedx+json" : "application/spdx+json", doc,
                                    strlen(doc)) != 0)
    return 1;
  if (output == NULL || strcmp(output, "-") == 0) {
    if (fputs(doc, stdout) == EOF || fflush(stdout) != 0) {
      pyoci_error_set(&err, 0, "write standard output failed");
      return cli_fail(err);
    }
    return 0;
  }
  if (pyoci_write_file_atomic(output, doc, strlen(doc), 0644, &err) < 0)
    return cli_fail(err);
  pyoci_log(PYOCI_LOG_INFO, "Wrote %s SBOM of %s (%zu packages) to %s", cdx ? "CycloneDX 1.5" : "SPDX 2.3", arg,
            res->n_packages, output);
  return 0;
}
