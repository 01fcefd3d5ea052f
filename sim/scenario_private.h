/* scenario_private.h: the scenario parser's shared state and helpers, used
 * by scenario.c and the per-section files (scenario_network.c,
 * scenario_workload.c, scenario_faults.c).  Not part of the sim API. */
#pragma once

#include "sim/scenario.h"

#define SCN_HOUR_US ((int64_t) 3600 * 1000000)
#define SCN_DAY_US SIM_MAX_DURATION_US

/* One "key = value" line of the file. */
typedef struct {
  char *section;
  char *key;
  char *value; /* unescaped by GKeyFile, leading and trailing space removed */
  guint line;
} ScnEntry;

/* One "[section]" line. */
typedef struct {
  char *name;
  guint line;
} ScnSection;

typedef struct {
  const char *file;    /* name for messages */
  SimConfig *cfg;      /* being filled */
  GPtrArray *sections; /* ScnSection*, file order */
  GPtrArray *entries;  /* ScnEntry*, file order */
  const char *const *models; /* model names [check] accepts, NULL-terminated */
  GError **error;
  /* Lookups in near-constant time, so a file of many lines parses in
   * linear time: "section\nkey" -> ScnEntry*, name -> ScnSection*.  Only
   * looked up, never iterated. */
  GHashTable *entry_index, *section_index;
} ScnParser;

/* Sets the parse error "FILE:LINE: [section] key: MESSAGE" (section and key
 * left out when NULL) and returns FALSE, so handlers can `return scn_fail`. */
gboolean scn_fail (ScnParser *p, guint line, const char *section, const char *key,
                   const char *fmt, ...) G_GNUC_PRINTF (5, 6);
/* The same, for one entry. */
gboolean scn_fail_entry (ScnParser *p, const ScnEntry *e, const char *fmt, ...)
  G_GNUC_PRINTF (3, 4);
/* "unknown key 'x'; did you mean 'y'?" (or the list of known keys). */
gboolean scn_fail_unknown_key (ScnParser *p, const ScnEntry *e, const char *const *known);

/* The entry for section/key, or NULL. */
const ScnEntry *scn_find (const ScnParser *p, const char *section, const char *key);
const ScnSection *scn_find_section (const ScnParser *p, const char *name);
/* Line of section `name`'s header, or 1 if it is absent. */
guint scn_section_line (const ScnParser *p, const char *name);
/* Index of key in a NULL-terminated list, or -1. */
int scn_key_index (const char *const *known, const char *key);
/* The known name closest to `word` (edit distance at most a third of its
 * length, and at least 1), else the one known name it begins, or NULL. */
const char *scn_suggest (const char *word, const char *const *known);

/* The knob NAME_max of the same numeric type as lo = NAME_min, or NULL (lo
 * is not the lower end of a pair). */
const ProtoKnob *scn_knob_max_of (const ProtoVTable *vt, const ProtoKnob *lo);
/* A numeric knob's value as a scenario writes it (150ms, 3). */
void scn_format_knob_value (const ProtoKnob *k, int64_t v, GString *out);

/* Value parsers: on bad input they fail with "expected ..., got '...'". */
gboolean scn_get_int (ScnParser *p, const ScnEntry *e, int64_t min, int64_t max,
                      int64_t *out);
gboolean scn_get_duration (ScnParser *p, const ScnEntry *e, int64_t min_us, int64_t max_us,
                           int64_t *out_us);
gboolean scn_get_probability (ScnParser *p, const ScnEntry *e, double *out);
gboolean scn_get_double (ScnParser *p, const ScnEntry *e, double min, double max,
                         double *out);
gboolean scn_get_bool (ScnParser *p, const ScnEntry *e, gboolean *out);
/* "100/s": events per second. */
gboolean scn_get_rate (ScnParser *p, const ScnEntry *e, double *out_per_s);

/* Parses a whole decimal number / duration in text (no error set). */
gboolean scn_parse_int (const char *text, int64_t *out);
gboolean scn_parse_double (const char *text, double *out);

/* Endpoint names: "n1".."nN" are nodes 0..N-1, "c1".."cM" are clients
 * N..N+M-1.  Returns the endpoint, or -1 if text names none (when
 * allow_clients is FALSE, clients are not accepted either). */
int scn_endpoint_parse (const ScnParser *p, const char *text, gboolean allow_clients);
/* "n1..n3" or "n1..n3 or c1..c2", for messages. */
void scn_endpoint_range (const ScnParser *p, gboolean allow_clients, GString *out);

/* Section handlers, in the order scenario.c calls them. */
gboolean scn_parse_workload (ScnParser *p);
gboolean scn_parse_network (ScnParser *p);
gboolean scn_parse_links (ScnParser *p);
gboolean scn_parse_faults (ScnParser *p);
/* scenario_fuzz.c: the [fuzz] ranges of dsim fuzz. */
gboolean scn_parse_fuzz (ScnParser *p);
/* [explore] and [replay] (scenario_explore.c). */
gboolean scn_parse_explore (ScnParser *p);
/* [deliveries] (scenario_deliveries.c). */
gboolean scn_parse_deliveries (ScnParser *p);
/* TRUE if name is a "link A->B" section header. */
gboolean scn_is_link_section (const char *name);
