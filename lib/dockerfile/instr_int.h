/* Shared by the instruction files: instr_lex.c (keyword, --flag words,
 * word lists and JSON arrays, split as BuildKit splits them), instruction.c
 * (flag values and the rules of each instruction) and instr_mem.c (freeing
 * and copying instructions).  Not a public interface; dockerfile.c sees
 * only df_int.h. */
#ifndef PYOCI_DOCKERFILE_INSTR_INT_H
#define PYOCI_DOCKERFILE_INSTR_INT_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "df_int.h"

/* The keyword separator of BuildKit: [\t\v\f\r ]+ */
static inline bool is_tok_ws(int c)
{
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static inline const char *skip_ws(const char *s)
{
  while (is_ws((unsigned char)*s))
    s++;
  return s;
}

static inline char *trim_dup(const char *s, size_t len)
{
  while (len && is_ws((unsigned char)*s)) {
    s++;
    len--;
  }
  while (len && is_ws((unsigned char)s[len - 1]))
    len--;
  return xstrndup(s, len);
}

/* instr_lex.c; each function's comment there says which BuildKit function
 * it follows.  pyoci_lookup_keyword gives a pyoci_df_kind_t, or -1 for a word
 * that is no instruction. */
int pyoci_lookup_keyword(const char *word);
void pyoci_split_command(const char *line, char **cmd, char ***flags, size_t *n_flags, char **rest);
void pyoci_parse_words(const char *rest, char escape, char ***out, size_t *n);
void pyoci_split_ws(const char *rest, int limit, char ***out, size_t *n);
int pyoci_parse_json_array(const char *rest, char ***out, size_t *n);

#endif
