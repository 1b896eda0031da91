/* The local store: blobs, index.json names, resolving, images, gc, fsck,
 * and atomicity when a writer is killed. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
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
#include "lib/util/strbuf.h"
#include "tap.h"
#include "lib/util/settings.h"

/* The SOURCE_DATE_EPOCH the program would hand in (cli/env.c). */
static void set_sde(const char *text)
{
  pyoci_settings_t s = *pyoci_settings();
  pyoci_settings_set_epoch(&s, text);
  pyoci_settings_set(&s);
}

/* PYOCI_TEST_NAMED_TMP, as the program hands it in. */
static void set_named_tmp(bool on)
{
  pyoci_settings_t s = *pyoci_settings();
  s.named_tmp = on;
  pyoci_settings_set(&s);
}

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
    pyoci_config_add_layer(cfg, layers[i].digest, "test", NULL);
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

  /* Ambiguity: 17 image IDs over 16 hex digits, so two share the first one
   * (always 17: the test's plan must not depend on the IDs, which change
   * with the configs' created times). */
  char ids[17][PYOCI_DIGEST_LEN];
  int a = -1;
  for (int i = 0; i < 17; i++) {
    char seed[16], dm[PYOCI_DIGEST_LEN];
    snprintf(seed, sizeof(seed), "amb%d", i);
    make_image(s, NULL, seed, 0, dm);
    pyoci_store_image_id(s, dm, ids[i], NULL);
    for (int j = 0; j < i && a < 0; j++)
      if (ids[j][7] == ids[i][7])
        a = j;
  }
  ok(a >= 0, "two images share a first ID digit");
  char one[2] = {a >= 0 ? ids[a][7] : 'x', 0};
  /* The prefix may match more than two images; any 2+ matches are ambiguous. */
  ok(pyoci_store_resolve(s, one, got, &err) < 0 && err->code == PYOCI_E_INVALID, "ambiguous prefix rejected");
  ok(err && strstr(err->msg, "ambiguous") != NULL, "message says ambiguous: %s", err ? err->msg : "");
  pyoci_error_release(&err);

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

static uint64_t blob_size(pyoci_store_t *s, const char *d)
{
  struct stat st;
  cleanup_free char *p = pyoci_store_blob_path(s, d);
  return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void test_gc_prune(void)
{
  cleanup_free char *p = fresh_store_path("s3");
  pyoci_store_t *s = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  ok(pyoci_store_open(p, &s, &err) == 0, "open store 3");
  char ma[PYOCI_DIGEST_LEN], mb[PYOCI_DIGEST_LEN], mc[PYOCI_DIGEST_LEN], orphan[PYOCI_DIGEST_LEN];
  make_image(s, "keep:1", "A", 2, ma);
  make_image(s, NULL, "B", 1, mb);
  cleanup_image pyoci_image_t *a = NULL, *b = NULL;
  pyoci_image_load_digest(s, ma, &a, NULL);
  pyoci_image_load_digest(s, mb, &b, NULL);
  /* C: untagged, shares A's first layer. */
  cleanup_json json_t *cfg = pyoci_config_new();
  pyoci_config_add_layer(cfg, a->layers[0].digest, "shared", NULL);
  ok(pyoci_image_commit(s, cfg, NULL, 0, a->layers, 1, NULL, mc, &err) == 0, "commit C sharing a layer");
  pyoci_store_put_blob(s, "orphan", 6, orphan, NULL);
  cleanup_free char *stale = pyoci_path_join(p, "tmp/blob-stale");
  pyoci_write_file_atomic(stale, "x", 1, 0644, NULL);
  char *keepdir = NULL;
  ok(pyoci_store_mkdtemp(s, "work-", &keepdir, &err) == 0, "mkdtemp in the store");

  uint64_t freed = 0;
  size_t nblobs = 0;
  ok(pyoci_store_gc(s, &freed, &nblobs, &err) == 0, "gc");
  is_int(nblobs, 1, "gc removed only the orphan blob");
  is_int(freed, 6, "gc freed the orphan's 6 bytes");
  ok(!pyoci_store_has_blob(s, orphan), "orphan gone");
  ok(pyoci_store_has_blob(s, mb) && pyoci_store_has_blob(s, b->config_digest), "untagged image kept by gc");
  ok(!pyoci_path_exists(stale), "stale tmp file removed");
  ok(pyoci_path_exists(keepdir), "our own mkdtemp dir kept");
  pyoci_rm_rf(keepdir, NULL);
  free(keepdir);

  cleanup_image pyoci_image_t *c = NULL;
  pyoci_image_load_digest(s, mc, &c, NULL);
  uint64_t expect = blob_size(s, mb) + blob_size(s, b->config_digest) + blob_size(s, b->layers[0].digest) +
                    blob_size(s, mc) + blob_size(s, c->config_digest);
  size_t removed = 0;
  ok(pyoci_store_prune(s, &removed, &freed, &err) == 0, "prune");
  is_int(removed, 2, "prune removed the two untagged images");
  is_int(freed, expect, "prune freed exactly B's and C's own blobs");
  ok(pyoci_store_has_blob(s, a->layers[0].digest), "layer shared with a tagged image kept");
  cleanup_image pyoci_image_t *again = NULL;
  ok(pyoci_image_load(s, "keep:1", &again, &err) == 0, "tagged image still loads");
  ok(pyoci_store_fsck(s, NULL, NULL, &err) == 0, "fsck clean after prune");
  pyoci_store_close(s);
}

struct collected {
  int n;
  char text[4096];
};

static void collect(void *ctx, const char *problem)
{
  struct collected *c = ctx;
  c->n++;
  size_t l = strlen(c->text);
  snprintf(c->text + l, sizeof(c->text) - l, "%s\n", problem);
}

static void test_fsck(void)
{
  cleanup_free char *p = fresh_store_path("s4");
  pyoci_store_t *s = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  ok(pyoci_store_open(p, &s, &err) == 0, "open store 4");
  char m1[PYOCI_DIGEST_LEN], m2[PYOCI_DIGEST_LEN], m3[PYOCI_DIGEST_LEN], extra[PYOCI_DIGEST_LEN];
  make_image(s, "one", "F1", 2, m1);
  make_image(s, "two", "F2", 1, m2);
  make_image(s, "three", "F3", 1, m3);
  pyoci_store_put_blob(s, "unreferenced", 12, extra, NULL);
  pyoci_fsck_stats_t st;
  struct collected c = {0};
  is_int(pyoci_store_fsck_full(s, false, collect, &c, &st, &err), 0, "fresh store: no problems");
  is_int(st.images, 3, "fsck counted 3 images");
  is_int(st.blobs_verified, 3 * 2 + 4, "fsck verified every manifest, config and layer");
  is_int(st.unreferenced_blobs, 1, "the unreferenced blob is a note");

  cleanup_image pyoci_image_t *i1 = NULL, *i2 = NULL;
  pyoci_image_load_digest(s, m1, &i1, NULL);
  pyoci_image_load_digest(s, m2, &i2, NULL);
  /* Same size, different bytes: only rehashing can tell. */
  cleanup_free char *corrupt = pyoci_store_blob_path(s, i1->layers[1].digest);
  cleanup_close int fd = open(corrupt, O_WRONLY);
  ok(fd >= 0 && pwrite(fd, "X", 1, 0) == 1, "flip a byte in a layer of 'one'");
  cleanup_free char *missing = pyoci_store_blob_path(s, i2->config_digest);
  ok(unlink(missing) == 0, "delete the config of 'two'");

  memset(&c, 0, sizeof(c));
  int n = pyoci_store_fsck_full(s, false, collect, &c, &st, &err);
  is_int(n, 2, "fsck finds 2 problems");
  is_int(c.n, 2, "2 problems reported");
  ok(strstr(c.text, "image one:latest: layer 2 blob") && strstr(c.text, i1->layers[1].digest) &&
         strstr(c.text, "is corrupt: its content hashes to sha256:"),
     "corrupt layer reported with image, role and digests");
  ok(strstr(c.text, "image two:latest: config blob") && strstr(c.text, i2->config_digest) &&
         strstr(c.text, "is missing"),
     "missing config reported");

  /* Damaged index.json entry. */
  memset(&c, 0, sizeof(c));
  is_int(pyoci_store_fsck_full(s, true, collect, &c, &st, &err), 2, "fsck --repair still counts the problems");
  ok(st.repaired >= 3, "repair removed the corrupt blob and both broken entries (%zu)", st.repaired);
  ok(!pyoci_path_exists(corrupt), "corrupt blob deleted by repair");
  memset(&c, 0, sizeof(c));
  is_int(pyoci_store_fsck_full(s, false, collect, &c, &st, &err), 0, "clean after repair");
  is_int(st.images, 1, "one intact image left");
  char got[PYOCI_DIGEST_LEN];
  ok(pyoci_store_resolve(s, "three", got, NULL) == 0 && strcmp(got, m3) == 0, "intact image untouched");

  /* A manifest claiming more layers than its config has diff_ids. */
  cleanup_json json_t *cfg = pyoci_config_new();
  char cd[PYOCI_DIGEST_LEN], md[PYOCI_DIGEST_LEN];
  cleanup_free char *cb = pyoci_json_dump_canonical(cfg);
  pyoci_store_put_blob(s, cb, strlen(cb), cd, NULL);
  cleanup_free char *mb = NULL;
  if (asprintf(&mb, "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":12}]}",
               PYOCI_MT_OCI_MANIFEST, PYOCI_MT_OCI_CONFIG, cd, strlen(cb), PYOCI_MT_OCI_LAYER, extra) < 0)
    abort();
  pyoci_store_put_blob(s, mb, strlen(mb), md, NULL);
  ok(pyoci_store_add_image(s, md, PYOCI_MT_OCI_MANIFEST, -1, "liar", &err) == 0, "add inconsistent image");
  cleanup_image pyoci_image_t *liar = NULL;
  ok(pyoci_image_load(s, "liar", &liar, &err) < 0 && err->code == PYOCI_E_CORRUPT, "image_load rejects it");
  ok(err && strstr(err->msg, "0 diff_ids for 1 layers"), "message: %s", err ? err->msg : "");
  pyoci_error_release(&err);
  memset(&c, 0, sizeof(c));
  is_int(pyoci_store_fsck_full(s, false, collect, &c, &st, &err), 1, "fsck reports the inconsistent image");
  ok(strstr(c.text, "image liar:latest:") && strstr(c.text, "diff_ids"), "fsck names the inconsistent image");
  pyoci_store_close(s);
}

/* A writer killed in the middle of a blob leaves nothing visible. */
static void killed_writer(bool named)
{
  cleanup_free char *p = fresh_store_path(named ? "s5n" : "s5");
  pyoci_store_t *s = NULL;
  ok(pyoci_store_open(p, &s, NULL) == 0, "open store for kill test (%s)", named ? "named tmp" : "O_TMPFILE");
  char m[PYOCI_DIGEST_LEN];
  make_image(s, "base", "K", 1, m);
  int pfd[2];
  if (pipe(pfd) < 0)
    abort();
  if (named)
    set_named_tmp(true);
  pid_t pid = fork();
  if (pid == 0) {
    pyoci_store_t *cs = NULL;
    pyoci_blob_writer_t *w = NULL;
    if (pyoci_store_open(p, &cs, NULL) < 0 || pyoci_blob_writer_new(cs, &w, NULL) < 0)
      _exit(1);
    static char chunk[65536];
    memset(chunk, 'z', sizeof(chunk));
    for (int i = 0;; i++) {
      pyoci_blob_writer_write(w, chunk, sizeof(chunk), NULL);
      if (i == 16 && write(pfd[1], "w", 1) != 1)
        _exit(1);
      usleep(1000);
    }
  }
  set_named_tmp(false);
  char ch;
  ok(read(pfd[0], &ch, 1) == 1, "child is writing a blob");
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child killed with SIGKILL");
  close(pfd[0]);
  close(pfd[1]);
  cleanup_free char *bdir = pyoci_path_join(p, "blobs/sha256");
  is_int(count_files(bdir), 3, "blobs/ holds only the 3 complete blobs");
  cleanup_free char *tdir = pyoci_path_join(p, "tmp");
  is_int(count_files(tdir), named ? 1 : 0, named ? "the named temp file is left in tmp/" : "tmp/ is empty");
  pyoci_fsck_stats_t st;
  is_int(pyoci_store_fsck_full(s, false, NULL, NULL, &st, NULL), 0, "fsck clean after kill -9");
  uint64_t freed = 0;
  ok(pyoci_store_gc(s, &freed, NULL, NULL) == 0 && count_files(tdir) == 0, "gc clears tmp/");
  pyoci_store_close(s);
}

/* Many processes naming one image at once: no name is lost. */
static void test_concurrent_names(void)
{
  cleanup_free char *p = fresh_store_path("s6");
  pyoci_store_t *s = NULL;
  ok(pyoci_store_open(p, &s, NULL) == 0, "open store 6");
  char m[PYOCI_DIGEST_LEN];
  make_image(s, "base", "C", 1, m);
  enum { PROCS = 8, NAMES = 10 };
  pid_t pids[PROCS];
  for (int i = 0; i < PROCS; i++) {
    if ((pids[i] = fork()) == 0) {
      pyoci_store_t *cs = NULL;
      if (pyoci_store_open(p, &cs, NULL) < 0)
        _exit(1);
      for (int j = 0; j < NAMES; j++) {
        char name[64];
        snprintf(name, sizeof(name), "p%d/n:%d", i, j);
        if (pyoci_store_add_image(cs, m, PYOCI_MT_OCI_MANIFEST, -1, name, NULL) < 0)
          _exit(2);
      }
      pyoci_store_close(cs);
      _exit(0);
    }
  }
  int failures = 0;
  for (int i = 0; i < PROCS; i++) {
    int status;
    waitpid(pids[i], &status, 0);
    failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  is_int(failures, 0, "all %d taggers succeeded", PROCS);
  pyoci_index_entry_t *v = NULL;
  size_t n = 0;
  ok(pyoci_store_list(s, &v, &n, NULL) == 0, "index still parses");
  is_int(n, PROCS * NAMES + 1, "every name is in index.json");
  pyoci_index_entries_free(v, n);
  pyoci_store_close(s);
}

static void test_misc(void)
{
  char ids[3][PYOCI_DIGEST_LEN], chain[PYOCI_DIGEST_LEN], want[PYOCI_DIGEST_LEN], buf[200];
  pyoci_sha256_buf("a", 1, ids[0]);
  pyoci_sha256_buf("b", 1, ids[1]);
  pyoci_sha256_buf("c", 1, ids[2]);
  pyoci_chain_id((const char(*)[PYOCI_DIGEST_LEN])ids, 1, chain);
  is_str(chain, ids[0], "chain id of one layer is its diff_id");
  pyoci_chain_id((const char(*)[PYOCI_DIGEST_LEN])ids, 3, chain);
  snprintf(buf, sizeof(buf), "%s %s", ids[0], ids[1]);
  pyoci_sha256_buf(buf, strlen(buf), want);
  snprintf(buf, sizeof(buf), "%s %s", want, ids[2]);
  pyoci_sha256_buf(buf, strlen(buf), want);
  is_str(chain, want, "chain id of three layers");

  is_int(pyoci_layer_media_compression(PYOCI_MT_OCI_LAYER), 0, "oci tar: none");
  is_int(pyoci_layer_media_compression(PYOCI_MT_OCI_LAYER_GZIP), 1, "oci gzip");
  is_int(pyoci_layer_media_compression(PYOCI_MT_OCI_LAYER_ZSTD), 2, "oci zstd");
  is_int(pyoci_layer_media_compression(PYOCI_MT_DOCKER_LAYER_GZIP), 1, "docker gzip");
  is_int(pyoci_layer_media_compression("application/json"), -1, "unknown");

  set_sde("1700000000");
  cleanup_json json_t *c = pyoci_config_new();
  is_str(pyoci_json_str(c, "created"), "2023-11-14T22:13:20Z", "created from SOURCE_DATE_EPOCH");
  pyoci_config_add_layer(c, ids[0], "COPY . /app", NULL);
  pyoci_config_add_history(c, "ENV A=1", 1, NULL);
  cleanup_free char *dump = pyoci_json_dump_canonical(c);
  char expect[1024];
  snprintf(expect, sizeof(expect),
           "{\"architecture\":\"%s\",\"config\":{},\"created\":\"2023-11-14T22:13:20Z\",\"history\":["
           "{\"created\":\"2023-11-14T22:13:20Z\",\"created_by\":\"COPY . /app\"},"
           "{\"created\":\"2023-11-14T22:13:20Z\",\"created_by\":\"ENV A=1\",\"empty_layer\":true}],"
           "\"os\":\"linux\",\"rootfs\":{\"diff_ids\":[\"%s\"],\"type\":\"layers\"}}",
           pyoci_host_arch(), ids[0]);
  is_str(dump, expect, "config with a layer and an empty-layer history entry");
  set_sde(NULL);
}

static char *put_json(pyoci_store_t *s, const char *text, char digest[PYOCI_DIGEST_LEN])
{
  pyoci_store_put_blob(s, text, strlen(text), digest, NULL);
  return digest;
}

/* Docker v2 manifests load; an image index yields this host's image. */
static void test_docker_and_index(void)
{
  cleanup_free char *p = fresh_store_path("s7");
  pyoci_store_t *s = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  ok(pyoci_store_open(p, &s, &err) == 0, "open store 7");
  char m_host[PYOCI_DIGEST_LEN], m_other[PYOCI_DIGEST_LEN], cfg[PYOCI_DIGEST_LEN], layer[PYOCI_DIGEST_LEN];
  char idx[PYOCI_DIGEST_LEN], buf[2048];
  put_json(s, "layerbytes", layer);
  snprintf(buf, sizeof(buf), "{\"architecture\":\"%s\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
           pyoci_host_arch(), layer);
  put_json(s, buf, cfg);
  size_t cfg_len = strlen(buf);
  snprintf(buf, sizeof(buf),
           "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\"},"
           "\"layers\":[{\"mediaType\":\"%s\",\"size\":10,\"digest\":\"%s\"}]}",
           PYOCI_MT_DOCKER_MANIFEST, PYOCI_MT_DOCKER_CONFIG, cfg_len, cfg, PYOCI_MT_DOCKER_LAYER_GZIP, layer);
  put_json(s, buf, m_host);
  size_t m_len = strlen(buf);
  pyoci_sha256_buf("other platform manifest, not stored", 35, m_other);
  snprintf(buf, sizeof(buf),
           "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
           "{\"mediaType\":\"%s\",\"size\":123,\"digest\":\"%s\",\"platform\":{\"os\":\"linux\",\"architecture\":\"s390x-not-%s\"}},"
           "{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\",\"platform\":{\"os\":\"linux\",\"architecture\":\"%s\"}}]}",
           PYOCI_MT_DOCKER_LIST, PYOCI_MT_DOCKER_MANIFEST, m_other, pyoci_host_arch(), PYOCI_MT_DOCKER_MANIFEST, m_len,
           m_host, pyoci_host_arch());
  put_json(s, buf, idx);
  ok(pyoci_store_add_image(s, m_host, PYOCI_MT_DOCKER_MANIFEST, -1, "docker:v2", &err) == 0, "add docker v2 manifest");
  ok(pyoci_store_add_image(s, idx, PYOCI_MT_DOCKER_LIST, -1, "multi", &err) == 0, "add manifest list");
  cleanup_image pyoci_image_t *a = NULL, *b = NULL;
  ok(pyoci_image_load(s, "docker:v2", &a, &err) == 0, "docker v2 manifest loads (%s)", err ? err->msg : "ok");
  is_str(a ? a->manifest_media_type : NULL, PYOCI_MT_DOCKER_MANIFEST, "media type kept");
  is_int(a ? pyoci_layer_media_compression(a->layers[0].media_type) : -9, 1, "docker gzip layer");
  ok(pyoci_image_load(s, "multi", &b, &err) == 0, "manifest list loads (%s)", err ? err->msg : "ok");
  is_str(b ? b->manifest_digest : NULL, m_host, "the host platform's manifest was picked");
  char id[PYOCI_DIGEST_LEN], got[PYOCI_DIGEST_LEN];
  ok(pyoci_store_image_id(s, idx, id, NULL) == 0 && strcmp(id, cfg) == 0, "image ID of an index = host config");
  ok(pyoci_store_resolve(s, idx, got, NULL) == 0 && strcmp(got, idx) == 0, "resolve index by digest");
  pyoci_fsck_stats_t st;
  is_int(pyoci_store_fsck_full(s, false, NULL, NULL, &st, NULL), 0,
         "fsck: a missing manifest for another platform is no problem");
  uint64_t freed = 0;
  size_t nb = 0;
  ok(pyoci_store_gc(s, &freed, &nb, NULL) == 0 && nb == 0, "gc keeps everything an index reaches");
  ok(pyoci_store_untag(s, "docker:v2", false, NULL) == 0, "untag docker:v2");
  ok(pyoci_store_gc(s, &freed, &nb, NULL) == 0 && nb == 0 && pyoci_store_has_blob(s, layer),
     "blobs still reached through the index stay");

  /* A manifest with a bad media type / too many layers is refused. */
  snprintf(buf, sizeof(buf), "{\"schemaVersion\":2,\"mediaType\":\"application/x-evil\",\"config\":{},\"layers\":[]}");
  char evil[PYOCI_DIGEST_LEN];
  put_json(s, buf, evil);
  cleanup_image pyoci_image_t *e = NULL;
  ok(pyoci_image_load_digest(s, evil, &e, &err) < 0 && err->code == PYOCI_E_CORRUPT, "unknown media type refused");
  ok(err && strstr(err->msg, evil) && strstr(err->msg, "application/x-evil"), "message names manifest and type: %s",
     err ? err->msg : "");
  pyoci_error_release(&err);
  strbuf_t sb = STRBUF_INIT;
  strbuf_addf(&sb, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\"},\"layers\":[",
              PYOCI_MT_OCI_CONFIG, cfg_len, cfg);
  for (int i = 0; i <= PYOCI_MAX_LAYERS; i++)
    strbuf_addf(&sb, "%s{\"mediaType\":\"%s\",\"size\":10,\"digest\":\"%s\"}", i ? "," : "", PYOCI_MT_OCI_LAYER, layer);
  strbuf_addstr(&sb, "]}");
  put_json(s, sb.buf, evil);
  strbuf_release(&sb);
  ok(pyoci_image_load_digest(s, evil, &e, &err) < 0 && err && strstr(err->msg, "over the limit"),
     "too many layers refused: %s", err ? err->msg : "");
  pyoci_error_release(&err);
  pyoci_store_close(s);
}

int main(void)
{
  char tmpl[] = "/tmp/pyoci-test-store.XXXXXX";
  root = mkdtemp(tmpl);
  set_sde(NULL);
  test_layout_and_blobs();
  test_names_and_resolve();
  test_gc_prune();
  test_fsck();
  killed_writer(false);
  killed_writer(true);
  test_concurrent_names();
  test_misc();
  test_docker_and_index();
  pyoci_rm_rf(root, NULL);
  return done_testing();
}
