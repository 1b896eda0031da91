/* pyoci build: docker build without a daemon. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/builder/executor.h"
#include "lib/oci/archive.h"
#include "lib/oci/ref.h"
#include "lib/oci/store.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "cli.h"


static const char build_help[] =
    "Usage: pyoci build [OPTIONS] CONTEXT\n"
    "\n"
    "Build an image from a Dockerfile, without a daemon.  RUN steps run in runc on\n"
    "an overlay of the image's layers (root is needed for them); every step is cached.\n"
    "\n"
    "Options:\n"
    "  -t, --tag NAME          name the image (repeatable)\n"
    "  -f, --file PATH         the Dockerfile (default CONTEXT/Dockerfile)\n"
    "      --build-arg K=V     set a build-time variable (K alone takes $K)\n"
    "      --target STAGE      build this stage and what it needs\n"
    "      --no-cache          run every step again\n"
    "      --network MODE      network for RUN: host (default) or none\n"
    "      --secret SPEC       a secret for RUN --mount=type=secret (repeatable):\n"
    "                          id=ID,src=FILE  or  id=ID,env=VAR  or  id=ID (takes $ID)\n"
    "      --iidfile FILE      write the image ID to FILE\n"
    "  -o, --output SPEC       also write the image: type=docker,dest=FILE or\n"
    "                          type=oci,dest=FILE[,compression=ALGO][,compression-level=N]\n"
    "                          (oci layers: gzip by default as in BuildKit, zstd or\n"
    "                          uncompressed; gzip levels 1-12, zstd 1-22)\n"
    "  -q, --quiet             print only the image ID\n"
    "      --store DIR         image store\n"
    CLI_LIMITS_HELP
    "\n"
    "Base images come from the store: 'pyoci load' or 'pyoci import' them first.\n"
    "SOURCE_DATE_EPOCH, when set, fixes every timestamp: the same inputs give the same digest.\n";

static void print_step(void *ctx, const char *stage, size_t n, size_t total, const char *text, bool cached)
{
  if (pyoci_globals.quiet)
    return;
  fprintf(stderr, "[%s %zu/%zu] %s\n", stage, n, total, text);
}

static void print_output(void *ctx, const char *line)
{
  if (!pyoci_globals.quiet)
    fprintf(stderr, "  %s\n", line);
}

#define SECRET_MAX (500u << 10) /* BuildKit's limit */

typedef struct {
  pyoci_build_secret_t *v;
  size_t n;
} secrets_t;

static void secrets_free(secrets_t *s)
{
  for (size_t i = 0; i < s->n; i++) {
    explicit_bzero((char *)s->v[i].data, s->v[i].len);
    free((char *)s->v[i].data);
    free((char *)s->v[i].id);
  }
  free(s->v);
  s->v = NULL;
  s->n = 0;
}

/* --secret id=ID[,src=FILE|,env=VAR][,type=file|env], as docker buildx reads
 * it: without src and env the value is $ID.  Returns 0, or -1 with *why set
 * (a usage problem) or *err set (the file cannot be read). */
static int add_secret(secrets_t *s, const char *spec, const char **why, pyoci_error_t **err)
{
  cleanup_free char *copy = xstrdup(spec);
  const char *id = NULL, *src = NULL, *env = NULL, *type = NULL;
  for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(kv, '=');
    if (eq == NULL) {
      *why = "fields are key=value";
      return -1;
    }
    *eq = '\0';
    if (strcmp(kv, "id") == 0)
      id = eq + 1;
    else if (strcmp(kv, "src") == 0 || strcmp(kv, "source") == 0)
      src = eq + 1;
    else if (strcmp(kv, "env") == 0)
      env = eq + 1;
    else if (strcmp(kv, "type") == 0)
      type = eq + 1;
    else {
      *why = "unknown field (use id, src, env, type)";
      return -1;
    }
  }
  if (type && strcmp(type, "file") != 0 && strcmp(type, "env") != 0) {
    *why = "type must be file or env";
    return -1;
  }
  if (id == NULL || *id == '\0')
    id = src ? src : env;
  if (id == NULL || *id == '\0' || (src && env)) {
    *why = src && env ? "give src or env, not both" : "id is required";
    return -1;
  }
  if (type && strcmp(type, "file") == 0 && src == NULL)
    src = id;
  if (src == NULL && env == NULL)
    env = id;
  char *data = NULL;
  size_t len = 0;
  if (src) {
    if (pyoci_read_stream(src, SECRET_MAX, &data, &len, err) < 0) /* src=/dev/stdin works */
      return pyoci_error_prefix(err, "--secret id=%s", id);
  } else {
    const char *v = getenv(env);
    if (v == NULL) {
      *why = "its environment variable is not set";
      return -1;
    }
    data = xstrdup(v);
    len = strlen(v);
  }
  s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
  s->v[s->n++] = (pyoci_build_secret_t){.id = xstrdup(id), .data = data, .len = len};
  return 0;
}

/* -o type=docker|oci,dest=FILE[,compression=ALGO][,compression-level=N], with
 * BuildKit's attribute names.  type=oci compresses layers with gzip unless
 * told otherwise (BuildKit's default); a docker-archive holds plain tar. */
typedef struct {
  pyoci_archive_format_t fmt;
  char *dest;
  pyoci_variant_spec_t spec;
} output_t;

/* 0, or -1 with why (a static string or one in *msg, which the caller frees). */
static int parse_output(const char *spec, output_t *o, const char **why, char **msg)
{
  cleanup_free char *copy = xstrdup(spec);
  const char *type = NULL, *algo = NULL, *level = NULL;
  o->dest = NULL;
  for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(kv, '=');
    if (eq == NULL) {
      *why = "attributes are key=value";
      return -1;
    }
    *eq++ = '\0';
    if (strcmp(kv, "type") == 0)
      type = eq;
    else if (strcmp(kv, "dest") == 0)
      free(o->dest), o->dest = xstrdup(eq);
    else if (strcmp(kv, "compression") == 0)
      algo = eq;
    else if (strcmp(kv, "compression-level") == 0)
      level = eq;
    else {
      *why = "unknown attribute (type, dest, compression, compression-level)";
      return -1;
    }
  }
  if (type == NULL || (strcmp(type, "docker") != 0 && strcmp(type, "oci") != 0)) {
    *why = "type must be docker or oci";
    return -1;
  }
  if (o->dest == NULL || o->dest[0] == '\0') {
    *why = "dest=FILE is required";
    return -1;
  }
  o->fmt = strcmp(type, "oci") == 0 ? PYOCI_ARCHIVE_OCI : PYOCI_ARCHIVE_DOCKER;
  if (o->fmt == PYOCI_ARCHIVE_DOCKER && (algo || level)) {
    *why = "type=docker writes uncompressed layers (docker-archive); compression applies to type=oci";
    return -1;
  }
  cleanup_error pyoci_error_t *err = NULL;
  if (o->fmt == PYOCI_ARCHIVE_OCI && pyoci_variant_spec_parse(algo ? algo : "gzip", level, &o->spec, &err) < 0) {
    *msg = xstrdup(err->msg);
    *why = *msg;
    return -1;
  }
  return 0;
}

int cmd_build(int argc, char **argv)
{
  static const struct option opts[] = {
      {"tag", required_argument, NULL, 't'},      {"file", required_argument, NULL, 'f'},
      {"build-arg", required_argument, NULL, 'a'}, {"target", required_argument, NULL, 'T'},
      {"no-cache", no_argument, NULL, 'n'},        {"network", required_argument, NULL, 'N'},
      {"iidfile", required_argument, NULL, 'i'},   {"output", required_argument, NULL, 'o'},
      {"secret", required_argument, NULL, 'S'},
      {"help", no_argument, NULL, 'h'},            CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  /* Owned copies, freed on every return (--build-arg K makes its "K=V"). */
  cleanup_strvec pyoci_strv_t tags = PYOCI_STRV_INIT, args = PYOCI_STRV_INIT;
  /* freed (and wiped) on every return: an invalid -t after --secret leaked */
  __attribute__((cleanup(secrets_free))) secrets_t secrets = {0};
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_build_opts_t o = {0};
  const char *iidfile = NULL, *output = NULL;
  int c;
  while ((c = getopt_long(argc, argv, "t:f:o:qh", opts, NULL)) != -1) {
    switch (c) {
    case 't':
      pyoci_strv_push(&tags, optarg);
      break;
    case 'f':
      o.dockerfile = optarg;
      break;
    case 'a':
      if (strchr(optarg, '=') == NULL) {
        /* --build-arg K: the value comes from the environment, as in docker */
        const char *v = getenv(optarg);
        if (v == NULL)
          break;
        pyoci_strv_pushf(&args, "%s=%s", optarg, v);
      } else {
        pyoci_strv_push(&args, optarg);
      }
      break;
    case 'T':
      o.target = optarg;
      break;
    case 'n':
      o.no_cache = true;
      break;
    case 'N':
      if (strcmp(optarg, "none") == 0)
        o.network_none = true;
      else if (strcmp(optarg, "host") != 0 && strcmp(optarg, "default") != 0)
        return cli_usage_error("build", "--network must be host or none, not '%s'", optarg);
      break;
    case 'i':
      iidfile = optarg;
      break;
    case 'S': {
      const char *why = NULL;
      if (add_secret(&secrets, optarg, &why, &err) < 0) {
        secrets_free(&secrets);
        if (why)
          return cli_usage_error("build", "--secret '%s': %s", optarg, why);
        return cli_fail(err);
      }
      break;
    }
    case 'o':
      output = optarg;
      break;
    case 'h':
      return cli_help(build_help);
    default:
      if (cli_common_option(c, optarg))
        break;
      return cli_bad_option("build");
    }
  }
  if (optind != argc - 1)
    return cli_usage_error("build", "requires exactly 1 argument (the build context)");
  o.context = argv[optind];
  output_t out = {0};
  if (output) {
    const char *why = NULL;
    cleanup_free char *msg = NULL;
    if (parse_output(output, &out, &why, &msg) < 0) {
      free(out.dest);
      return cli_usage_error("build", "--output '%s': %s", output, why);
    }
  }

  /* Check the names before any work: a typo should not cost a build. */
  for (size_t i = 0; i < tags.n; i++) {
    cleanup_free char *n = pyoci_ref_normalize(tags.v[i], &err);
    if (n == NULL)
      return cli_usage_error("build", "invalid tag '%s': %s", tags.v[i], err->msg);
  }
  o.tags = (const char *const *)tags.v;
  o.n_tags = tags.n;
  o.build_args = (const char *const *)args.v;
  o.n_build_args = args.n;
  o.secrets = secrets.v;
  o.n_secrets = secrets.n;
  o.on_step = print_step;
  o.on_output = print_output;

  pyoci_store_t *s = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  char manifest[PYOCI_DIGEST_LEN];
  char id[PYOCI_DIGEST_LEN];
  int rc = pyoci_build(s, &o, manifest, &err);
  secrets_free(&secrets);
  if (rc == 0)
    rc = pyoci_store_image_id(s, manifest, id, &err);
  if (rc == 0 && out.dest) {
    const char *ref = tags.n > 0 ? tags.v[0] : manifest;
    pyoci_save_opts_t so = {.fmt = out.fmt, .layers = out.fmt == PYOCI_ARCHIVE_OCI ? &out.spec : NULL};
    rc = pyoci_archive_save_file_opts(s, &ref, 1, &so, out.dest, &err);
  }
  free(out.dest);
  pyoci_store_close(s);
  if (rc < 0)
    return cli_fail(err);
  if (iidfile && pyoci_write_file_atomic(iidfile, id, strlen(id), 0644, &err) < 0)
    return cli_fail(err);
  if (pyoci_globals.quiet) {
    printf("%s\n", id);
  } else {
    fprintf(stderr, "writing image %s done\n", id);
    for (size_t i = 0; i < tags.n; i++)
      fprintf(stderr, "naming to %s done\n", tags.v[i]);
  }
  return 0;
}
