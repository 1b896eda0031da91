/* CVSS v3.1 base score (specification section 7 and Appendix A). */
#include "cvss.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { M_AV, M_AC, M_PR, M_UI, M_S, M_C, M_I, M_A, N_BASE };

static const char *const base_names[N_BASE] = {"AV", "AC", "PR", "UI", "S", "C", "I", "A"};
static const char *const base_values[N_BASE] = {"NALP", "LH", "NLH", "NR", "UC", "HLN", "HLN", "HLN"};

/* Temporal and environmental metrics: allowed, ignored for the base score. */
static const char *const other_names[] = {"E",  "RL", "RC",  "CR",  "IR",  "AR",  "MAV", "MAC",
                                          "MPR", "MUI", "MS", "MC", "MI", "MA", NULL};

/* Round up to one decimal as Appendix A defines it, avoiding the floating
 * point surprises of a plain ceil(x * 10) / 10. */
static double roundup(double x)
{
  long long i = llround(x * 100000.0);
  if (i % 10000 == 0)
    return (double)i / 100000.0;
  return (double)(i / 10000 + 1) / 10.0;
}

static double cia_weight(char v)
{
  return v == 'H' ? 0.56 : v == 'L' ? 0.22 : 0.0;
}

static int bad(pyoci_error_t **err, const char *vector, const char *why)
{
  return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid CVSS v3 vector '%.200s': %s", vector, why);
}

int pyoci_cvss3_base_score(const char *vector, double *score, pyoci_error_t **err)
{
  char v[N_BASE] = {0};
  const char *p = vector;
  if (strncmp(p, "CVSS:3.", 7) == 0) {
    if ((p[7] != '0' && p[7] != '1') || p[8] != '/')
      return bad(err, vector, "unsupported version");
    p += 9;
  }
  unsigned others_seen = 0;
  while (*p) {
    const char *colon = strchr(p, ':');
    if (colon == NULL || colon == p)
      return bad(err, vector, "expected METRIC:VALUE");
    size_t klen = (size_t)(colon - p);
    const char *val = colon + 1;
    size_t vlen = strcspn(val, "/");
    if (vlen == 0)
      return bad(err, vector, "empty metric value");
    int k = -1;
    for (int i = 0; i < N_BASE; i++)
      if (strlen(base_names[i]) == klen && memcmp(base_names[i], p, klen) == 0)
        k = i;
    if (k >= 0) {
      if (v[k])
        return bad(err, vector, "repeated metric");
      if (vlen != 1 || strchr(base_values[k], val[0]) == NULL)
        return bad(err, vector, "bad metric value");
      v[k] = val[0];
    } else {
      int o = -1;
      for (int i = 0; other_names[i]; i++)
        if (strlen(other_names[i]) == klen && memcmp(other_names[i], p, klen) == 0)
          o = i;
      if (o < 0)
        return bad(err, vector, "unknown metric");
      if (others_seen & (1u << o))
        return bad(err, vector, "repeated metric");
      others_seen |= 1u << o;
    }
    p = val + vlen;
    if (*p == '/') {
      p++;
      if (*p == '\0')
        return bad(err, vector, "trailing '/'");
    }
  }
  for (int i = 0; i < N_BASE; i++)
    if (!v[i])
      return bad(err, vector, "missing base metric");

  bool changed = v[M_S] == 'C';
  double av = v[M_AV] == 'N' ? 0.85 : v[M_AV] == 'A' ? 0.62 : v[M_AV] == 'L' ? 0.55 : 0.2;
  double ac = v[M_AC] == 'L' ? 0.77 : 0.44;
  double pr = v[M_PR] == 'N' ? 0.85 : v[M_PR] == 'L' ? (changed ? 0.68 : 0.62) : (changed ? 0.5 : 0.27);
  double ui = v[M_UI] == 'N' ? 0.85 : 0.62;
  double iss = 1.0 - (1.0 - cia_weight(v[M_C])) * (1.0 - cia_weight(v[M_I])) * (1.0 - cia_weight(v[M_A]));
  double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss;
  double exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0)
    *score = 0.0;
  else if (changed)
    *score = roundup(fmin(1.08 * (impact + exploitability), 10.0));
  else
    *score = roundup(fmin(impact + exploitability, 10.0));
  return 0;
}

const char *pyoci_severity_from_score(double score)
{
  if (score >= 9.0)
    return "CRITICAL";
  if (score >= 7.0)
    return "HIGH";
  if (score >= 4.0)
    return "MEDIUM";
  return "LOW";
}

const char *pyoci_severity_from_label(const char *label)
{
  static const struct {
    const char *word, *severity;
  } map[] = {
      {"critical", "CRITICAL"}, {"high", "HIGH"},       {"important", "HIGH"},  {"moderate", "MEDIUM"},
      {"medium", "MEDIUM"},     {"low", "LOW"},         {"negligible", "LOW"}, {"unimportant", "LOW"},
      {"minor", "LOW"},
  };
  if (label == NULL)
    return NULL;
  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
    if (strcasecmp(label, map[i].word) == 0)
      return map[i].severity;
  return NULL;
}
