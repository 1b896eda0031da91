/* CVSS v4.0 scores by the FIRST specification's macro-vector method
 * (https://www.first.org/cvss/v4-0/specification-document, section 8):
 *
 *   1. the effective value of each metric (a Modified metric overrides its
 *      base metric; E, CR, IR, AR default to their worst case A/H/H/H);
 *   2. the six equivalence classes EQ1..EQ6 -> a macro vector, whose score
 *      comes from FIRST's table of 270 expert-scored macro vectors;
 *   3. the vector's severity distance from the highest vectors of its macro
 *      vector, per EQ, as a share of the score gap to the next lower macro
 *      vector; the mean of those shares is taken off the macro score;
 *   4. rounded to one decimal (half up, after a 1e-6 nudge as FIRST's
 *      calculator does).
 *
 * The tables (macro-vector scores, highest vectors, maximal severities) are
 * FIRST's data as published with its calculator (github.com/FIRSTdotorg/
 * cvss-v4-calculator, also RedHatProductSecurity/cvss-v4-calculator's
 * cvss40.js); the code is ours.  Tests: tests/unit/test_cvss.c against the
 * vectors of tests/data/cvss4/ (sources named in its README). */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cvss.h"

enum {
  AV, AC, AT, PR, UI, VC, VI, VA, SC, SI, SA,          /* base */
  E,                                                   /* threat */
  CR, IR, AR,                                          /* environmental */
  MAV, MAC, MAT, MPR, MUI, MVC, MVI, MVA, MSC, MSI, MSA,
  S_, AU, R_, V_, RE, U_,                              /* supplemental: no effect */
  N_METRICS
};
#define N_BASE 11

static const struct {
  const char *name;
  const char *values; /* one letter each; U takes words (below) */
} metric[N_METRICS] = {
    [AV] = {"AV", "NALP"}, [AC] = {"AC", "LH"},   [AT] = {"AT", "NP"},   [PR] = {"PR", "NLH"},
    [UI] = {"UI", "NPA"},  [VC] = {"VC", "HLN"},  [VI] = {"VI", "HLN"},  [VA] = {"VA", "HLN"},
    [SC] = {"SC", "HLN"},  [SI] = {"SI", "HLN"},  [SA] = {"SA", "HLN"},  [E] = {"E", "XAPU"},
    [CR] = {"CR", "XHML"}, [IR] = {"IR", "XHML"}, [AR] = {"AR", "XHML"}, [MAV] = {"MAV", "XNALP"},
    [MAC] = {"MAC", "XLH"}, [MAT] = {"MAT", "XNP"}, [MPR] = {"MPR", "XNLH"}, [MUI] = {"MUI", "XNPA"},
    [MVC] = {"MVC", "XHLN"}, [MVI] = {"MVI", "XHLN"}, [MVA] = {"MVA", "XHLN"}, [MSC] = {"MSC", "XHLN"},
    [MSI] = {"MSI", "XSHLN"}, [MSA] = {"MSA", "XSHLN"}, [S_] = {"S", "XNP"},   [AU] = {"AU", "XNY"},
    [R_] = {"R", "XAUI"},  [V_] = {"V", "XDC"},   [RE] = {"RE", "XLMH"}, [U_] = {"U", ""},
};

/* FIRST's macro-vector scores x10, indexed by EQ1..EQ6 (3x2x3x3x3x2);
 * -1: that macro vector does not exist (EQ3=2 with EQ6=0). */
static const signed char macro_score[324] = {
    100, 99, 98, 95, 95, 92, 100, 96, 93, 87, 91, 81, 93, 90, 89, 80, 81, 68,
    98, 95, 95, 92, 90, 84, 93, 92, 89, 81, 81, 65, 88, 80, 78, 70, 69, 48,
    -1, 92, -1, 82, -1, 72, -1, 79, -1, 69, -1, 50, -1, 69, -1, 55, -1, 27,
    99, 97, 95, 92, 92, 85, 95, 91, 90, 83, 84, 71, 92, 81, 82, 71, 72, 53,
    95, 93, 92, 85, 85, 73, 92, 82, 80, 72, 70, 59, 84, 70, 71, 52, 50, 30,
    -1, 86, -1, 75, -1, 52, -1, 71, -1, 52, -1, 29, -1, 63, -1, 29, -1, 17,
    98, 95, 94, 87, 91, 81, 94, 89, 86, 74, 77, 64, 87, 75, 74, 63, 63, 49,
    94, 89, 88, 77, 76, 67, 86, 76, 74, 58, 59, 50, 72, 57, 57, 52, 52, 25,
    -1, 83, -1, 70, -1, 54, -1, 65, -1, 58, -1, 26, -1, 53, -1, 21, -1, 13,
    95, 90, 88, 76, 76, 70, 90, 77, 75, 62, 61, 53, 77, 66, 68, 59, 52, 30,
    89, 78, 76, 67, 62, 58, 74, 59, 57, 57, 47, 23, 61, 52, 57, 29, 24, 16,
    -1, 71, -1, 59, -1, 30, -1, 58, -1, 26, -1, 15, -1, 23, -1, 13, -1, 6,
    93, 87, 86, 72, 75, 58, 86, 74, 74, 61, 56, 34, 70, 54, 52, 40, 40, 22,
    85, 75, 74, 55, 62, 51, 72, 57, 55, 41, 46, 19, 53, 36, 34, 19, 19, 8,
    -1, 64, -1, 51, -1, 20, -1, 47, -1, 21, -1, 11, -1, 24, -1, 9, -1, 4,
    88, 75, 73, 53, 60, 50, 73, 55, 59, 40, 41, 20, 54, 43, 45, 22, 20, 11,
    75, 55, 58, 45, 40, 21, 61, 51, 48, 18, 20, 9, 46, 18, 17, 7, 8, 2,
    -1, 53, -1, 24, -1, 14, -1, 24, -1, 12, -1, 5, -1, 10, -1, 3, -1, 1,
};

typedef struct {
  char v[N_METRICS]; /* the letter given; 0 when absent */
} vec_t;

/* Effective value of a base metric (or E, CR, IR, AR). */
static char eff(const vec_t *x, int m)
{
  if (m == E)
    return x->v[E] && x->v[E] != 'X' ? x->v[E] : 'A';
  if (m == CR || m == IR || m == AR)
    return x->v[m] && x->v[m] != 'X' ? x->v[m] : 'H';
  int mod = m - AV + MAV;
  if (m < N_BASE && x->v[mod] && x->v[mod] != 'X')
    return x->v[mod];
  return x->v[m];
}

/* Severity levels in tenths (FIRST's METRIC_LEVELS x10). */
static int level(int m, char c)
{
  static const char *const order[] = {
      [AV] = "NALP", [PR] = "NLH", [UI] = "NPA", [AC] = "LH", [AT] = "NP", [VC] = "HLN", [VI] = "HLN",
      [VA] = "HLN",  [SC] = "-HLN", [SI] = "SHLN", [SA] = "SHLN", [CR] = "HML", [IR] = "HML", [AR] = "HML",
      [E] = "APU",
  };
  const char *p = strchr(order[m], c);
  return p ? (int)(p - order[m]) : 0;
}

static void eqs(const vec_t *x, int q[6])
{
  char av = eff(x, AV), pr = eff(x, PR), ui = eff(x, UI);
  if (av == 'N' && pr == 'N' && ui == 'N')
    q[0] = 0;
  else if ((av == 'N' || pr == 'N' || ui == 'N') && av != 'P')
    q[0] = 1;
  else
    q[0] = 2;
  q[1] = eff(x, AC) == 'L' && eff(x, AT) == 'N' ? 0 : 1;
  char vc = eff(x, VC), vi = eff(x, VI), va = eff(x, VA);
  q[2] = vc == 'H' && vi == 'H' ? 0 : (vc == 'H' || vi == 'H' || va == 'H') ? 1 : 2;
  char si = eff(x, SI), sa = eff(x, SA);
  q[3] = si == 'S' || sa == 'S' ? 0 : (eff(x, SC) == 'H' || si == 'H' || sa == 'H') ? 1 : 2;
  q[4] = level(E, eff(x, E));
  q[5] = (eff(x, CR) == 'H' && vc == 'H') || (eff(x, IR) == 'H' && vi == 'H') || (eff(x, AR) == 'H' && va == 'H')
             ? 0
             : 1;
}

/* Macro-vector score x10, -1 when it does not exist. */
static int lookup(int e1, int e2, int e3, int e4, int e5, int e6)
{
  if (e1 > 2 || e2 > 1 || e3 > 2 || e4 > 2 || e5 > 2 || e6 > 1)
    return -1;
  return macro_score[e1 * 108 + e2 * 54 + e3 * 18 + e4 * 6 + e5 * 2 + e6];
}

/* The highest vectors of each EQ level (FIRST's MAX_COMPOSED), as
 * "METRIC:V/" lists; EQ3 is indexed by EQ3 and EQ6. */
static const char *const max_eq1[3][4] = {
    {"AV:N/PR:N/UI:N/"}, {"AV:A/PR:N/UI:N/", "AV:N/PR:L/UI:N/", "AV:N/PR:N/UI:P/"}, {"AV:P/PR:N/UI:N/", "AV:A/PR:L/UI:P/"}};
static const char *const max_eq2[2][3] = {{"AC:L/AT:N/"}, {"AC:H/AT:N/", "AC:L/AT:P/"}};
static const char *const max_eq3[3][2][6] = {
    {{"VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/"}, {"VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/"}},
    {{"VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/"},
     {"VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/", "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/",
      "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/", "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/"}},
    {{NULL}, {"VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/"}},
};
static const char *const max_eq4[3][2] = {{"SC:H/SI:S/SA:S/"}, {"SC:H/SI:H/SA:H/"}, {"SC:L/SI:L/SA:L/"}};
static const char *const max_eq5[3][2] = {{"E:A/"}, {"E:P/"}, {"E:U/"}};
static const int max_sev_eq1[3] = {1, 4, 5}, max_sev_eq2[2] = {1, 2}, max_sev_eq4[3] = {6, 5, 4};
static const int max_sev_eq36[3][2] = {{7, 6}, {8, 8}, {0, 10}};

static const int scored[] = {AV, PR, UI, AC, AT, VC, VI, VA, SC, SI, SA, CR, IR, AR, E};
#define N_SCORED (sizeof(scored) / sizeof(scored[0]))

/* Read "M:V/..." parts into a vec_t (only the scored metrics appear). */
static void read_parts(const char *s, vec_t *out)
{
  memset(out, 0, sizeof(*out));
  while (*s) {
    const char *colon = strchr(s, ':');
    for (size_t k = 0; k < N_SCORED; k++) {
      int m = scored[k];
      if ((size_t)(colon - s) == strlen(metric[m].name) && memcmp(s, metric[m].name, (size_t)(colon - s)) == 0)
        out->v[m] = colon[1];
    }
    s = strchr(s, '/') + 1;
  }
}

/* Distances (tenths) of x from the first highest vector it does not
 * exceed; false when none fits (cannot happen for a valid vector). */
static bool distances(const vec_t *x, const int q[6], int d[N_METRICS])
{
  for (int a = 0; a < 4 && max_eq1[q[0]][a]; a++)
    for (int b = 0; b < 3 && max_eq2[q[1]][b]; b++)
      for (int c = 0; c < 6 && max_eq3[q[2]][q[5]][c]; c++)
        for (int e = 0; e < 2 && max_eq4[q[3]][e]; e++) {
          char buf[160];
          strcpy(buf, max_eq1[q[0]][a]);
          strcat(buf, max_eq2[q[1]][b]);
          strcat(buf, max_eq3[q[2]][q[5]][c]);
          strcat(buf, max_eq4[q[3]][e]);
          strcat(buf, max_eq5[q[4]][0]);
          vec_t mx;
          read_parts(buf, &mx);
          bool fits = true;
          for (size_t k = 0; k < N_SCORED; k++) {
            int m = scored[k];
            d[m] = level(m, eff(x, m)) - level(m, mx.v[m]);
            fits = fits && d[m] >= 0;
          }
          if (fits)
            return true;
        }
  return false;
}

/* One EQ's share: the gap to the next lower macro vector (x10, -1 when
 * there is none) times distance / maximal severity. */
static void share(int value, int lower, int dist, int max_sev, double *sum, int *n)
{
  if (lower < 0)
    return;
  (*n)++;
  if (max_sev > 0)
    *sum += (value - lower) / 10.0 * ((double)dist / max_sev);
}

static double score_of(const vec_t *x)
{
  static const int impact[] = {VC, VI, VA, SC, SI, SA};
  bool none = true;
  for (size_t i = 0; i < 6; i++)
    none = none && eff(x, impact[i]) == 'N';
  if (none)
    return 0.0;
  int q[6], d[N_METRICS] = {0};
  eqs(x, q);
  int value = lookup(q[0], q[1], q[2], q[3], q[4], q[5]);
  if (value < 0 || !distances(x, q, d))
    return -1;
  int l36;
  if (q[2] == 0 && q[5] == 0) {
    int left = lookup(q[0], q[1], q[2], q[3], q[4], q[5] + 1), right = lookup(q[0], q[1], q[2] + 1, q[3], q[4], q[5]);
    l36 = left > right ? left : right;
  } else if (q[2] == 1 && q[5] == 0) {
    l36 = lookup(q[0], q[1], q[2], q[3], q[4], q[5] + 1);
  } else if (q[5] == 1 && q[2] < 2) {
    l36 = lookup(q[0], q[1], q[2] + 1, q[3], q[4], q[5]);
  } else {
    l36 = lookup(q[0], q[1], q[2] + 1, q[3], q[4], q[5] + 1);
  }
  double sum = 0;
  int n = 0;
  share(value, lookup(q[0] + 1, q[1], q[2], q[3], q[4], q[5]), d[AV] + d[PR] + d[UI], max_sev_eq1[q[0]], &sum, &n);
  share(value, lookup(q[0], q[1] + 1, q[2], q[3], q[4], q[5]), d[AC] + d[AT], max_sev_eq2[q[1]], &sum, &n);
  share(value, l36, d[VC] + d[VI] + d[VA] + d[CR] + d[IR] + d[AR], max_sev_eq36[q[2]][q[5]], &sum, &n);
  share(value, lookup(q[0], q[1], q[2], q[3] + 1, q[4], q[5]), d[SC] + d[SI] + d[SA], max_sev_eq4[q[3]], &sum, &n);
  share(value, lookup(q[0], q[1], q[2], q[3], q[4] + 1, q[5]), 0, 1, &sum, &n); /* EQ5: no distance */
  double s = value / 10.0 - (n ? sum / n : 0);
  s = s < 0 ? 0 : s > 10 ? 10 : s;
  return floor((s + 1e-6) * 10 + 0.5) / 10;
}

static int bad(pyoci_error_t **err, const char *vector, const char *why)
{
  return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid CVSS v4.0 vector '%.200s': %s", vector, why);
}

static bool u_value(const char *v, size_t n)
{
  static const char *const words[] = {"X", "Clear", "Green", "Amber", "Red", NULL};
  for (int i = 0; words[i]; i++)
    if (strlen(words[i]) == n && memcmp(words[i], v, n) == 0)
      return true;
  return false;
}

static int parse(const char *vector, vec_t *x, pyoci_error_t **err)
{
  memset(x, 0, sizeof(*x));
  if (strncmp(vector, "CVSS:4.0/", 9) != 0)
    return bad(err, vector, "expected the prefix CVSS:4.0/");
  for (const char *p = vector + 9; *p;) {
    const char *colon = strchr(p, ':');
    if (colon == NULL || colon == p)
      return bad(err, vector, "expected METRIC:VALUE");
    size_t klen = (size_t)(colon - p), vlen = strcspn(colon + 1, "/");
    int m = -1;
    for (int i = 0; i < N_METRICS; i++)
      if (strlen(metric[i].name) == klen && memcmp(metric[i].name, p, klen) == 0)
        m = i;
    if (m < 0)
      return bad(err, vector, "unknown metric");
    if (x->v[m])
      return bad(err, vector, "repeated metric");
    bool ok = m == U_ ? u_value(colon + 1, vlen) : vlen == 1 && strchr(metric[m].values, colon[1]) != NULL;
    if (!ok)
      return bad(err, vector, "bad metric value");
    x->v[m] = colon[1];
    p = colon + 1 + vlen;
    if (*p == '/' && *++p == '\0')
      return bad(err, vector, "trailing '/'");
  }
  for (int i = 0; i < N_BASE; i++)
    if (!x->v[i])
      return bad(err, vector, "missing base metric");
  return 0;
}

int pyoci_cvss4_score(const char *vector, double *score, pyoci_error_t **err)
{
  vec_t x;
  if (parse(vector, &x, err) < 0)
    return -1;
  double s = score_of(&x);
  if (s < 0)
    return bad(err, vector, "no macro vector"); /* unreachable for a parsed vector */
  *score = s;
  return 0;
}
