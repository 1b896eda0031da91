/* libFuzzer harness: Debian relation fields (Depends, Pre-Depends,
 * Provides).  What parses must format back to text that parses to the
 * same thing (the resolver's messages quote relations this way). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/assemble/asm_int.h"

static void format_all(const pyoci_rels_t *r, strbuf_t *sb)
{
  for (size_t g = 0; g < r->n; g++) {
    if (g)
      strbuf_addstr(sb, ", ");
    for (size_t a = 0; a < r->groups[g].n; a++) {
      if (a)
        strbuf_addstr(sb, " | ");
      pyoci_rel_format(&r->groups[g].alts[a], sb);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  pyoci_error_t *err = NULL;
  pyoci_rels_t r;
  if (pyoci_rels_parse((const char *)data, size, "fuzz", &r, &err) < 0) {
    pyoci_error_free(err);
    return 0;
  }
  strbuf_t a = STRBUF_INIT, b = STRBUF_INIT;
  format_all(&r, &a);
  pyoci_rels_t r2;
  if (pyoci_rels_parse(a.buf ? a.buf : "", a.len, "fuzz", &r2, &err) < 0)
    abort(); /* formatted output must parse */
  format_all(&r2, &b);
  if (strcmp(strbuf_str(&a), strbuf_str(&b)) != 0)
    abort();
  for (size_t g = 0; g < r.n; g++)
    for (size_t i = 0; i < r.groups[g].n; i++)
      (void)pyoci_rel_version_ok(r.groups[g].alts[i].op, r.groups[g].alts[i].version, "1.0-1");
  pyoci_rels_free(&r);
  pyoci_rels_free(&r2);
  strbuf_release(&a);
  strbuf_release(&b);
  return 0;
}
