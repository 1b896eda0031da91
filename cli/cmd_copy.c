/* pyoci copy: an image between transports, with skopeo's names.  Every copy
 * goes through the store (content-addressed, verified on entry), so a blob
 * already there is never fetched twice. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/oci/archive.h"
#include "lib/oci/image.h"
#include "lib/oci/layout.h"
#include "lib/oci/ref.h"
#include "lib/oci/store.h"
#include "lib/registry/registry.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "cli.h"
#include "registry_cli.h"

static const char usage[] =
    "Usage: pyoci copy [OPTIONS] SRC DEST\n\n"
    "Copy an image, as skopeo copy does.  SRC and DEST are one of\n"
    "  docker://NAME[:TAG|@DIGEST]   a registry\n"
    "  oci:DIR[:REF]                 an OCI image layout directory (REF: its ref.name)\n"
    "  oci-archive:FILE[:REF]        an OCI layout in a tar file\n"
    "  docker-archive:FILE[:NAME]    what docker save writes and docker load reads\n"
    "  store:NAME or NAME            the pyoci store\n"
    "The image passes through the store: blobs it has are not fetched again, every\n"
    "blob is verified on entry.  Copies are kept there untagged (unless DEST is the\n"
    "store) until 'pyoci prune'; archive destinations with a NAME tag it.\n\n"
    "Options:\n"
    "      --platform OS/ARCH[/VARIANT]  platform to take from an index (docker://)\n"
    "  -a, --all                 copy every platform of an index (docker://)\n"
    "      --check-layers        refuse a docker:// image with a '..', absolute or\n"
    "                            escaping entry before it enters the store, as the\n"
    "                            other sources always are (see pyoci pull --help)\n" CLI_REGISTRY_HELP
    "      --store DIR        image store\n"
    "  -q, --quiet            no progress output\n"
    "  -h, --help             show this help\n";

enum kind { K_DOCKER, K_OCI, K_OCI_ARCHIVE, K_DOCKER_ARCHIVE, K_STORE };

struct endpoint {
  enum kind kind;
  char *path; /* DIR or FILE */
  char *ref;  /* registry reference, store name, or the REF part (may be NULL) */
};

static void endpoint_free(struct endpoint *e)
{
  free(e->path);
  free(e->ref);
}

/* "oci-archive:/x/y.tar:app:1" -> path "/x/y.tar", ref "app:1". */
static void split_path_ref(const char *s, struct endpoint *e)
{
  const char *colon = strchr(s, ':');
  e->path = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
  e->ref = colon && colon[1] ? xstrdup(colon + 1) : NULL;
}

static int parse_endpoint(const char *s, struct endpoint *e)
{
  static const struct {
    const char *prefix;
    enum kind kind;
  } t[] = {{"docker://", K_DOCKER}, {"oci-archive:", K_OCI_ARCHIVE}, {"docker-archive:", K_DOCKER_ARCHIVE},
           {"oci:", K_OCI},         {"store:", K_STORE}};
  memset(e, 0, sizeof(*e));
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    size_t n = strlen(t[i].prefix);
    if (strncmp(s, t[i].prefix, n) != 0)
      continue;
    e->kind = t[i].kind;
    if (e->kind == K_DOCKER || e->kind == K_STORE)
      e->ref = xstrdup(s + n);
    else
      split_path_ref(s + n, e);
    return (e->ref == NULL || *e->ref) && (e->kind == K_DOCKER || e->kind == K_STORE || *e->path) ? 0 : -1;
  }
  if (strstr(s, "://") != NULL)
    return -1;
  e->kind = K_STORE;
  e->ref = xstrdup(s);
  return 0;
}

static int from_archive(pyoci_store_t *s, const struct endpoint *e, char digest[PYOCI_DIGEST_LEN],
                        pyoci_error_t **err)
{
  cleanup_close int fd = open(e->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", e->path);
  pyoci_loaded_image_t *v = NULL;
  size_t n = 0;
  if (pyoci_archive_load(s, fd, e->path, &v, &n, err) < 0)
    return -1;
  cleanup_free char *want = e->ref ? pyoci_ref_normalize(e->ref, NULL) : NULL;
  int found = -1;
  for (size_t i = 0; i < n && found < 0; i++)
    for (size_t k = 0; k < v[i].n_names && want; k++)
      if (strcmp(v[i].names[k], want) == 0)
        found = (int)i;
  if (want == NULL && n == 1)
    found = 0;
  if (found >= 0)
    memcpy(digest, v[found].manifest_digest, PYOCI_DIGEST_LEN);
  pyoci_loaded_images_free(v, n);
  if (found < 0)
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "'%s': %s", e->path,
                                e->ref ? "no image by that name" : "holds several images: name one (FILE:NAME)");
  return 0;
}

/* Bring SRC into the store; digest = its manifest (or index). */
static int fetch_src(pyoci_store_t *s, const struct endpoint *e, struct cli_registry *rc, const pyoci_pull_opts_t *po,
                     char digest[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  switch (e->kind) {
  case K_DOCKER: {
    pyoci_pull_result_t res;
    if (pyoci_registry_pull(s, e->ref, &rc->o, po, &res, err) < 0)
      return -1;
    memcpy(digest, res.digest, PYOCI_DIGEST_LEN);
    pyoci_pull_result_free(&res);
    return 0;
  }
  case K_OCI:
    return pyoci_layout_import(s, e->path, e->ref, digest, err);
  case K_OCI_ARCHIVE:
  case K_DOCKER_ARCHIVE:
    return from_archive(s, e, digest, err);
  case K_STORE:
    return pyoci_store_resolve(s, e->ref, digest, err);
  }
  return -1;
}

static int tag_in_store(pyoci_store_t *s, const char *digest, const char *name, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_store_read_blob(s, digest, PYOCI_MAX_MANIFEST_SIZE, &buf, &len, err) < 0)
    return -1;
  cleanup_json json_t *j = json_loadb(buf, len, 0, NULL);
  const char *mt = j ? pyoci_json_str(j, "mediaType") : NULL;
  return pyoci_store_add_image(s, digest, mt, (int64_t)len, name, err);
}

static int put_dest(pyoci_store_t *s, const struct endpoint *src, const struct endpoint *e, struct cli_registry *rc,
                    const char *digest, pyoci_error_t **err)
{
  switch (e->kind) {
  case K_DOCKER: {
    rc->o.source_ref = src->kind == K_DOCKER ? src->ref : NULL;
    pyoci_push_result_t res;
    int st = pyoci_registry_push(s, digest, e->ref, &rc->o, &res, err);
    pyoci_push_result_free(&res);
    return st;
  }
  case K_OCI:
    return pyoci_layout_export(s, digest, e->path, e->ref, err);
  case K_OCI_ARCHIVE:
  case K_DOCKER_ARCHIVE: {
    if (e->ref != NULL && tag_in_store(s, digest, e->ref, err) < 0)
      return -1;
    const char *ref = e->ref ? e->ref : digest;
    pyoci_save_opts_t so = {.fmt = e->kind == K_OCI_ARCHIVE ? PYOCI_ARCHIVE_OCI : PYOCI_ARCHIVE_DOCKER};
    return pyoci_archive_save_file_opts(s, &ref, 1, &so, e->path, err);
  }
  case K_STORE:
    return tag_in_store(s, digest, e->ref, err);
  }
  return -1;
}

int cmd_copy(int argc, char **argv)
{
  enum { OPT_PLATFORM = 0x2000, OPT_CHECK_LAYERS };
  static const struct option opts[] = {
      {"platform", required_argument, NULL, OPT_PLATFORM}, {"all", no_argument, NULL, 'a'},
      {"check-layers", no_argument, NULL, OPT_CHECK_LAYERS},
      {"help", no_argument, NULL, 'h'}, CLI_REGISTRY_LONGOPTS, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0},
  };
  struct cli_registry rc_ __attribute__((cleanup(cli_registry_free)));
  cli_registry_init(&rc_);
  pyoci_pull_opts_t po = {.untagged = true};
  const cli_optset_t sets[] = {{.opt = OPT_PLATFORM, .str = &po.platform},
                               {.opt = 'a', .flag = &po.all_platforms},
                               {.opt = OPT_CHECK_LAYERS, .flag = &po.check_layers}, {0}};
  int st = cli_getopt("copy", argc, argv, "ahq", opts, sets, &rc_, usage);
  if (st >= 0)
    return st;
  cli_registry_progress_start(&rc_);
  if (argc - optind != 2)
    return cli_usage_error("copy", "requires SRC and DEST");
  struct endpoint src __attribute__((cleanup(endpoint_free))) = {0}, dst __attribute__((cleanup(endpoint_free))) = {0};
  if (parse_endpoint(argv[optind], &src) < 0)
    return cli_usage_error("copy", "'%s': not a known transport (docker://, oci:, oci-archive:, docker-archive:, store:)", argv[optind]);
  if (parse_endpoint(argv[optind + 1], &dst) < 0)
    return cli_usage_error("copy", "'%s': not a known transport (docker://, oci:, oci-archive:, docker-archive:, store:)", argv[optind + 1]);
  if (dst.kind == K_STORE && dst.ref == NULL)
    return cli_usage_error("copy", "a store destination needs a NAME");
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_store_t *s = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  char digest[PYOCI_DIGEST_LEN];
  st = fetch_src(s, &src, &rc_, &po, digest, &err);
  if (st == 0)
    st = put_dest(s, &src, &dst, &rc_, digest, &err);
  pyoci_store_close(s);
  cli_registry_progress_end();
  if (st < 0)
    return cli_fail(err);
  if (!pyoci_globals.quiet)
    fprintf(stderr, "Copied %s\n", digest);
  return 0;
}
