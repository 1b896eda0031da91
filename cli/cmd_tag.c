/* pyoci tag SOURCE TARGET: give an image another name (docker tag). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/oci/store.h"
#include "lib/util/cleanup.h"
#include "cli.h"

static const char tag_help[] =
    "Usage: pyoci tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n"
    "\n"
    "Create a name TARGET_IMAGE that refers to SOURCE_IMAGE.  SOURCE may be a\n"
    "name, a name@digest, an image ID or a unique prefix of one.  A name that\n"
    "already points at another image moves; that image keeps its other names\n"
    "(or stays as an untagged image).\n"
    "\n"
    "Options:\n"
    "      --store DIR   image store\n"
    "  -h, --help        show this help\n";

int cmd_tag(int argc, char **argv)
{
  static const struct option opts[] = {
      {"help", no_argument, NULL, 'h'},
      CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    if (cli_common_option(c, optarg))
      continue;
    if (c == 'h')
      return cli_help(tag_help);
    return cli_bad_option("tag");
  }
  if (argc - optind != 2)
    return cli_usage_error("tag", "\"tag\" requires exactly 2 arguments");
  const char *src = argv[optind], *dst = argv[optind + 1];

  pyoci_store_t *s = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  char digest[PYOCI_DIGEST_LEN];
  int rc = pyoci_store_resolve(s, src, digest, &err);
  pyoci_index_entry_t *v = NULL;
  size_t n = 0;
  if (rc == 0)
    rc = pyoci_store_list(s, &v, &n, &err);
  if (rc == 0) {
    const char *mt = NULL;
    int64_t size = -1;
    for (size_t i = 0; i < n && mt == NULL; i++)
      if (strcmp(v[i].digest, digest) == 0) {
        mt = v[i].media_type;
        size = v[i].size;
      }
    rc = pyoci_store_add_image(s, digest, mt, size, dst, &err);
  }
  pyoci_index_entries_free(v, n);
  pyoci_store_close(s);
  return rc < 0 ? cli_fail(err) : 0;
}
