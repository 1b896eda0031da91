/* pyoci images: list the store's images like `docker images`.  The rows
 * come from lib/image/listing.h; this file formats them: --format through
 * the Go template engine, or the table aligned the way docker's tabwriter
 * does (min width 10, padding 3). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/image/listing.h"
#include "lib/oci/store.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/gotemplate.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "cli.h"
#include "human.h"

static const char images_help[] =
    "Usage: pyoci images [OPTIONS] [REPOSITORY[:TAG]]\n"
    "\n"
    "List the images in the store, newest first.\n"
    "\n"
    "Options:\n"
    "  -q, --quiet        only show image IDs\n"
    "      --digests      show manifest digests\n"
    "      --no-trunc     don't truncate image IDs\n"
    "      --format FMT   Go template (as inspect's) over {{.Repository}} {{.Tag}} {{.ID}} {{.Digest}}\n"
    "                     {{.CreatedSince}} {{.CreatedAt}} {{.Size}}; 'table ...' adds a header\n"
    "      --store DIR    image store\n"
    "  -h, --help         show this help\n"
    "\n"
    "SIZE is the unpacked size, computed as Docker does (see pyoci inspect).\n";

/* docker images' --format fields (its imageContext), all strings, and
 * their table headers.  The template runs over a JSON object of them, typed
 * by field_kinds() so that an unknown field is an error, as in docker. */
static const char *const fields[][2] = {
    {"Repository", "REPOSITORY"}, {"Tag", "TAG"},         {"ID", "IMAGE ID"},         {"Digest", "DIGEST"},
    {"CreatedSince", "CREATED"},  {"CreatedAt", "CREATED AT"}, {"Size", "SIZE"},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static json_t *field_kinds(void)
{
  json_t *k = json_object();
  json_object_set_new(k, "", json_string("formatter.imageContext"));
  for (size_t i = 0; i < N_FIELDS; i++)
    json_object_set_new(k, fields[i][0], json_string("string"));
  return k;
}

/* The header row: each field's value is its column title, as docker does. */
static json_t *header_data(void)
{
  json_t *o = json_object();
  for (size_t i = 0; i < N_FIELDS; i++)
    json_object_set_new(o, fields[i][0], json_string(fields[i][1]));
  return o;
}

static void field_value(const char *f, const pyoci_image_row_t *r, bool no_trunc, strbuf_t *out)
{
  char buf[128];
  if (strcmp(f, "Repository") == 0)
    strbuf_addstr(out, r->repo);
  else if (strcmp(f, "Tag") == 0)
    strbuf_addstr(out, r->tag);
  else if (strcmp(f, "ID") == 0)
    strbuf_addf(out, "%.*s", no_trunc ? PYOCI_DIGEST_LEN : 12, no_trunc ? r->id : r->id + 7);
  else if (strcmp(f, "Digest") == 0)
    strbuf_addstr(out, r->digest);
  else if (strcmp(f, "CreatedSince") == 0) {
    if (!r->has_created) {
      strbuf_addstr(out, "N/A");
    } else {
      cli_human_duration((int64_t)(time(NULL) - r->created), buf, sizeof(buf));
      strbuf_addf(out, "%s ago", buf);
    }
  } else if (strcmp(f, "CreatedAt") == 0) {
    struct tm tm;
    time_t t = (time_t)r->created;
    if (!r->has_created || localtime_r(&t, &tm) == NULL)
      strbuf_addstr(out, "N/A");
    else if (strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm) > 0)
      strbuf_addstr(out, buf);
  } else if (strcmp(f, "Size") == 0) {
    cli_human_size((double)r->size, 3, buf, sizeof(buf));
    strbuf_addstr(out, buf);
  }
}

static json_t *row_data(const pyoci_image_row_t *r, bool no_trunc)
{
  json_t *o = json_object();
  strbuf_t v = STRBUF_INIT;
  for (size_t i = 0; i < N_FIELDS; i++) {
    strbuf_reset(&v);
    field_value(fields[i][0], r, no_trunc, &v);
    json_object_set_new(o, fields[i][0], json_string(strbuf_str(&v)));
  }
  strbuf_release(&v);
  return o;
}

/* docker's preFormat: "\t" and "\n" typed as two characters are a tab and a
 * newline, anywhere in the format. */
static char *unescape_format(const char *f)
{
  strbuf_t out = STRBUF_INIT;
  for (const char *p = f; *p; p++) {
    if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
      strbuf_addch(&out, p[1] == 't' ? '\t' : '\n');
      p++;
    } else {
      strbuf_addch(&out, *p);
    }
  }
  return strbuf_detach(&out);
}

/* Parse the template and run it on the header row, which checks its
 * fields before the store is read; out gets the header line. */
static int prepare(const char *text, pyoci_gotemplate_t **t, const json_t *kinds, strbuf_t *out, pyoci_error_t **err)
{
  cleanup_free char *tmpl = unescape_format(text);
  if (pyoci_gotemplate_parse(tmpl, PYOCI_GT_STRICT_FIELDS, t, err) < 0)
    return -1;
  cleanup_json json_t *header = header_data();
  return pyoci_gotemplate_execute(*t, header, kinds, out, err);
}

int cmd_images(int argc, char **argv)
{
  enum { OPT_DIGESTS = 0x2000, OPT_NO_TRUNC, OPT_FORMAT };
  static const struct option opts[] = {
      {"help", no_argument, NULL, 'h'},          {"digests", no_argument, NULL, OPT_DIGESTS},
      {"no-trunc", no_argument, NULL, OPT_NO_TRUNC}, {"format", required_argument, NULL, OPT_FORMAT},
      CLI_COMMON_LONGOPTS,                       {NULL, 0, NULL, 0},
  };
  bool quiet = false, digests = false, no_trunc = false;
  const char *format = NULL;
  int c;
  while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    if (c == 'q') {
      quiet = true; /* docker images -q: IDs only */
      continue;
    }
    if (cli_common_option(c, optarg))
      continue;
    switch (c) {
    case 'h':
      return cli_help(images_help);
    case OPT_DIGESTS:
      digests = true;
      break;
    case OPT_NO_TRUNC:
      no_trunc = true;
      break;
    case OPT_FORMAT:
      format = optarg;
      break;
    default:
      return cli_bad_option("images");
    }
  }
  if (argc - optind > 1)
    return cli_usage_error("images", "at most one REPOSITORY[:TAG] argument");
  const char *filter = optind < argc ? argv[optind] : NULL;

  const char *tmpl;
  if (quiet)
    tmpl = "{{.ID}}";
  else if (format != NULL)
    tmpl = format;
  else if (digests)
    tmpl = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  else
    tmpl = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  bool table = strncmp(tmpl, "table", 5) == 0 && (tmpl[5] == '\0' || tmpl[5] == ' ');
  if (table) {
    tmpl += 5;
    while (*tmpl == ' ')
      tmpl++;
    if (*tmpl == '\0')
      tmpl = "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  }
  cleanup_strbuf strbuf_t out = STRBUF_INIT;
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_gotemplate pyoci_gotemplate_t *t = NULL;
  cleanup_json json_t *kinds = field_kinds();
  if (prepare(tmpl, &t, kinds, &out, &err) < 0)
    return cli_usage_error("images", "bad --format: %s (fields: .Repository .Tag .ID .Digest "
                           ".CreatedSince .CreatedAt .Size)", err->msg);
  if (!table)
    strbuf_reset(&out);
  else
    strbuf_addch(&out, '\n');

  pyoci_store_t *s = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  pyoci_image_rows_t rows = {0};
  int rc = pyoci_image_rows(s, filter, &rows, &err);
  pyoci_store_close(s);
  if (rc < 0) {
    pyoci_image_rows_free(&rows);
    return cli_fail(err);
  }
  for (size_t i = 0; i < rows.n; i++) {
    if (quiet) {
      bool dup = false;
      for (size_t j = 0; j < i && !dup; j++)
        dup = strcmp(rows.v[j].id, rows.v[i].id) == 0;
      if (dup)
        continue;
    }
    cleanup_json json_t *data = row_data(&rows.v[i], no_trunc);
    if (pyoci_gotemplate_execute(t, data, kinds, &out, &err) < 0)
      break;
    strbuf_addch(&out, '\n');
  }
  pyoci_image_rows_free(&rows);
  if (err != NULL)
    return cli_fail(err);
  if (table)
    cli_print_aligned(strbuf_str(&out));
  else
    fputs(strbuf_str(&out), stdout);
  return 0;
}
