/* pyoci_layer_from_dir: the blob in the store, its digest, size, media type
 * and diff_id (sha256 of the uncompressed tar), for every compression. */
#include "tap.h"
#include "layer_testlib.h"
#include "lib/image/layer_store.h"
#include "lib/oci/image.h"
#include "lib/oci/store.h"

static void one(pyoci_store_t *s, pyoci_comp_t comp, const char *mt, const char *decomp)
{
  pyoci_layer_opts_t o;
  pyoci_layer_opts_init(&o);
  o.comp = comp;
  o.source_date_epoch = 1600000000;
  pyoci_desc_t d1 = {0}, d2 = {0};
  char diff1[PYOCI_DIGEST_LEN], diff2[PYOCI_DIGEST_LEN];
  pyoci_error_t *err = NULL;
  int r = pyoci_layer_from_dir(s, tl_path("tree"), &o, &d1, diff1, &err);
  is_int(r, 0, "%s: layer_from_dir", mt);
  if (r < 0) {
    printf("# %s\n", err->msg);
    pyoci_error_free(err);
    return;
  }
  is_str(d1.media_type, mt, "%s: media type", mt);
  char *blob = pyoci_store_blob_path(s, d1.digest);
  char *o1 = NULL, *o2 = NULL, *o3 = NULL;
  tl_sh(&o1, "echo sha256:$(sha256sum < '%s' | cut -d' ' -f1) $(stat -c %%s '%s')", blob, blob);
  char want[256];
  snprintf(want, sizeof(want), "%s %lld", d1.digest, (long long)d1.size);
  is_str(o1, want, "%s: blob in the store has the descriptor's digest and size", mt);
  tl_sh(&o2, "%s < '%s' | sha256sum | cut -d' ' -f1", decomp, blob);
  tl_sh(&o3, "%s < '%s' | tar -tf - | head -3 | tr '\\n' ' '", decomp, blob);
  is_str(o2, diff1 + 7, "%s: diff_id is the sha256 of the uncompressed tar", mt);
  is_str(o3, "etc/ etc/os-release usr/ ", "%s: the blob is a tar of the directory", mt);
  r = pyoci_layer_from_dir(s, tl_path("tree"), &o, &d2, diff2, &err);
  ok(r == 0 && strcmp(d1.digest, d2.digest) == 0 && strcmp(diff1, diff2) == 0, "%s: same tree, same digests", mt);
  if (comp == PYOCI_COMP_NONE)
    is_str(d1.digest, diff1, "uncompressed: digest == diff_id");
  free(o1);
  free(o2);
  free(o3);
  free(blob);
  free(d1.media_type);
  free(d2.media_type);
  pyoci_error_free(err);
}

int main(void)
{
  tl_init("lstore");
  tl_sh(NULL, "mkdir -p '%s/etc' '%s/usr/bin' && echo 'ID=debian' > '%s/etc/os-release' && seq 1 100000 > '%s/usr/bin/x'",
        tl_path("tree"), tl_path("tree"), tl_path("tree"), tl_path("tree"));
  pyoci_store_t *s = NULL;
  pyoci_error_t *err = NULL;
  if (pyoci_store_open(tl_path("store"), &s, &err) < 0) {
    printf("Bail out! %s\n", err->msg);
    return 255;
  }
  one(s, PYOCI_COMP_GZIP, PYOCI_MT_OCI_LAYER_GZIP, "gzip -dc");
  one(s, PYOCI_COMP_ZSTD, PYOCI_MT_OCI_LAYER_ZSTD, "zstd -q -dc");
  one(s, PYOCI_COMP_NONE, PYOCI_MT_OCI_LAYER, "cat");
  pyoci_desc_t d = {0};
  char diff[PYOCI_DIGEST_LEN];
  ok(pyoci_layer_from_dir(s, tl_path("missing"), NULL, &d, diff, &err) < 0, "a missing directory fails");
  char want[4096];
  snprintf(want, sizeof(want), "open '%s': No such file or directory", tl_path("missing"));
  is_str(err ? err->msg : NULL, want, "... naming the directory");
  pyoci_error_free(err);
  char *left = NULL;
  tl_sh(&left, "find '%s/tmp' -type f | wc -l", tl_path("store"));
  is_str(left, "0", "no temporary blob left behind");
  free(left);
  pyoci_store_close(s);
  return done_testing();
}
