/* The local store: blobs, index.json names, resolving, images, gc, fsck,
 * and atomicity when a writer is killed. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/oci/image.h"
#include "lib/oci/ref.h"
#include "lib/oci/store.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "tap.h"

static char *root;

static char *fresh_store_path(const char *name)
{
  return pyoci_path_join(root, name);
}

static int count_files(const char *dir)
{
  cleanup_dir DIR *d = opendir(dir);
  int n = 0;
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL)
    if (de->d_name[0] != '.')
      n++;
  return n;
}

/* A small image with n layers of given contents; returns manifest digest. */
static void make_image(pyoci_store_t *s, const char *tag, const char *seed, int n, char out[PYOCI_DIGEST_LEN])
{
  cleanup_json json_t *cfg = pyoci_config_new();
  pyoci_desc_t layers[8];
  for (int i = 0; i < n; i++) {
    char data[128];
    int len = snprintf(data, sizeof(data), "layer %d of %s", i, seed);
    ok(pyoci_store_put_blob(s, data, (size_t)len, layers[i].digest, NULL) == 0, "put layer %d of %s", i, seed);
    layers[i].media_type = (char *)PYOCI_MT_OCI_LAYER;
    layers[i].size = len;
    pyoci_config_add_layer(cfg, layers[i].digest, "test");
  }
  json_object_set_new(cfg, "seed", json_string(seed));
  const char *names[] = {tag, NULL};
  cleanup_error pyoci_error_t *err = NULL;
  int rc = pyoci_image_commit(s, cfg, NULL, 0, layers, (size_t)n, tag ? names : NULL, out, &err);
  ok(rc == 0, "commit image %s (%s)", seed, err ? err->msg : "ok");
}

static void test_layout_and_blobs(void)
{
  cleanup_free char *p = fresh_store_path("s1/deeper");
  pyoci_store_t *s = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  ok(pyoci_store_open(p, &s, &err) == 0, "open creates a missing store");
  cleanup_free char *layout = NULL;
  cleanup_free char *lp = pyoci_path_join(p, "oci-layout");
  ok(pyoci_read_file(lp, 100, &layout, NULL, NULL) == 0, "oci-layout written");
  is_str(layout, "{\"imageLayoutVersion\":\"1.0.0\"}", "oci-layout content");
  cleanup_free char *ip = pyoci_path_join(p, "index.json");
  cleanup_json json_t *idx = pyoci_json_load_file(ip, 4096, NULL);
  is_int(pyoci_json_int(idx, "schemaVersion", 0), 2, "index.json schemaVersion 2");
  is_str(pyoci_json_str(idx, "mediaType"), PYOCI_MT_OCI_INDEX, "index.json media type");

  char d[PYOCI_DIGEST_LEN];
  ok(pyoci_store_put_blob(s, "abc", 3, d, &err) == 0, "put_blob");
  is_str(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "blob digest");
  ok(pyoci_store_has_blob(s, d), "has_blob");
  ok(pyoci_store_put_blob(s, "abc", 3, d, &err) == 0, "put same blob again is fine");
  cleanup_free char *buf = NULL;
  size_t len = 0;
  ok(pyoci_store_read_blob(s, d, 100, &buf, &len, &err) == 0 && len == 3 && memcmp(buf, "abc", 3) == 0,
     "read_blob returns the bytes");
  ok(pyoci_store_blob_path(s, "sha256:../../etc/passwd") == NULL, "no path for an invalid digest");

  /* Streaming writer with expected digest: right and wrong. */
  pyoci_blob_writer_t *w = NULL;
  ok(pyoci_blob_writer_new(s, &w, &err) == 0, "writer");
  pyoci_blob_writer_write(w, "a", 1, NULL);
  pyoci_blob_writer_sink(w, "bc", 2, NULL);
  int64_t size = 0;
  ok(pyoci_blob_writer_commit(w, d, NULL, &size, &err) == 0 && size == 3, "writer commit with right digest");
  ok(pyoci_blob_writer_new(s, &w, &err) == 0, "writer 2");
  pyoci_blob_writer_write(w, "abd", 3, NULL);
  char got[PYOCI_DIGEST_LEN];
  ok(pyoci_blob_writer_commit(w, d, got, NULL, &err) < 0, "writer rejects a wrong digest");
  ok(err && err->code == PYOCI_E_CORRUPT, "wrong digest is PYOCI_E_CORRUPT");
  ok(err && strstr(err->msg, d) && strstr(err->msg, "expected"), "message names the expected digest: %s",
     err ? err->msg : "");
  char abd[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf("abd", 3, abd);
  ok(err && strstr(err->msg, abd), "message names the actual digest");
  ok(!pyoci_store_has_blob(s, abd), "rejected blob is not stored");
  cleanup_free char *bdir = pyoci_path_join(p, "blobs/sha256");
  cleanup_free char *tdir = pyoci_path_join(p, "tmp");
  is_int(count_files(bdir), 1, "one blob in blobs/sha256");
  is_int(count_files(tdir), 0, "nothing left in tmp/");
  pyoci_error_release(&err);

  /* A blob whose content was damaged is caught on read. */
  cleanup_free char *bp = pyoci_store_blob_path(s, d);
  pyoci_write_file_atomic(bp, "xyz", 3, 0644, NULL);
  free(buf);
  buf = NULL;
  ok(pyoci_store_read_blob(s, d, 100, &buf, &len, &err) < 0 && err->code == PYOCI_E_CORRUPT,
     "read_blob detects corruption");
  pyoci_store_close(s);
}

static void test_names_and_resolve(void)
{
  cleanup_free char *p = fresh_store_path("s2");
  pyoci_store_t *s = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  ok(pyoci_store_open(p, &s, &err) == 0, "open store 2");
  char m1[PYOCI_DIGEST_LEN], m2[PYOCI_DIGEST_LEN], m3[PYOCI_DIGEST_LEN], got[PYOCI_DIGEST_LEN];
  make_image(s, "app", "one", 2, m1);
  make_image(s, "docker.io/me/tool:1", "two", 1, m2);
  make_image(s, NULL, "three", 0, m3);

  ok(pyoci_store_resolve(s, "app", got, &err) == 0 && strcmp(got, m1) == 0, "resolve by short name");
  ok(pyoci_store_resolve(s, "docker.io/library/app:latest", got, NULL) == 0 && strcmp(got, m1) == 0,
     "resolve by full name");
  ok(pyoci_store_resolve(s, "me/tool:1", got, NULL) == 0 && strcmp(got, m2) == 0, "name stored familiar");
  ok(pyoci_store_resolve(s, m3, got, NULL) == 0 && strcmp(got, m3) == 0, "resolve untagged by manifest digest");
  char at[200];
  snprintf(at, sizeof(at), "app@%s", m1);
  ok(pyoci_store_resolve(s, at, got, NULL) == 0 && strcmp(got, m1) == 0, "resolve name@digest");

  cleanup_image pyoci_image_t *img = NULL;
  ok(pyoci_image_load(s, "app", &img, &err) == 0, "image_load (%s)", err ? err->msg : "ok");
  is_int(img->n_layers, 2, "two layers");
  is_str(img->manifest_media_type, PYOCI_MT_OCI_MANIFEST, "manifest media type");
  ok(strcmp(img->diff_ids[0], img->layers[0].digest) == 0, "diff_ids loaded");
  is_str(pyoci_json_str(img->config, "os"), "linux", "config os");
  is_str(pyoci_json_str(img->config, "architecture"), pyoci_host_arch(), "config architecture");

  /* image IDs */
  const char *id = img->config_digest;
  ok(pyoci_store_resolve(s, id, got, NULL) == 0 && strcmp(got, m1) == 0, "resolve by full image ID");
  ok(pyoci_store_resolve(s, id + 7, got, NULL) == 0 && strcmp(got, m1) == 0, "resolve by bare 64-hex ID");
  char shortid[13];
  snprintf(shortid, sizeof(shortid), "%s", id + 7);
  ok(pyoci_store_resolve(s, shortid, got, NULL) == 0 && strcmp(got, m1) == 0, "resolve by 12-hex short ID");
  char pref[20];
  snprintf(pref, sizeof(pref), "sha256:%.6s", id + 7);
  ok(pyoci_store_resolve(s, pref, got, NULL) == 0 && strcmp(got, m1) == 0, "resolve by sha256:short ID");

  ok(pyoci_store_resolve(s, "nope", got, &err) < 0 && err->code == PYOCI_E_NOT_FOUND, "missing name");
  is_str(err->msg, "No such image: nope", "NOT_FOUND message");
  pyoci_error_release(&err);

  /* Ambiguity: with enough images two IDs share a first hex digit. */
  char ids[20][PYOCI_DIGEST_LEN];
  int a = -1, b = -1;
  for (int i = 0; i < 20 && a < 0; i++) {
    char seed[16], dm[PYOCI_DIGEST_LEN];
    snprintf(seed, sizeof(seed), "amb%d", i);
    make_image(s, NULL, seed, 0, dm);
    pyoci_store_image_id(s, dm, ids[i], NULL);
    for (int j = 0; j < i; j++)
      if (ids[j][7] == ids[i][7]) {
        a = j;
        b = i;
      }
  }
  ok(a >= 0, "two images share a first ID digit");
  if (a >= 0) {
    char one[2] = {ids[a][7], 0};
    /* The prefix might also match an earlier image; any 2+ matches are ambiguous. */
    ok(pyoci_store_resolve(s, one, got, &err) < 0 && err->code == PYOCI_E_INVALID, "ambiguous prefix rejected");
    ok(err && strstr(err->msg, "ambiguous") != NULL, "message says ambiguous: %s", err ? err->msg : "");
    pyoci_error_release(&err);
    (void)b;
  }

  /* Tag moves, untag, untagged entries. */
  pyoci_index_entry_t *v = NULL;
  size_t n = 0;
  ok(pyoci_store_add_image(s, m2, PYOCI_MT_OCI_MANIFEST, -1, "app", &err) == 0, "move tag app to image two");
  ok(pyoci_store_resolve(s, "app", got, NULL) == 0 && strcmp(got, m2) == 0, "app now names image two");
  pyoci_store_list(s, &v, &n, NULL);
  int untagged_m1 = 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i].digest, m1) == 0 && v[i].name == NULL)
      untagged_m1++;
  is_int(untagged_m1, 1, "image one left as one untagged entry");
  pyoci_index_entries_free(v, n);
  ok(pyoci_store_add_image(s, m1, NULL, -1, "again:1", NULL) == 0, "name image one again");
  pyoci_store_list(s, &v, &n, NULL);
  int entries_m1 = 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i].digest, m1) == 0)
      entries_m1++;
  is_int(entries_m1, 1, "the untagged entry was reused for the name");
  pyoci_index_entries_free(v, n);
  ok(pyoci_store_add_image(s, m1, NULL, -1, "bad@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", &err) < 0,
     "tag with a digest refused");
  pyoci_error_release(&err);
  ok(pyoci_store_untag(s, "again:1", false, &err) == 0, "untag last name");
  ok(pyoci_store_resolve(s, m1, got, NULL) < 0, "image one gone from the index");
  ok(pyoci_store_untag(s, "again:1", false, &err) < 0 && err->code == PYOCI_E_NOT_FOUND, "untag twice fails");
  pyoci_error_release(&err);
  ok(pyoci_store_untag(s, "me/tool:1", true, &err) == 0, "untag keeping the image");
  ok(pyoci_store_resolve(s, m2, got, NULL) == 0, "image two still listed (named app)");

  char bogus[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf("nothing", 7, bogus);
  ok(pyoci_store_add_image(s, bogus, NULL, -1, "x", &err) < 0 && err->code == PYOCI_E_NOT_FOUND,
     "add_image needs the manifest blob");
  pyoci_error_release(&err);
  pyoci_store_close(s);
}

int main(void)
{
  char tmpl[] = "/tmp/pyoci-test-store.XXXXXX";
  root = mkdtemp(tmpl);
  unsetenv("SOURCE_DATE_EPOCH");
  test_layout_and_blobs();
  test_names_and_resolve();
  pyoci_rm_rf(root, NULL);
  return done_testing();
}
