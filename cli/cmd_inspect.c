/* pyoci inspect: `docker image inspect` for images in the store — the same
 * JSON (an array, 4-space indent) or a Go template per image with -f. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/image/layersize.h"
#include "lib/oci/image.h"
#include "lib/oci/inspect.h"
#include "lib/oci/store.h"
#include "lib/util/cleanup.h"
#include "lib/util/gojson.h"
#include "lib/util/gotemplate.h"
#include "lib/util/json.h"
#include "cli.h"
#include "registry_cli.h"

static const char inspect_help[] =
    "Usage: pyoci inspect [OPTIONS] IMAGE [IMAGE...]\n"
    "       pyoci inspect [--raw] docker://NAME[:TAG|@DIGEST]\n"
    "\n"
    "docker://NAME asks the registry (skopeo inspect's JSON: Name, Digest, RepoTags,\n"
    "Created, Labels, Architecture, Os, Layers, Env) without pulling layers.\n"
    "\n"
    "Show images' configuration as `docker image inspect` does: a JSON array,\n"
    "or one line per image from a Go template.\n"
    "\n"
    "Options:\n"
    "      --raw              with docker://REF: the manifest bytes as the registry serves them\n"
    "  -f, --format TEMPLATE  Go template, e.g. '{{.Size}} {{len .RootFS.Layers}}',\n"
    "                         '{{json .Config.Cmd}}', '{{range .RepoTags}}{{println .}}{{end}}'\n"
    "      --store DIR        image store\n"
    "  -q, --quiet            no progress output\n"
    "  -h, --help             show this help\n"
    "\n"
    "Size is Docker's number: the unpacked size of the layers (files, symlink\n"
    "targets; hard links once), computed from the layers once and cached.\n"
    "\n"
    "Exit status: 0 when every IMAGE was found, 1 otherwise (the others are\n"
    "still printed), 2 for usage and template syntax errors.\n";

/* One image's inspect object; NULL + err when it cannot be loaded. */
static json_t *inspect_one(pyoci_store_t *s, const char *ref, pyoci_error_t **err)
{
  cleanup_image pyoci_image_t *img = NULL;
  if (pyoci_image_load(s, ref, &img, err) < 0)
    return NULL;
  int64_t size;
  if (pyoci_image_unpacked_size(s, img, &size, err) < 0)
    return NULL;
  return pyoci_inspect_image(s, img, size, err);
}

static void print_error(pyoci_error_t *err, const char *ref)
{
  /* ref and the message quote outside names: escaped, one line */
  if (err && err->code == PYOCI_E_NOT_FOUND) {
    fputs("Error: No such image: ", stderr);
    cli_put_escaped(ref, stderr);
  } else {
    fputs("Error: ", stderr);
    cli_put_escaped(err && err->msg ? err->msg : "unknown error", stderr);
  }
  fputc('\n', stderr);
}

int cmd_inspect(int argc, char **argv)
{
  static const struct option opts[] = {
      {"format", required_argument, NULL, 'f'},
      {"raw", no_argument, NULL, 'R'},
      {"help", no_argument, NULL, 'h'},
      CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  const char *format = NULL;
  bool raw = false;
  const cli_optset_t sets[] = {{.opt = 'f', .str = &format}, {.opt = 'R', .flag = &raw}, {0}};
  int optst = cli_getopt("inspect", argc, argv, "f:hq", opts, sets, NULL, inspect_help);
  if (optst >= 0)
    return optst;
  if (optind >= argc)
    return cli_usage_error("inspect", "requires at least 1 argument");
  if (strncmp(argv[optind], "docker://", 9) == 0) {
    if (argc - optind != 1 || format != NULL)
      return cli_usage_error("inspect", "docker://REF takes one reference and no --format");
    return cli_registry_inspect(argv[optind] + 9, raw);
  }
  if (raw)
    return cli_usage_error("inspect", "--raw applies to docker://REF");

  cleanup_gotemplate pyoci_gotemplate_t *tmpl = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  if (format != NULL && *format != '\0' && pyoci_gotemplate_parse(format, 0, &tmpl, &err) < 0) {
    fputs("template parsing error: ", stderr);
    cli_put_escaped(err->msg, stderr);
    fputc('\n', stderr);
    return EXIT_USAGE;
  }

  pyoci_store_t *s = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  int status = 0;
  json_t *all = json_array();
  cleanup_strbuf strbuf_t out = STRBUF_INIT;
  for (int i = optind; i < argc; i++) {
    pyoci_error_t *one = NULL;
    json_t *obj = inspect_one(s, argv[i], &one);
    if (obj == NULL) {
      print_error(one, argv[i]);
      pyoci_error_free(one);
      status = 1;
      continue;
    }
    if (tmpl == NULL) {
      json_array_append_new(all, obj);
      continue;
    }
    /* Like docker, an image's line is printed only when its template ran. */
    strbuf_t line = STRBUF_INIT;
    if (pyoci_gotemplate_execute(tmpl, obj, pyoci_inspect_kinds(), &line, &one) < 0) {
      fputs("Template parsing error: ", stderr);
      cli_put_escaped(one->msg, stderr);
      fputc('\n', stderr);
      pyoci_error_free(one);
      status = 1;
    } else {
      strbuf_add(&out, line.buf ? line.buf : "", line.len);
      strbuf_addch(&out, '\n');
    }
    strbuf_release(&line);
    json_decref(obj);
    fputs(strbuf_str(&out), stdout);
    strbuf_reset(&out);
  }
  pyoci_store_close(s);
  if (tmpl == NULL) {
    /* dockerd writes JSON with SetEscapeHTML(false); the CLI re-indents
     * it with 4 spaces */
    pyoci_go_json_encode(&out, all, "    ", false);
    strbuf_addch(&out, '\n');
    fputs(strbuf_str(&out), stdout);
  }
  json_decref(all);
  fflush(stdout);
  return status;
}
