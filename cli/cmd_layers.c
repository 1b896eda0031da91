/* pyoci layers: per-layer sizes and files, and dive's analysis (efficiency,
 * wasted space, inefficient files), with dive's CI rules (--ci). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/image/analyze.h"
#include "lib/oci/image.h"
#include "lib/oci/store.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/gojson.h"
#include "lib/util/json.h"
#include "cli.h"
#include "human.h"

static const char layers_help[] =
    "Usage: pyoci layers [OPTIONS] IMAGE\n"
    "\n"
    "Analyse an image's layers the way dive does: each layer's size, file\n"
    "count and the command that made it; the largest files of the image;\n"
    "files stored in more than one layer (\"inefficient files\"), the bytes they\n"
    "waste and the image efficiency score.\n"
    "\n"
    "Options:\n"
    "      --ci                           check dive's CI rules; exit 1 when one fails\n"
    "      --lowest-efficiency F          fail below this efficiency (default 0.9)\n"
    "      --highest-wasted-bytes SIZE    fail above this many wasted bytes, e.g. 20MB,\n"
    "                                     1.5GB, 512KiB, 1024 (default: disabled)\n"
    "      --highest-user-wasted-percent F  fail when wasted bytes exceed this fraction\n"
    "                                     of the bytes added over the base layer (default 0.1)\n"
    "      --top N                        largest and inefficient files to list (default 10)\n"
    "      --format table|json            output format (default table)\n"
    "      --store DIR                    image store\n"
    "  -q, --quiet                        no progress output\n"
    "  -h, --help                         show this help\n"
    "\n"
    "Any rule takes 'disabled'.  SIZE in the table is Docker's layer size (what\n"
    "`docker image inspect` adds up); dive's numbers (efficiency, wasted space)\n"
    "use tar header sizes, which leave out symlink targets.\n"
    "\n"
    "Exit status: 0, 1 on errors or a failed CI rule, 2 on usage errors.\n";

enum { OPT_CI = 0x2000, OPT_LOWEST_EFF, OPT_HIGHEST_WASTED, OPT_HIGHEST_USER, OPT_TOP, OPT_FORMAT };

/* go-humanize Bytes (what dive prints): base 1000, "%.0f %s", or "%.1f %s"
 * below 10; "%d B" under 10 bytes. */
static void humanize_bytes(uint64_t s, char *buf, size_t len)
{
  static const char *const sizes[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  if (s < 10) {
    snprintf(buf, len, "%llu B", (unsigned long long)s);
    return;
  }
  int e = (int)floor(log((double)s) / log(1000.0));
  if (e > 6)
    e = 6;
  double val = floor((double)s / pow(1000.0, e) * 10 + 0.5) / 10;
  snprintf(buf, len, val < 10 ? "%.1f %s" : "%.0f %s", val, sizes[e]);
}

/* Go's %2.4f: C's, except NaN and infinities. */
static void go_fixed4(strbuf_t *sb, double v)
{
  if (isnan(v))
    strbuf_addstr(sb, "NaN");
  else if (isinf(v))
    strbuf_addstr(sb, v > 0 ? "+Inf" : "-Inf");
  else
    strbuf_addf(sb, "%2.4f", v);
}

typedef struct {
  bool disabled;
  double value;
  uint64_t bytes;
  const char *text;
} rule_t;

static int parse_rule_float(const char *s, rule_t *r)
{
  r->text = s;
  if (strcmp(s, "disabled") == 0) {
    r->disabled = true;
    return 0;
  }
  char *end;
  errno = 0;
  r->value = strtod(s, &end);
  r->disabled = false;
  return (*s == '\0' || *end != '\0' || errno != 0) ? -1 : 0;
}

static int parse_rule_bytes(const char *s, rule_t *r)
{
  r->text = s;
  if (strcmp(s, "disabled") == 0) {
    r->disabled = true;
    return 0;
  }
  r->disabled = false;
  return cli_parse_bytes(s, &r->bytes);
}

typedef struct {
  const char *name, *image, *id;
  const pyoci_image_t *img;
  const pyoci_analysis_result_t *res;
  const int64_t *docker_sizes;
  const char **created_by;
  size_t top;
} report_t;

static void inefficient_table(strbuf_t *sb, const report_t *r, size_t limit)
{
  strbuf_addf(sb, "%5s  %12s  %s\n", "Count", "Wasted Space", "File Path");
  if (r->res->n_ineff == 0)
    strbuf_addstr(sb, "None\n");
  for (size_t i = 0; i < r->res->n_ineff && i < limit; i++) {
    char h[32];
    humanize_bytes((uint64_t)r->res->ineff[i].cumulative, h, sizeof(h));
    strbuf_addf(sb, "%5zu  %12s  %s\n", r->res->ineff[i].count, h, r->res->ineff[i].path);
  }
}

/* One line per value: no tabs or newlines from a created_by inside a table. */
static void add_oneline(strbuf_t *sb, const char *s, size_t max)
{
  size_t n = 0;
  for (; *s && n < max; s++, n++)
    strbuf_addch(sb, (*s == '\n' || *s == '\t' || *s == '\r') ? ' ' : *s);
  if (*s)
    strbuf_addstr(sb, "...");
}

static void print_table(const report_t *r)
{
  cleanup_strbuf strbuf_t sb = STRBUF_INIT;
  const pyoci_analysis_result_t *res = r->res;
  strbuf_addf(&sb, "Image: %s (%.19s)\n\n", r->name, r->id);
  strbuf_addf(&sb, "%-3s  %-12s  %9s  %7s  %s\n", "#", "LAYER", "SIZE", "FILES", "CREATED BY");
  int64_t total = 0;
  for (size_t i = 0; i < r->img->n_layers; i++) {
    char h[32];
    cli_human_size((double)r->docker_sizes[i], 3, h, sizeof(h));
    total += r->docker_sizes[i];
    strbuf_addf(&sb, "%-3zu  %.12s  %9s  %7llu  ", i, r->img->diff_ids[i] + 7, h,
                (unsigned long long)res->layer_files[i]);
    add_oneline(&sb, r->created_by[i], 100);
    strbuf_addch(&sb, '\n');
  }
  char h[32], w[32];
  cli_human_size((double)total, 3, h, sizeof(h));
  humanize_bytes(res->wasted_bytes, w, sizeof(w));
  strbuf_addf(&sb, "\nTotal image size: %s (%lld bytes, = docker image inspect .Size)\n", h, (long long)total);
  strbuf_addf(&sb, "Potential wasted space: %s\n", w);
  strbuf_addf(&sb, "Image efficiency score: %d %%\n", (int)(100.0 * res->efficiency));

  strbuf_addf(&sb, "\nLargest files:\n%12s  %s\n", "Size", "File Path");
  for (size_t i = 0; i < res->n_largest; i++) {
    humanize_bytes((uint64_t)res->largest[i].size, h, sizeof(h));
    strbuf_addf(&sb, "%12s  %s\n", h, res->largest[i].path);
  }
  strbuf_addstr(&sb, "\nInefficient files:\n");
  inefficient_table(&sb, r, r->top);
  fputs(strbuf_str(&sb), stdout);
}

static void print_json(const report_t *r)
{
  const pyoci_analysis_result_t *res = r->res;
  json_t *layers = json_array();
  int64_t total = 0;
  for (size_t i = 0; i < r->img->n_layers; i++) {
    total += r->docker_sizes[i];
    json_array_append_new(layers, json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:s}", "index", (json_int_t)i, "id",
                                            r->img->layers[i].digest, "digestId", r->img->diff_ids[i], "sizeBytes",
                                            (json_int_t)res->layer_size[i], "dockerSizeBytes",
                                            (json_int_t)r->docker_sizes[i], "files",
                                            (json_int_t)res->layer_files[i], "command", r->created_by[i]));
  }
  json_t *refs = json_array();
  for (size_t i = 0; i < res->n_ineff; i++)
    json_array_append_new(refs, json_pack("{s:I, s:I, s:s}", "count", (json_int_t)res->ineff[i].count, "sizeBytes",
                                          (json_int_t)res->ineff[i].cumulative, "file", res->ineff[i].path));
  json_t *largest = json_array();
  for (size_t i = 0; i < res->n_largest; i++)
    json_array_append_new(largest, json_pack("{s:I, s:s}", "sizeBytes", (json_int_t)res->largest[i].size, "file",
                                             res->largest[i].path));
  json_t *image = json_pack("{s:s, s:s, s:I, s:I, s:I, s:f, s:o, s:o}", "name", r->name, "id", r->id,
                            "sizeBytes", (json_int_t)res->size_bytes, "dockerSizeBytes", (json_int_t)total,
                            "inefficientBytes", (json_int_t)res->wasted_bytes, "efficiencyScore", res->efficiency,
                            "fileReference", refs, "largestFiles", largest);
  /* NaN/Inf have no JSON form: null, as the CI output spells them out */
  json_object_set_new(image, "userWastedPercent",
                      isfinite(res->wasted_user_percent) ? json_real(res->wasted_user_percent) : json_null());
  json_t *doc = json_pack("{s:o, s:o}", "layer", layers, "image", image);
  cleanup_strbuf strbuf_t sb = STRBUF_INIT;
  pyoci_go_json_encode(&sb, doc, "  ", false);
  strbuf_addch(&sb, '\n');
  fputs(strbuf_str(&sb), stdout);
  json_decref(doc);
}

/* dive --ci: the three rules, reported in name order as dive does. */
static int run_ci(const report_t *r, const rule_t *eff, const rule_t *wasted, const rule_t *user)
{
  const pyoci_analysis_result_t *res = r->res;
  cleanup_strbuf strbuf_t sb = STRBUF_INIT;
  char h[32];
  strbuf_addstr(&sb, "  efficiency: ");
  go_fixed4(&sb, res->efficiency * 100);
  humanize_bytes(res->wasted_bytes, h, sizeof(h));
  strbuf_addf(&sb, " %%\n  wastedBytes: %llu bytes (%s)\n  userWastedPercent: ",
              (unsigned long long)res->wasted_bytes, h);
  go_fixed4(&sb, res->wasted_user_percent * 100);
  strbuf_addstr(&sb, " %\nInefficient Files:\n");
  inefficient_table(&sb, r, (size_t)-1);
  strbuf_addstr(&sb, "Results:\n");

  int pass = 0, fail = 0, skip = 0;
  /* highestUserWastedPercent */
  if (user->disabled) {
    strbuf_addstr(&sb, "  SKIP: highestUserWastedPercent: rule disabled\n");
    skip++;
  } else if (user->value < res->wasted_user_percent) {
    strbuf_addstr(&sb, "  FAIL: highestUserWastedPercent: too many bytes wasted, relative to the user bytes "
                       "added (%-user-wasted-bytes=");
    pyoci_go_format_float(&sb, res->wasted_user_percent);
    strbuf_addstr(&sb, " > threshold=");
    pyoci_go_format_float(&sb, user->value);
    strbuf_addstr(&sb, ")\n");
    fail++;
  } else {
    strbuf_addstr(&sb, "  PASS: highestUserWastedPercent\n");
    pass++;
  }
  /* highestWastedBytes */
  if (wasted->disabled) {
    strbuf_addstr(&sb, "  SKIP: highestWastedBytes: rule disabled\n");
    skip++;
  } else if (res->wasted_bytes > wasted->bytes) {
    strbuf_addf(&sb, "  FAIL: highestWastedBytes: too many bytes wasted (wasted-bytes=%llu > threshold=%llu)\n",
                (unsigned long long)res->wasted_bytes, (unsigned long long)wasted->bytes);
    fail++;
  } else {
    strbuf_addstr(&sb, "  PASS: highestWastedBytes\n");
    pass++;
  }
  /* lowestEfficiency */
  if (eff->disabled) {
    strbuf_addstr(&sb, "  SKIP: lowestEfficiency: rule disabled\n");
    skip++;
  } else if (eff->value > res->efficiency) {
    strbuf_addstr(&sb, "  FAIL: lowestEfficiency: image efficiency is too low (efficiency=");
    pyoci_go_format_float(&sb, res->efficiency);
    strbuf_addstr(&sb, " < threshold=");
    pyoci_go_format_float(&sb, eff->value);
    strbuf_addstr(&sb, ")\n");
    fail++;
  } else {
    strbuf_addstr(&sb, "  PASS: lowestEfficiency\n");
    pass++;
  }
  strbuf_addf(&sb, "Result:%s [Total:3] [Passed:%d] [Failed:%d] [Warn:0] [Skipped:%d]\n", fail ? "FAIL" : "PASS",
              pass, fail, skip);
  fputs(strbuf_str(&sb), stdout);
  return fail ? 1 : 0;
}

int cmd_layers(int argc, char **argv)
{
  static const struct option opts[] = {
      {"ci", no_argument, NULL, OPT_CI},
      {"lowest-efficiency", required_argument, NULL, OPT_LOWEST_EFF},
      {"highest-wasted-bytes", required_argument, NULL, OPT_HIGHEST_WASTED},
      {"highest-user-wasted-percent", required_argument, NULL, OPT_HIGHEST_USER},
      {"top", required_argument, NULL, OPT_TOP},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"help", no_argument, NULL, 'h'},
      CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  bool ci = false, json = false;
  rule_t eff = {false, 0.9, 0, "0.9"}, wasted = {true, 0, 0, "disabled"}, user = {false, 0.1, 0, "0.1"};
  long top = 10;
  int c;
  while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
    if (cli_common_option(c, optarg))
      continue;
    char *end;
    switch (c) {
    case OPT_CI:
      ci = true;
      break;
    case OPT_LOWEST_EFF:
      if (parse_rule_float(optarg, &eff) < 0)
        return cli_usage_error("layers", "--lowest-efficiency: '%s' is not a number", optarg);
      break;
    case OPT_HIGHEST_WASTED:
      if (parse_rule_bytes(optarg, &wasted) < 0)
        return cli_usage_error("layers", "--highest-wasted-bytes: '%s' is not a size (e.g. 20MB, 1.5GB, 1024)",
                               optarg);
      break;
    case OPT_HIGHEST_USER:
      if (parse_rule_float(optarg, &user) < 0)
        return cli_usage_error("layers", "--highest-user-wasted-percent: '%s' is not a number", optarg);
      break;
    case OPT_TOP:
      errno = 0;
      top = strtol(optarg, &end, 10);
      if (*optarg == '\0' || *end != '\0' || errno != 0 || top < 0 || top > 1000000)
        return cli_usage_error("layers", "--top: '%s' is not a count", optarg);
      break;
    case OPT_FORMAT:
      if (strcmp(optarg, "json") == 0)
        json = true;
      else if (strcmp(optarg, "table") == 0)
        json = false;
      else
        return cli_usage_error("layers", "--format must be table or json, not '%s'", optarg);
      break;
    case 'h':
      return cli_help(layers_help);
    default:
      return cli_bad_option("layers");
    }
  }
  if (argc - optind != 1)
    return cli_usage_error("layers", "requires exactly 1 argument (an image)");
  const char *ref = argv[optind];

  cleanup_error pyoci_error_t *err = NULL;
  pyoci_store_t *s = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  cleanup_image pyoci_image_t *img = NULL;
  if (pyoci_image_load(s, ref, &img, &err) < 0) {
    pyoci_store_close(s);
    return cli_fail(err);
  }
  int64_t *docker_sizes = xcalloc(img->n_layers ? img->n_layers : 1, sizeof(int64_t));
  pyoci_analysis_result_t res;
  int rc = pyoci_analyze_image(s, img, (size_t)top, &res, docker_sizes, &err);
  pyoci_store_close(s);
  if (rc < 0) {
    free(docker_sizes);
    return cli_fail(err);
  }
  const char **created_by = pyoci_layer_created_by(img);
  report_t r = {ref, ref, img->config_digest, img, &res, docker_sizes, created_by, (size_t)top};
  int status = 0;
  if (ci)
    status = run_ci(&r, &eff, &wasted, &user);
  else if (json)
    print_json(&r);
  else
    print_table(&r);
  fflush(stdout);
  free(created_by);
  free(docker_sizes);
  pyoci_analysis_result_free(&res);
  return status;
}
