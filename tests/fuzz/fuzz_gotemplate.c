/* libFuzzer harness: Go template parsing and execution (--format strings),
 * over a fixed inspect-like document with the inspect kinds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "lib/oci/inspect.h"
#include "lib/util/gotemplate.h"

static json_t *doc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (doc == NULL) {
    doc = json_loads("{\"Id\":\"sha256:ab\",\"Size\":123,\"R\":0.5,\"RepoTags\":[\"a:1\",\"b:2\"],"
                     "\"Config\":{\"Cmd\":[\"sh\"],\"Env\":null,\"Labels\":{\"k\":\"v\"},\"Volumes\":null},"
                     "\"RootFS\":{\"Type\":\"layers\",\"Layers\":[\"x\",\"y\"]},\"N\":null,\"T\":true}",
                     0, NULL);
    if (doc == NULL)
      abort();
  }
  char *buf = fuzz_nul_copy(data, size);
  if (buf == NULL)
    return 0;
  pyoci_error_t *err = NULL;
  pyoci_gotemplate_t *t = NULL;
  if (pyoci_gotemplate_parse(buf, 0, &t, &err) == 0) {
    strbuf_t sb = STRBUF_INIT;
    if (pyoci_gotemplate_execute(t, doc, pyoci_inspect_kinds(), &sb, &err) < 0 && (err == NULL || err->msg == NULL))
      abort(); /* a failure always says why */
    strbuf_release(&sb);
    pyoci_gotemplate_free(t);
  } else if (err == NULL || strncmp(err->msg, "template: ", 10) != 0) {
    abort(); /* parse errors read like Go's */
  }
  pyoci_error_free(err);
  free(buf);
  return 0;
}
