/* Cataloging an image from the store: real layer blobs made by lib/layer,
 * read back with its tar reader, whiteouts honoured, each package with the
 * layer that brought it; and `pyoci sbom IMAGE` over the same store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/layer/layer.h"
#include "lib/oci/image.h"
#include "lib/oci/store.h"
#include "lib/pkg/catalog.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "tap.h"

static void put(const char *root, const char *rel, const char *content)
{
  cleanup_free char *path = pyoci_path_join(root, rel);
  cleanup_free char *dir = strdup(path);
  *strrchr(dir, '/') = '\0';
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_mkdir_p(dir, 0755, &err) < 0 || pyoci_write_file_atomic(path, content, strlen(content), 0644, &err) < 0)
    printf("# put %s: %s\n", rel, err->msg);
}

#define META(n, v) "Metadata-Version: 2.1\nName: " n "\nVersion: " v "\n"
#define DEB(n, v) "Package: " n "\nStatus: install ok installed\nVersion: " v "\nArchitecture: amd64\n\n"
#define SP "usr/local/lib/python3.11/site-packages/"
#define DP "usr/lib/python3/dist-packages/"

/* An uncompressed layer blob from a directory (diff_id = digest). */
static int layer_from_dir(pyoci_store_t *s, const char *dir, pyoci_desc_t *d, pyoci_error_t **err)
{
  pyoci_layer_opts_t o;
  pyoci_layer_opts_init(&o);
  o.comp = PYOCI_COMP_NONE;
  pyoci_blob_writer_t *w = NULL;
  if (pyoci_blob_writer_new(s, &w, err) < 0)
    return -1;
  if (pyoci_tar_dir(dir, &o, pyoci_blob_writer_sink, w, err) < 0) {
    pyoci_blob_writer_abort(w);
    return -1;
  }
  d->media_type = strdup(PYOCI_MT_OCI_LAYER);
  return pyoci_blob_writer_commit(w, NULL, d->digest, &d->size, err);
}

static const pyoci_pkg_t *find(const pyoci_catalog_result_t *r, const char *name)
{
  for (size_t i = 0; r && i < r->n_packages; i++)
    if (strcmp(r->packages[i].name, name) == 0)
      return &r->packages[i];
  return NULL;
}

static void check_cli(const char *tmp, const char *sp, const pyoci_image_t *img)
{
  const char *bin = getenv("PYOCI_BIN");
  if (bin == NULL) {
    printf("ok %d # skip PYOCI_BIN not set (run through tests/run.sh)\n", ++tap_n);
    return;
  }
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *cmd = NULL, *validate = NULL;
  cleanup_free char *out = pyoci_path_join(tmp, "sbom.json");
  if (asprintf(&cmd, "SOURCE_DATE_EPOCH=1700000000 %s --store %s sbom -o %s layered:1", bin, sp, out) < 0)
    abort();
  int st = system(cmd);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "pyoci sbom layered:1 exits 0");
  cleanup_json json_t *j = pyoci_json_load_file(out, 1 << 20, &err);
  json_t *comp = json_object_get(json_object_get(j, "metadata"), "component");
  is_str(pyoci_json_str(comp, "type"), "container", "subject is a container");
  is_str(pyoci_json_str(comp, "name"), "layered:1", "subject name as given");
  is_str(pyoci_json_str(comp, "version"), img ? img->manifest_digest : "", "subject version is the manifest digest");
  is_int(json_array_size(json_object_get(j, "components")), 7, "OS + 6 packages");
  const char *top = getenv("PYOCI_TOP");
  if (asprintf(&validate, "python3 %s/tests/integration/validate_sbom.py cyclonedx %s >&2", top ? top : ".", out) < 0)
    abort();
  st = system(validate);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
    printf("ok %d # skip python jsonschema not available\n", ++tap_n);
  else
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "image SBOM validates against bom-1.5.schema.json");
}

int main(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *tmp = NULL;
  if (pyoci_mkdtemp(NULL, "pyoci-pkg-image-", &tmp, &err) < 0)
    return 1;
  cleanup_free char *l0 = pyoci_path_join(tmp, "l0");
  cleanup_free char *l1 = pyoci_path_join(tmp, "l1");
  cleanup_free char *l2 = pyoci_path_join(tmp, "l2");
  cleanup_free char *sp = pyoci_path_join(tmp, "store");
  put(l0, "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
  put(l0, "etc/debian_version", "12.5\n");
  put(l0, "var/lib/dpkg/status", DEB("a", "1.0") DEB("b", "1.0"));
  put(l0, DP "six-1.16.0.dist-info/METADATA", META("six", "1.16.0"));
  put(l0, DP "gone-1.0.dist-info/METADATA", META("gone", "1.0"));
  put(l1, "var/lib/dpkg/status", DEB("a", "1.0") DEB("b", "2.0") DEB("c", "1.0"));
  put(l1, SP "flask-3.0.0.dist-info/METADATA", META("flask", "3.0.0"));
  put(l1, DP ".wh.gone-1.0.dist-info", "");
  put(l2, SP ".wh..wh..opq", "");
  put(l2, SP "click-8.1.7.dist-info/METADATA", META("click", "8.1.7"));
  put(l2, "var/lib/dpkg/status", DEB("a", "1.0") DEB("b", "2.0") DEB("c", "1.0") DEB("d", "1.0"));

  pyoci_store_t *s = NULL;
  ok(pyoci_store_open(sp, &s, &err) == 0, "open store: %s", err ? err->msg : "ok");
  if (s == NULL)
    return done_testing();
  pyoci_desc_t layers[3];
  memset(layers, 0, sizeof(layers));
  cleanup_json json_t *cfg = pyoci_config_new();
  const char *dirs[] = {l0, l1, l2};
  for (int i = 0; i < 3; i++) {
    ok(layer_from_dir(s, dirs[i], &layers[i], &err) == 0, "layer %d: %s", i, err ? err->msg : "ok");
    pyoci_config_add_layer(cfg, layers[i].digest, "test", NULL);
  }
  const char *names[] = {"layered:1", NULL};
  char manifest[PYOCI_DIGEST_LEN];
  ok(pyoci_image_commit(s, cfg, NULL, 0, layers, 3, names, manifest, &err) == 0, "commit: %s",
     err ? err->msg : "ok");
  pyoci_image_t *img = NULL;
  ok(pyoci_image_load(s, "layered:1", &img, &err) == 0, "load image");
  cleanup_catalog_result pyoci_catalog_result_t *r = NULL;
  ok(img && pyoci_catalog_image(s, img, &r, &err) == 0, "catalog image: %s", err ? err->msg : "ok");
  if (r != NULL) {
    is_str(r->os.family, "debian", "os family");
    is_str(r->os.version, "12.5", "os version");
    static const struct {
      const char *name, *version;
      int layer;
    } want[] = {{"a", "1.0", 0}, {"b", "2.0", 1}, {"c", "1.0", 1}, {"d", "1.0", 2}, {"click", "8.1.7", 2}, {"six", "1.16.0", 0}};
    size_t n = sizeof(want) / sizeof(want[0]);
    is_int(r->n_packages, n, "whiteout and opaque whiteout hid 'gone' and 'flask'");
    for (size_t i = 0; i < n && i < r->n_packages; i++) {
      const pyoci_pkg_t *p = &r->packages[i];
      is_str(p->name, want[i].name, "pkg %zu name", i);
      is_str(p->version, want[i].version, "%s version", want[i].name);
      is_int(p->layer_index, want[i].layer, "%s brought by layer %d", want[i].name, want[i].layer);
      is_str(p->layer_digest, layers[want[i].layer].digest, "%s layer digest is that layer's blob", want[i].name);
    }
    ok(find(r, "flask") == NULL && find(r, "gone") == NULL, "hidden packages not reported");
  }
  check_cli(tmp, sp, img);

  /* An image whose apk database is damaged: a warning, or with --strict an error. */
  cleanup_free char *lb = pyoci_path_join(tmp, "lbad");
  put(lb, "lib/apk/db/installed", "P:x\nV:1\nnocolon\n");
  pyoci_desc_t bad = {0};
  cleanup_json json_t *bcfg = pyoci_config_new();
  ok(layer_from_dir(s, lb, &bad, &err) == 0, "bad layer");
  pyoci_config_add_layer(bcfg, bad.digest, "test", NULL);
  const char *bnames[] = {"bad:1", NULL};
  ok(pyoci_image_commit(s, bcfg, NULL, 0, &bad, 1, bnames, manifest, &err) == 0, "commit bad:1");
  free(bad.media_type);
  const char *bin = getenv("PYOCI_BIN");
  if (bin != NULL) {
    cleanup_free char *c1 = NULL, *c2 = NULL;
    if (asprintf(&c1, "%s --store %s sbom bad:1 >/dev/null 2>&1", bin, sp) < 0 ||
        asprintf(&c2, "%s --store %s sbom --strict bad:1 >/dev/null 2>&1", bin, sp) < 0)
      abort();
    int st = system(c1);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "damaged database in an image: exit 0 with a warning");
    st = system(c2);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 1, "damaged database in an image with --strict: exit 1");
  }
  for (int i = 0; i < 3; i++)
    free(layers[i].media_type);
  pyoci_image_free(img);
  pyoci_store_close(s);
  pyoci_rm_rf(tmp, NULL);
  return done_testing();
}
