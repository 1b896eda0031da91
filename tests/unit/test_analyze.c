/* dive's analysis over synthetic layers.  Expected numbers are worked out by
 * hand in the comments, following dive/filetree/efficiency.go. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/image/analyze.h"
#include "tap.h"

typedef struct {
  const char *path;
  bool dir;
  int64_t size;
} ent;

static pyoci_analysis_t *build(const ent *const *layers, size_t n)
{
  pyoci_analysis_t *a = pyoci_analysis_new();
  for (size_t i = 0; i < n; i++) {
    pyoci_analysis_begin_layer(a);
    for (const ent *e = layers[i]; e->path; e++)
      pyoci_analysis_add(a, e->path, e->dir, e->size);
  }
  return a;
}

static bool near(double a, double b)
{
  return fabs(a - b) < 1e-12;
}

/* dive's own TestEfficency data, with directory entries as real layers have:
 *  L0: etc/nginx/nginx.conf 2000, etc/nginx/public 3000
 *  L1: etc/nginx/nginx.conf 5000, etc/athing 10000
 *  L2: etc/.wh.nginx (the directory, which then held nginx.conf 5000 +
 *      public 3000 -> the whiteout counts 8000)
 * paths: nginx.conf cum 7000 min 2000 (2 layers), public 3000/3000,
 * athing 10000/10000, /etc/nginx 8000/8000
 * efficiency = 23000/28000; wasted = 7000; user size = 15000 + 0. */
static void test_dive_example(void)
{
  static const ent l0[] = {{"etc", true, 0}, {"etc/nginx", true, 0}, {"etc/nginx/nginx.conf", false, 2000},
                           {"etc/nginx/public", false, 3000}, {NULL, 0, 0}};
  static const ent l1[] = {{"etc", true, 0}, {"etc/nginx", true, 0}, {"etc/nginx/nginx.conf", false, 5000},
                           {"etc/athing", false, 10000}, {NULL, 0, 0}};
  static const ent l2[] = {{"etc", true, 0}, {"etc/.wh.nginx", false, 0}, {NULL, 0, 0}};
  const ent *const layers[] = {l0, l1, l2};
  pyoci_analysis_t *a = build(layers, 3);
  pyoci_analysis_result_t r;
  pyoci_analysis_finish(a, 10, &r);
  ok(near(r.efficiency, 23000.0 / 28000.0), "dive example: efficiency 23000/28000 (got %.17g)", r.efficiency);
  is_int(r.wasted_bytes, 7000, "dive example: wasted bytes");
  is_int(r.n_ineff, 1, "dive example: one inefficient path");
  is_str(r.n_ineff ? r.ineff[0].path : "", "/etc/nginx/nginx.conf", "dive example: it is nginx.conf");
  is_int(r.n_ineff ? r.ineff[0].count : 0, 2, "dive example: seen twice");
  is_int(r.layer_size[0], 5000, "layer 0 size = sum of header sizes");
  is_int(r.layer_size[1], 15000, "layer 1 size");
  is_int(r.layer_size[2], 0, "whiteout layer size 0");
  is_int(r.user_size_bytes, 15000, "user size: all but the first layer");
  ok(near(r.wasted_user_percent, 7000.0 / 15000.0), "user wasted = 7000/15000");
  is_int(r.layer_files[0], 2, "layer 0: two files");
  is_int(r.layer_files[2], 0, "whiteouts are not counted as files");
  is_int(r.n_largest, 1, "final image: only athing is left under etc");
  is_str(r.n_largest ? r.largest[0].path : "", "/etc/athing", "largest file path");
  pyoci_analysis_result_free(&r);
  pyoci_analysis_free(a);
}

/* Exactly dive's unit test: no directory entries, so the intermediate
 * /etc/nginx node has no payload (not a dir) and its whiteout counts 0:
 * mins 2000+3000+10000+0 = 15000 over 7000+3000+10000+0 = 20000 -> 0.75. */
static void test_dive_unit_test(void)
{
  static const ent l0[] = {{"etc/nginx/nginx.conf", false, 2000}, {"etc/nginx/public", false, 3000}, {NULL, 0, 0}};
  static const ent l1[] = {{"etc/nginx/nginx.conf", false, 5000}, {"etc/athing", false, 10000}, {NULL, 0, 0}};
  static const ent l2[] = {{"etc/.wh.nginx", false, 0}, {NULL, 0, 0}};
  const ent *const layers[] = {l0, l1, l2};
  pyoci_analysis_t *a = build(layers, 3);
  pyoci_analysis_result_t r;
  pyoci_analysis_finish(a, 10, &r);
  ok(near(r.efficiency, 0.75), "dive's TestEfficency: 0.75 (got %.17g)", r.efficiency);
  is_int(r.n_ineff, 1, "dive's TestEfficency: one match");
  is_int(r.n_ineff ? r.ineff[0].cumulative : 0, 7000, "dive's TestEfficency: cumulative 7000");
  pyoci_analysis_result_free(&r);
  pyoci_analysis_free(a);
}

/* A file written in layer 0 and rewritten in layer 1:
 *  data.bin cum 1000+1500 = 2500, min 1000; keep 10/10
 *  efficiency = 1010/2510; wasted = 2500; user = 1500 -> 2500/1500. */
static void test_rewrite(void)
{
  static const ent l0[] = {{"app", true, 0}, {"app/data.bin", false, 1000}, {"app/keep", false, 10}, {NULL, 0, 0}};
  static const ent l1[] = {{"app", true, 0}, {"app/data.bin", false, 1500}, {NULL, 0, 0}};
  const ent *const layers[] = {l0, l1};
  pyoci_analysis_t *a = build(layers, 2);
  pyoci_analysis_result_t r;
  pyoci_analysis_finish(a, 1, &r);
  ok(near(r.efficiency, 1010.0 / 2510.0), "rewrite: efficiency 1010/2510");
  is_int(r.wasted_bytes, 2500, "rewrite: wasted = both copies");
  ok(near(r.wasted_user_percent, 2500.0 / 1500.0), "rewrite: user wasted 2500/1500");
  is_int(r.n_largest, 1, "top 1 largest file");
  is_str(r.n_largest ? r.largest[0].path : "", "/app/data.bin", "largest is the rewritten file");
  is_int(r.n_largest ? r.largest[0].size : 0, 1500, "with its final size");
  pyoci_analysis_result_free(&r);
  pyoci_analysis_free(a);
}

/* A deleted file and a deleted directory:
 *  L0: tmp/big 5000, cache/ {a 400, b 600}, keep 1
 *  L1: tmp/.wh.big (file whiteout: counts 0), .wh.cache (dir: 0+400+600)
 *  /tmp/big: cum 5000 min 0 (2 layers) -> wasted 5000
 *  /cache/a 400/400, /cache/b 600/600, /keep 1/1, /cache (whiteout) 1000/1000
 *  efficiency = (0+400+600+1+1000)/(5000+400+600+1+1000) = 2001/7001
 *  user size 0 -> user wasted = 5000/0 = +Inf (dive divides the same way). */
static void test_deletes(void)
{
  static const ent l0[] = {{"cache", true, 0}, {"cache/a", false, 400}, {"cache/b", false, 600},
                           {"keep", false, 1}, {"tmp", true, 0}, {"tmp/big", false, 5000}, {NULL, 0, 0}};
  static const ent l1[] = {{".wh.cache", false, 0}, {"tmp", true, 0}, {"tmp/.wh.big", false, 0}, {NULL, 0, 0}};
  const ent *const layers[] = {l0, l1};
  pyoci_analysis_t *a = build(layers, 2);
  pyoci_analysis_result_t r;
  pyoci_analysis_finish(a, 10, &r);
  ok(near(r.efficiency, 2001.0 / 7001.0), "deletes: efficiency 2001/7001 (got %.17g)", r.efficiency);
  is_int(r.wasted_bytes, 5000, "deletes: the deleted file is wasted");
  is_int(r.n_ineff, 1, "deletes: one inefficient path");
  is_str(r.n_ineff ? r.ineff[0].path : "", "/tmp/big", "deletes: /tmp/big");
  ok(isinf(r.wasted_user_percent) && r.wasted_user_percent > 0, "deletes: 5000/0 is +Inf like dive");
  is_int(r.n_largest, 1, "deletes: only /keep is left");
  pyoci_analysis_result_free(&r);
  pyoci_analysis_free(a);
}

/* Opaque directory: dive never adds ".wh..wh..opq", so replacing a
 * directory's contents costs nothing in its numbers:
 *  L0: var/cache/{a 400, b 600};  L1: var/cache/.wh..wh..opq, var/cache/c 50
 *  paths a, b, c each once -> efficiency 1, wasted 0.
 * (The final image still shows a and b: dive's tree ignores the marker.) */
static void test_opaque(void)
{
  static const ent l0[] = {{"var", true, 0}, {"var/cache", true, 0}, {"var/cache/a", false, 400},
                           {"var/cache/b", false, 600}, {NULL, 0, 0}};
  static const ent l1[] = {{"var", true, 0}, {"var/cache", true, 0}, {"var/cache/.wh..wh..opq", false, 0},
                           {"var/cache/c", false, 50}, {NULL, 0, 0}};
  const ent *const layers[] = {l0, l1};
  pyoci_analysis_t *a = build(layers, 2);
  pyoci_analysis_result_t r;
  pyoci_analysis_finish(a, 10, &r);
  ok(near(r.efficiency, 1.0), "opaque: efficiency 1");
  is_int(r.wasted_bytes, 0, "opaque: nothing wasted");
  is_int(r.n_ineff, 0, "opaque: no inefficient path");
  is_int(r.layer_files[1], 1, "opaque marker is not a file");
  is_int(r.n_largest, 3, "final tree keeps a, b (dive ignores opq) and c");
  pyoci_analysis_result_free(&r);
  pyoci_analysis_free(a);
}

/* Dive's quirk: a whiteout of a path the lower layers lack makes the visitor
 * fail, which ends that layer's walk.  L1 lists ".wh.nothere" before "b", so
 * b is never counted and /nothere keeps min -1:
 *  mins 100 + (-1) = 99 over cumulative 100 -> 0.99. */
static void test_missing_whiteout(void)
{
  static const ent l0[] = {{"a", false, 100}, {NULL, 0, 0}};
  static const ent l1[] = {{".wh.nothere", false, 0}, {"b", false, 100}, {NULL, 0, 0}};
  const ent *const layers[] = {l0, l1};
  pyoci_analysis_t *a = build(layers, 2);
  pyoci_analysis_result_t r;
  pyoci_analysis_finish(a, 10, &r);
  ok(near(r.efficiency, 0.99), "missing whiteout target: 0.99 like dive (got %.17g)", r.efficiency);
  is_int(r.layer_size[1], 100, "layer size still counts b");
  pyoci_analysis_result_free(&r);
  pyoci_analysis_free(a);
}

/* Empty and scratch images: efficiency 1 (dive's ScratchImage test), user
 * wasted 0/0 = NaN. */
static void test_empty(void)
{
  static const ent l0[] = {{"nothing", false, 0}, {NULL, 0, 0}};
  const ent *const layers[] = {l0};
  pyoci_analysis_t *a = build(layers, 1);
  pyoci_analysis_result_t r;
  pyoci_analysis_finish(a, 10, &r);
  ok(near(r.efficiency, 1.0), "scratch: efficiency 1");
  ok(isnan(r.wasted_user_percent), "scratch: 0/0 user wasted is NaN");
  pyoci_analysis_result_free(&r);
  pyoci_analysis_free(a);
}

/* Many layers touching the same file: count and cumulative grow; the
 * inefficient list is ordered largest first. */
static void test_order(void)
{
  static const ent l0[] = {{"x", false, 10}, {"y", false, 1000}, {NULL, 0, 0}};
  static const ent l1[] = {{"x", false, 20}, {"y", false, 1000}, {NULL, 0, 0}};
  static const ent l2[] = {{"x", false, 30}, {NULL, 0, 0}};
  const ent *const layers[] = {l0, l1, l2};
  pyoci_analysis_t *a = build(layers, 3);
  pyoci_analysis_result_t r;
  pyoci_analysis_finish(a, 10, &r);
  is_int(r.n_ineff, 2, "two inefficient paths");
  is_str(r.n_ineff == 2 ? r.ineff[0].path : "", "/y", "largest cumulative first");
  is_int(r.n_ineff == 2 ? r.ineff[1].count : 0, 3, "x seen in three layers");
  is_int(r.n_ineff == 2 ? r.ineff[1].cumulative : 0, 60, "x cumulative 10+20+30");
  /* mins 10 + 1000 over 60 + 2000 */
  ok(near(r.efficiency, 1010.0 / 2060.0), "efficiency 1010/2060");
  pyoci_analysis_result_free(&r);
  pyoci_analysis_free(a);
}

int main(void)
{
  test_dive_example();
  test_dive_unit_test();
  test_rewrite();
  test_deletes();
  test_opaque();
  test_missing_whiteout();
  test_empty();
  test_order();
  return done_testing();
}
