/* Shared between dockerfile.c (lines, continuations, heredocs) and
 * instruction.c, instr_lex.c, instr_mem.c (typed instructions; their own
 * shared pieces are in instr_int.h).  Not a public interface. */
#ifndef PYOCI_DOCKERFILE_DF_INT_H
#define PYOCI_DOCKERFILE_DF_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "dockerfile.h"

/* Where a message points: "name:line: ...". */
typedef struct {
  const char *name;
  int line;
  pyoci_error_t **err;
} df_ctx_t;

int pyoci_df_fail(const df_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether the instruction on this logical line may take heredocs (RUN, COPY,
 * ADD in shell form, or ONBUILD of one of them). */
bool pyoci_df_can_contain_heredoc(const char *line);

/* Type one logical line.  heredocs (may be NULL) are moved into the result. */
pyoci_df_instr_t *pyoci_df_build_instr(const df_ctx_t *c, const char *line, char escape, int end_line,
                                 pyoci_df_heredoc_t *heredocs, size_t n_heredocs);

/* Free what an instruction owns, not the struct itself. */
void pyoci_df_instr_clear(pyoci_df_instr_t *in);
void pyoci_df_heredocs_free(pyoci_df_heredoc_t *h, size_t n);
/* Deep copy of n heredocs (NULL when n is 0). */
pyoci_df_heredoc_t *pyoci_df_heredocs_dup(const pyoci_df_heredoc_t *h, size_t n);
void pyoci_df_strv_push(char ***v, size_t *n, char *s);
/* NUL inside a JSON-form argument ("\u0000"): kept as C0 80 in our C
 * strings; pyoci_df_nul_json makes the JSON string with the NUL back. */
char *pyoci_df_nul_encode(const char *s, size_t len);
json_t *pyoci_df_nul_json(const char *s);
void pyoci_df_strv_free(char **v, size_t n);
char **pyoci_df_strv_dup(char *const *v, size_t n);

/* ^(\d*)<<(-?)([^<]*)$ on one word, then the delimiter unquoted.  Returns 1
 * and fills h (name, expand, chomp, fd) when word is a heredoc, 0 if not. */
int pyoci_df_parse_heredoc_word(const char *word, pyoci_df_heredoc_t *h);

/* "\t" stripped from the start of every line. */
char *pyoci_df_chomp(const char *s);

/* HEALTHCHECK's numbers as docker's HealthcheckConfig declares them: the
 * four durations (ns), then Retries.  The image config (JSON keys) and the
 * history line (%+v) both name and order them so. */
typedef struct {
  const char *name;
  int64_t value;
} pyoci_df_hc_field_t;
#define PYOCI_DF_HC_DURATIONS 4
#define PYOCI_DF_HC_FIELDS 5
void pyoci_df_hc_fields(const pyoci_df_instr_t *in, pyoci_df_hc_field_t out[PYOCI_DF_HC_FIELDS]);

/* Go's unicode.IsSpace restricted to ASCII. */
static inline bool is_ws(int c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

#endif
