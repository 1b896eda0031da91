/* Archive parsers (manifest.json, index.json, member paths, RFC 3339), the
 * deterministic tar writer, and `--change` instructions. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/oci/archive.h"
#include "lib/oci/archive_int.h"
#include "lib/image/import.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "tap.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"

static void test_clean_path(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *a = pyoci_archive_clean_path("./abc//layer.tar/", &err);
  is_str(a, "abc/layer.tar", "clean_path drops ./, // and trailing /");
  cleanup_free char *b = pyoci_archive_clean_path("blobs/./sha256/x", &err);
  is_str(b, "blobs/sha256/x", "clean_path drops inner .");
  ok(pyoci_archive_clean_path("../x", &err) == NULL, "../x rejected");
  is_str(err ? err->msg : NULL, "member '../x': path leaves the archive", "message names the member");
  pyoci_error_release(&err);
  ok(pyoci_archive_clean_path("a/../../b", &err) == NULL, "a/../../b rejected");
  pyoci_error_release(&err);
  ok(pyoci_archive_clean_path("/etc/passwd", &err) == NULL, "absolute path rejected");
  is_str(err ? err->msg : NULL, "member '/etc/passwd': absolute path", "absolute message");
  pyoci_error_release(&err);
  ok(pyoci_archive_clean_path("./", &err) == NULL, "empty path rejected");
}

static void test_rfc3339(void)
{
  is_int(pyoci_parse_rfc3339("1970-01-01T00:00:00Z"), 0, "epoch");
  is_int(pyoci_parse_rfc3339("2024-01-02T03:04:05.123456789Z"), 1704164645, "fractional seconds");
  is_int(pyoci_parse_rfc3339("2024-01-02T04:04:05+01:00"), 1704164645, "positive offset");
  is_int(pyoci_parse_rfc3339("2024-01-02T02:04:05-01:00"), 1704164645, "negative offset");
  is_int(pyoci_parse_rfc3339("2024-01-02"), -1, "date only rejected");
  is_int(pyoci_parse_rfc3339("2024-13-02T03:04:05Z"), -1, "month 13 rejected");
  is_int(pyoci_parse_rfc3339("2024-01-02T03:04:05Zjunk"), -1, "trailing junk rejected");
  is_int(pyoci_parse_rfc3339(NULL), -1, "NULL");
}

static int parse_manifest(const char *s, pyoci_docker_manifest_entry_t **e, size_t *n, pyoci_error_t **err)
{
  return pyoci_docker_manifest_parse(s, strlen(s), "x.tar", e, n, err);
}

static void test_docker_manifest(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_docker_manifest_entry_t *e = NULL;
  size_t n = 0;
  const char *good = "[{\"Config\":\"" H1 ".json\",\"RepoTags\":[\"app:1\",\"me/x\",\"localhost:5000/a/b:c\"],"
                     "\"Layers\":[\"" H2 "/layer.tar\",\"./blobs/sha256/" H1 "\"]},"
                     "{\"Config\":\"c.json\",\"RepoTags\":null,\"Layers\":[]}]";
  ok(parse_manifest(good, &e, &n, &err) == 0, "legacy manifest.json parses");
  is_int(n, 2, "two images");
  if (n == 2) {
    is_str(e[0].config, H1 ".json", "config path");
    is_int(e[0].n_repo_tags, 3, "three tags");
    is_str(e[0].repo_tags[0], "app:1", "tag kept");
    is_str(e[0].repo_tags[1], "me/x:latest", "tag normalised with :latest");
    is_str(e[0].repo_tags[2], "localhost:5000/a/b:c", "registry kept");
    is_int(e[0].n_layers, 2, "two layers");
    is_str(e[0].layers[1], "blobs/sha256/" H1, "layer path cleaned");
    is_int(e[1].n_repo_tags, 0, "null RepoTags = untagged");
  }
  pyoci_docker_manifest_free(e, n);

  struct {
    const char *json, *want;
  } bad[] = {
      {"[{\"Config\":\"a.json\",\"Layers\":[\"../x\"]}]",
       "load 'x.tar': manifest.json entry 0: Layers[0]: member '../x': path leaves the archive"},
      {"[{\"Config\":\"/etc/passwd\",\"Layers\":[]}]",
       "load 'x.tar': manifest.json entry 0: Config: member '/etc/passwd': absolute path"},
      {"[{\"Layers\":[]}]", "load 'x.tar': manifest.json entry 0: missing \"Config\""},
      {"[{\"Config\":\"a.json\"}]", "load 'x.tar': manifest.json entry 0: missing \"Layers\" list"},
      {"[{\"Config\":\"a.json\",\"Layers\":[1]}]", "load 'x.tar': manifest.json entry 0: Layers[0] is not a string"},
      {"{}", "load 'x.tar': manifest.json: expected a list"},
      {"[]", "load 'x.tar': manifest.json: no images"},
      {"[1]", "load 'x.tar': manifest.json entry 0: not an object"},
      {"[{\"Config\":\"a.json\",\"RepoTags\":[\"app@sha256:" H1 "\"],\"Layers\":[]}]",
       "load 'x.tar': manifest.json entry 0: tag 'app@sha256:" H1 "' is a digest reference"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    e = NULL;
    ok(parse_manifest(bad[i].json, &e, &n, &err) < 0 && e == NULL, "rejected: %s", bad[i].json);
    is_str(err ? err->msg : NULL, bad[i].want, "message for %s", bad[i].json);
    pyoci_error_release(&err);
  }
  ok(parse_manifest("[{\"Config\":", &e, &n, &err) < 0, "truncated JSON rejected");
  ok(err && strncmp(err->msg, "load 'x.tar': parse 'manifest.json': invalid JSON at line 1", 59) == 0,
     "bad JSON message names archive and member: %s", err ? err->msg : "");
  pyoci_error_release(&err);
  ok(parse_manifest("[{\"Config\":\"a\",\"Config\":\"b\",\"Layers\":[]}]", &e, &n, &err) < 0,
     "duplicate keys rejected");
  pyoci_error_release(&err);
  ok(parse_manifest("[{\"Config\":\"a.json\",\"RepoTags\":[\"UPPER\"],\"Layers\":[]}]", &e, &n, &err) < 0,
     "invalid tag rejected");
  pyoci_error_release(&err);

  /* Size limit: checked before parsing. */
  size_t big = PYOCI_ARCHIVE_MAX_JSON + 1;
  char *huge = malloc(big);
  memset(huge, ' ', big);
  huge[0] = '[';
  huge[big - 1] = ']';
  ok(pyoci_docker_manifest_parse(huge, big, "x.tar", &e, &n, &err) < 0, "huge manifest.json rejected");
  ok(err && strstr(err->msg, "over the limit") != NULL, "huge message: %s", err ? err->msg : "");
  pyoci_error_release(&err);
  free(huge);

  /* Layer count limit. */
  cleanup_strbuf strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, "[{\"Config\":\"a.json\",\"Layers\":[");
  for (int i = 0; i <= PYOCI_MAX_LAYERS; i++)
    strbuf_addf(&sb, "%s\"l%d\"", i ? "," : "", i);
  strbuf_addstr(&sb, "]}]");
  ok(parse_manifest(sb.buf, &e, &n, &err) < 0, "more than %d layers rejected", PYOCI_MAX_LAYERS);
  pyoci_error_release(&err);
}

static void test_oci_index(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_oci_index_entry_t *e = NULL;
  size_t n = 0;
  const char *good =
      "{\"schemaVersion\":2,\"manifests\":["
      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" H1 "\",\"size\":10,"
      "\"annotations\":{\"org.opencontainers.image.ref.name\":\"app:1\"}},"
      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" H2 "\",\"size\":11,"
      "\"annotations\":{\"org.opencontainers.image.ref.name\":\"2\",\"io.containerd.image.name\":\"docker.io/library/app:2\"},"
      "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" H2 "\",\"size\":11,"
      "\"annotations\":{\"org.opencontainers.image.ref.name\":\"1.0\"}},"
      "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"sha256:" H1 "\",\"size\":5}]}";
  ok(pyoci_oci_index_parse(good, strlen(good), "x.tar", &e, &n, &err) == 0, "index.json parses");
  is_int(n, 4, "four entries");
  if (n == 4) {
    is_str(e[0].name, "app:1", "ref.name full reference");
    is_str(e[1].name, "app:2", "containerd name wins and is made familiar");
    is_str(e[1].arch, "arm64", "platform architecture");
    is_str(e[1].variant, "v8", "platform variant");
    ok(e[2].name == NULL, "bare tag is no name");
    is_str(e[2].bare_tag, "1.0", "bare tag remembered");
    is_int(e[1].size, 11, "size");
    ok(e[3].name == NULL && e[3].bare_tag == NULL, "no annotations");
  }
  pyoci_oci_index_free(e, n);

  struct {
    const char *json, *want;
  } bad[] = {
      {"{\"schemaVersion\":2}", "load 'x.tar': index.json: missing \"manifests\" list"},
      {"{\"schemaVersion\":1,\"manifests\":[]}", "load 'x.tar': index.json: schemaVersion is not 2"},
      {"[]", NULL},
      {"{\"manifests\":[{\"mediaType\":\"m\",\"digest\":\"sha256:abc\",\"size\":1}]}",
       "load 'x.tar': index.json manifests[0]: missing or unsupported digest"},
      {"{\"manifests\":[{\"mediaType\":\"m\",\"digest\":\"sha256:" H1 "\",\"size\":-1}]}",
       "load 'x.tar': index.json manifests[0]: missing or negative size"},
      {"{\"manifests\":[{\"digest\":\"sha256:" H1 "\",\"size\":1}]}",
       "load 'x.tar': index.json manifests[0]: missing mediaType"},
      {"{\"manifests\":[{\"mediaType\":\"m\",\"digest\":\"sha256:" H1 "\",\"size\":1,"
       "\"annotations\":{\"org.opencontainers.image.ref.name\":\"a/b@sha256:" H1 "\"}}]}",
       "load 'x.tar': index.json manifests[0]: name 'a/b@sha256:" H1 "' is a digest reference"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    e = NULL;
    ok(pyoci_oci_index_parse(bad[i].json, strlen(bad[i].json), "x.tar", &e, &n, &err) < 0 && e == NULL,
       "index rejected: %s", bad[i].json);
    if (bad[i].want)
      is_str(err ? err->msg : NULL, bad[i].want, "index message for %s", bad[i].json);
    pyoci_error_release(&err);
  }
}

/* Write a small archive with the tar writer; read it back with libarchive. */
static char *write_sample(const char *dir, const char *name)
{
  char *path = pyoci_path_join(dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pyoci_tarw_t *w = pyoci_tarw_new(fd, path);
  cleanup_error pyoci_error_t *err = NULL;
  int rc = pyoci_tarw_dir(w, "d", 1000, &err);
  rc |= pyoci_tarw_file(w, "d/small", "hello", 5, 1000, &err);
  rc |= pyoci_tarw_begin(w, "d/big", 700, 2000, &err);
  char buf[350];
  memset(buf, 'x', sizeof(buf));
  rc |= pyoci_tarw_write(w, buf, 350, &err);
  rc |= pyoci_tarw_write(w, buf, 350, &err);
  rc |= pyoci_tarw_end(w, &err);
  rc |= pyoci_tarw_finish(w, &err);
  pyoci_tarw_free(w);
  close(fd);
  ok(rc == 0, "tar writer wrote %s", name);
  return path;
}

static void test_tar_writer(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *dir = NULL;
  pyoci_mkdtemp(NULL, "pyoci-test-", &dir, &err);
  cleanup_free char *a = write_sample(dir, "a.tar");
  cleanup_free char *b = write_sample(dir, "b.tar");
  cleanup_free char *ba = NULL, *bb = NULL;
  size_t la = 0, lb = 0;
  pyoci_read_file(a, 1 << 20, &ba, &la, &err);
  pyoci_read_file(b, 1 << 20, &bb, &lb, &err);
  ok(la == lb && la > 0 && memcmp(ba, bb, la) == 0, "same input, same bytes");
  is_int(la % 512, 0, "whole blocks");

  struct archive *ar = archive_read_new();
  archive_read_support_format_tar(ar);
  ok(archive_read_open_filename(ar, a, 10240) == ARCHIVE_OK, "libarchive opens it");
  struct archive_entry *ae;
  const char *want[] = {"d/", "d/small", "d/big"};
  int i = 0;
  while (archive_read_next_header(ar, &ae) == ARCHIVE_OK && i < 3) {
    is_str(archive_entry_pathname(ae), want[i], "member %d name", i);
    is_int(archive_entry_uid(ae), 0, "uid 0");
    if (i == 1) {
      char c[8] = {0};
      archive_read_data(ar, c, sizeof(c));
      is_str(c, "hello", "small content");
      is_int(archive_entry_mtime(ae), 1000, "mtime");
    }
    if (i == 2)
      is_int(archive_entry_size(ae), 700, "streamed size");
    i++;
  }
  is_int(i, 3, "three members");
  archive_read_free(ar);

  /* Announced size must be honoured. */
  int fd = open("/dev/null", O_WRONLY);
  pyoci_tarw_t *w = pyoci_tarw_new(fd, "null");
  pyoci_tarw_begin(w, "x", 3, 0, &err);
  ok(pyoci_tarw_write(w, "abcd", 4, &err) < 0, "overlong member refused");
  pyoci_error_release(&err);
  ok(pyoci_tarw_end(w, &err) < 0, "short member refused");
  pyoci_tarw_free(w);
  close(fd);
  pyoci_error_release(&err);
  pyoci_rm_rf(dir, &err);
}


int main(void)
{
  test_clean_path();
  test_rfc3339();
  test_docker_manifest();
  test_oci_index();
  test_tar_writer();
  return done_testing();
}
